#include "models/attention.h"

#include "util/error.h"

namespace s2s {

AttentionKind parse_attention_kind(const std::string& attention, const std::string& luong_score) {
  if (attention == "none") return AttentionKind::none;
  if (attention == "bahdanau") return AttentionKind::bahdanau;
  if (attention == "luong") {
    if (luong_score == "dot") return AttentionKind::luong_dot;
    if (luong_score == "general") return AttentionKind::luong_general;
    throw UsageError("config key model.luong_score must be \"dot\" or \"general\", not \"" + luong_score + "\"");
  }
  throw UsageError("config key model.attention must be \"none\", \"bahdanau\" or \"luong\", not \"" + attention + "\"");
}

RnnAttentionImpl::RnnAttentionImpl(AttentionKind kind, int64_t query_dim, int64_t memory_dim, int64_t attention_dim)
    : kind_(kind) {
  switch (kind) {
    case AttentionKind::bahdanau:
      key_layer_ = register_module("key_layer", torch::nn::Linear(torch::nn::LinearOptions(memory_dim, attention_dim).bias(false)));
      query_layer_ = register_module("query_layer", torch::nn::Linear(torch::nn::LinearOptions(query_dim, attention_dim).bias(false)));
      energy_layer_ = register_module("energy_layer", torch::nn::Linear(torch::nn::LinearOptions(attention_dim, 1).bias(false)));
      break;
    case AttentionKind::luong_general:
      key_layer_ = register_module("key_layer", torch::nn::Linear(torch::nn::LinearOptions(memory_dim, query_dim).bias(false)));
      break;
    case AttentionKind::luong_dot:
      if (memory_dim != query_dim) {
        throw UsageError("config key model.luong_score \"dot\" needs encoder states (" + std::to_string(memory_dim) +
                    ") as wide as the decoder state (" + std::to_string(query_dim) + "); use \"general\"");
      }
      break;
    case AttentionKind::none:
      break;
  }
}

torch::Tensor RnnAttentionImpl::project_keys(const torch::Tensor& memory) {
  if (key_layer_) return key_layer_(memory);
  return memory;
}

AttentionResult RnnAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& keys,
                                          const torch::Tensor& memory, const torch::Tensor& mask) {
  torch::Tensor scores;  // (B, S)
  if (kind_ == AttentionKind::bahdanau) {
    auto hidden = torch::tanh(keys + query_layer_(query).unsqueeze(1));  // (B, S, A)
    scores = energy_layer_(hidden).squeeze(2);
  } else {
    scores = torch::bmm(keys, query.unsqueeze(2)).squeeze(2);  // (B, S)
  }
  scores = scores.masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity());
  auto weights = torch::softmax(scores, 1);
  auto context = torch::bmm(weights.unsqueeze(1), memory).squeeze(1);  // (B, M)
  return {context, weights};
}

AttentionResult RnnAttentionImpl::forward_all(const torch::Tensor& queries, const torch::Tensor& keys,
                                              const torch::Tensor& memory, const torch::Tensor& mask) {
  if (kind_ != AttentionKind::luong_dot && kind_ != AttentionKind::luong_general) {
    throw std::logic_error("forward_all needs Luong attention: Bahdanau attends with the previous decoder state");
  }
  auto scores = torch::bmm(queries, keys.transpose(1, 2));  // (B, T, S)
  scores = scores.masked_fill(mask.logical_not().unsqueeze(1), -std::numeric_limits<float>::infinity());
  auto weights = torch::softmax(scores, 2);
  return {torch::bmm(weights, memory), weights};  // (B, T, M), (B, T, S)
}

}  // namespace s2s
