#pragma once
// BLEU exactly as sacreBLEU 2.x computes it (corpus_bleu and sentence_bleu with
// their default settings: exponential smoothing, max n-gram order 4, closest
// reference length, n-gram counts clipped by the maximum over references).
// Scores and signatures match sacreBLEU kSacreBleuVersion.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/sacre_tokenize.h"

namespace s2s {

// The sacreBLEU release whose behaviour (and signature string) we reproduce.
inline constexpr const char* kSacreBleuVersion = "2.6.0";

struct BleuOptions {
  SacreTokenizer tokenize = SacreTokenizer::k13a;
  bool lowercase = false;
};

struct BleuResult {
  double score = 0.0;                   // 0..100
  std::array<double, 4> precisions{};  // n-gram precisions in percent (smoothed as sacreBLEU does)
  double bp = 1.0;                      // brevity penalty
  double ratio = 0.0;                   // sys_len / ref_len (0 when ref_len is 0)
  int64_t sys_len = 0, ref_len = 0;
  std::array<int64_t, 4> counts{}, totals{};  // matched / hypothesis n-grams per order
  std::string signature;                // e.g. nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0

  // sacreBLEU's text form: "BLEU = 65.45 86.7/72.4/60.7/48.1 (BP = 1.000 ratio = 1.000 hyp_len = 30 ref_len = 30)".
  std::string format() const;
  // Every figure above, plus "name" and the formatted "verbose_score".
  nlohmann::json to_json() const;
};

// Corpus BLEU of `hyps` against one or more reference streams: refs[k][i] is the
// k-th reference of line i. Every stream must have hyps.size() lines and every
// string must be valid UTF-8; otherwise s2s::Error is thrown.
BleuResult corpus_bleu(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                       const BleuOptions& options = {});

// Sentence BLEU of one hypothesis against its references, as sacreBLEU's
// sentence_bleu (effective order, exponential smoothing). Returns the score (0..100).
double sentence_bleu(const std::string& hyp, const std::vector<std::string>& refs, const BleuOptions& options = {});

// The full result for one sentence (signature has eff:yes).
BleuResult sentence_bleu_result(const std::string& hyp, const std::vector<std::string>& refs,
                                const BleuOptions& options = {});

// Sentence BLEU of every line: result[i] = sentence_bleu_result(hyps[i], {refs[0][i], refs[1][i], ...}).
// Same input rules as corpus_bleu; shares the tokenization work across lines.
std::vector<BleuResult> sentence_bleu_each(const std::vector<std::string>& hyps,
                                           const std::vector<std::vector<std::string>>& refs,
                                           const BleuOptions& options = {});

// Per-sentence statistics as sacreBLEU's BLEU._extract_corpus_statistics gives
// them: row i is {hyp_len, ref_len, matches of order 1..4, hypothesis n-grams of
// order 1..4} for line i. Same input rules as corpus_bleu.
std::vector<std::vector<int64_t>> bleu_sentence_statistics(const std::vector<std::string>& hyps,
                                                           const std::vector<std::vector<std::string>>& refs,
                                                           const BleuOptions& options = {});

// Corpus BLEU (0..100) of summed statistics in the layout above.
double bleu_score_from_statistics(const std::vector<double>& sums);

}  // namespace s2s
