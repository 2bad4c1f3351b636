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

}  // namespace s2s
