#pragma once
// The Transformer (Vaswani et al. 2017): multi-head attention written here so
// that masks, the key/value cache and the attention weights are ours.
#include <torch/torch.h>

#include "models/seq2seq.h"

namespace s2s {

struct TransformerOptions {
  int64_t d_model = 256;
  int64_t heads = 4;
  int64_t ff_dim = 1024;
  int64_t encoder_layers = 3;
  int64_t decoder_layers = 3;
  std::string norm = "pre";      // pre | post
  double dropout = 0.1;          // residual and embedding dropout
  double attention_dropout = 0.0;
  double activation_dropout = 0.0;
  std::string tie_embeddings = "all";  // none | decoder (target embedding = output) | all (needs one vocabulary)
  int64_t max_positions = 1024;
  // sinusoidal (Vaswani et al.) | learned: a trained (max_positions, D) table,
  // N(0, D^-1/2) at start and added unscaled, as fairseq's learned positions.
  std::string positions = "sinusoidal";

  nlohmann::json to_json() const;
  static TransformerOptions from_json(const nlohmann::json& j);
};

class MultiHeadAttentionImpl : public torch::nn::Module {
 public:
  MultiHeadAttentionImpl(int64_t d_model, int64_t heads, double dropout);

  // (B, T, D) → (B, H, T, D/H)
  torch::Tensor split_heads(const torch::Tensor& x) const;
  torch::Tensor project_keys(const torch::Tensor& x) { return split_heads(key_(x)); }
  torch::Tensor project_values(const torch::Tensor& x) { return split_heads(value_(x)); }

  // query (B, T, D) against already projected keys/values (B, H, S, D/H);
  // bias (B or 1, 1, T or 1, S) additive (0 or -inf). Returns (B, T, D) and,
  // when `weights` is given, the attention (B, H, T, S).
  torch::Tensor attend(const torch::Tensor& query, const torch::Tensor& keys, const torch::Tensor& values,
                       const torch::Tensor& bias, torch::Tensor* weights = nullptr);

 private:
  int64_t heads_, head_dim_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, out_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(MultiHeadAttention);

class TransformerLayerImpl : public torch::nn::Module {
 public:
  TransformerLayerImpl(const TransformerOptions& o, bool has_cross_attention);

  // Encoder layer: x (B, S, D), bias (B, 1, 1, S).
  torch::Tensor encode(const torch::Tensor& x, const torch::Tensor& bias);
  // Decoder layer over whole sequences (teacher forcing).
  torch::Tensor decode(const torch::Tensor& x, const torch::Tensor& self_bias, const torch::Tensor& cross_keys,
                       const torch::Tensor& cross_values, const torch::Tensor& cross_bias, torch::Tensor* weights);
  // Decoder layer for one new position x (B, 1, D); appends to the cache.
  torch::Tensor decode_step(const torch::Tensor& x, torch::Tensor& self_keys, torch::Tensor& self_values,
                            const torch::Tensor& cross_keys, const torch::Tensor& cross_values,
                            const torch::Tensor& cross_bias, torch::Tensor* weights);

  MultiHeadAttention cross_attention{nullptr};

 private:
  // Residual block around `sublayer`, pre- or post-norm.
  template <typename F>
  torch::Tensor residual(const torch::Tensor& x, torch::nn::LayerNorm& norm, F sublayer);
  torch::Tensor feed_forward(const torch::Tensor& x);

  bool pre_norm_;
  MultiHeadAttention self_attention_{nullptr};
  torch::nn::LayerNorm self_norm_{nullptr}, cross_norm_{nullptr}, ff_norm_{nullptr};
  torch::nn::Linear ff_in_{nullptr}, ff_out_{nullptr};
  torch::nn::Dropout dropout_{nullptr}, activation_dropout_{nullptr};
};
TORCH_MODULE(TransformerLayer);

class Transformer : public Seq2SeqModel {
 public:
  Transformer(TransformerOptions options, int64_t src_vocab, int64_t trg_vocab);

  EncoderOutput encode(const torch::Tensor& src, const torch::Tensor& src_lengths) override;
  DecodeOutput decode(const EncoderOutput& encoded, const torch::Tensor& trg_in) override;
  DecoderState start(const EncoderOutput& encoded) override;
  torch::Tensor step(DecoderState& state, const torch::Tensor& prev_tokens) override;
  std::string describe() const override;
  int64_t target_vocab_size() const override { return trg_vocab_; }
  void define_torchscript(torch::jit::Module& root) const override;  // models/transformer_script.cpp
  std::string attention_description() const override { return "multi-head"; }
  const TransformerOptions& options() const { return options_; }

 private:
  // ids (B, T) at positions offset..offset+T-1 → scaled embeddings + positions (B, T, D)
  torch::Tensor embed(torch::nn::Embedding& table, const torch::Tensor& ids, int64_t offset);
  torch::Tensor logits(const torch::Tensor& hidden);

  TransformerOptions options_;
  int64_t trg_vocab_;
  double embed_scale_;
  torch::nn::Embedding src_embedding_{nullptr}, trg_embedding_{nullptr};
  torch::Tensor positions_;  // (max_positions, D): sinusoidal (a buffer) or learned (a parameter)
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::ModuleList encoder_layers_{nullptr}, decoder_layers_{nullptr};
  std::vector<TransformerLayer> encoder_, decoder_;
  torch::nn::LayerNorm encoder_norm_{nullptr}, decoder_norm_{nullptr};  // pre-norm only
  torch::nn::Linear output_{nullptr};                                   // untied only
};

}  // namespace s2s
