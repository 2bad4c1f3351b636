#pragma once
// Encoder–decoder attention for the RNN decoder: Bahdanau (additive) and
// Luong (dot / general). Each scores every source position for one decoder
// query, masks the padding, and returns the context vector and the weights.
#include <torch/torch.h>

namespace s2s {

enum class AttentionKind { none, bahdanau, luong_dot, luong_general };

AttentionKind parse_attention_kind(const std::string& attention, const std::string& luong_score);

struct AttentionResult {
  torch::Tensor context;  // (B, M), or (B, T, M) from forward_all
  torch::Tensor weights;  // (B, S) or (B, T, S), a distribution over the real source positions
};

class RnnAttentionImpl : public torch::nn::Module {
 public:
  RnnAttentionImpl(AttentionKind kind, int64_t query_dim, int64_t memory_dim, int64_t attention_dim);

  // Work that depends only on the memory, done once per sentence rather than
  // once per step: (B, S, M) → (B, S, A) projected keys.
  torch::Tensor project_keys(const torch::Tensor& memory);

  // query (B, Q), keys (B, S, A) from project_keys, memory (B, S, M), mask (B, S).
  AttentionResult forward(const torch::Tensor& query, const torch::Tensor& keys, const torch::Tensor& memory,
                          const torch::Tensor& mask);

  // Luong attention for all decoder steps at once, where the queries do not
  // depend on earlier contexts (no input feeding): queries (B, T, Q) →
  // context (B, T, M), weights (B, T, S). Bahdanau attends with the previous
  // state, so it has no such form.
  AttentionResult forward_all(const torch::Tensor& queries, const torch::Tensor& keys, const torch::Tensor& memory,
                              const torch::Tensor& mask);

 private:
  AttentionKind kind_;
  torch::nn::Linear key_layer_{nullptr};    // bahdanau: W_k; luong general: W_a (memory → query space)
  torch::nn::Linear query_layer_{nullptr};  // bahdanau: W_q
  torch::nn::Linear energy_layer_{nullptr}; // bahdanau: v
};
TORCH_MODULE(RnnAttention);

}  // namespace s2s
