#pragma once
// Subword regularisation for training (Kudo 2018; BPE-dropout with a BPE
// model): every epoch sees the training text under freshly sampled
// segmentations, as JoeyNMT, OpenNMT-py and Marian offer. Deterministic: the
// samples of an epoch depend only on the seed and the epoch, so a resumed run
// sees the same data. Dev and test text are never sampled.
#include <string>
#include <vector>

#include "data/dataset.h"

namespace s2s {

struct SubwordSamplingOptions {
  double alpha = 0.0;      // > 0 to sample (unigram: smoothing; bpe: dropout probability)
  int nbest = -1;          // unigram: among the n best segmentations, -1 = all
  uint64_t seed = 1;
  int64_t max_length = 0;  // a pair whose sample exceeds this keeps its deterministic encoding (0 = no limit)
};

struct SampledEpoch {
  EncodedCorpus ids;            // the split's pairs, in its order
  int64_t deterministic = 0;    // pairs kept at their deterministic encoding (sample over max_length)
  double seconds = 0.0;         // time spent sampling
};

class SubwordSampler {
 public:
  // Reads the text of the pairs `split` kept from DIR/train.src and DIR/train.trg.
  SubwordSampler(const std::string& corpus_dir, const EncodedSplit& split, const CorpusTokenizers& tokenizers,
                 SubwordSamplingOptions options);
  SampledEpoch sample(int64_t epoch) const;

 private:
  std::vector<std::string> source_, target_;
  EncodedCorpus deterministic_;  // the split's own encoding (the caller may replace the split's ids with samples)
  const CorpusTokenizers& tokenizers_;
  SubwordSamplingOptions options_;
};

}  // namespace s2s
