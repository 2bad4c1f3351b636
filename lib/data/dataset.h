#pragma once
// A prepared corpus directory (see `s2s prepare`) as the trainer and the
// evaluator use it: its tokenizers and its encoded splits, cached on disk.
#include <memory>
#include <string>
#include <vector>

#include "data/batching.h"
#include "text/tokenizer.h"
#include "util/fingerprint.h"

namespace s2s {

struct CorpusTokenizers {
  std::shared_ptr<Tokenizer> source, target;  // the same object when joint
  bool joint = true;
  // Loads DIR/spm.model, or DIR/spm.src.model + DIR/spm.trg.model.
  static CorpusTokenizers load(const std::string& corpus_dir);
  // From serialized models (checkpoints and exports embed them).
  static CorpusTokenizers from_serialized(const std::string& source_model, const std::string& target_model);
};

struct EncodedSplit {
  EncodedCorpus ids;
  std::vector<int64_t> line_numbers;  // 1-based line of each kept pair in the split's files
  int64_t dropped_too_long = 0;       // pairs over max_length subword tokens
  bool from_cache = false;
};

// Encodes DIR/<split>.src and DIR/<split>.trg, keeping pairs whose sides have
// at most `max_length` subword tokens (0 = keep all). The result is cached as
// DIR/cache/<split>-<fingerprint>.bin, keyed by the texts, the tokenizer
// models and max_length, so a second run reads it back instead of encoding.
EncodedSplit load_encoded_split(const std::string& corpus_dir, const std::string& split,
                                const CorpusTokenizers& tokenizers, int64_t max_length);

}  // namespace s2s
