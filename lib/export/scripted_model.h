#pragma once
// A loaded export as a Seq2SeqModel: encode / start / step call the module's
// own TorchScript methods (export/search_script.h), so lib/search — greedy,
// beam, n-best lists, attention, length limits — decodes an exported model
// exactly as it decodes a training directory. One search for both.
#include <torch/script.h>
#include <torch/torch.h>

#include <string>

#include "models/seq2seq.h"
#include "run/model_bundle.h"

namespace s2s {

class ScriptedSeq2Seq : public Seq2SeqModel {
 public:
  // `attention_description` as metadata.json records it ("multi-head" keeps
  // the per-head attention, as the native Transformer does).
  // `origin` (the file) is named in errors from the module.
  ScriptedSeq2Seq(torch::jit::Module module, std::string origin, int64_t target_vocab_size, std::string description,
                  std::string attention_description);

  EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_lengths) override;
  // An export decodes step by step only: s2s::UsageError (search without --no-cache).
  DecodeOutput decode(const EncoderOutput& encoded, const torch::Tensor& trg_in) override;
  DecoderState start(const EncoderOutput& encoded) override;
  torch::Tensor step(DecoderState& state, const torch::Tensor& prev_tokens) override;

  std::string describe() const override { return description_; }
  int64_t target_vocab_size() const override { return target_vocab_size_; }
  // Already TorchScript: s2s::Error (export the training directory instead).
  void define_torchscript(torch::jit::Module& root) const override;
  std::string attention_description() const override { return attention_description_; }

 private:
  // Runs one of the module's methods; its errors become s2s::Error naming origin_.
  c10::IValue call(const char* method, std::vector<c10::IValue> arguments);

  torch::jit::Module module_;
  std::string origin_;
  int64_t target_vocab_size_;
  std::string description_, attention_description_;
};

// An exported .pt file as a bundle to translate with: the module behind a
// ScriptedSeq2Seq, its tokenizers and its training config. s2s::Error naming
// `path` when it is not a loadable export of this format.
ModelBundle load_exported_bundle(const std::string& path, const torch::Device& device);

}  // namespace s2s
