#include "models/transformer.h"

#include <cmath>

#include "util/error.h"

namespace s2s {

nlohmann::json TransformerOptions::to_json() const {
  return {{"architecture", "transformer"},
          {"d_model", d_model},
          {"heads", heads},
          {"ff_dim", ff_dim},
          {"encoder_layers", encoder_layers},
          {"decoder_layers", decoder_layers},
          {"norm", norm},
          {"dropout", dropout},
          {"attention_dropout", attention_dropout},
          {"activation_dropout", activation_dropout},
          {"tie_embeddings", tie_embeddings},
          {"max_positions", max_positions},
          {"positions", positions}};
}

TransformerOptions TransformerOptions::from_json(const nlohmann::json& j) {
  TransformerOptions o;
  o.d_model = j.at("d_model").get<int64_t>();
  o.heads = j.at("heads").get<int64_t>();
  o.ff_dim = j.at("ff_dim").get<int64_t>();
  o.encoder_layers = j.at("encoder_layers").get<int64_t>();
  o.decoder_layers = j.at("decoder_layers").get<int64_t>();
  o.norm = j.at("norm").get<std::string>();
  o.dropout = j.at("dropout").get<double>();
  o.attention_dropout = j.at("attention_dropout").get<double>();
  o.activation_dropout = j.at("activation_dropout").get<double>();
  o.tie_embeddings = j.at("tie_embeddings").get<std::string>();
  o.max_positions = j.at("max_positions").get<int64_t>();
  o.positions = j.value("positions", std::string("sinusoidal"));  // absent in configs older than the option
  if (o.positions != "sinusoidal" && o.positions != "learned") {
    throw UsageError("config key model.positions must be \"sinusoidal\" or \"learned\", not \"" + o.positions + "\"");
  }
  for (auto [name, value, high] : {std::tuple<const char*, int64_t, int64_t>{"d_model", o.d_model, 65536},
                                   {"heads", o.heads, 1024}, {"ff_dim", o.ff_dim, 262144},
                                   {"encoder_layers", o.encoder_layers, 64}, {"decoder_layers", o.decoder_layers, 64},
                                   {"max_positions", o.max_positions, 1 << 20}}) {
    if (value < 1 || value > high) {
      throw UsageError(std::string("config key model.") + name + " must be between 1 and " + std::to_string(high) +
                       ", not " + std::to_string(value));
    }
  }
  if (o.d_model % o.heads != 0) throw UsageError("config key model.d_model must be a multiple of model.heads");
  if (o.max_positions < 2) throw UsageError("config key model.max_positions must be at least 2 (BOS and EOS need positions)");
  for (auto [name, value] : {std::pair<const char*, double>{"dropout", o.dropout},
                             {"attention_dropout", o.attention_dropout}, {"activation_dropout", o.activation_dropout}}) {
    if (!(value >= 0 && value < 1)) {
      throw UsageError(std::string("config key model.") + name + " must be in [0, 1), not " + std::to_string(value));
    }
  }
  if (o.norm != "pre" && o.norm != "post") throw UsageError("config key model.norm must be \"pre\" or \"post\", not \"" + o.norm + "\"");
  if (o.tie_embeddings != "none" && o.tie_embeddings != "decoder" && o.tie_embeddings != "all") {
    throw UsageError("config key model.tie_embeddings must be \"none\", \"decoder\" or \"all\", not \"" + o.tie_embeddings + "\"");
  }
  return o;
}

// ---------------------------------------------------------------- attention

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int64_t d_model, int64_t heads, double dropout)
    : heads_(heads), head_dim_(d_model / heads) {
  query_ = register_module("query", torch::nn::Linear(d_model, d_model));
  key_ = register_module("key", torch::nn::Linear(d_model, d_model));
  value_ = register_module("value", torch::nn::Linear(d_model, d_model));
  out_ = register_module("out", torch::nn::Linear(d_model, d_model));
  dropout_ = register_module("dropout", torch::nn::Dropout(dropout));
}

torch::Tensor MultiHeadAttentionImpl::split_heads(const torch::Tensor& x) const {
  return x.view({x.size(0), x.size(1), heads_, head_dim_}).transpose(1, 2);
}

torch::Tensor MultiHeadAttentionImpl::attend(const torch::Tensor& query, const torch::Tensor& keys,
                                             const torch::Tensor& values, const torch::Tensor& bias,
                                             torch::Tensor* weights) {
  const int64_t B = query.size(0), T = query.size(1);
  auto q = split_heads(query_(query)) * (1.0 / std::sqrt(static_cast<double>(head_dim_)));  // (B, H, T, d)
  auto scores = torch::matmul(q, keys.transpose(2, 3));                                     // (B, H, T, S)
  if (bias.defined()) scores = scores + bias;
  auto probabilities = torch::softmax(scores, -1);
  if (weights != nullptr) *weights = probabilities;
  auto context = torch::matmul(dropout_(probabilities), values);  // (B, H, T, d)
  return out_(context.transpose(1, 2).reshape({B, T, heads_ * head_dim_}));
}

// ---------------------------------------------------------------- layer

TransformerLayerImpl::TransformerLayerImpl(const TransformerOptions& o, bool has_cross_attention)
    : pre_norm_(o.norm == "pre") {
  self_attention_ = register_module("self_attention", MultiHeadAttention(o.d_model, o.heads, o.attention_dropout));
  self_norm_ = register_module("self_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.d_model})));
  if (has_cross_attention) {
    cross_attention = register_module("cross_attention", MultiHeadAttention(o.d_model, o.heads, o.attention_dropout));
    cross_norm_ = register_module("cross_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.d_model})));
  }
  ff_in_ = register_module("ff_in", torch::nn::Linear(o.d_model, o.ff_dim));
  ff_out_ = register_module("ff_out", torch::nn::Linear(o.ff_dim, o.d_model));
  ff_norm_ = register_module("ff_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.d_model})));
  dropout_ = register_module("dropout", torch::nn::Dropout(o.dropout));
  activation_dropout_ = register_module("activation_dropout", torch::nn::Dropout(o.activation_dropout));
}

template <typename F>
torch::Tensor TransformerLayerImpl::residual(const torch::Tensor& x, torch::nn::LayerNorm& norm, F sublayer) {
  if (pre_norm_) return x + dropout_(sublayer(norm(x)));
  return norm(x + dropout_(sublayer(x)));
}

torch::Tensor TransformerLayerImpl::feed_forward(const torch::Tensor& x) {
  return ff_out_(activation_dropout_(torch::relu(ff_in_(x))));
}

torch::Tensor TransformerLayerImpl::encode(const torch::Tensor& x, const torch::Tensor& bias) {
  auto h = residual(x, self_norm_, [&](const torch::Tensor& y) {
    return self_attention_->attend(y, self_attention_->project_keys(y), self_attention_->project_values(y), bias);
  });
  return residual(h, ff_norm_, [&](const torch::Tensor& y) { return feed_forward(y); });
}

torch::Tensor TransformerLayerImpl::decode(const torch::Tensor& x, const torch::Tensor& self_bias,
                                           const torch::Tensor& cross_keys, const torch::Tensor& cross_values,
                                           const torch::Tensor& cross_bias, torch::Tensor* weights) {
  auto h = residual(x, self_norm_, [&](const torch::Tensor& y) {
    return self_attention_->attend(y, self_attention_->project_keys(y), self_attention_->project_values(y), self_bias);
  });
  h = residual(h, cross_norm_, [&](const torch::Tensor& y) {
    return cross_attention->attend(y, cross_keys, cross_values, cross_bias, weights);
  });
  return residual(h, ff_norm_, [&](const torch::Tensor& y) { return feed_forward(y); });
}

torch::Tensor TransformerLayerImpl::decode_step(const torch::Tensor& x, torch::Tensor& self_keys,
                                                torch::Tensor& self_values, const torch::Tensor& cross_keys,
                                                const torch::Tensor& cross_values, const torch::Tensor& cross_bias,
                                                torch::Tensor* weights) {
  // Only the new position is computed; earlier keys/values come from the cache.
  auto h = residual(x, self_norm_, [&](const torch::Tensor& y) {
    auto k = self_attention_->project_keys(y), v = self_attention_->project_values(y);  // (B, H, 1, d)
    self_keys = self_keys.defined() ? torch::cat({self_keys, k}, 2) : k;
    self_values = self_values.defined() ? torch::cat({self_values, v}, 2) : v;
    return self_attention_->attend(y, self_keys, self_values, {});
  });
  h = residual(h, cross_norm_, [&](const torch::Tensor& y) {
    return cross_attention->attend(y, cross_keys, cross_values, cross_bias, weights);
  });
  return residual(h, ff_norm_, [&](const torch::Tensor& y) { return feed_forward(y); });
}

// ---------------------------------------------------------------- model

namespace {

torch::Tensor sinusoidal_table(int64_t positions, int64_t d_model) {
  auto position = torch::arange(positions, torch::kFloat).unsqueeze(1);                    // (P, 1)
  auto rate = torch::exp(torch::arange(0, d_model, 2, torch::kFloat) * (-std::log(10000.0) / d_model));  // (D/2)
  auto table = torch::zeros({positions, d_model});
  table.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)}, torch::sin(position * rate));
  table.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)}, torch::cos(position * rate));
  return table;
}

// (B, S) bool mask of real tokens → additive (B, 1, 1, S) bias.
torch::Tensor padding_bias(const torch::Tensor& mask, torch::ScalarType dtype) {
  auto bias = torch::zeros(mask.sizes(), torch::TensorOptions().dtype(dtype).device(mask.device()));
  return bias.masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity()).unsqueeze(1).unsqueeze(1);
}

}  // namespace

Transformer::Transformer(TransformerOptions options, int64_t src_vocab, int64_t trg_vocab)
    : options_(std::move(options)), trg_vocab_(trg_vocab), embed_scale_(std::sqrt(static_cast<double>(options_.d_model))) {
  const int64_t D = options_.d_model;
  if (options_.tie_embeddings == "all" && src_vocab != trg_vocab) {
    throw Error("model.tie_embeddings \"all\" needs one shared vocabulary, but the source has " +
                std::to_string(src_vocab) + " and the target " + std::to_string(trg_vocab) + " entries");
  }
  src_embedding_ = register_module("src_embedding", torch::nn::Embedding(src_vocab, D));
  if (options_.tie_embeddings == "all") {
    trg_embedding_ = src_embedding_;
  } else {
    trg_embedding_ = register_module("trg_embedding", torch::nn::Embedding(trg_vocab, D));
  }
  if (options_.tie_embeddings == "none") output_ = register_module("output", torch::nn::Linear(D, trg_vocab));
  // One name for both kinds, so checkpoints and the TorchScript export find the table alike.
  if (options_.positions == "learned") {
    positions_ = register_parameter("positions", torch::empty({options_.max_positions, D}));
  } else {
    positions_ = register_buffer("positions", sinusoidal_table(options_.max_positions, D));
  }
  dropout_ = register_module("dropout", torch::nn::Dropout(options_.dropout));
  encoder_layers_ = register_module("encoder_layers", torch::nn::ModuleList());
  decoder_layers_ = register_module("decoder_layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < options_.encoder_layers; ++i) {
    encoder_.emplace_back(options_, false);
    encoder_layers_->push_back(encoder_.back());
  }
  for (int64_t i = 0; i < options_.decoder_layers; ++i) {
    decoder_.emplace_back(options_, true);
    decoder_layers_->push_back(decoder_.back());
  }
  if (options_.norm == "pre") {
    encoder_norm_ = register_module("encoder_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({D})));
    decoder_norm_ = register_module("decoder_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({D})));
  }

  // Xavier-uniform for every projection (as in the Transformer paper's
  // reference code); embeddings N(0, D^-1/2) so that after the sqrt(D)
  // scaling they have unit variance.
  torch::NoGradGuard no_grad;
  for (auto& item : named_parameters()) {
    const auto& name = item.key();
    auto& p = item.value();
    if (name.find("embedding") != std::string::npos) {
      p.normal_(0.0, std::pow(static_cast<double>(D), -0.5));
      p[0].zero_();  // the PAD row
    } else if (name == "positions") {
      p.normal_(0.0, std::pow(static_cast<double>(D), -0.5));
    } else if (p.dim() == 2) {
      torch::nn::init::xavier_uniform_(p);
    } else if (name.find("bias") != std::string::npos) {
      p.zero_();
    }
  }
}

std::string Transformer::describe() const {
  return "Transformer " + std::to_string(options_.encoder_layers) + "+" + std::to_string(options_.decoder_layers) +
         " layers, d=" + std::to_string(options_.d_model) + ", " + std::to_string(options_.heads) + " heads, ff=" +
         std::to_string(options_.ff_dim) + ", " + options_.norm + "-norm" +
         (options_.positions == "learned" ? ", learned positions" : "");
}

torch::Tensor Transformer::embed(torch::nn::Embedding& table, const torch::Tensor& ids, int64_t offset) {
  const int64_t T = ids.size(1);
  if (offset + T > options_.max_positions) {
    throw Error("sequence of " + std::to_string(offset + T) + " tokens exceeds model.max_positions (" +
                std::to_string(options_.max_positions) + ")");
  }
  auto pos = positions_.narrow(0, offset, T).unsqueeze(0);  // (1, T, D)
  return dropout_(table(ids) * embed_scale_ + pos);
}

torch::Tensor Transformer::logits(const torch::Tensor& hidden) {
  if (output_) return output_(hidden);
  return torch::matmul(hidden, trg_embedding_->weight.t());
}

EncoderOutput Transformer::encode(const torch::Tensor& src, const torch::Tensor& src_lengths) {
  (void)src_lengths;  // the padding mask carries the lengths
  EncoderOutput out;
  out.src_mask = src.ne(0);
  auto bias = padding_bias(out.src_mask, positions_.scalar_type());
  auto x = embed(src_embedding_, src, 0);  // (B, S, D)
  for (auto& layer : encoder_) x = layer->encode(x, bias);
  out.memory = encoder_norm_ ? encoder_norm_(x) : x;
  return out;
}

DecodeOutput Transformer::decode(const EncoderOutput& encoded, const torch::Tensor& trg_in) {
  const int64_t T = trg_in.size(1);
  // Causal mask: position t sees positions <= t only. (1, 1, T, T)
  auto causal = torch::full({T, T}, -std::numeric_limits<float>::infinity(), encoded.memory.options()).triu(1);
  auto self_bias = causal.unsqueeze(0).unsqueeze(0);
  auto cross_bias = padding_bias(encoded.src_mask, encoded.memory.scalar_type());
  auto x = embed(trg_embedding_, trg_in, 0);
  DecodeOutput out;
  for (size_t i = 0; i < decoder_.size(); ++i) {
    auto& layer = decoder_[i];
    const bool last = i + 1 == decoder_.size();
    auto keys = layer->cross_attention->project_keys(encoded.memory);
    auto values = layer->cross_attention->project_values(encoded.memory);
    x = layer->decode(x, self_bias, keys, values, cross_bias, last ? &out.head_attention : nullptr);
  }
  if (decoder_norm_) x = decoder_norm_(x);
  out.logits = logits(x);
  out.attention = out.head_attention.mean(1);  // (B, T, S)
  return out;
}

DecoderState Transformer::start(const EncoderOutput& encoded) {
  DecoderState state;
  state.cross_bias = padding_bias(encoded.src_mask, encoded.memory.scalar_type());
  // The self-attention cache starts empty (undefined): step 0 makes it (B, H, 1, d).
  state.self_keys.resize(decoder_.size());
  state.self_values.resize(decoder_.size());
  for (auto& layer : decoder_) {
    // Encoder–decoder keys/values depend only on the source: computed once.
    state.cross_keys.push_back(layer->cross_attention->project_keys(encoded.memory));
    state.cross_values.push_back(layer->cross_attention->project_values(encoded.memory));
  }
  return state;
}

torch::Tensor Transformer::step(DecoderState& state, const torch::Tensor& prev_tokens) {
  auto x = embed(trg_embedding_, prev_tokens.unsqueeze(1), state.position);  // (B, 1, D)
  torch::Tensor weights;
  for (size_t i = 0; i < decoder_.size(); ++i) {
    const bool last = i + 1 == decoder_.size();
    x = decoder_[i]->decode_step(x, state.self_keys[i], state.self_values[i], state.cross_keys[i], state.cross_values[i],
                                 state.cross_bias, last ? &weights : nullptr);
  }
  if (decoder_norm_) x = decoder_norm_(x);
  state.head_attention = weights.squeeze(2);       // (B, H, S)
  state.attention = state.head_attention.mean(1);  // (B, S)
  state.position += 1;
  return logits(x.squeeze(1));
}

}  // namespace s2s
