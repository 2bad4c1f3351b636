// sacreBLEU 2.x chrF: see chrf.h. Character n-grams are string views into the
// decoded line, counted in hash maps.
#include "metrics/chrf.h"

#include <cstdio>
#include <string_view>
#include <unordered_map>

#include "metrics/bleu.h"  // kSacreBleuVersion
#include "metrics/metric_input.h"
#include "metrics/sacre_tokenize.h"
#include "util/error.h"

namespace s2s {
namespace {

using CharNgramCounts = std::unordered_map<std::u32string_view, int32_t>;

// Per order: hypothesis n-grams, reference n-grams, matches (sacreBLEU's flat layout).
using ChrfStats = std::vector<int64_t>;

// n / d as sacreBLEU computes it from statistics held at `precision`.
double ratio(double n, double d, StatisticsPrecision precision) {
  if (precision == StatisticsPrecision::kFloat32) return static_cast<double>(static_cast<float>(n) / static_cast<float>(d));
  return n / d;
}

void count_char_ngrams(std::u32string_view text, int order, CharNgramCounts& counts) {
  counts.clear();
  const size_t n = static_cast<size_t>(order);
  for (size_t i = 0; i + n <= text.size(); ++i) ++counts[text.substr(i, n)];
}

// sacreBLEU's CHRF._compute_f_score without eps smoothing.
template <typename Count>
double chrf_f_score(const std::vector<Count>& stats, int beta, StatisticsPrecision precision = StatisticsPrecision::kExact) {
  const double eps = 1e-16;
  const double factor = static_cast<double>(beta) * static_cast<double>(beta);
  double avg_prec = 0.0, avg_rec = 0.0;
  int effective_order = 0;
  for (size_t i = 0; i + 2 < stats.size(); i += 3) {
    const double n_hyp = static_cast<double>(stats[i]), n_ref = static_cast<double>(stats[i + 1]);
    const double n_match = static_cast<double>(stats[i + 2]);
    const double prec = n_hyp > 0 ? ratio(n_match, n_hyp, precision) : eps;
    const double rec = n_ref > 0 ? ratio(n_match, n_ref, precision) : eps;
    if (n_hyp > 0 && n_ref > 0) {
      avg_prec += prec;
      avg_rec += rec;
      ++effective_order;
    }
  }
  if (effective_order == 0) {
    avg_prec = avg_rec = 0.0;
  } else {
    avg_prec /= effective_order;
    avg_rec /= effective_order;
  }
  if (avg_prec + avg_rec != 0.0) {
    double score = (1.0 + factor) * avg_prec * avg_rec;
    score /= (factor * avg_prec) + avg_rec;
    return 100.0 * score;
  }
  return 0.0;
}

class ChrfScorer {
 public:
  explicit ChrfScorer(const ChrfOptions& options) : options_(options) {
    if (options.char_order < 1) throw Error("chrF character order must be at least 1");
    hyp_counts_.resize(static_cast<size_t>(options.char_order));
  }

  ChrfStats segment(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                    size_t i) {
    const std::u32string hyp = prepare(hyps[i], -1, i);
    for (int n = 1; n <= options_.char_order; ++n) count_char_ngrams(hyp, n, hyp_counts_[n - 1]);
    ChrfStats best;
    double best_f = -1.0;
    ChrfStats stats(3 * static_cast<size_t>(options_.char_order));
    for (size_t k = 0; k < refs.size(); ++k) {
      const std::u32string ref = prepare(refs[k][i], static_cast<int>(k), i);
      for (int n = 1; n <= options_.char_order; ++n) {
        count_char_ngrams(ref, n, ref_counts_);
        const CharNgramCounts& hyp_counts = hyp_counts_[n - 1];
        int64_t hyp_total = 0, matches = 0;
        for (const auto& [ngram, count] : hyp_counts) {
          hyp_total += count;
          auto it = ref_counts_.find(ngram);
          if (it != ref_counts_.end()) matches += std::min(count, it->second);
        }
        const int64_t ref_total =
            ref.size() >= static_cast<size_t>(n) ? static_cast<int64_t>(ref.size()) - n + 1 : 0;
        const size_t at = 3 * static_cast<size_t>(n - 1);
        stats[at] = ref_counts_.empty() ? 0 : hyp_total;  // no credit when the reference has no n-grams
        stats[at + 1] = ref_total;
        stats[at + 2] = matches;
      }
      const double f = chrf_f_score(stats, options_.beta);
      if (f > best_f) {
        best_f = f;
        best = stats;
      }
    }
    return best;
  }

 private:
  std::u32string prepare(const std::string& line, int stream, size_t index) const {
    std::u32string text = metrics_detail::decode_line(line, stream, index);
    if (options_.lowercase) text = python_lower(text);
    if (options_.whitespace) return text;
    std::u32string joined;  // ''.join(text.split())
    joined.reserve(text.size());
    for (char32_t c : text)
      if (!is_python_space(c)) joined.push_back(c);
    return joined;
  }

  ChrfOptions options_;
  std::vector<CharNgramCounts> hyp_counts_;
  CharNgramCounts ref_counts_;
};

}  // namespace

std::string ChrfResult::name() const {
  return "chrF" + std::to_string(beta) + std::string(static_cast<size_t>(word_order), '+');
}

std::string ChrfResult::format() const {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f", score);
  return name() + " = " + buffer;
}

nlohmann::json ChrfResult::to_json() const {
  return nlohmann::json{{"name", name()},          {"score", score},
                        {"char_order", char_order}, {"word_order", word_order},
                        {"beta", beta},             {"hyp_counts", hyp_counts},
                        {"ref_counts", ref_counts}, {"match_counts", match_counts},
                        {"signature", signature}};
}

ChrfResult corpus_chrf(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                       const ChrfOptions& options) {
  metrics_detail::check_streams(hyps, refs);
  ChrfScorer scorer(options);
  ChrfStats sum(3 * static_cast<size_t>(options.char_order), 0);
  for (size_t i = 0; i < hyps.size(); ++i) {
    ChrfStats stats = scorer.segment(hyps, refs, i);
    for (size_t j = 0; j < sum.size(); ++j) sum[j] += stats[j];
  }
  ChrfResult result;
  result.score = chrf_f_score(sum, options.beta);
  result.char_order = options.char_order;
  result.word_order = 0;
  result.beta = options.beta;
  for (size_t j = 0; j < sum.size(); j += 3) {
    result.hyp_counts.push_back(sum[j]);
    result.ref_counts.push_back(sum[j + 1]);
    result.match_counts.push_back(sum[j + 2]);
  }
  result.signature = "nrefs:" + std::to_string(refs.size()) + "|case:" + (options.lowercase ? "lc" : "mixed") +
                     "|eff:yes|nc:" + std::to_string(options.char_order) + "|nw:0|space:" +
                     (options.whitespace ? "yes" : "no") + "|version:" + kSacreBleuVersion;
  return result;
}

std::vector<std::vector<int64_t>> chrf_sentence_statistics(const std::vector<std::string>& hyps,
                                                           const std::vector<std::vector<std::string>>& refs,
                                                           const ChrfOptions& options) {
  metrics_detail::check_streams(hyps, refs);
  ChrfScorer scorer(options);
  std::vector<std::vector<int64_t>> rows;
  rows.reserve(hyps.size());
  for (size_t i = 0; i < hyps.size(); ++i) rows.push_back(scorer.segment(hyps, refs, i));
  return rows;
}

double chrf_score_from_statistics(const std::vector<double>& sums, int beta, StatisticsPrecision precision) {
  if (sums.empty() || sums.size() % 3 != 0) throw Error("chrF statistics need three values per order");
  return chrf_f_score(sums, beta, precision);
}

double sentence_chrf(const std::string& hyp, const std::vector<std::string>& refs, const ChrfOptions& options) {
  std::vector<std::vector<std::string>> streams;
  streams.reserve(refs.size());
  for (const auto& ref : refs) streams.push_back({ref});
  return corpus_chrf({hyp}, streams, options).score;
}

}  // namespace s2s
