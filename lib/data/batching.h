#pragma once
// Token-budget batching with length bucketing (fairseq's --max-tokens,
// Marian's mini-batch-fit): pairs of similar length share a batch so little
// compute goes to padding, and a batch's padded size never exceeds the budget.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace s2s {

// Token ids of a corpus, without BOS/EOS (collate adds them).
struct EncodedCorpus {
  std::vector<std::vector<int32_t>> source;
  std::vector<std::vector<int32_t>> target;
  size_t size() const { return source.size(); }
};

struct BatchingOptions {
  int64_t max_tokens = 4096;   // budget: sentences × padded length (the longer side, with BOS/EOS)
  int64_t max_sentences = 0;   // 0 = no limit
  uint64_t seed = 1;
  bool shuffle = true;         // false: batches in length order (evaluation)
};

// Which corpus indices form each batch in `epoch`. Every pair appears exactly
// once per epoch; the order depends only on (seed, epoch). Throws s2s::Error
// when a single pair alone exceeds the budget.
std::vector<std::vector<int64_t>> make_batches(const EncodedCorpus& corpus, const BatchingOptions& options,
                                               int64_t epoch);

// The padded size one pair costs in the budget.
int64_t pair_cost(const EncodedCorpus& corpus, int64_t index);

struct Batch {
  torch::Tensor src;          // (B, S) int64, source ids + EOS, padded with PAD
  torch::Tensor src_lengths;  // (B) int64
  torch::Tensor trg_in;       // (B, T) BOS + target ids, padded
  torch::Tensor trg_out;      // (B, T) target ids + EOS, padded
  std::vector<int64_t> indices;
  int64_t target_tokens = 0;  // real tokens in trg_out
};

Batch collate(const EncodedCorpus& corpus, const std::vector<int64_t>& indices);

// Pads source sequences (EOS appended) into a batch: (B, S) ids and (B) lengths.
std::pair<torch::Tensor, torch::Tensor> collate_sources(const std::vector<std::vector<int32_t>>& sources);

}  // namespace s2s
