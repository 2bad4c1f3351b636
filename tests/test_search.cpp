// Search over the model interface: the same greedy and beam search serve
// every architecture, batched, with the decoder state reused between steps.
#include <catch2/catch.hpp>

#include <functional>
#include <set>
#include <stdexcept>

#include "model_test_support.h"
#include "models/ensemble.h"
#include "search/search.h"
#include "util/error.h"

using namespace s2s_test;

namespace {

std::pair<torch::Tensor, torch::Tensor> sources_with_eos(const Sequences& rows) {
  Sequences with_eos = rows;
  auto lengths = torch::empty({static_cast<int64_t>(rows.size())}, torch::kLong);
  for (size_t i = 0; i < rows.size(); ++i) {
    with_eos[i].push_back(kEos);
    lengths[static_cast<int64_t>(i)] = static_cast<int64_t>(with_eos[i].size());
  }
  return {pad_rows(with_eos), lengths};
}

s2s::SearchOptions options_for(int beam, int nbest = 1) {
  s2s::SearchOptions o;
  o.beam = beam;
  o.nbest = nbest;
  o.max_length_a = 1.0;
  o.max_length_b = 5;
  return o;
}

// A stand-in model whose next-token logits depend only on the previous token
// and the position, so that a test can lay out a search by hand.
class ScriptedModel : public s2s::Seq2SeqModel {
 public:
  using Logits = std::function<std::vector<float>(int64_t previous, int64_t position)>;
  ScriptedModel(int64_t vocab, Logits logits) : vocab_(vocab), logits_(std::move(logits)) {}

  s2s::EncoderOutput encode(const torch::Tensor& src, const torch::Tensor&) override {
    return {torch::zeros({src.size(0), src.size(1), 1}), src.ne(kPad), {}};
  }
  s2s::DecodeOutput decode(const s2s::EncoderOutput&, const torch::Tensor&) override {
    throw std::logic_error("ScriptedModel only decodes step by step");
  }
  s2s::DecoderState start(const s2s::EncoderOutput&) override { return {}; }
  torch::Tensor step(s2s::DecoderState& state, const torch::Tensor& prev_tokens) override {
    rows_per_step.push_back(prev_tokens.size(0));
    std::vector<float> rows;
    for (int64_t b = 0; b < prev_tokens.size(0); ++b) {
      auto row = logits_(prev_tokens[b].item<int64_t>(), state.position);
      rows.insert(rows.end(), row.begin(), row.end());
    }
    ++state.position;
    return torch::tensor(rows).view({prev_tokens.size(0), vocab_});
  }
  std::string describe() const override { return "scripted"; }
  int64_t target_vocab_size() const override { return vocab_; }
  void define_torchscript(torch::jit::Module&) const override { throw s2s::Error("a test model is not exported"); }
  std::string attention_description() const override { return "none"; }

  std::vector<int64_t> rows_per_step;  // the batch (x beam) each step() was given

 private:
  int64_t vocab_;
  Logits logits_;
};

}  // namespace

TEST_CASE("beam search with beam 1 returns exactly the greedy output", "[search]") {
  for (const auto& c : model_cases()) {
    SECTION(c.name) {
      auto model = build_case(c);
      auto [src, lengths] = sources_with_eos(random_sequences(6, 1, 9, c.src_vocab, 11));
      // Raw log-probabilities: with a length penalty, the one live path may go on
      // past the finished one and end longer with a better normalised score.
      auto greedy_options = options_for(1);
      greedy_options.length_penalty = 0.0;
      auto greedy = s2s::search(*model, src, lengths, greedy_options);
      auto beam_options = greedy_options;
      beam_options.greedy_shortcut = false;
      auto beam = s2s::search(*model, src, lengths, beam_options);
      for (size_t i = 0; i < greedy.size(); ++i) {
        CHECK(beam[i].front().tokens == greedy[i].front().tokens);
        CHECK(beam[i].front().log_prob == Approx(greedy[i].front().log_prob).margin(1e-6));
      }
    }
  }
}

TEST_CASE("a beam wide enough to keep every path finds the best output, never worse than greedy", "[search]") {
  // A narrow beam can prune greedy's path early and end lower than greedy (an
  // untrained model's flat distributions make that common). With 6 target ids,
  // 5 of which continue a path, and at most 4 output tokens, 125 live paths are
  // all there can be before the last step: the search is exhaustive.
  for (auto c : model_cases()) {
    SECTION(c.name) {
      c.src_vocab = c.trg_vocab = 6;
      auto model = build_case(c);
      auto [src, lengths] = sources_with_eos(random_sequences(8, 1, 9, c.src_vocab, 12));
      auto options = options_for(1);
      options.length_penalty = 0.0;  // compare raw log-probabilities
      options.max_length_a = 0.0;
      options.max_length_b = 4;
      auto greedy = s2s::search(*model, src, lengths, options);
      options.beam = 3;
      auto narrow = s2s::search(*model, src, lengths, options);
      options.beam = 125;
      auto wide = s2s::search(*model, src, lengths, options);
      for (size_t i = 0; i < greedy.size(); ++i) {
        // The margin covers float differences between batch shapes (B vs B*K rows).
        CHECK(wide[i].front().score >= greedy[i].front().score - 1e-4);
        CHECK(wide[i].front().score >= narrow[i].front().score - 1e-4);
      }
    }
  }
}

TEST_CASE("beam search goes on while a live path can still beat its finished hypotheses", "[search]") {
  // Ids 0-3 are the special ones; 4 and 5 are words "a" and "b". Greedy reads
  // "a a a a" then EOS. Paths through "b" end at once with EOS, at low
  // log-probabilities, ranked between beam K=2's two live paths: after 3 steps
  // there are 2 finished hypotheses ("b", "a b") while "a a a" is far better.
  constexpr int64_t a = 4, b = 5;
  ScriptedModel model(6, [&](int64_t previous, int64_t position) {
    std::vector<float> logits(6, -30.0f);
    auto set = [&](float a_logit, float b_logit, float eos_logit) {
      logits[a] = a_logit;
      logits[b] = b_logit;
      logits[kEos] = eos_logit;
    };
    if (previous == kBos) set(0, -2, -8);
    if (previous == a) position < 4 ? set(0, -5, -6) : set(-4, -6, 0);
    if (previous == b) set(-10, -10, 0);
    return logits;
  });
  auto [src, lengths] = sources_with_eos({{a, b, a}});
  auto options = options_for(1);
  options.length_penalty = 0.0;
  auto greedy = s2s::search(model, src, lengths, options);
  REQUIRE(greedy[0].front().tokens == std::vector<int64_t>{a, a, a, a});
  options.beam = options.nbest = 2;
  auto beam = s2s::search(model, src, lengths, options);
  REQUIRE(beam[0].size() == 2);
  CHECK(beam[0][0].tokens == greedy[0].front().tokens);
  CHECK(beam[0][0].score == Approx(greedy[0].front().score).margin(1e-6));
  CHECK(beam[0][1].tokens == std::vector<int64_t>{b});
}

TEST_CASE("batched decoding equals decoding one sentence at a time", "[search]") {
  for (const auto& c : model_cases()) {
    SECTION(c.name) {
      auto model = build_case(c);
      auto rows = random_sequences(5, 1, 10, c.src_vocab, 13);
      auto [src, lengths] = sources_with_eos(rows);
      int stopped_by_own_limit = 0;
      for (int beam : {1, 3}) {
        // A limit a*|src|+b tight enough that outputs reach it: each sentence
        // must stop at its own limit, not at the one of the batch's longest source.
        auto options = options_for(beam);
        options.max_length_a = 1.0;
        options.max_length_b = 3;
        auto batched = s2s::search(*model, src, lengths, options);
        for (size_t i = 0; i < rows.size(); ++i) {
          auto [one, one_length] = sources_with_eos({rows[i]});
          auto single = s2s::search(*model, one, one_length, options);
          CHECK(single[0].front().tokens == batched[i].front().tokens);
          CHECK(single[0].front().score == Approx(batched[i].front().score).margin(1e-4));
          const auto own_limit = static_cast<size_t>(lengths[static_cast<int64_t>(i)].item<int64_t>() + 3);
          if (batched[i].front().tokens.size() == own_limit && own_limit < static_cast<size_t>(src.size(1) + 3)) {
            ++stopped_by_own_limit;
          }
        }
      }
      CHECK(stopped_by_own_limit > 0);  // else the sentences above would agree under either limit
    }
  }
}

TEST_CASE("n-best lists are sorted by score and hold distinct hypotheses", "[search]") {
  for (const auto& c : model_cases()) {
    SECTION(c.name) {
      auto model = build_case(c);
      auto [src, lengths] = sources_with_eos(random_sequences(4, 2, 8, c.src_vocab, 14));
      auto results = s2s::search(*model, src, lengths, options_for(5, 5));
      for (const auto& nbest : results) {
        REQUIRE(!nbest.empty());
        CHECK(nbest.size() <= 5);
        std::set<std::vector<int64_t>> distinct;
        for (size_t k = 0; k < nbest.size(); ++k) {
          distinct.insert(nbest[k].tokens);
          if (k > 0) CHECK(nbest[k - 1].score >= nbest[k].score);
        }
        CHECK(distinct.size() == nbest.size());
      }
    }
  }
}

TEST_CASE("a model with non-finite scores still gets one (empty, -inf) output per sentence", "[search]") {
  auto cases = model_cases();
  auto model = build_case(cases.front());
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) p.fill_(std::numeric_limits<float>::quiet_NaN());
  }
  auto [src, lengths] = sources_with_eos(random_sequences(3, 2, 6, cases.front().src_vocab, 15));
  auto results = s2s::search(*model, src, lengths, options_for(3, 2));
  REQUIRE(results.size() == 3);
  for (const auto& nbest : results) {
    REQUIRE(nbest.size() == 1);
    CHECK(nbest.front().tokens.empty());
    CHECK(nbest.front().score == -std::numeric_limits<double>::infinity());
  }
}

TEST_CASE("reusing the decoder state gives the same output as recomputing the prefix", "[search]") {
  for (const auto& c : model_cases()) {
    SECTION(c.name) {
      auto model = build_case(c);
      auto [src, lengths] = sources_with_eos(random_sequences(4, 1, 8, c.src_vocab, 15));
      for (int beam : {1, 3}) {
        auto cached = s2s::search(*model, src, lengths, options_for(beam));
        auto options = options_for(beam);
        options.use_cache = false;
        auto recomputed = s2s::search(*model, src, lengths, options);
        for (size_t i = 0; i < cached.size(); ++i) CHECK(cached[i].front().tokens == recomputed[i].front().tokens);
      }
    }
  }
}

TEST_CASE("search scores agree with teacher-forced scoring of the same output", "[search]") {
  for (const auto& c : model_cases()) {
    SECTION(c.name) {
      auto model = build_case(c);
      auto [src, lengths] = sources_with_eos(random_sequences(3, 2, 7, c.src_vocab, 16));
      auto options = options_for(1);
      options.length_penalty = 0.0;
      auto results = s2s::search(*model, src, lengths, options);
      std::vector<std::vector<int64_t>> outputs;
      for (auto& r : results) outputs.push_back(r.front().tokens);
      auto scores = s2s::score_outputs(*model, src, lengths, outputs);
      for (size_t i = 0; i < results.size(); ++i) {
        // Outputs cut by their length limit have no EOS in the search score.
        if (static_cast<int64_t>(outputs[i].size()) < lengths[static_cast<int64_t>(i)].item<int64_t>() + 5) {
          CHECK(scores[i] == Approx(results[i].front().log_prob).margin(1e-3));
        }
      }
    }
  }
}

namespace {

// Position 0: EOS 0.4, the word (id 4) 0.6; after the word: EOS 0.6, the word 0.4.
// So the empty output has log p = log 0.4 and "word" has log 0.36: unnormalised
// the empty one wins, averaged per token (|y| = 2 against 1) the longer one.
std::vector<float> short_or_long(int64_t /*previous*/, int64_t position) {
  const float never = -1e9f;
  if (position == 0) return {never, never, never, std::log(0.4f), std::log(0.6f)};
  return {never, never, never, std::log(0.6f), std::log(0.4f)};
}

}  // namespace

TEST_CASE("length normalisation: none keeps log p, average divides by |y|^alpha, gnmt by ((5+|y|)/6)^alpha",
          "[search]") {
  CHECK(s2s::length_normalized(-6.0, 3, s2s::LengthNorm::none, 1.0) == -6.0);
  CHECK(s2s::length_normalized(-6.0, 3, s2s::LengthNorm::average, 1.0) == Approx(-2.0));
  CHECK(s2s::length_normalized(-6.0, 4, s2s::LengthNorm::average, 0.5) == Approx(-3.0));
  CHECK(s2s::length_normalized(-6.0, 7, s2s::LengthNorm::gnmt, 1.0) == Approx(-3.0));
  CHECK(s2s::parse_length_norm("average") == s2s::LengthNorm::average);
  CHECK_THROWS_AS(s2s::parse_length_norm("mean"), s2s::UsageError);

  ScriptedModel model(5, short_or_long);
  auto [src, lengths] = sources_with_eos({{4, 4}});
  for (int beam : {1, 3}) {
    auto options = options_for(beam);
    options.length_norm = s2s::LengthNorm::none;
    if (beam > 1) {
      auto unnormalised = s2s::search(model, src, lengths, options);
      CHECK(unnormalised[0].front().tokens.empty());
      CHECK(unnormalised[0].front().score == Approx(std::log(0.4)));
      options.length_norm = s2s::LengthNorm::average;
      auto averaged = s2s::search(model, src, lengths, options);
      CHECK(averaged[0].front().tokens == std::vector<int64_t>{4});
      CHECK(averaged[0].front().score == Approx(std::log(0.36) / 2));
    }
    // No EOS before one token: even greedy, which would stop at once, gives "word".
    options.length_norm = s2s::LengthNorm::none;
    options.min_length = 1;
    auto at_least_one = s2s::search(model, src, lengths, options);
    CHECK(at_least_one[0].front().tokens == std::vector<int64_t>{4});
  }
}

TEST_CASE("max_length caps every output below the a*|src|+b limit", "[search]") {
  // The word always wins over EOS: outputs run to their limit.
  ScriptedModel model(5, [](int64_t, int64_t) { return std::vector<float>{-1e9f, -1e9f, -1e9f, -5.0f, 0.0f}; });
  auto [src, lengths] = sources_with_eos({{4, 4, 4, 4}});
  for (int beam : {1, 2}) {
    auto options = options_for(beam);  // a = 1, b = 5: 10 tokens for this source
    CHECK(s2s::search(model, src, lengths, options)[0].front().tokens.size() == 10);
    options.max_length = 3;
    CHECK(s2s::search(model, src, lengths, options)[0].front().tokens.size() == 3);
  }
}

TEST_CASE("sentences that are done leave the batch: later steps compute only the rows still searching", "[search]") {
  // The word always wins over EOS, so each sentence runs to its own limit
  // |src| + 5 (EOS counted in |src|): 7, 9 and 11 steps.
  ScriptedModel model(5, [](int64_t, int64_t) { return std::vector<float>{-1e9f, -1e9f, -1e9f, -5.0f, 0.0f}; });
  auto [src, lengths] = sources_with_eos({{4}, {4, 4, 4}, {4, 4, 4, 4, 4}});
  // Greedy, beam search with K = 1, and K = 2.
  for (const auto& [beam, greedy_shortcut] : {std::pair{1, true}, std::pair{1, false}, std::pair{2, false}}) {
    auto options = options_for(beam);
    options.greedy_shortcut = greedy_shortcut;
    model.rows_per_step.clear();
    auto out = s2s::search(model, src, lengths, options);
    CHECK(out[0].front().tokens.size() == 7);
    CHECK(out[1].front().tokens.size() == 9);
    CHECK(out[2].front().tokens.size() == 11);
    std::vector<int64_t> expected(7, 3 * beam);
    expected.insert(expected.end(), 2, 2 * beam);
    expected.insert(expected.end(), 2, 1 * beam);
    CHECK(model.rows_per_step == expected);
  }
}

TEST_CASE("an ensemble of one model searches exactly as the model; two average their log-probabilities", "[search]") {
  for (const auto& c : model_cases()) {
    SECTION(c.name) {
      auto first = build_case(c, 7), second = build_case(c, 8);
      auto [src, lengths] = sources_with_eos(random_sequences(4, 1, 8, c.src_vocab, 21));
      s2s::EnsembleModel one({first});
      for (int beam : {1, 4}) {
        auto options = options_for(beam, beam);
        options.keep_attention = c.has_attention;
        auto alone = s2s::search(*first, src, lengths, options);
        auto ensembled = s2s::search(one, src, lengths, options);
        for (size_t i = 0; i < alone.size(); ++i) {
          REQUIRE(alone[i].size() == ensembled[i].size());
          for (size_t k = 0; k < alone[i].size(); ++k) {
            CHECK(alone[i][k].tokens == ensembled[i][k].tokens);
            CHECK(alone[i][k].score == ensembled[i][k].score);
            CHECK(alone[i][k].attention == ensembled[i][k].attention);
          }
        }
      }
      // Two members, step by step and teacher-forced: the mean of their log-softmaxes.
      torch::NoGradGuard no_grad;
      s2s::EnsembleModel two({first, second});
      auto encoded = two.encode(src, lengths);
      auto state = two.start(encoded);
      auto state_first = first->start(first->encode(src, lengths));
      auto state_second = second->start(second->encode(src, lengths));
      auto tokens = torch::full({src.size(0)}, kBos, torch::kLong);
      for (int t = 0; t < 3; ++t) {
        auto expected = (torch::log_softmax(first->step(state_first, tokens), -1) +
                         torch::log_softmax(second->step(state_second, tokens), -1)) / 2.0;
        auto got = two.step(state, tokens);
        CHECK(torch::allclose(got, expected, 1e-5, 1e-6));
        tokens = got.argmax(-1);
        // Reorder like a beam would (reverse the rows) to check the packed state follows.
        auto reverse = torch::arange(src.size(0) - 1, -1, -1, torch::kLong);
        s2s::Seq2SeqModel::reorder(state, reverse);
        s2s::Seq2SeqModel::reorder(state_first, reverse);
        s2s::Seq2SeqModel::reorder(state_second, reverse);
        tokens = tokens.index_select(0, reverse);
      }
      auto trg_in = torch::cat({torch::full({src.size(0), 1}, kBos, torch::kLong), pad_rows(random_sequences(4, 3, 3, c.trg_vocab, 22))}, 1);
      auto decoded = two.decode(encoded, trg_in).logits;
      auto expected = (torch::log_softmax(first->decode(first->encode(src, lengths), trg_in).logits, -1) +
                       torch::log_softmax(second->decode(second->encode(src, lengths), trg_in).logits, -1)) / 2.0;
      CHECK(torch::allclose(decoded, expected, 1e-5, 1e-6));
    }
  }
}

TEST_CASE("PAD and BOS are never output, even when the model prefers them", "[search]") {
  // PAD (0) and BOS (2) are the model's favourites at every step; after them
  // the word (4) until position 2, then EOS: "4 4" is the best output there is.
  auto logits_at = [](int64_t position) {
    const float word = position < 2 ? -1.0f : -9.0f, eos = position < 2 ? -9.0f : -1.0f;
    return std::vector<float>{0.0f, -9.0f, 0.0f, eos, word};
  };
  ScriptedModel model(5, [&](int64_t, int64_t position) { return logits_at(position); });
  // The model's own log-probs of "4 4 EOS", not renormalised without PAD and BOS.
  double expected = 0.0;
  for (int64_t position = 0; position < 3; ++position) {
    auto log_probs = torch::log_softmax(torch::tensor(logits_at(position)), 0);
    expected += log_probs[position < 2 ? 4 : s2s_test::kEos].item<double>();
  }
  auto [src, lengths] = sources_with_eos({{4, 4}, {4}});
  for (int beam : {1, 3}) {
    auto options = options_for(beam);
    options.length_penalty = 0.0;
    for (const auto& nbest : s2s::search(model, src, lengths, options)) {
      CHECK(nbest.front().tokens == std::vector<int64_t>{4, 4});
      CHECK(nbest.front().log_prob == Approx(expected).margin(1e-5));
    }
  }
}
