#pragma once
// Paired significance tests exactly as sacreBLEU 2.6.0 computes them
// (`sacrebleu REF -i BASELINE SYS... --paired-bs | --paired-ar`): paired
// bootstrap resampling (Koehn 2004) and paired approximate randomization
// (Riezler & Maxwell 2005), over per-sentence statistics, drawing from numpy's
// default generator (metrics/numpy_random.h) so that every score, mean, CI and
// p-value equals sacreBLEU's for the same seed.
//
// One behaviour is kept for compatibility although it reads oddly: p-values
// count resampled differences *strictly greater* than the observed one, so a
// system identical to the baseline gets p = 1 / (N + 1). Callers that turn
// p-values into verdicts (the compare report) must treat a zero difference as
// no difference, whatever its p-value.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "metrics/bleu.h"
#include "metrics/chrf.h"  // StatisticsPrecision

namespace s2s {

// One metric as the tests see it: statistics per sentence, and the corpus score of their column sums.
struct StatisticsMetric {
  std::string name;       // "BLEU", "chrF2"
  std::string signature;  // sacreBLEU's signature of the metric alone
  std::function<std::vector<std::vector<int64_t>>(const std::vector<std::string>& hyps,
                                                  const std::vector<std::vector<std::string>>& refs)>
      sentence_statistics;
  std::function<double(const std::vector<double>& sums, StatisticsPrecision)> score;
};

StatisticsMetric bleu_statistics_metric(const BleuOptions& options, size_t n_refs);
StatisticsMetric chrf_statistics_metric(const ChrfOptions& options, size_t n_refs);

// The seed sacreBLEU reads from SACREBLEU_SEED: a number, or none (fresh OS entropy for every draw).
using SignificanceSeed = std::optional<uint64_t>;
// SACREBLEU_SEED's value: unset = 12345, "none" (any case) = unseeded; anything else must be a
// non-negative integer (s2s::Error otherwise).
SignificanceSeed significance_seed_from_env();
std::string seed_name(const SignificanceSeed& seed);  // "12345" or "none"

// Per-sentence statistics of one system: rows[i] belongs to line i.
using SentenceStatistics = std::vector<std::vector<int64_t>>;

// sacreBLEU's _bootstrap_resample: the scores of `n_samples` resamples (with replacement) of the
// sentences, each summed in float32, from a fresh generator seeded with `seed`.
std::vector<double> bootstrap_scores(const SentenceStatistics& stats, const StatisticsMetric& metric,
                                     int64_t n_samples, const SignificanceSeed& seed);

struct MeanAndCi {
  double mean = 0.0;
  double ci = 0.0;                // half the width of the 95% interval
  double lower = 0.0, upper = 0.0;  // the interval's ends (sorted positions n/40 and n - n/40 - 1)
};
// sacreBLEU's estimate_ci (numpy's pairwise summation for the mean). Needs at least one score.
MeanAndCi estimate_ci(std::vector<double> scores);

// One system's figures for one metric. mean/ci are absent where sacreBLEU computes none
// (approximate randomization without --paired-ar-confidence); p_value is absent for the baseline.
struct PairedScore {
  double score = 0.0;
  std::optional<double> mean, ci, p_value;
};

struct PairedTestOptions {
  enum class Kind { kBootstrap, kApproximateRandomization } kind = Kind::kBootstrap;
  int64_t n_samples = 1000;        // bootstrap resamples, or AR trials
  int64_t n_ar_confidence = -1;    // AR only: bootstrap resamples for mean/CI (-1 = none)
  SignificanceSeed seed = 12345;
};

// Every system against systems[0] (the baseline), for one metric. systems[s] are the statistics
// of system s; all have the same number of sentences (at least one).
std::vector<PairedScore> paired_test(const std::vector<SentenceStatistics>& systems, const StatisticsMetric& metric,
                                     const PairedTestOptions& options);

// The metric's signature with the test's fields, as sacreBLEU prints it:
// nrefs:1|bs:1000|seed:12345|case:... or nrefs:1|[bs:M|]ar:N|seed:12345|...
std::string paired_signature(const std::string& metric_signature, const PairedTestOptions& options);

// The p-value of sacreBLEU's paired bootstrap for resampled scores of a baseline and a system
// (same resample indices) and the observed, unresampled scores.
double paired_bootstrap_p_value(const std::vector<double>& baseline_scores, const std::vector<double>& system_scores,
                                double baseline_score, double system_score);

// System a against system b (same sentences) by paired bootstrap: the observed difference a - b,
// the 95% interval of the resampled differences, and sacreBLEU's paired-bootstrap p-value.
struct PairedDifference {
  double score_a = 0.0, score_b = 0.0, difference = 0.0;
  double lower = 0.0, upper = 0.0;
  double p_value = 1.0;
};
PairedDifference paired_bootstrap_difference(const SentenceStatistics& a, const SentenceStatistics& b,
                                             const StatisticsMetric& metric, int64_t n_samples,
                                             const SignificanceSeed& seed);

// numpy's float64 sum (pairwise summation, 8-way unrolled blocks of up to 128), to reproduce means exactly.
double numpy_sum(const double* values, size_t n);

}  // namespace s2s
