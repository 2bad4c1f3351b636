#include "translate/evaluation.h"

#include "data/corpus.h"
#include "metrics/bleu.h"
#include "metrics/chrf.h"
#include "metrics/significance.h"
#include "util/error.h"

namespace s2s {
namespace {

// Bootstrap resamples behind every confidence interval of an evaluation (sacreBLEU's default
// count and seed, so `s2s bleu --paired-bs` on the saved outputs gives the same intervals).
constexpr int64_t kResamples = 1000;
constexpr uint64_t kSeed = 12345;

nlohmann::json interval_json(const SentenceStatistics& stats, const StatisticsMetric& metric) {
  const MeanAndCi estimate = estimate_ci(bootstrap_scores(stats, metric, kResamples, kSeed));
  return {{"lower", estimate.lower}, {"upper", estimate.upper}, {"mean", estimate.mean}, {"ci", estimate.ci},
          {"resamples", kResamples}, {"seed", kSeed}};
}

}  // namespace

const std::vector<LengthBucket>& length_buckets() {
  static const std::vector<LengthBucket> buckets = {{"1-10", 1, 10},  {"11-20", 11, 20}, {"21-30", 21, 30},
                                                    {"31-40", 31, 40}, {"41-60", 41, 60}, {"61+", 61, -1}};
  return buckets;
}

nlohmann::json score_translations(const std::vector<std::string>& sources, const std::vector<std::string>& hyps,
                                  const std::vector<std::vector<std::string>>& refs) {
  if (sources.size() != hyps.size())
    throw Error("there are " + std::to_string(sources.size()) + " source lines but " + std::to_string(hyps.size()) +
                " translations");
  for (const auto& stream : refs) {
    if (stream.size() != hyps.size()) {
      throw Error("the reference has " + std::to_string(stream.size()) + " lines but there are " +
                  std::to_string(hyps.size()) + " translations");
    }
  }
  nlohmann::json out;
  out["sentences"] = hyps.size();
  out["bleu"] = corpus_bleu(hyps, refs).to_json();
  out["chrf"] = corpus_chrf(hyps, refs).to_json();
  const StatisticsMetric bleu = bleu_statistics_metric({}, refs.size());
  const SentenceStatistics bleu_stats = bleu.sentence_statistics(hyps, refs);
  if (!hyps.empty()) {
    const StatisticsMetric chrf = chrf_statistics_metric({}, refs.size());
    out["bleu"]["interval"] = interval_json(bleu_stats, bleu);
    out["chrf"]["interval"] = interval_json(chrf.sentence_statistics(hyps, refs), chrf);
  }
  nlohmann::json by_length = nlohmann::json::array();
  for (const auto& bucket : length_buckets()) {
    SentenceStatistics bucket_stats;
    for (size_t i = 0; i < sources.size(); ++i) {
      const int64_t words = static_cast<int64_t>(count_words(sources[i]));
      if (words < bucket.min_words || (bucket.max_words >= 0 && words > bucket.max_words)) continue;
      bucket_stats.push_back(bleu_stats[i]);
    }
    nlohmann::json entry = {{"bucket", bucket.name}, {"sentences", bucket_stats.size()}};
    if (!bucket_stats.empty()) {
      std::vector<double> sums(bucket_stats.front().size(), 0.0);
      for (const auto& row : bucket_stats)
        for (size_t j = 0; j < sums.size(); ++j) sums[j] += static_cast<double>(row[j]);
      entry["bleu"] = bleu.score(sums, StatisticsPrecision::kExact);
      const nlohmann::json interval = interval_json(bucket_stats, bleu);
      entry["bleu_lower"] = interval["lower"];
      entry["bleu_upper"] = interval["upper"];
    }
    by_length.push_back(entry);
  }
  out["bleu_by_length"] = by_length;
  return out;
}

}  // namespace s2s
