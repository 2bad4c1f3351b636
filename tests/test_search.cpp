// Search over the model interface: the same greedy and beam search serve
// every architecture, batched, with the decoder state reused between steps.
#include <catch2/catch.hpp>

#include <set>

#include "model_test_support.h"
#include "search/search.h"

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

}  // namespace

TEST_CASE("beam search with beam 1 returns exactly the greedy output", "[search]") {
  for (const auto& c : model_cases()) {
    SECTION(c.name) {
      auto model = build_case(c);
      auto [src, lengths] = sources_with_eos(random_sequences(6, 1, 9, c.src_vocab, 11));
      auto greedy = s2s::search(*model, src, lengths, options_for(1));
      auto beam_options = options_for(1);
      beam_options.greedy_shortcut = false;
      auto beam = s2s::search(*model, src, lengths, beam_options);
      for (size_t i = 0; i < greedy.size(); ++i) {
        CHECK(beam[i].front().tokens == greedy[i].front().tokens);
        CHECK(beam[i].front().log_prob == Approx(greedy[i].front().log_prob).margin(1e-6));
      }
    }
  }
}

TEST_CASE("beam search never returns a lower model score than greedy search", "[search]") {
  for (const auto& c : model_cases()) {
    SECTION(c.name) {
      auto model = build_case(c);
      auto [src, lengths] = sources_with_eos(random_sequences(8, 1, 9, c.src_vocab, 12));
      auto greedy_options = options_for(1), beam_options = options_for(5);
      greedy_options.length_penalty = beam_options.length_penalty = 0.0;  // compare raw log-probabilities
      auto greedy = s2s::search(*model, src, lengths, greedy_options);
      auto beam = s2s::search(*model, src, lengths, beam_options);
      for (size_t i = 0; i < greedy.size(); ++i) {
        CHECK(beam[i].front().score >= greedy[i].front().score - 1e-6);
      }
    }
  }
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
