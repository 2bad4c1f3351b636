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
  // "xavier": Glorot-uniform matrices, zero biases, N(0, 1) embeddings. "uniform":
  // every parameter from uniform(-init_range, init_range), as Sutskever et al. and
  // Luong et al.; at small widths it leaves the attention scores nearly flat and
  // their gradients ~1e-6, so the attentional RNN takes hundreds of steps to
  // start using the source (measured on the reverse task).
  std::string init = "xavier";
  double init_range = 0.1;

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

  // Single time steps of a unidirectional stack, computed cell by cell (the
  // multi-step kernel's per-call overhead dominates at length 1). Layer 0's
  // input is split in two: a leading part whose projection is known for every
  // step in advance (the target embeddings: projected once for all T by
  // `project_leading`) and the rest, known only at the step (attention context
  // or fed-back state).
  //   leading (..., I0) → (..., G), G = 4H (LSTM) or 3H (GRU), biases included.
  torch::Tensor project_leading(const torch::Tensor& leading);
  //   leading_gates (B, G), rest (B, I - I0) or undefined; hidden/cell (B, L, H), replaced by the new
  //   states. Returns the top layer's output (B, H).
  torch::Tensor step(const torch::Tensor& leading_gates, const torch::Tensor& rest, torch::Tensor& hidden,
                     torch::Tensor& cell);

 private:
  // The cell update of one layer from its input-side gates (B, G).
  torch::Tensor cell_step(int64_t layer, const torch::Tensor& input_gates, const torch::Tensor& hidden,
                          const torch::Tensor& cell, torch::Tensor* new_cell);
  // The forward-direction parameters of each layer, looked up once: the same
  // tensors the fused kernel uses (moving the module to a device keeps them).
  struct LayerWeights {
    torch::Tensor w_ih, w_hh, b_ih, b_hh;
  };
  std::vector<LayerWeights> weights_;

  bool lstm_;
  int64_t layers_;
  double dropout_;
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
  void define_torchscript(torch::jit::Module& root) const override;  // models/rnn_script.cpp
  std::string attention_description() const override;
  const RnnOptions& options() const { return options_; }

 private:
  void initialize_parameters();
  bool uses_luong_attention() const;     // dot or general score
  bool feeds_attentional_state() const;  // Luong input feeding

  struct Recurrence {
    torch::Tensor output;   // (B, H) top decoder layer
    torch::Tensor context;  // (B, M) attention context; undefined without attention
  };
  // One step of the recurrence and the attention; `embedding_gates` (B, G) is the
  // decoder's input projection of the embedded token. Updates `state`.
  Recurrence recur(DecoderState& state, const torch::Tensor& embedding_gates);
  // The attentional state fed to the output layer, for any leading dimensions: (..., H).
  torch::Tensor readout(const torch::Tensor& output, const torch::Tensor& context, const torch::Tensor& embedded);
  // recur + readout (+ input feeding): one full decoder step, before the output layer.
  torch::Tensor attentional_step(DecoderState& state, const torch::Tensor& embedded,
                                 const torch::Tensor& embedding_gates);

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
