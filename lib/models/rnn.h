#pragma once
// The recurrent baseline: an LSTM/GRU encoder (optionally bidirectional) and
// an LSTM/GRU decoder that sees the source either only through the encoder's
// final state (attention "none": Sutskever et al. 2014, Cho et al. 2014) or
// through Bahdanau (additive) or Luong (dot/general) attention.
#include <torch/torch.h>

#include "models/attention.h"
#include "models/seq2seq.h"

namespace s2s {

struct RnnOptions {
  std::string cell = "lstm";        // lstm | gru
  int64_t embed_dim = 256;
  int64_t hidden_dim = 256;
  int64_t encoder_layers = 2;
  int64_t decoder_layers = 2;
  bool bidirectional = true;
  std::string attention = "bahdanau";  // none | bahdanau | luong
  std::string luong_score = "general"; // dot | general
  bool input_feeding = true;           // Luong only: feed the attentional state into the next step
  int64_t attention_dim = 256;         // Bahdanau's hidden size
  double dropout = 0.2;
  double init_range = 0.1;             // uniform(-r, r), as Sutskever et al. and Luong et al.

  nlohmann::json to_json() const;
  static RnnOptions from_json(const nlohmann::json& j);
};

// A multi-layer LSTM or GRU behind one call signature. States are (L, B, H);
// `cell` is undefined for a GRU.
class RecurrentStackImpl : public torch::nn::Module {
 public:
  RecurrentStackImpl(bool lstm, int64_t input_dim, int64_t hidden_dim, int64_t layers, bool bidirectional,
                     double dropout);
  struct Output {
    torch::Tensor output;  // (B, T, dirs*H)
    torch::Tensor hidden;  // (L*dirs, B, H)
    torch::Tensor cell;    // (L*dirs, B, H) or undefined
  };
  // Runs padded input (B, T, I); with `lengths` (B) the padding is packed away
  // so it never reaches the final state.
  Output forward(const torch::Tensor& input, const torch::Tensor& hidden, const torch::Tensor& cell,
                 const torch::Tensor& lengths);
  bool is_lstm() const { return lstm_; }

 private:
  bool lstm_;
  torch::nn::LSTM lstm_module_{nullptr};
  torch::nn::GRU gru_module_{nullptr};
};
TORCH_MODULE(RecurrentStack);

class RnnSeq2Seq : public Seq2SeqModel {
 public:
  RnnSeq2Seq(RnnOptions options, int64_t src_vocab, int64_t trg_vocab);

  EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_lengths) override;
  DecodeOutput decode(const EncoderOutput& encoded, const torch::Tensor& trg_in) override;
  DecoderState start(const EncoderOutput& encoded) override;
  torch::Tensor step(DecoderState& state, const torch::Tensor& prev_tokens) override;
  std::string describe() const override;
  int64_t target_vocab_size() const override { return trg_vocab_; }
  const RnnOptions& options() const { return options_; }

 private:
  // One decoder step from an embedded token (B, E); updates `state`.
  torch::Tensor step_embedded(DecoderState& state, const torch::Tensor& embedded);

  RnnOptions options_;
  AttentionKind attention_kind_;
  int64_t trg_vocab_;
  int64_t memory_dim_;
  torch::nn::Embedding src_embedding_{nullptr}, trg_embedding_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  RecurrentStack encoder_{nullptr}, decoder_{nullptr};
  torch::nn::Linear bridge_hidden_{nullptr}, bridge_cell_{nullptr};
  RnnAttention attention_{nullptr};
  torch::nn::Linear attentional_{nullptr};  // [decoder state; context (; embedding)] → H
  torch::nn::Linear output_{nullptr};       // H → V
};

}  // namespace s2s
