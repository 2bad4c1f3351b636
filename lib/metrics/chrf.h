#pragma once
// chrF exactly as sacreBLEU 2.x computes it (CHRF with word_order 0: character
// n-grams of orders 1..char_order over each line with whitespace removed, the
// best-scoring reference per line, statistics summed over the corpus, and
// sacreBLEU's effective-order averaging of precision and recall).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace s2s {

struct ChrfOptions {
  int char_order = 6;
  int beta = 2;
  bool lowercase = false;
  bool whitespace = false;  // keep whitespace inside character n-grams
};

struct ChrfResult {
  double score = 0.0;  // 0..100
  int char_order = 6;
  int word_order = 0;
  int beta = 2;
  // Summed statistics, per order: hypothesis n-grams, reference n-grams, matches.
  std::vector<int64_t> hyp_counts, ref_counts, match_counts;
  std::string signature;  // e.g. nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0

  std::string name() const;    // "chrF2"
  std::string format() const;  // "chrF2 = 74.18"
  nlohmann::json to_json() const;
};

// Corpus chrF of `hyps` against reference streams refs[k][i] (as corpus_bleu).
// Throws s2s::Error on mismatched line counts or invalid UTF-8.
ChrfResult corpus_chrf(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                       const ChrfOptions& options = {});

// chrF of one hypothesis against its references.
double sentence_chrf(const std::string& hyp, const std::vector<std::string>& refs, const ChrfOptions& options = {});

// Per-sentence statistics as sacreBLEU's CHRF._extract_corpus_statistics gives
// them: row i holds {hypothesis n-grams, reference n-grams, matches} for each
// character order 1..char_order, against line i's best-matching reference.
std::vector<std::vector<int64_t>> chrf_sentence_statistics(const std::vector<std::string>& hyps,
                                                           const std::vector<std::vector<std::string>>& refs,
                                                           const ChrfOptions& options = {});

// How the summed statistics were held when sacreBLEU scored them. Its bootstrap
// sums float32 arrays, and numpy divides two float32 counts in float32: chrF's
// per-order precision and recall are then float32-rounded before the rest of the
// computation goes on in double. kExact is the integer (and approximate
// randomization) path.
enum class StatisticsPrecision { kExact, kFloat32 };

// chrF (0..100) of summed statistics in the layout above.
double chrf_score_from_statistics(const std::vector<double>& sums, int beta,
                                  StatisticsPrecision precision = StatisticsPrecision::kExact);

}  // namespace s2s
