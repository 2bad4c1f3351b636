#include "compare/test_outputs.h"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "data/corpus.h"
#include "metrics/significance.h"
#include "translate/evaluation.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace s2s {
namespace {

constexpr int64_t kResamples = 1000;  // sacreBLEU's --paired-bs-n default
constexpr uint64_t kSeed = 12345;     // and SACREBLEU_SEED's
constexpr double kAlpha = 0.05;

nlohmann::json difference_json(const PairedDifference& d) {
  return {{"a", d.score_a},
          {"b", d.score_b},
          {"difference", d.difference},
          {"lower", d.lower},
          {"upper", d.upper},
          {"p_value", d.p_value},
          {"significant", d.difference != 0.0 && d.p_value < kAlpha}};
}

}  // namespace

std::vector<std::vector<std::string>> TestSet::all_references() const {
  if (second_references.empty()) return {references};
  return {references, second_references};
}

nlohmann::json TestSet::describe() const {
  nlohmann::json out = {{"sentences", sources.size()}, {"references", second_references.empty() ? 1 : 2}};
  if (!second_references.empty())
    out["second_reference"] = {{"name", second_reference_name}, {"substituted", second_reference_substituted}};
  return out;
}

TestSet read_test_set(const std::string& corpus_dir, size_t max_sentences) {
  TestSet test;
  test.sources = read_lines(corpus_dir + "/test.src");
  test.references = read_lines(corpus_dir + "/test.trg");
  if (test.sources.size() != test.references.size())
    throw Error(corpus_dir + "/test.src has " + std::to_string(test.sources.size()) + " lines but test.trg has " +
                std::to_string(test.references.size()));
  const std::string raw_primary = corpus_dir + "/raw/test.en", raw_second = corpus_dir + "/raw/test.en2";
  if (std::filesystem::exists(raw_second) && std::filesystem::exists(raw_primary)) {
    std::vector<std::string> primary = read_lines(raw_primary), second = read_lines(raw_second);
    if (primary.size() == test.references.size() && second.size() == primary.size() &&
        std::equal(primary.begin(), primary.end(), test.references.begin(), [](const std::string& a, const std::string& b) {
          return normalize_whitespace(a) == b;
        })) {
      for (size_t i = 0; i < second.size(); ++i) {
        second[i] = normalize_whitespace(second[i]);
        if (second[i].empty()) {
          second[i] = test.references[i];
          ++test.second_reference_substituted;
        }
      }
      test.second_references = std::move(second);
      test.second_reference_name = "World English Bible";
    }
  }
  if (max_sentences > 0 && test.sources.size() > max_sentences) {
    test.sources.resize(max_sentences);
    test.references.resize(max_sentences);
    if (!test.second_references.empty()) {
      test.second_reference_substituted = static_cast<size_t>(std::count(
          test.second_references.begin(), test.second_references.begin() + static_cast<std::ptrdiff_t>(max_sentences), ""));
      test.second_references.resize(max_sentences);
    }
  }
  return test;
}

std::string output_path(const std::string& outputs_dir, const std::string& model, int beam) {
  return outputs_dir + "/" + model + (beam == 1 ? std::string(".greedy.txt") : ".beam" + std::to_string(beam) + ".txt");
}

void save_test_set(const std::string& outputs_dir, const TestSet& test) {
  std::filesystem::create_directories(outputs_dir);
  write_lines_atomically(outputs_dir + "/test.src.txt", test.sources);
  write_lines_atomically(outputs_dir + "/test.ref.txt", test.references);
  if (!test.second_references.empty()) write_lines_atomically(outputs_dir + "/test.ref2.txt", test.second_references);
}

std::vector<std::string> read_outputs(const std::string& path, size_t sentences) {
  std::vector<std::string> lines = read_lines(path);
  if (lines.size() != sentences)
    throw Error(path + " has " + std::to_string(lines.size()) + " lines but the test set has " +
                std::to_string(sentences));
  return lines;
}

// The rows of `stats` whose source falls in `bucket`.
SentenceStatistics rows_in_bucket(const SentenceStatistics& stats, const TestSet& test, const LengthBucket& bucket) {
  SentenceStatistics rows;
  for (size_t i = 0; i < test.sources.size(); ++i) {
    const int64_t words = static_cast<int64_t>(count_words(test.sources[i]));
    if (words >= bucket.min_words && (bucket.max_words < 0 || words <= bucket.max_words)) rows.push_back(stats[i]);
  }
  return rows;
}

nlohmann::json pairwise_significance(const std::vector<std::string>& models, const std::string& outputs_dir,
                                     const TestSet& test, int beam) {
  const std::vector<std::vector<std::string>> refs{test.references};
  const std::vector<StatisticsMetric> metrics{bleu_statistics_metric({}, 1), chrf_statistics_metric({}, 1)};
  nlohmann::json pairs = nlohmann::json::array();
  for (int decoding : {1, beam}) {
    if (decoding == 1 && beam == 1 && !pairs.empty()) break;
    // Statistics per model and metric, computed once.
    std::vector<std::vector<SentenceStatistics>> stats(models.size());
    for (size_t m = 0; m < models.size(); ++m) {
      const auto hyps = read_outputs(output_path(outputs_dir, models[m], decoding), test.sources.size());
      for (const auto& metric : metrics) stats[m].push_back(metric.sentence_statistics(hyps, refs));
    }
    for (size_t a = 0; a < models.size(); ++a) {
      for (size_t b = a + 1; b < models.size(); ++b) {
        nlohmann::json pair = {{"decoding", decoding == 1 ? "greedy" : "beam"}, {"beam_size", decoding},
                               {"a", models[a]}, {"b", models[b]}};
        for (size_t k = 0; k < metrics.size(); ++k)
          pair[metrics[k].name] =
              difference_json(paired_bootstrap_difference(stats[a][k], stats[b][k], metrics[k], kResamples, kSeed));
        // BLEU by source length, tested bucket by bucket (greedy only: the bottleneck claim).
        if (decoding == 1) {
          nlohmann::json buckets = nlohmann::json::array();
          for (const LengthBucket& bucket : length_buckets()) {
            const SentenceStatistics rows_a = rows_in_bucket(stats[a][0], test, bucket);
            if (rows_a.empty()) continue;
            nlohmann::json entry = difference_json(paired_bootstrap_difference(
                rows_a, rows_in_bucket(stats[b][0], test, bucket), metrics[0], kResamples, kSeed));
            entry["bucket"] = bucket.name;
            entry["sentences"] = rows_a.size();
            buckets.push_back(entry);
          }
          pair["bleu_by_length"] = buckets;
        }
        pairs.push_back(pair);
      }
    }
    if (beam == 1) break;
  }
  return {{"method", "paired bootstrap resampling (sacreBLEU 2.6.0)"},
          {"resamples", kResamples},
          {"seed", kSeed},
          {"alpha", kAlpha},
          {"sentences", test.sources.size()},
          {"reference", "primary"},
          {"pairs", pairs}};
}

nlohmann::json side_by_side_examples(const std::vector<std::string>& models, const std::string& outputs_dir,
                                     const TestSet& test, size_t short_count, size_t long_count) {
  std::vector<size_t> picked;
  for (size_t i = 0; i < test.sources.size() && picked.size() < short_count; ++i) {
    const size_t words = count_words(test.sources[i]);
    if (words >= 6 && words <= 12) picked.push_back(i);
  }
  std::vector<size_t> by_length(test.sources.size());
  std::iota(by_length.begin(), by_length.end(), size_t{0});
  std::stable_sort(by_length.begin(), by_length.end(), [&](size_t x, size_t y) {
    return count_words(test.sources[x]) > count_words(test.sources[y]);
  });
  for (size_t i = 0, added = 0; i < by_length.size() && added < long_count; ++i) {
    if (std::find(picked.begin(), picked.end(), by_length[i]) != picked.end()) continue;
    picked.push_back(by_length[i]);
    ++added;
  }
  std::vector<std::vector<std::string>> outputs;
  for (const std::string& model : models)
    outputs.push_back(read_outputs(output_path(outputs_dir, model, 1), test.sources.size()));
  nlohmann::json examples = nlohmann::json::array();
  for (size_t i : picked) {
    nlohmann::json translations = nlohmann::json::array();
    for (size_t m = 0; m < models.size(); ++m) translations.push_back({{"model", models[m]}, {"text", outputs[m][i]}});
    examples.push_back({{"line", i + 1},
                        {"source_words", count_words(test.sources[i])},
                        {"source", test.sources[i]},
                        {"reference", test.references[i]},
                        {"translations", translations}});
  }
  return examples;
}

}  // namespace s2s
