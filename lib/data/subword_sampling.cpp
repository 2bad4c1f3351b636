#include "data/subword_sampling.h"

#include <chrono>

#include "data/corpus.h"
#include "util/error.h"

namespace s2s {

namespace {

// A 32-bit seed for one side of one epoch.
uint32_t side_seed(uint64_t seed, int64_t epoch, const char* side) {
  const uint64_t mixed = fingerprint(std::to_string(seed) + ":" + std::to_string(epoch) + ":" + side);
  return static_cast<uint32_t>(mixed ^ (mixed >> 32));
}

std::vector<std::string> kept_lines(const std::string& path, const std::vector<int64_t>& line_numbers) {
  auto all = read_lines(path);
  std::vector<std::string> kept;
  kept.reserve(line_numbers.size());
  for (int64_t number : line_numbers) {
    if (number < 1 || number > static_cast<int64_t>(all.size())) {
      throw Error(path + " changed since it was encoded (line " + std::to_string(number) + " is missing)");
    }
    kept.push_back(all[number - 1]);
  }
  return kept;
}

}  // namespace

SubwordSampler::SubwordSampler(const std::string& corpus_dir, const EncodedSplit& split,
                               const CorpusTokenizers& tokenizers, SubwordSamplingOptions options)
    : deterministic_(split.ids), tokenizers_(tokenizers), options_(options) {
  source_ = kept_lines(corpus_dir + "/train.src", split.line_numbers);
  target_ = kept_lines(corpus_dir + "/train.trg", split.line_numbers);
}

SampledEpoch SubwordSampler::sample(int64_t epoch) const {
  const auto start = std::chrono::steady_clock::now();
  auto sources = tokenizers_.source->sample_encode_lines(source_, options_.nbest, options_.alpha,
                                                         side_seed(options_.seed, epoch, "source"));
  auto targets = tokenizers_.target->sample_encode_lines(target_, options_.nbest, options_.alpha,
                                                         side_seed(options_.seed, epoch, "target"));
  SampledEpoch out;
  out.ids.source.resize(sources.size());
  out.ids.target.resize(targets.size());
  const int64_t limit = options_.max_length;
  for (size_t i = 0; i < sources.size(); ++i) {
    const bool too_long = limit > 0 && (static_cast<int64_t>(sources[i].size()) > limit ||
                                        static_cast<int64_t>(targets[i].size()) > limit);
    if (too_long) {
      out.ids.source[i] = deterministic_.source[i];
      out.ids.target[i] = deterministic_.target[i];
      ++out.deterministic;
    } else {
      out.ids.source[i].assign(sources[i].begin(), sources[i].end());
      out.ids.target[i].assign(targets[i].begin(), targets[i].end());
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace s2s
