#include "models/rnn.h"

#include "util/error.h"

namespace s2s {

nlohmann::json RnnOptions::to_json() const {
  return {{"architecture", "rnn"},           {"cell", cell},
          {"embed_dim", embed_dim},          {"hidden_dim", hidden_dim},
          {"encoder_layers", encoder_layers}, {"decoder_layers", decoder_layers},
          {"bidirectional", bidirectional},  {"attention", attention},
          {"luong_score", luong_score},      {"input_feeding", input_feeding},
          {"attention_dim", attention_dim},  {"dropout", dropout},
          {"init", init},                    {"init_range", init_range}};
}

RnnOptions RnnOptions::from_json(const nlohmann::json& j) {
  RnnOptions o;
  o.cell = j.at("cell").get<std::string>();
  o.embed_dim = j.at("embed_dim").get<int64_t>();
  o.hidden_dim = j.at("hidden_dim").get<int64_t>();
  o.encoder_layers = j.at("encoder_layers").get<int64_t>();
  o.decoder_layers = j.at("decoder_layers").get<int64_t>();
  o.bidirectional = j.at("bidirectional").get<bool>();
  o.attention = j.at("attention").get<std::string>();
  o.luong_score = j.at("luong_score").get<std::string>();
  o.input_feeding = j.at("input_feeding").get<bool>();
  o.attention_dim = j.at("attention_dim").get<int64_t>();
  o.dropout = j.at("dropout").get<double>();
  o.init = j.at("init").get<std::string>();
  o.init_range = j.at("init_range").get<double>();
  if (o.init != "xavier" && o.init != "uniform") throw UsageError("config key model.init must be \"xavier\" or \"uniform\", not \"" + o.init + "\"");
  if (!(o.init_range > 0 && o.init_range <= 10)) throw UsageError("config key model.init_range must be in (0, 10], not " + std::to_string(o.init_range));
  if (o.cell != "lstm" && o.cell != "gru") throw UsageError("config key model.cell must be \"lstm\" or \"gru\", not \"" + o.cell + "\"");
  if (parse_attention_kind(o.attention, o.luong_score) == AttentionKind::luong_dot && o.bidirectional) {
    throw UsageError("config key model.luong_score \"dot\" needs model.bidirectional false (the encoder states must be "
                     "as wide as the decoder state); use \"general\"");
  }
  for (auto [name, value, high] : {std::tuple<const char*, int64_t, int64_t>{"embed_dim", o.embed_dim, 65536},
                                   {"hidden_dim", o.hidden_dim, 65536}, {"encoder_layers", o.encoder_layers, 64},
                                   {"decoder_layers", o.decoder_layers, 64}, {"attention_dim", o.attention_dim, 65536}}) {
    if (value < 1 || value > high) {
      throw UsageError(std::string("config key model.") + name + " must be between 1 and " + std::to_string(high) +
                       ", not " + std::to_string(value));
    }
  }
  if (!(o.dropout >= 0 && o.dropout < 1)) throw UsageError("config key model.dropout must be in [0, 1), not " + std::to_string(o.dropout));
  return o;
}

RecurrentStackImpl::RecurrentStackImpl(bool lstm, int64_t input_dim, int64_t hidden_dim, int64_t layers,
                                       bool bidirectional, double dropout)
    : lstm_(lstm), layers_(layers), dropout_(layers > 1 ? dropout : 0.0) {
  if (lstm) {
    lstm_module_ = register_module("rnn", torch::nn::LSTM(torch::nn::LSTMOptions(input_dim, hidden_dim)
                                                              .num_layers(layers)
                                                              .batch_first(true)
                                                              .bidirectional(bidirectional)
                                                              .dropout(layers > 1 ? dropout : 0.0)));
  } else {
    gru_module_ = register_module("rnn", torch::nn::GRU(torch::nn::GRUOptions(input_dim, hidden_dim)
                                                            .num_layers(layers)
                                                            .batch_first(true)
                                                            .bidirectional(bidirectional)
                                                            .dropout(layers > 1 ? dropout : 0.0)));
  }
  // Parameter names of torch::nn::LSTM / GRU: weight_ih_l0, bias_hh_l1, ...
  auto parameters = (lstm ? static_cast<torch::nn::Module&>(*lstm_module_) : static_cast<torch::nn::Module&>(*gru_module_))
                        .named_parameters(/*recurse=*/false);
  for (int64_t layer = 0; layer < layers; ++layer) {
    const std::string suffix = "_l" + std::to_string(layer);
    weights_.push_back({parameters["weight_ih" + suffix], parameters["weight_hh" + suffix],
                        parameters["bias_ih" + suffix], parameters["bias_hh" + suffix]});
  }
}

RecurrentStackImpl::Output RecurrentStackImpl::forward(const torch::Tensor& input, const torch::Tensor& hidden,
                                                       const torch::Tensor& cell, const torch::Tensor& lengths) {
  namespace rnn_utils = torch::nn::utils::rnn;
  Output out;
  if (lengths.defined()) {
    auto packed = rnn_utils::pack_padded_sequence(input, lengths.to(torch::kCPU), /*batch_first=*/true,
                                                  /*enforce_sorted=*/false);
    auto unpack = [&](const rnn_utils::PackedSequence& result) {
      return std::get<0>(rnn_utils::pad_packed_sequence(result, /*batch_first=*/true, 0.0, input.size(1)));
    };
    if (lstm_) {
      auto [result, state] = lstm_module_->forward_with_packed_input(packed);
      out.output = unpack(result);
      out.hidden = std::get<0>(state);
      out.cell = std::get<1>(state);
    } else {
      auto [result, state] = gru_module_->forward_with_packed_input(packed);
      out.output = unpack(result);
      out.hidden = state;
    }
    return out;
  }
  if (lstm_) {
    torch::optional<std::tuple<torch::Tensor, torch::Tensor>> state;
    if (hidden.defined()) state = std::make_tuple(hidden, cell);
    auto [result, new_state] = lstm_module_->forward(input, state);
    out.output = result;
    out.hidden = std::get<0>(new_state);
    out.cell = std::get<1>(new_state);
  } else {
    auto [result, new_state] = gru_module_->forward(input, hidden.defined() ? hidden : torch::Tensor());
    out.output = result;
    out.hidden = new_state;
  }
  return out;
}

torch::Tensor RecurrentStackImpl::project_leading(const torch::Tensor& leading) {
  const auto& w_ih = weights_[0].w_ih;
  auto gates = torch::matmul(leading, w_ih.narrow(1, 0, leading.size(-1)).t()) + weights_[0].b_ih;
  // An LSTM adds both biases to the same sum; a GRU keeps the hidden-side bias
  // apart (it is gated by r), so only the input-side one is folded in here.
  return lstm_ ? gates + weights_[0].b_hh : gates;
}

torch::Tensor RecurrentStackImpl::cell_step(int64_t layer, const torch::Tensor& input_gates,
                                            const torch::Tensor& hidden, const torch::Tensor& cell,
                                            torch::Tensor* new_cell) {
  if (lstm_) {
    // Gate order of torch::nn::LSTM: input, forget, cell candidate, output.
    auto gates = torch::addmm(input_gates, hidden, weights_[layer].w_hh.t()).chunk(4, 1);
    auto c = torch::sigmoid(gates[1]) * cell + torch::sigmoid(gates[0]) * torch::tanh(gates[2]);
    *new_cell = c;
    return torch::sigmoid(gates[3]) * torch::tanh(c);
  }
  // Gate order of torch::nn::GRU: reset, update, new.
  auto from_hidden = torch::addmm(weights_[layer].b_hh, hidden, weights_[layer].w_hh.t()).chunk(3, 1);
  auto from_input = input_gates.chunk(3, 1);
  auto reset = torch::sigmoid(from_input[0] + from_hidden[0]);
  auto update = torch::sigmoid(from_input[1] + from_hidden[1]);
  auto candidate = torch::tanh(from_input[2] + reset * from_hidden[2]);
  return candidate + update * (hidden - candidate);
}

torch::Tensor RecurrentStackImpl::step(const torch::Tensor& leading_gates, const torch::Tensor& rest,
                                       torch::Tensor& hidden, torch::Tensor& cell) {
  std::vector<torch::Tensor> hiddens, cells;
  hiddens.reserve(layers_);
  cells.reserve(layers_);
  torch::Tensor x;
  for (int64_t layer = 0; layer < layers_; ++layer) {
    torch::Tensor input_gates;
    if (layer == 0) {
      const auto& w_ih = weights_[0].w_ih;
      input_gates = rest.defined()
                        ? torch::addmm(leading_gates, rest, w_ih.narrow(1, w_ih.size(1) - rest.size(1), rest.size(1)).t())
                        : leading_gates;
    } else {
      if (dropout_ > 0) x = torch::dropout(x, dropout_, is_training());  // between layers, as the fused kernel
      input_gates = torch::addmm(weights_[layer].b_ih, x, weights_[layer].w_ih.t());
      if (lstm_) input_gates = input_gates + weights_[layer].b_hh;
    }
    torch::Tensor c;
    x = cell_step(layer, input_gates, hidden.select(1, layer), lstm_ ? cell.select(1, layer) : torch::Tensor(), &c);
    hiddens.push_back(x);
    if (lstm_) cells.push_back(c);
  }
  hidden = layers_ == 1 ? hiddens[0].unsqueeze(1) : torch::stack(hiddens, 1);
  if (lstm_) cell = layers_ == 1 ? cells[0].unsqueeze(1) : torch::stack(cells, 1);
  return x;
}

RnnSeq2Seq::RnnSeq2Seq(RnnOptions options, int64_t src_vocab, int64_t trg_vocab)
    : options_(std::move(options)),
      attention_kind_(parse_attention_kind(options_.attention, options_.luong_score)),
      trg_vocab_(trg_vocab) {
  const bool lstm = options_.cell == "lstm";
  const int64_t dirs = options_.bidirectional ? 2 : 1;
  const int64_t H = options_.hidden_dim, E = options_.embed_dim;
  memory_dim_ = dirs * H;
  src_embedding_ = register_module("src_embedding", torch::nn::Embedding(src_vocab, E));
  trg_embedding_ = register_module("trg_embedding", torch::nn::Embedding(trg_vocab, E));
  dropout_ = register_module("dropout", torch::nn::Dropout(options_.dropout));
  encoder_ = register_module("encoder", RecurrentStack(lstm, E, H, options_.encoder_layers, options_.bidirectional,
                                                       options_.dropout));
  int64_t decoder_input = E;
  if (attention_kind_ == AttentionKind::bahdanau) decoder_input += memory_dim_;
  if (feeds_attentional_state()) decoder_input += H;
  decoder_ = register_module("decoder", RecurrentStack(lstm, decoder_input, H, options_.decoder_layers, false,
                                                       options_.dropout));
  bridge_hidden_ = register_module("bridge_hidden", torch::nn::Linear(memory_dim_, H));
  if (lstm) bridge_cell_ = register_module("bridge_cell", torch::nn::Linear(memory_dim_, H));
  if (attention_kind_ != AttentionKind::none) {
    attention_ = register_module("attention", RnnAttention(attention_kind_, H, memory_dim_, options_.attention_dim));
    const int64_t combined = attention_kind_ == AttentionKind::bahdanau ? H + memory_dim_ + E : H + memory_dim_;
    attentional_ = register_module("attentional", torch::nn::Linear(combined, H));
  }
  output_ = register_module("output", torch::nn::Linear(H, trg_vocab));

  initialize_parameters();
}

void RnnSeq2Seq::initialize_parameters() {
  torch::NoGradGuard no_grad;
  if (options_.init == "uniform") {
    for (auto& p : parameters()) p.uniform_(-options_.init_range, options_.init_range);
    return;
  }
  for (auto& named : named_parameters()) {
    auto& p = named.value();
    if (named.key().find("embedding") != std::string::npos) {
      p.normal_(0.0, 1.0);
    } else if (p.dim() >= 2) {
      torch::nn::init::xavier_uniform_(p);
    } else {
      p.zero_();
    }
  }
}

std::string RnnSeq2Seq::describe() const {
  std::string cell = options_.cell == "lstm" ? "LSTM" : "GRU";
  std::string attention = options_.attention == "luong" ? "luong-" + options_.luong_score : options_.attention;
  return cell + " " + std::to_string(options_.encoder_layers) + "+" + std::to_string(options_.decoder_layers) +
         " layers x " + std::to_string(options_.hidden_dim) + (options_.bidirectional ? ", bidirectional encoder" : "") +
         ", attention " + attention;
}

EncoderOutput RnnSeq2Seq::encode(const torch::Tensor& src, const torch::Tensor& src_lengths) {
  auto embedded = dropout_(src_embedding_(src));  // (B, S, E)
  auto result = encoder_->forward(embedded, torch::Tensor(), torch::Tensor(), src_lengths);
  const int64_t B = src.size(0), dirs = options_.bidirectional ? 2 : 1, L = options_.encoder_layers;
  // (L*dirs, B, H) → (B, L, dirs*H): both directions of a layer side by side.
  auto summarize = [&](const torch::Tensor& state) {
    return state.view({L, dirs, B, options_.hidden_dim}).permute({2, 0, 1, 3}).reshape({B, L, memory_dim_});
  };
  EncoderOutput out;
  out.memory = dropout_(result.output);  // (B, S, dirs*H)
  out.src_mask = src.ne(0);
  out.summary.push_back(summarize(result.hidden));
  if (result.cell.defined()) out.summary.push_back(summarize(result.cell));
  return out;
}

DecoderState RnnSeq2Seq::start(const EncoderOutput& encoded) {
  DecoderState state;
  state.memory = encoded.memory;
  state.src_mask = encoded.src_mask;
  if (attention_) state.memory_keys = attention_->project_keys(encoded.memory);
  // Decoder layer l starts from encoder layer min(l + max(L_enc - L_dec, 0), L_enc - 1), through a
  // tanh bridge: the top layers line up, so a deeper encoder's top layer still reaches the decoder.
  const int64_t Le = options_.encoder_layers, Ld = options_.decoder_layers;
  auto layers = torch::clamp_max(torch::arange(Ld, torch::kLong) + std::max<int64_t>(Le - Ld, 0), Le - 1)
                    .to(encoded.memory.device());
  state.hidden = torch::tanh(bridge_hidden_(encoded.summary[0].index_select(1, layers)));  // (B, Ld, H)
  if (bridge_cell_) state.cell = bridge_cell_(encoded.summary[1].index_select(1, layers));
  if (feeds_attentional_state()) {
    state.attentional = torch::zeros({encoded.memory.size(0), options_.hidden_dim}, encoded.memory.options());
  }
  return state;
}

torch::Tensor RnnSeq2Seq::step(DecoderState& state, const torch::Tensor& prev_tokens) {
  auto embedded = dropout_(trg_embedding_(prev_tokens));  // (B, E)
  return output_(dropout_(attentional_step(state, embedded, decoder_->project_leading(embedded))));
}

bool RnnSeq2Seq::uses_luong_attention() const {
  return attention_kind_ == AttentionKind::luong_dot || attention_kind_ == AttentionKind::luong_general;
}

bool RnnSeq2Seq::feeds_attentional_state() const { return uses_luong_attention() && options_.input_feeding; }

RnnSeq2Seq::Recurrence RnnSeq2Seq::recur(DecoderState& state, const torch::Tensor& embedding_gates) {
  Recurrence out;
  switch (attention_kind_) {
    case AttentionKind::none:
      out.output = decoder_->step(embedding_gates, {}, state.hidden, state.cell);
      break;
    case AttentionKind::bahdanau: {
      // Attend with the previous top-layer state, then update the recurrence.
      auto query = state.hidden.select(1, options_.decoder_layers - 1);
      auto att = attention_(query, state.memory_keys, state.memory, state.src_mask);
      out.output = decoder_->step(embedding_gates, att.context, state.hidden, state.cell);
      out.context = att.context;
      state.attention = att.weights;
      break;
    }
    case AttentionKind::luong_dot:
    case AttentionKind::luong_general: {
      // Update the recurrence first, then attend with the new state.
      out.output = decoder_->step(embedding_gates, state.attentional, state.hidden, state.cell);
      auto att = attention_(out.output, state.memory_keys, state.memory, state.src_mask);
      out.context = att.context;
      state.attention = att.weights;
      break;
    }
  }
  state.position += 1;
  return out;
}

torch::Tensor RnnSeq2Seq::readout(const torch::Tensor& output, const torch::Tensor& context,
                                  const torch::Tensor& embedded) {
  switch (attention_kind_) {
    case AttentionKind::none:
      return output;
    case AttentionKind::bahdanau:
      return torch::tanh(attentional_(torch::cat({output, context, embedded}, -1)));
    case AttentionKind::luong_dot:
    case AttentionKind::luong_general:
      break;
  }
  return torch::tanh(attentional_(torch::cat({output, context}, -1)));
}

torch::Tensor RnnSeq2Seq::attentional_step(DecoderState& state, const torch::Tensor& embedded,
                                           const torch::Tensor& embedding_gates) {
  auto recurrence = recur(state, embedding_gates);
  auto hidden = readout(recurrence.output, recurrence.context, embedded);  // (B, H)
  if (feeds_attentional_state()) state.attentional = hidden;
  return hidden;
}

DecodeOutput RnnSeq2Seq::decode(const EncoderOutput& encoded, const torch::Tensor& trg_in) {
  auto embedded = dropout_(trg_embedding_(trg_in));  // (B, T, E)
  DecoderState state = start(encoded);
  DecodeOutput out;
  if (attention_kind_ == AttentionKind::none || (uses_luong_attention() && !options_.input_feeding)) {
    // Without attention, or with Luong attention and no input feeding, the
    // recurrence reads nothing but the target embeddings: the fused multi-step
    // kernel runs the whole target at once, and the attention over all its
    // outputs is two batched products.
    auto cell = state.cell.defined() ? state.cell.transpose(0, 1).contiguous() : state.cell;
    auto result = decoder_->forward(embedded, state.hidden.transpose(0, 1).contiguous(), cell, torch::Tensor());
    if (attention_kind_ == AttentionKind::none) {
      out.logits = output_(dropout_(result.output));
      return out;
    }
    auto att = attention_->forward_all(result.output, state.memory_keys, state.memory, state.src_mask);
    out.logits = output_(dropout_(readout(result.output, att.context, embedded)));  // (B, T, V)
    out.attention = att.weights;                                                     // (B, T, S)
    return out;
  }
  // Only the recurrence and the attention have to run step by step. Unless the
  // attentional state is fed back (Luong input feeding), the readout layer and
  // the output projection run once over all steps: two large matrix products
  // instead of 2·T small ones.
  const int64_t T = trg_in.size(1);
  auto embedding_gates = decoder_->project_leading(embedded);  // (B, T, G), one product for all steps
  std::vector<torch::Tensor> outputs, contexts, attention;
  outputs.reserve(T);
  contexts.reserve(T);
  attention.reserve(T);
  torch::Tensor hidden;  // (B, T, H)
  if (feeds_attentional_state()) {
    for (int64_t i = 0; i < T; ++i) {
      outputs.push_back(attentional_step(state, embedded.select(1, i), embedding_gates.select(1, i)));
      attention.push_back(state.attention);
    }
    hidden = torch::stack(outputs, 1);
  } else {
    for (int64_t i = 0; i < T; ++i) {
      auto recurrence = recur(state, embedding_gates.select(1, i));
      outputs.push_back(recurrence.output);
      contexts.push_back(recurrence.context);
      attention.push_back(state.attention);
    }
    hidden = readout(torch::stack(outputs, 1), torch::stack(contexts, 1), embedded);
  }
  out.logits = output_(dropout_(hidden));     // (B, T, V)
  out.attention = torch::stack(attention, 1); // (B, T, S)
  return out;
}

}  // namespace s2s
