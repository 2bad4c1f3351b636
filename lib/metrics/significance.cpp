// sacreBLEU 2.6.0's significance.py, reproduced number for number: see significance.h.
#include "metrics/significance.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "metrics/numpy_random.h"
#include "util/error.h"

namespace s2s {
namespace {

NumpyRandom make_generator(const SignificanceSeed& seed) {
  return seed ? NumpyRandom(*seed) : NumpyRandom::from_os_entropy();
}

size_t column_count(const SentenceStatistics& stats) {
  if (stats.empty()) throw Error("a significance test needs at least one sentence");
  return stats.front().size();
}

// Column sums of all rows, exactly (the unresampled score).
std::vector<double> exact_sums(const SentenceStatistics& stats) {
  std::vector<int64_t> sums(column_count(stats), 0);
  for (const auto& row : stats)
    for (size_t j = 0; j < sums.size(); ++j) sums[j] += row[j];
  return std::vector<double>(sums.begin(), sums.end());
}

double exact_score(const SentenceStatistics& stats, const StatisticsMetric& metric) {
  return metric.score(exact_sums(stats), StatisticsPrecision::kExact);
}

// Scores of `n_samples` resamples of each of `systems` (all with the same sentences), the k-th
// resample of every system taking the same sentence indices; each resample's statistics are summed
// in float32, as numpy sums sacreBLEU's float32 arrays. Indices are drawn row by row from `rng`,
// which gives numpy's stream for rng.choice(n, size=(n_samples, n)) without holding it all.
std::vector<std::vector<double>> resampled_scores(const std::vector<const SentenceStatistics*>& systems,
                                                  const StatisticsMetric& metric, NumpyRandom& rng, int64_t n_samples) {
  const size_t n = systems.front()->size(), cols = column_count(*systems.front());
  std::vector<float> sums(cols);
  std::vector<double> as_double(cols);
  std::vector<std::vector<double>> scores(systems.size());
  for (auto& s : scores) s.reserve(static_cast<size_t>(n_samples));
  for (int64_t k = 0; k < n_samples; ++k) {
    const std::vector<int64_t> indices = rng.integers_below(n, n);
    for (size_t s = 0; s < systems.size(); ++s) {
      std::fill(sums.begin(), sums.end(), 0.0f);
      for (int64_t i : indices) {
        const auto& row = (*systems[s])[static_cast<size_t>(i)];
        for (size_t j = 0; j < cols; ++j) sums[j] += static_cast<float>(row[j]);
      }
      std::copy(sums.begin(), sums.end(), as_double.begin());
      scores[s].push_back(metric.score(as_double, StatisticsPrecision::kFloat32));
    }
  }
  return scores;
}

void check_same_length(const std::vector<SentenceStatistics>& systems) {
  if (systems.empty()) throw Error("a significance test needs a baseline system");
  for (size_t s = 1; s < systems.size(); ++s)
    if (systems[s].size() != systems[0].size())
      throw Error("system " + std::to_string(s + 1) + " has " + std::to_string(systems[s].size()) +
                  " sentences but the baseline has " + std::to_string(systems[0].size()));
}

PairedScore with_ci(double score, const std::vector<double>& scores) {
  const MeanAndCi estimate = estimate_ci(scores);
  PairedScore result;
  result.score = score;
  result.mean = estimate.mean;
  result.ci = estimate.ci;
  return result;
}

std::vector<PairedScore> paired_bootstrap(const std::vector<SentenceStatistics>& systems,
                                          const StatisticsMetric& metric, const PairedTestOptions& options) {
  const double baseline_score = exact_score(systems[0], metric);
  const std::vector<double> baseline_scores = bootstrap_scores(systems[0], metric, options.n_samples, options.seed);
  std::vector<PairedScore> results{with_ci(baseline_score, baseline_scores)};
  for (size_t s = 1; s < systems.size(); ++s) {
    const double score = exact_score(systems[s], metric);
    const std::vector<double> scores = bootstrap_scores(systems[s], metric, options.n_samples, options.seed);
    PairedScore result = with_ci(score, scores);
    result.p_value = paired_bootstrap_p_value(baseline_scores, scores, baseline_score, score);
    results.push_back(result);
  }
  return results;
}

PairedScore approximate_randomization(const SentenceStatistics& baseline, const SentenceStatistics& system,
                                      const StatisticsMetric& metric, const PairedTestOptions& options) {
  const size_t n = baseline.size(), cols = column_count(baseline);
  NumpyRandom rng = make_generator(options.seed);
  const std::vector<uint8_t> take_baseline = rng.random_bools(static_cast<size_t>(options.n_samples) * n);
  const double baseline_score = exact_score(baseline, metric), score = exact_score(system, metric);
  const double observed = std::abs(score - baseline_score);

  // Each trial swaps a random half of the sentences between the two systems.
  std::vector<int64_t> sum_a(cols), sum_b(cols);
  std::vector<double> a(cols), b(cols);
  int64_t larger = 0;
  for (int64_t k = 0; k < options.n_samples; ++k) {
    std::fill(sum_a.begin(), sum_a.end(), 0);
    std::fill(sum_b.begin(), sum_b.end(), 0);
    const uint8_t* selection = take_baseline.data() + static_cast<size_t>(k) * n;
    for (size_t i = 0; i < n; ++i) {
      const auto& to_a = selection[i] ? baseline[i] : system[i];
      const auto& to_b = selection[i] ? system[i] : baseline[i];
      for (size_t j = 0; j < cols; ++j) {
        sum_a[j] += to_a[j];
        sum_b[j] += to_b[j];
      }
    }
    std::copy(sum_a.begin(), sum_a.end(), a.begin());
    std::copy(sum_b.begin(), sum_b.end(), b.begin());
    const double difference =
        std::abs(metric.score(a, StatisticsPrecision::kExact) - metric.score(b, StatisticsPrecision::kExact));
    if (difference > observed) ++larger;
  }

  PairedScore result;
  result.score = score;
  result.p_value = static_cast<double>(larger + 1) / static_cast<double>(options.n_samples + 1);
  if (options.n_ar_confidence > 0) {
    // The confidence resamples continue the same generator after the AR draws.
    const MeanAndCi estimate = estimate_ci(resampled_scores({&system}, metric, rng, options.n_ar_confidence).front());
    result.mean = estimate.mean;
    result.ci = estimate.ci;
  }
  return result;
}

std::vector<PairedScore> paired_ar(const std::vector<SentenceStatistics>& systems, const StatisticsMetric& metric,
                                   const PairedTestOptions& options) {
  PairedScore baseline;
  baseline.score = exact_score(systems[0], metric);
  if (options.n_ar_confidence > 0)
    baseline = with_ci(baseline.score, bootstrap_scores(systems[0], metric, options.n_ar_confidence, options.seed));
  std::vector<PairedScore> results{baseline};
  for (size_t s = 1; s < systems.size(); ++s)
    results.push_back(approximate_randomization(systems[0], systems[s], metric, options));
  return results;
}

}  // namespace

StatisticsMetric bleu_statistics_metric(const BleuOptions& options, size_t n_refs) {
  StatisticsMetric metric;
  metric.name = "BLEU";
  metric.signature = corpus_bleu(std::vector<std::string>{}, std::vector<std::vector<std::string>>(n_refs), options).signature;
  metric.sentence_statistics = [options](const std::vector<std::string>& hyps,
                                         const std::vector<std::vector<std::string>>& refs) {
    return bleu_sentence_statistics(hyps, refs, options);
  };
  metric.score = [](const std::vector<double>& sums, StatisticsPrecision) { return bleu_score_from_statistics(sums); };
  return metric;
}

StatisticsMetric chrf_statistics_metric(const ChrfOptions& options, size_t n_refs) {
  StatisticsMetric metric;
  const ChrfResult empty = corpus_chrf(std::vector<std::string>{}, std::vector<std::vector<std::string>>(n_refs), options);
  metric.name = empty.name();
  metric.signature = empty.signature;
  metric.sentence_statistics = [options](const std::vector<std::string>& hyps,
                                         const std::vector<std::vector<std::string>>& refs) {
    return chrf_sentence_statistics(hyps, refs, options);
  };
  const int beta = options.beta;
  metric.score = [beta](const std::vector<double>& sums, StatisticsPrecision precision) {
    return chrf_score_from_statistics(sums, beta, precision);
  };
  return metric;
}

SignificanceSeed significance_seed_from_env() {
  const char* value = std::getenv("SACREBLEU_SEED");
  if (value == nullptr) return uint64_t{12345};
  std::string text(value);
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "none") return std::nullopt;
  if (text.empty() || text.size() > 19 || !std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    throw Error("SACREBLEU_SEED must be a non-negative integer or \"none\", got \"" + text + "\"");
  return static_cast<uint64_t>(std::stoull(text));
}

std::string seed_name(const SignificanceSeed& seed) { return seed ? std::to_string(*seed) : std::string("none"); }

std::vector<double> bootstrap_scores(const SentenceStatistics& stats, const StatisticsMetric& metric,
                                     int64_t n_samples, const SignificanceSeed& seed) {
  if (n_samples < 1) throw Error("the number of bootstrap resamples must be at least 1");
  if (stats.empty()) throw Error("a significance test needs at least one sentence");
  NumpyRandom rng = make_generator(seed);
  return resampled_scores({&stats}, metric, rng, n_samples).front();
}

double numpy_sum(const double* values, size_t n) {
  if (n < 8) {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += values[i];
    return sum;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = values[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += values[i + j];
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += values[i];
    return sum;
  }
  size_t half = n / 2;
  half -= half % 8;
  return numpy_sum(values, half) + numpy_sum(values + half, n - half);
}

MeanAndCi estimate_ci(std::vector<double> scores) {
  if (scores.empty()) throw Error("a confidence interval needs at least one score");
  std::sort(scores.begin(), scores.end());
  const size_t n = scores.size(), lower = n / 40, upper = n - lower - 1;
  MeanAndCi estimate;
  estimate.lower = scores[lower];
  estimate.upper = scores[upper];
  estimate.ci = 0.5 * (estimate.upper - estimate.lower);
  estimate.mean = numpy_sum(scores.data(), n) / static_cast<double>(n);
  return estimate;
}

double paired_bootstrap_p_value(const std::vector<double>& baseline_scores, const std::vector<double>& system_scores,
                                double baseline_score, double system_score) {
  if (baseline_scores.size() != system_scores.size() || baseline_scores.empty())
    throw Error("paired bootstrap needs the same number of resamples for both systems");
  const size_t n = baseline_scores.size();
  std::vector<double> deltas(n);
  for (size_t k = 0; k < n; ++k) deltas[k] = std::abs(system_scores[k] - baseline_scores[k]);
  const double mean = numpy_sum(deltas.data(), n) / static_cast<double>(n);
  const double observed = std::abs(system_score - baseline_score);
  int64_t larger = 0;
  for (double delta : deltas)
    if (delta - mean > observed) ++larger;
  return static_cast<double>(larger + 1) / static_cast<double>(n + 1);
}

PairedDifference paired_bootstrap_difference(const SentenceStatistics& a, const SentenceStatistics& b,
                                             const StatisticsMetric& metric, int64_t n_samples,
                                             const SignificanceSeed& seed) {
  if (a.size() != b.size())
    throw Error("paired bootstrap needs the same sentences for both systems, got " + std::to_string(a.size()) +
                " and " + std::to_string(b.size()));
  if (n_samples < 1) throw Error("the number of bootstrap resamples must be at least 1");
  // Both systems are resampled with the same sentences (one generator; with a seed this is the
  // stream sacreBLEU draws afresh for each system).
  NumpyRandom rng = make_generator(seed);
  const auto scores = resampled_scores({&a, &b}, metric, rng, n_samples);
  const std::vector<double>& scores_a = scores[0];
  const std::vector<double>& scores_b = scores[1];
  PairedDifference result;
  result.score_a = exact_score(a, metric);
  result.score_b = exact_score(b, metric);
  result.difference = result.score_a - result.score_b;
  std::vector<double> differences(scores_a.size());
  for (size_t k = 0; k < differences.size(); ++k) differences[k] = scores_a[k] - scores_b[k];
  const MeanAndCi interval = estimate_ci(differences);
  result.lower = interval.lower;
  result.upper = interval.upper;
  result.p_value = paired_bootstrap_p_value(scores_b, scores_a, result.score_b, result.score_a);
  return result;
}

std::vector<PairedScore> paired_test(const std::vector<SentenceStatistics>& systems, const StatisticsMetric& metric,
                                     const PairedTestOptions& options) {
  check_same_length(systems);
  if (options.n_samples < 1) throw Error("the number of resamples or trials must be at least 1");
  return options.kind == PairedTestOptions::Kind::kBootstrap ? paired_bootstrap(systems, metric, options)
                                                             : paired_ar(systems, metric, options);
}

std::string paired_signature(const std::string& metric_signature, const PairedTestOptions& options) {
  std::string fields;
  if (options.kind == PairedTestOptions::Kind::kBootstrap) {
    fields = "bs:" + std::to_string(options.n_samples) + "|";
  } else {
    if (options.n_ar_confidence > 0) fields = "bs:" + std::to_string(options.n_ar_confidence) + "|";
    fields += "ar:" + std::to_string(options.n_samples) + "|";
  }
  fields += "seed:" + seed_name(options.seed) + "|";
  const size_t bar = metric_signature.find('|');
  if (bar == std::string::npos) return metric_signature + "|" + fields.substr(0, fields.size() - 1);
  return metric_signature.substr(0, bar + 1) + fields + metric_signature.substr(bar + 1);
}

}  // namespace s2s
