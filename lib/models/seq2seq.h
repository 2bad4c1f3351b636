#pragma once
// The one small interface both architectures implement. The trainer, the
// search, the exporter and the benchmarks see only this; none of them ever
// asks which model it holds (Marian's encoder/decoder/state split, JoeyNMT's
// side-by-side layout).
//
// Shapes: B batch (× beam), S source length, T target length, V target
// vocabulary. Token ids are int64; masks are bool with true at real tokens.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace s2s {

struct EncoderOutput {
  torch::Tensor memory;    // (B, S, M) encoder states, one per source position
  torch::Tensor src_mask;  // (B, S) true at real (non-pad) positions
  // Architecture-specific summaries, each batch-first (e.g. the RNN's final
  // hidden/cell state as (B, L, H)); empty for the Transformer.
  std::vector<torch::Tensor> summary;
};

struct DecodeOutput {
  torch::Tensor logits;          // (B, T, V)
  torch::Tensor attention;       // (B, T, S) encoder–decoder attention (heads averaged); undefined without attention
  torch::Tensor head_attention;  // (B, H, T, S) per head, Transformer only
};

// Everything an incremental decoder carries between steps. Every defined
// tensor has the batch (× beam) on dim 0, so one generic reorder() serves
// both the RNN hidden state and the Transformer key/value cache.
struct DecoderState {
  std::vector<torch::Tensor> tensors;
  int64_t position = 0;          // how many target tokens were fed so far
  torch::Tensor attention;       // (B, S) attention of the last step; undefined without attention
  torch::Tensor head_attention;  // (B, H, S) per head of the last step, Transformer only
};

class Seq2SeqModel : public torch::nn::Module {
 public:
  // src: (B, S) ids padded with SpecialIds::pad; src_lengths: (B) int64.
  virtual EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_lengths) = 0;

  // Teacher-forced decoding over all steps: trg_in (B, T) starts with BOS.
  virtual DecodeOutput decode(const EncoderOutput& encoded, const torch::Tensor& trg_in) = 0;

  // Incremental decoding: start() builds the state for step 0; step() feeds
  // one token per sentence, prev_tokens (B), and returns logits (B, V).
  virtual DecoderState start(const EncoderOutput& encoded) = 0;
  virtual torch::Tensor step(DecoderState& state, const torch::Tensor& prev_tokens) = 0;

  // Selects rows of the state (beam search): index (B') into dim 0.
  static void reorder(DecoderState& state, const torch::Tensor& index);

  // Short human-readable description ("LSTM 2x256, bahdanau attention").
  virtual std::string describe() const = 0;
  virtual int64_t target_vocab_size() const = 0;

  int64_t parameter_count() const;
};

using ModelPtr = std::shared_ptr<Seq2SeqModel>;

// Builds a model from the "model" section of a config plus the vocabulary
// sizes. Throws s2s::Error naming the key for an invalid setting.
ModelPtr build_model(const nlohmann::json& model_config, int64_t src_vocab, int64_t trg_vocab);

// The built-in defaults of the model section for an architecture, so configs
// can be validated key by key and printed resolved.
nlohmann::json default_model_config(const std::string& architecture);

// Checks every key of a "model" section (types and ranges) without building
// the model; throws s2s::UsageError naming the key.
void validate_model_config(const nlohmann::json& model_config);

}  // namespace s2s
