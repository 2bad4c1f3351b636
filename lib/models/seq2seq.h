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

namespace torch::jit {
struct Module;  // torch/script.h, needed only where a model is scripted
}

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

// Everything an incremental decoder carries between steps, by name; each
// model fills the fields it uses and leaves the others undefined. Every
// tensor has the batch (× beam) on dim 0.
//
// Per-sentence tensors are set by start() and are the same for every
// hypothesis of a sentence; per-hypothesis tensors change at every step. A
// beam's reorder moves hypotheses only within their sentence, so it copies the
// per-hypothesis tensors alone (reorder); taking other rows (dropping finished
// sentences, any permutation) copies everything (select_rows).
struct DecoderState {
  // ---- per sentence
  torch::Tensor memory;          // (B, S, M) encoder states (RNN)
  torch::Tensor src_mask;        // (B, S) true at real tokens (RNN)
  torch::Tensor memory_keys;     // (B, S, A) the attention's projection of memory (RNN with attention)
  torch::Tensor cross_bias;      // (B, 1, 1, S) 0 at real tokens, -inf at padding (Transformer)
  std::vector<torch::Tensor> cross_keys, cross_values;  // per decoder layer (B, H, S, d) (Transformer)
  // ---- per hypothesis
  torch::Tensor hidden;          // (B, Ld, H) recurrent state (RNN)
  torch::Tensor cell;            // (B, Ld, H) LSTM cell state (RNN)
  torch::Tensor attentional;     // (B, H) last attentional state, fed back (Luong input feeding)
  std::vector<torch::Tensor> self_keys, self_values;    // per decoder layer (B, H, t, d) (Transformer)
  torch::Tensor attention;       // (B, S) attention of the last step; undefined without attention
  torch::Tensor head_attention;  // (B, H, S) per head of the last step, Transformer only
  // ---- states the toolkit does not name
  std::vector<DecoderState> members;  // an ensemble's member states (models/ensemble.h)
  std::vector<torch::Tensor> opaque;  // an export's TorchScript state list, always copied whole
  int64_t position = 0;          // how many target tokens were fed so far
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

  // Beam search: row r of the new state is hypothesis index[r] (B) of the
  // same sentence; copies the per-hypothesis tensors only.
  static void reorder(DecoderState& state, const torch::Tensor& index);
  // Any rows, index (B') into dim 0: copies every tensor.
  static void select_rows(DecoderState& state, const torch::Tensor& index);

  // Short human-readable description ("LSTM 2x256, bahdanau attention").
  virtual std::string describe() const = 0;
  virtual int64_t target_vocab_size() const = 0;

  // The model's inference path as TorchScript, for `s2s export`: defines
  // encode / start / step_attend (and any helpers they need) on `root`, which already
  // holds this model's parameters and buffers under their native names (a list
  // index "0" as "_0"). The methods' contract is in export/search_script.h.
  // s2s::Error when the model cannot be exported.
  virtual void define_torchscript(torch::jit::Module& root) const = 0;
  // How the decoder attends to the source, for the export's metadata:
  // "multi-head", "bahdanau", "luong-dot", "luong-general" or "none".
  virtual std::string attention_description() const = 0;

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
