#include "compare/experiment_setup.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "data/corpus.h"
#include "util/config.h"
#include "util/error.h"

#ifndef S2S_SOURCE_DIR
#define S2S_SOURCE_DIR "."
#endif

namespace s2s {
namespace fs = std::filesystem;

namespace {

std::string program_dir() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  return error ? std::string() : exe.parent_path().string();
}

std::string absolute(const std::string& path) {
  if (path.empty()) return path;
  std::error_code error;
  const fs::path p = fs::absolute(path, error);
  return error ? path : p.lexically_normal().string();
}

double average_words(const std::vector<std::string>& lines) {
  if (lines.empty()) return 0;
  size_t words = 0;
  for (const auto& line : lines) words += count_words(line);
  return static_cast<double>(words) / static_cast<double>(lines.size());
}

}  // namespace

std::vector<std::string> toolkit_model_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("S2S_MODELS_DIR"); env != nullptr && *env) dirs.emplace_back(env);
  if (const std::string exe_dir = program_dir(); !exe_dir.empty())
    dirs.push_back((fs::path(exe_dir).parent_path() / "share/s2s/models").string());
  dirs.push_back(std::string(S2S_SOURCE_DIR) + "/models");
  return dirs;
}

std::string resolve_preset(const std::string& experiment_dir, const std::string& preset) {
  if (preset.empty()) throw Error("a model entry names an empty preset");
  if (preset.front() == '/') {
    if (fs::is_regular_file(preset)) return preset;
    throw Error("preset " + preset + " does not exist");
  }
  std::vector<std::string> tried;
  std::vector<std::string> dirs;
  if (!experiment_dir.empty()) dirs.push_back(experiment_dir);
  for (const auto& dir : toolkit_model_dirs()) dirs.push_back(dir);
  for (const auto& dir : dirs) {
    const std::string candidate = dir + "/" + preset;
    if (fs::is_regular_file(candidate)) return candidate;
    tried.push_back(candidate);
  }
  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
  throw Error("preset " + preset + " not found; tried " + list);
}

CorpusScale scale_for_corpus(size_t train_pairs, double average_target_words) {
  CorpusScale scale;
  const double pairs = static_cast<double>(std::max<size_t>(train_pairs, 1));
  const double vocab = 4000.0 * std::sqrt(pairs / 30000.0);
  scale.vocab_size = static_cast<int>(std::clamp(std::round(vocab / 500.0) * 500.0, 2000.0, 16000.0));
  // SentencePiece pieces per word: about 1.3 for these vocabulary sizes.
  const double epoch_tokens = pairs * std::max(1.0, average_target_words) * 1.3;
  scale.max_tokens = static_cast<int>(std::clamp(epoch_tokens / 100.0, 300.0, 1500.0));
  const size_t held_out = std::clamp<size_t>(train_pairs / 30, 100, 1000);
  scale.dev_size = scale.test_size = held_out;
  return scale;
}

nlohmann::json experiment_for_corpus(const OwnCorpus& corpus) {
  nlohmann::json experiment = read_json_file(resolve_preset("", "compare-demo.json"));
  size_t pairs = 0;
  double target_words = 0;
  nlohmann::json section = {{"bible", false}};
  std::string described;
  if (!corpus.corpus_dir.empty()) {
    const auto targets = read_lines(corpus.corpus_dir + "/train.trg");
    pairs = targets.size();
    target_words = average_words(targets);
    section["dir"] = absolute(corpus.corpus_dir);
    described = absolute(corpus.corpus_dir);
  } else {
    const auto targets = read_lines(corpus.train_trg);
    pairs = targets.size();
    target_words = average_words(targets);
    section["dir"] = "";
    for (const auto& [key, path] : {std::pair<const char*, const std::string&>{"train_src", corpus.train_src},
                                    {"train_trg", corpus.train_trg}, {"dev_src", corpus.dev_src},
                                    {"dev_trg", corpus.dev_trg}, {"test_src", corpus.test_src},
                                    {"test_trg", corpus.test_trg}})
      section[key] = absolute(path);
    described = absolute(corpus.train_src);
  }
  const CorpusScale scale = scale_for_corpus(pairs, target_words);
  section["vocab_size"] = scale.vocab_size;
  section["model_type"] = experiment["corpus"].value("model_type", "unigram");
  section["max_words"] = experiment["corpus"].value("max_words", 80);
  section["max_ratio"] = experiment["corpus"].value("max_ratio", 3.0);
  if (corpus.corpus_dir.empty()) {
    section["dev_size"] = corpus.dev_src.empty() ? scale.dev_size : 0;
    section["test_size"] = corpus.test_src.empty() ? scale.test_size : 0;
  }
  experiment["corpus"] = section;
  experiment["name"] = "RNN vs RNN+attention vs Transformer on " + fs::path(described).filename().string();
  experiment["shared"]["data"]["max_tokens"] = scale.max_tokens;
  if (corpus.budget_minutes > 0) experiment["budget"]["max_minutes"] = corpus.budget_minutes;
  experiment["scaling"] = {{"train_pairs", pairs},
                           {"average_target_words", target_words},
                           {"vocab_size", scale.vocab_size},
                           {"max_tokens", scale.max_tokens},
                           {"rule", "vocabulary 4,000 per 30,000 pairs scaled by the square root of the pair count, "
                                    "rounded to 500, within 2,000-16,000; batches of 1,500 target tokens, fewer for "
                                    "small corpora (at least 100 batches an epoch, never below 300); dev and test "
                                    "carved as 1/30 of the pairs each, within 100-1,000, when not given"}};
  return experiment;
}

}  // namespace s2s
