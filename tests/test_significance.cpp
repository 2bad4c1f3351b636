// Paired significance tests: numpy's generator reproduced draw for draw, and
// sacreBLEU 2.6.0's paired bootstrap and approximate randomization reproduced
// number for number on the 60 shared vectors (../shared/testdata/significance,
// copied to tests/data/significance_vectors.jsonl).
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "metrics/numpy_random.h"
#include "metrics/significance.h"

namespace {

using s2s::NumpyRandom;

std::vector<nlohmann::json> load_significance_vectors() {
  std::ifstream in(std::string(S2S_TEST_DATA_DIR) + "/significance_vectors.jsonl");
  REQUIRE(in.good());
  std::vector<nlohmann::json> cases;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) cases.push_back(nlohmann::json::parse(line));
  return cases;
}

}  // namespace

// Every expected value below was printed by Debian's python3-numpy 1.24, e.g.
//   /usr/bin/python3 -c 'import numpy as np; print(np.random.default_rng(12345).bit_generator.random_raw(3))'
TEST_CASE("the numpy generator's raw PCG64 stream equals numpy's for seed 12345", "[significance]") {
  NumpyRandom rng(12345);
  CHECK(rng.next_uint64() == 4193609425186963869ull);
  CHECK(rng.next_uint64() == 5843160025838961886ull);
  CHECK(rng.next_uint64() == 14708796524633321433ull);
}

TEST_CASE("SeedSequence state words equal numpy's, for a small and a 64-bit seed", "[significance]") {
  // np.random.SeedSequence(12345).generate_state(8)
  CHECK(s2s::numpy_seed_sequence_state({12345}, 8) ==
        std::vector<uint32_t>{2688385916u, 3048105090u, 4196366895u, 3152189807u, 924159892u, 1692637855u,
                              2685664627u, 1052446614u});
  // np.random.SeedSequence(2**40 + 7).generate_state(4); default_rng(2**40 + 7).bit_generator.random_raw(2)
  const uint64_t big = (uint64_t{1} << 40) + 7;
  CHECK(s2s::numpy_seed_sequence_state({7u, 256u}, 4) ==
        std::vector<uint32_t>{238885397u, 226915041u, 1322230113u, 2599373530u});
  NumpyRandom rng(big);
  CHECK(rng.next_uint64() == 15307346044642009514ull);
  CHECK(rng.next_uint64() == 4709548916763817589ull);
}

TEST_CASE("bootstrap indices equal numpy's rng.choice(n, size)", "[significance]") {
  // np.random.default_rng(12345).choice(1003, size=12)
  CHECK(NumpyRandom(12345).integers_below(1003, 12) ==
        std::vector<int64_t>{701, 228, 791, 317, 204, 799, 644, 678, 991, 392, 841, 333});
  // np.random.default_rng(0).choice(5, size=10)
  CHECK(NumpyRandom(0).integers_below(5, 10) == std::vector<int64_t>{4, 3, 2, 1, 1, 0, 0, 0, 0, 4});
  // np.random.default_rng(12345).integers(0, 2**32, size=4, dtype=np.int64): the full 32-bit range
  CHECK(NumpyRandom(12345).integers_below(uint64_t{1} << 32, 4) ==
        std::vector<int64_t>{3003105693, 976400781, 3387213022, 1360466709});
  // A population of one draws nothing.
  NumpyRandom one(12345);
  CHECK(one.integers_below(1, 3) == std::vector<int64_t>{0, 0, 0});
  CHECK(one.next_uint64() == 4193609425186963869ull);
}

TEST_CASE("approximate-randomization coin flips equal numpy's, and a buffered half-draw carries over", "[significance]") {
  // "".join(str(int(x)) for x in np.random.default_rng(12345).integers(2, size=80, dtype=bool))
  const std::string expected =
      "10111001100000111111111101001101101100011000110101001100010111000111101100100011";
  std::string got;
  for (uint8_t bit : NumpyRandom(12345).random_bools(80)) got += bit ? '1' : '0';
  CHECK(got == expected);
  // g = default_rng(12345); g.integers(2, size=1, dtype=bool); g.choice(10, size=6)
  NumpyRandom one_flip(12345);
  one_flip.random_bools(1);
  CHECK(one_flip.integers_below(10, 6) == std::vector<int64_t>{2, 7, 3, 2, 7, 6});
  // ... and after 33 flips (one whole 64-bit draw used)
  NumpyRandom flips(12345);
  flips.random_bools(33);
  CHECK(flips.integers_below(10, 6) == std::vector<int64_t>{7, 3, 2, 7, 6, 6});
}

TEST_CASE("numpy's pairwise sum is reproduced, not a plain left-to-right sum", "[significance]") {
  // 0.1 repeated 1000 times: np.sum(np.full(1000, 0.1)) gives 100.00000000000001 (pairwise); a left-to-right sum 99.9999999999986.
  const std::vector<double> tenths(1000, 0.1);
  CHECK(s2s::numpy_sum(tenths.data(), tenths.size()) == 100.00000000000001);
}

TEST_CASE("paired bootstrap and approximate randomization equal sacreBLEU 2.6.0 on all 60 shared vectors",
          "[significance]") {
  const auto cases = load_significance_vectors();
  REQUIRE(cases.size() == 60);
  for (size_t c = 0; c < cases.size(); ++c) {
    const nlohmann::json& tc = cases[c];
    INFO("case " << c << " (" << tc["test"].get<std::string>() << ")");
    const auto refs = tc["refs"].get<std::vector<std::vector<std::string>>>();
    const auto systems = tc["systems"].get<std::vector<std::vector<std::string>>>();

    s2s::PairedTestOptions options;
    options.kind = tc["test"] == "bs" ? s2s::PairedTestOptions::Kind::kBootstrap
                                      : s2s::PairedTestOptions::Kind::kApproximateRandomization;
    options.n_samples = tc["n_samples"].get<int64_t>();
    options.n_ar_confidence = tc["n_ar_confidence"].get<int64_t>();
    options.seed = tc["seed"].get<uint64_t>();

    const std::vector<s2s::StatisticsMetric> metrics{s2s::bleu_statistics_metric({}, refs.size()),
                                                     s2s::chrf_statistics_metric({}, refs.size())};
    for (const s2s::StatisticsMetric& metric : metrics) {
      INFO("metric " << metric.name);
      std::vector<s2s::SentenceStatistics> stats;
      for (const auto& system : systems) stats.push_back(metric.sentence_statistics(system, refs));
      const std::vector<s2s::PairedScore> got = s2s::paired_test(stats, metric, options);
      const nlohmann::json& expected = tc["expected"][metric.name];
      REQUIRE(got.size() == expected.size());
      for (size_t s = 0; s < got.size(); ++s) {
        INFO("system " << s);
        const nlohmann::json& e = expected[s];
        CHECK(got[s].score == Approx(e["score"].get<double>()).margin(1e-6).epsilon(0));
        CHECK(got[s].p_value.has_value() == !e["p_value"].is_null());
        if (got[s].p_value && !e["p_value"].is_null()) CHECK(*got[s].p_value == e["p_value"].get<double>());
        CHECK(got[s].mean.has_value() == !e["mean"].is_null());
        if (got[s].mean && !e["mean"].is_null()) {
          CHECK(*got[s].mean == Approx(e["mean"].get<double>()).margin(1e-6).epsilon(0));
          CHECK(*got[s].ci == Approx(e["ci"].get<double>()).margin(1e-6).epsilon(0));
        }
      }
      CHECK(s2s::paired_signature(metric.signature, options) == tc["signatures"][metric.name].get<std::string>());
    }
  }
}
