// Behaviour of the two model families behind the Seq2SeqModel interface:
// padding invariance, causality, incremental == parallel decoding, attention
// distributions, gradient flow, save/load, learning a toy task, parameter
// counts and config validation. Every property is checked for every
// configuration in model_cases().
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "model_test_support.h"
#include "models/seq2seq.h"
#include "util/error.h"

using namespace s2s_test;

namespace {

torch::Tensor token_loss(const torch::Tensor& logits, const torch::Tensor& targets) {
  namespace F = torch::nn::functional;
  return F::cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}),
                          F::CrossEntropyFuncOptions().ignore_index(kPad));
}

// A batch of three sentence pairs of different lengths, so that every row but
// one carries padding on both sides.
Batch mixed_batch(const ModelCase& c) {
  auto src = random_sequences({5, 3, 7}, c.src_vocab, 11);
  auto trg = random_sequences({4, 6, 2}, c.trg_vocab, 12);
  return make_batch(src, trg);
}

// The message of the s2s::Error that building `config` throws ("" if none).
std::string build_error(const nlohmann::json& config, int64_t src_vocab = 20, int64_t trg_vocab = 20) {
  try {
    s2s::build_model(config, src_vocab, trg_vocab);
  } catch (const s2s::Error& e) {
    return e.what();
  }
  return "";
}

std::string temp_path(const std::string& stem) {
  auto dir = std::filesystem::temp_directory_path();
  return (dir / (stem + "-" + std::to_string(::getpid()) + ".pt")).string();
}

}  // namespace

TEST_CASE("encoder memory and decoder logits at real positions ignore appended padding", "[models]") {
  auto c = GENERATE(from_range(model_cases()));
  CAPTURE(c.name);
  torch::NoGradGuard no_grad;
  auto model = build_case(c);
  auto b = mixed_batch(c);

  auto encoded = model->encode(b.src, b.src_lengths);
  auto decoded = model->decode(encoded, b.trg_in);

  auto padded_encoded = model->encode(append_padding(b.src, 4), b.src_lengths);
  auto padded_decoded = model->decode(padded_encoded, append_padding(b.trg_in, 3));

  const int64_t S = b.src.size(1), T = b.trg_in.size(1);
  REQUIRE(padded_encoded.memory.size(1) == S + 4);
  REQUIRE(padded_decoded.logits.size(1) == T + 3);
  REQUIRE(padded_encoded.src_mask.narrow(1, S, 4).any().item<bool>() == false);
  REQUIRE(torch::equal(padded_encoded.src_mask.narrow(1, 0, S), encoded.src_mask));

  auto src_real = encoded.src_mask.unsqueeze(2).expand_as(encoded.memory);
  CHECK(max_abs_diff(encoded.memory.masked_select(src_real),
                     padded_encoded.memory.narrow(1, 0, S).masked_select(src_real)) <= 1e-5);

  auto trg_real = b.trg_in.ne(kPad).unsqueeze(2).expand_as(decoded.logits);
  CHECK(max_abs_diff(decoded.logits.masked_select(trg_real),
                     padded_decoded.logits.narrow(1, 0, T).masked_select(trg_real)) <= 1e-5);
}

TEST_CASE("a batch of different lengths gives each sentence the outputs it gets alone", "[models]") {
  auto c = GENERATE(from_range(model_cases()));
  CAPTURE(c.name);
  torch::NoGradGuard no_grad;
  auto model = build_case(c);
  auto b = mixed_batch(c);

  auto encoded = model->encode(b.src, b.src_lengths);
  auto decoded = model->decode(encoded, b.trg_in);

  for (int64_t i = 0; i < b.src.size(0); ++i) {
    CAPTURE(i);
    const int64_t s = b.src_lengths[i].item<int64_t>(), t = b.trg_lengths[i].item<int64_t>();
    auto src = b.src.narrow(0, i, 1).narrow(1, 0, s);
    auto trg = b.trg_in.narrow(0, i, 1).narrow(1, 0, t);
    auto alone_encoded = model->encode(src, b.src_lengths.narrow(0, i, 1));
    auto alone_decoded = model->decode(alone_encoded, trg);
    CHECK(max_abs_diff(alone_encoded.memory, encoded.memory.narrow(0, i, 1).narrow(1, 0, s)) <= 1e-5);
    CHECK(max_abs_diff(alone_decoded.logits, decoded.logits.narrow(0, i, 1).narrow(1, 0, t)) <= 1e-5);
    if (c.has_attention) {
      CHECK(max_abs_diff(alone_decoded.attention,
                         decoded.attention.narrow(0, i, 1).narrow(1, 0, t).narrow(2, 0, s)) <= 1e-5);
    }
  }
}

TEST_CASE("changing target token t leaves the logits of every earlier position unchanged", "[models]") {
  auto c = GENERATE(from_range(model_cases()));
  CAPTURE(c.name);
  torch::NoGradGuard no_grad;
  auto model = build_case(c);
  auto src = random_sequences({6, 4}, c.src_vocab, 21);
  auto trg = random_sequences({6, 6}, c.trg_vocab, 22);
  auto b = make_batch(src, trg);
  auto encoded = model->encode(b.src, b.src_lengths);
  auto logits = model->decode(encoded, b.trg_in).logits;

  const int64_t T = b.trg_in.size(1);
  for (int64_t t = 1; t < T; ++t) {
    CAPTURE(t);
    auto changed = b.trg_in.clone();
    // Another word id at position t (in both rows).
    auto column = changed.select(1, t);
    column.copy_((column - kFirstWord + 5) % (c.trg_vocab - kFirstWord) + kFirstWord);
    REQUIRE(!torch::equal(column, b.trg_in.select(1, t)));
    auto changed_logits = model->decode(encoded, changed).logits;
    CHECK(max_abs_diff(changed_logits.narrow(1, 0, t), logits.narrow(1, 0, t)) <= 1e-6);
    // Not vacuous: the logits at t itself do see the new token.
    CHECK(max_abs_diff(changed_logits.select(1, t), logits.select(1, t)) > 1e-7);
  }
}

TEST_CASE("step-by-step decoding gives the teacher-forced logits, also after reorder", "[models]") {
  auto c = GENERATE(from_range(model_cases()));
  CAPTURE(c.name);
  torch::NoGradGuard no_grad;
  auto model = build_case(c);
  auto b = mixed_batch(c);
  auto encoded = model->encode(b.src, b.src_lengths);
  auto decoded = model->decode(encoded, b.trg_in);
  const int64_t T = b.trg_in.size(1);

  SECTION("every step matches decode()") {
    auto state = model->start(encoded);
    for (int64_t t = 0; t < T; ++t) {
      CAPTURE(t);
      auto logits = model->step(state, b.trg_in.select(1, t));
      REQUIRE(logits.sizes() == torch::IntArrayRef({b.src.size(0), c.trg_vocab}));
      CHECK(max_abs_diff(logits, decoded.logits.select(1, t)) <= 1e-4);
      CHECK(state.position == t + 1);
      if (c.has_attention) {
        REQUIRE(state.attention.defined());
        CHECK(max_abs_diff(state.attention, decoded.attention.select(1, t)) <= 1e-4);
      }
    }
  }

  SECTION("after select_rows() with any index the steps match decode() of the selected batch") {
    // Rows repeated and permuted across sentences: 3 sentences → 4 rows.
    auto index = torch::tensor({2, 0, 0, 1}, torch::kLong);
    const int64_t split = 3;  // steps before the reorder
    auto reordered_encoded = model->encode(b.src.index_select(0, index), b.src_lengths.index_select(0, index));
    auto reordered_trg = b.trg_in.index_select(0, index);
    auto reference = model->decode(reordered_encoded, reordered_trg);

    auto state = model->start(encoded);
    for (int64_t t = 0; t < split; ++t) model->step(state, b.trg_in.select(1, t));
    s2s::Seq2SeqModel::select_rows(state, index);
    CHECK(state.position == split);
    for (int64_t t = split; t < T; ++t) {
      CAPTURE(t);
      auto logits = model->step(state, reordered_trg.select(1, t));
      REQUIRE(logits.size(0) == index.size(0));
      CHECK(max_abs_diff(logits, reference.logits.select(1, t)) <= 1e-4);
      if (c.has_attention) CHECK(max_abs_diff(state.attention, reference.attention.select(1, t)) <= 1e-4);
    }
  }

  SECTION("reorder() of hypotheses within their sentence matches decode() of the reordered prefixes") {
    // Two hypotheses per sentence, as beam search lays them out (row 2b + k);
    // each pair's targets differ, and the reorder swaps or duplicates within pairs.
    const int64_t B = b.src.size(0);
    auto expand = torch::arange(B, torch::kLong).repeat_interleave(2);
    auto src = b.src.index_select(0, expand), lengths = b.src_lengths.index_select(0, expand);
    auto trg = b.trg_in.index_select(0, expand).clone();
    for (int64_t r = 1; r < 2 * B; r += 2) {
      trg[r].narrow(0, 1, T - 1).copy_(trg[r - 1].narrow(0, 1, T - 1).flip(0));  // the odd row's own prefix
    }
    std::vector<int64_t> within;
    for (int64_t s = 0; s < B; ++s) {
      within.push_back(2 * s + 1);                     // even sentences: the second hypothesis twice
      within.push_back(2 * s + (s % 2 == 0 ? 1 : 0));  // odd sentences: the two swapped
    }
    auto index = torch::tensor(within, torch::kLong);
    const int64_t split = 3;
    auto expanded = model->encode(src, lengths);
    auto reordered_trg = trg.index_select(0, index);
    for (int64_t t = split; t < T; ++t) reordered_trg.select(1, t).copy_(trg.select(1, t));  // after the reorder: own tokens
    auto reference = model->decode(expanded, reordered_trg);

    auto state = model->start(expanded);
    for (int64_t t = 0; t < split; ++t) model->step(state, trg.select(1, t));
    s2s::Seq2SeqModel::reorder(state, index);
    for (int64_t t = split; t < T; ++t) {
      CAPTURE(t);
      auto logits = model->step(state, reordered_trg.select(1, t));
      CHECK(max_abs_diff(logits, reference.logits.select(1, t)) <= 1e-4);
    }
  }
}

TEST_CASE("attention weights are distributions over the real source positions", "[models]") {
  auto c = GENERATE(from_range(model_cases()));
  CAPTURE(c.name);
  torch::NoGradGuard no_grad;
  auto model = build_case(c);
  auto b = mixed_batch(c);
  // Extra padding beyond the longest sentence too.
  auto src = append_padding(b.src, 2);
  auto encoded = model->encode(src, b.src_lengths);
  auto decoded = model->decode(encoded, b.trg_in);
  auto state = model->start(encoded);
  model->step(state, b.trg_in.select(1, 0));

  const int64_t B = src.size(0), S = src.size(1), T = b.trg_in.size(1);
  if (!c.has_attention) {
    CHECK_FALSE(decoded.attention.defined());
    CHECK_FALSE(decoded.head_attention.defined());
    CHECK_FALSE(state.attention.defined());
    CHECK_FALSE(state.head_attention.defined());
    return;
  }
  auto pad = src.eq(kPad);  // (B, S)

  auto check_distribution = [&](const torch::Tensor& weights, const torch::Tensor& pad_mask) {
    // weights (..., S); pad_mask broadcastable to it
    CHECK(max_abs_diff(weights.sum(-1), torch::ones_like(weights.sum(-1))) <= 1e-5);
    CHECK(weights.min().item<double>() >= 0.0);
    CHECK(weights.masked_select(pad_mask.expand_as(weights)).abs().max().item<double>() == 0.0);
  };

  REQUIRE(decoded.attention.sizes() == torch::IntArrayRef({B, T, S}));
  check_distribution(decoded.attention, pad.unsqueeze(1));
  REQUIRE(state.attention.sizes() == torch::IntArrayRef({B, S}));
  check_distribution(state.attention, pad);
  if (c.transformer) {
    const int64_t H = c.config.at("heads").get<int64_t>();
    REQUIRE(decoded.head_attention.sizes() == torch::IntArrayRef({B, H, T, S}));
    check_distribution(decoded.head_attention, pad.unsqueeze(1).unsqueeze(1));
    REQUIRE(state.head_attention.sizes() == torch::IntArrayRef({B, H, S}));
    check_distribution(state.head_attention, pad.unsqueeze(1));
  }
}

TEST_CASE("a training loss sends a gradient to every parameter", "[models]") {
  auto c = GENERATE(from_range(model_cases()));
  CAPTURE(c.name);
  auto model = build_case(c);
  model->train();
  auto b = mixed_batch(c);
  auto encoded = model->encode(b.src, b.src_lengths);
  auto loss = token_loss(model->decode(encoded, b.trg_in).logits, b.trg_out);
  loss.backward();

  REQUIRE(model->named_parameters().size() > 0);
  for (const auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    CAPTURE(name);
    const auto& grad = item.value().grad();
    REQUIRE(grad.defined());
    // A bias on attention keys adds the same amount to every score of one
    // query, which softmax ignores: its gradient is zero in exact arithmetic.
    const bool key_bias = name.size() >= 9 && name.compare(name.size() - 9, 9, ".key.bias") == 0;
    if (key_bias) continue;
    CHECK(grad.ne(0).any().item<bool>());
    CHECK(torch::isfinite(grad).all().item<bool>());
  }
}

TEST_CASE("save then load into a fresh model reproduces parameters and outputs exactly", "[models]") {
  auto c = GENERATE(from_range(model_cases()));
  CAPTURE(c.name);
  auto model = build_case(c, 7);
  // Move away from the initialisation so the check does not rely on seeds.
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.add_(torch::randn_like(p) * 0.01);
  }
  const std::string path = temp_path("s2s-test-model");
  torch::save(std::static_pointer_cast<torch::nn::Module>(model), path);

  auto loaded = build_case(c, 99);
  {
    auto as_module = std::static_pointer_cast<torch::nn::Module>(loaded);
    torch::load(as_module, path);
  }
  std::remove(path.c_str());
  loaded->eval();

  auto original_params = model->named_parameters();
  auto loaded_params = loaded->named_parameters();
  REQUIRE(original_params.size() == loaded_params.size());
  for (const auto& item : original_params) {
    CAPTURE(item.key());
    REQUIRE(loaded_params.contains(item.key()));
    CHECK(torch::equal(item.value(), loaded_params[item.key()]));
  }
  auto original_buffers = model->named_buffers();
  auto loaded_buffers = loaded->named_buffers();
  REQUIRE(original_buffers.size() == loaded_buffers.size());
  for (const auto& item : original_buffers) {
    CAPTURE(item.key());
    CHECK(torch::equal(item.value(), loaded_buffers[item.key()]));
  }

  torch::NoGradGuard no_grad;
  auto b = mixed_batch(c);
  auto e1 = model->encode(b.src, b.src_lengths);
  auto e2 = loaded->encode(b.src, b.src_lengths);
  CHECK(torch::equal(e1.memory, e2.memory));
  CHECK(torch::equal(model->decode(e1, b.trg_in).logits, loaded->decode(e2, b.trg_in).logits));
}

namespace {

// The reversal task: 8 random sentences of 3-6 words, the target is the
// source backwards. With `blind_source` every source word is replaced by one
// fixed word (lengths kept), so the model can only memorise the targets.
Batch reversal_batch(const ModelCase& c, bool blind_source) {
  auto src = random_sequences(8, 3, 6, c.src_vocab, 35);
  Sequences trg;
  for (const auto& s : src) trg.emplace_back(s.rbegin(), s.rend());
  if (blind_source) {
    for (auto& s : src) std::fill(s.begin(), s.end(), kFirstWord);
  }
  return make_batch(src, trg);
}

// The overfitting variant of a case: dropout off (the point is capacity and
// gradient flow, not regularisation) and, for the RNNs, 32 units wide: the
// 16/24-unit test models learn the task too, but need more steps than a unit
// test should take.
s2s::ModelPtr build_overfit_model(const ModelCase& c) {
  auto config = c.config;
  config["dropout"] = 0.0;
  if (c.transformer) {
    config["attention_dropout"] = 0.0;
    config["activation_dropout"] = 0.0;
  } else {
    config["embed_dim"] = 32;
    config["hidden_dim"] = 32;
    config["attention_dim"] = 32;
  }
  torch::manual_seed(4);
  auto model = s2s::build_model(config, c.src_vocab, c.trg_vocab);
  model->train();
  return model;
}

struct TrainResult {
  double first_loss = 0, last_loss = 0;
  int steps = 0;
};

// Adam (lr 1e-2, gradient norm clipped at 1) on one batch until the loss is
// below `target` or `max_steps` updates are done.
TrainResult train_on(s2s::Seq2SeqModel& model, const Batch& b, int max_steps, double target) {
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(1e-2));
  TrainResult r;
  for (;; ++r.steps) {
    optimizer.zero_grad();
    auto loss = token_loss(model.decode(model.encode(b.src, b.src_lengths), b.trg_in).logits, b.trg_out);
    r.last_loss = loss.item<double>();
    if (r.steps == 0) r.first_loss = r.last_loss;
    if (r.last_loss < target || r.steps == max_steps) break;
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model.parameters(), 1.0);
    optimizer.step();
  }
  return r;
}

constexpr int kMaxSteps = 300;
// Nats per target token. A uniform guess costs ln(V) ~ 3; a model that cannot
// see the source can at best memorise the targets given their length, which
// leaves ~0.13 on this batch (checked by the control test below).
constexpr double kLearnedLoss = 0.05;

}  // namespace

TEST_CASE("each model overfits a small batch of the sequence reversal task", "[models]") {
  auto c = GENERATE(from_range(model_cases()));
  CAPTURE(c.name);
  auto model = build_overfit_model(c);
  auto b = reversal_batch(c, false);
  auto r = train_on(*model, b, kMaxSteps, kLearnedLoss);
  CAPTURE(r.first_loss, r.last_loss, r.steps);
  CHECK(r.first_loss > 2.0);
  REQUIRE(r.last_loss < kLearnedLoss);

  // And greedy decoding through start/step reproduces the reversals.
  torch::NoGradGuard no_grad;
  model->eval();
  auto encoded = model->encode(b.src, b.src_lengths);
  auto state = model->start(encoded);
  auto token = torch::full({b.src.size(0)}, kBos, torch::kLong);
  std::vector<torch::Tensor> output;
  for (int64_t t = 0; t < b.trg_out.size(1); ++t) {
    token = model->step(state, token).argmax(-1);
    output.push_back(token);
  }
  auto hypothesis = torch::stack(output, 1);
  auto real = b.trg_out.ne(kPad);
  // A sentence is right when every real position (up to and including EOS) is.
  auto right = hypothesis.eq(b.trg_out).logical_or(real.logical_not()).all(1);
  const int64_t correct = right.sum().item<int64_t>();
  CAPTURE(correct);
  // At a mean loss of 0.05 one token may still slip, so one sentence may be
  // wrong; the loss threshold is what separates learning from memorising.
  CHECK(correct >= b.src.size(0) - 1);
}

TEST_CASE("a model that cannot see the source stays above the overfitting threshold", "[models]") {
  // Control for the test above: the fastest learner, given the same budget,
  // cannot get under kLearnedLoss by memorising the targets alone.
  auto cases = model_cases();
  auto c = *std::find_if(cases.begin(), cases.end(), [](const ModelCase& m) { return m.transformer; });
  CAPTURE(c.name);
  auto model = build_overfit_model(c);
  auto r = train_on(*model, reversal_batch(c, true), kMaxSteps, 0.0);
  CAPTURE(r.first_loss, r.last_loss, r.steps);
  CHECK(r.last_loss > 2 * kLearnedLoss);
}

TEST_CASE("parameter_count is positive and counts tied Transformer embeddings once", "[models]") {
  for (const auto& c : model_cases()) {
    CAPTURE(c.name);
    auto model = build_case(c);
    int64_t manual = 0;
    for (const auto& p : model->parameters()) manual += p.numel();
    CHECK(model->parameter_count() > 0);
    CHECK(model->parameter_count() == manual);
  }

  auto config = [](const std::string& tie) {
    return nlohmann::json{{"architecture", "transformer"}, {"d_model", 32}, {"heads", 4}, {"ff_dim", 48},
                          {"encoder_layers", 1},          {"decoder_layers", 1}, {"tie_embeddings", tie}};
  };
  const int64_t V = 20, D = 32;
  auto none = s2s::build_model(config("none"), V, V)->parameter_count();
  auto decoder = s2s::build_model(config("decoder"), V, V)->parameter_count();
  auto all = s2s::build_model(config("all"), V, V)->parameter_count();
  CHECK(all < decoder);
  CHECK(decoder < none);
  // "decoder" drops the output projection (weight and bias), "all" also the target embedding.
  CHECK(none - decoder == V * D + V);
  CHECK(decoder - all == V * D);
}

TEST_CASE("build_model rejects unknown keys and invalid settings with an error naming the key", "[models]") {
  using Catch::Matchers::Contains;
  CHECK_THAT(build_error({{"architecture", "rnn"}, {"hiden_dim", 8}}), Contains("model.hiden_dim"));
  CHECK_THAT(build_error({{"architecture", "transformer"}, {"d_modle", 8}}), Contains("model.d_modle"));
  CHECK_THAT(build_error({{"architecture", "lstm"}}), Contains("model.architecture"));
  // Luong dot needs encoder states as wide as the decoder state.
  CHECK_THAT(build_error({{"architecture", "rnn"}, {"attention", "luong"}, {"luong_score", "dot"},
                          {"bidirectional", true}, {"hidden_dim", 8}, {"embed_dim", 8}, {"attention_dim", 8}}),
             Contains("model.luong_score"));
  CHECK_THAT(build_error({{"architecture", "transformer"}, {"d_model", 8}, {"heads", 2}, {"ff_dim", 8},
                          {"tie_embeddings", "all"}},
                         20, 24),
             Contains("model.tie_embeddings"));
}

TEST_CASE("every model preset in models/ builds at its own sizes and decodes a batch", "[models]") {
  int presets = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(S2S_SOURCE_DIR) + "/models")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const auto preset = nlohmann::json::parse(in);
    if (!preset.contains("model")) continue;  // an experiment (compare-*.json), not a model preset
    CAPTURE(entry.path().filename().string());
    ++presets;
    const int64_t V = 50;
    auto model = s2s::build_model(preset["model"], V, V);
    model->eval();
    auto b = make_batch(random_sequences({5, 3, 7}, V, 21), random_sequences({4, 6, 2}, V, 22));
    torch::NoGradGuard no_grad;
    auto decoded = model->decode(model->encode(b.src, b.src_lengths), b.trg_in);
    CHECK(decoded.logits.sizes() == torch::IntArrayRef({3, b.trg_in.size(1), V}));
    CHECK(torch::isfinite(decoded.logits).all().item<bool>());
  }
  CHECK(presets >= 4);  // rnn, rnn-attention, rnn-luong, transformer
}
