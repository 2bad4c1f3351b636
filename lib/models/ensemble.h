#pragma once
// Several trained models as one Seq2SeqModel: at each step the members'
// log-probabilities are averaged (a normalised geometric mean of their
// distributions, as Marian's weighted ensembles with equal weights), so the one
// search — greedy, beam, n-best, attention — decodes an ensemble unchanged.
//
// The members' encoder outputs and decoder states travel in the interface's
// own structs, every tensor batch-first, so the search's generic row selection
// and reorder() serve them: EncoderOutput.summary holds each member's
// (memory, src_mask, summary...) in turn, DecoderState.members each member's
// own state.
#include <vector>

#include "models/seq2seq.h"

namespace s2s {

class EnsembleModel : public Seq2SeqModel {
 public:
  // s2s::Error when the members' target vocabularies differ in size.
  explicit EnsembleModel(std::vector<ModelPtr> members);

  EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_lengths) override;
  // logits: the members' mean log-probabilities (B, T, V); attention: their mean.
  DecodeOutput decode(const EncoderOutput& encoded, const torch::Tensor& trg_in) override;
  DecoderState start(const EncoderOutput& encoded) override;
  torch::Tensor step(DecoderState& state, const torch::Tensor& prev_tokens) override;
  std::string describe() const override;
  int64_t target_vocab_size() const override;
  // An ensemble is not exported as one file: export each member.
  void define_torchscript(torch::jit::Module& root) const override;
  std::string attention_description() const override;

  size_t size() const { return members_.size(); }

 private:
  std::vector<EncoderOutput> unpack_encoded(const EncoderOutput& packed) const;

  std::vector<ModelPtr> members_;
  std::vector<size_t> summary_counts_;  // per member, set by encode()
};

}  // namespace s2s
