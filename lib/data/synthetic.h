#pragma once
// Synthetic translation tasks with known answers (copy, reverse, sort): the
// learnability checks of the trainer and the models, and tiny corpora for tests.
#include <cstdint>
#include <string>

#include "data/corpus.h"

namespace s2s {

struct SyntheticTask {
  std::string task = "reverse";  // copy | reverse | sort
  int64_t pairs = 1000;
  int64_t min_length = 5;        // tokens per sentence
  int64_t max_length = 30;
  int64_t symbols = 20;          // distinct tokens: "a".."t" (then "a1".. beyond 26)
  uint64_t seed = 1;
};

// Source: random space-separated symbols; target: the task applied to them.
ParallelCorpus generate_synthetic(const SyntheticTask& task);

// Writes OUT/{train,dev,test}.{src,trg} as raw text for `s2s prepare`.
void write_synthetic_splits(const std::string& out_dir, SyntheticTask task, int64_t train, int64_t dev, int64_t test);

}  // namespace s2s
