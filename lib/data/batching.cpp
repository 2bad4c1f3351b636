#include "data/batching.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "text/tokenizer.h"
#include "util/error.h"

namespace s2s {

int64_t pair_cost(const EncodedCorpus& corpus, int64_t index) {
  return static_cast<int64_t>(std::max(corpus.source[index].size(), corpus.target[index].size())) + 1;
}

std::vector<std::vector<int64_t>> make_batches(const EncodedCorpus& corpus, const BatchingOptions& options,
                                               int64_t epoch) {
  const int64_t n = static_cast<int64_t>(corpus.size());
  std::mt19937_64 rng(options.seed * 1000003ULL + static_cast<uint64_t>(epoch));
  // Random tie-breaking inside equal lengths, so epochs differ in composition too.
  std::vector<uint64_t> tiebreak(n);
  for (auto& t : tiebreak) t = options.shuffle ? rng() : 0;
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    auto key_a = std::make_tuple(corpus.source[a].size(), corpus.target[a].size(), tiebreak[a]);
    auto key_b = std::make_tuple(corpus.source[b].size(), corpus.target[b].size(), tiebreak[b]);
    return key_a < key_b;
  });

  std::vector<std::vector<int64_t>> batches;
  std::vector<int64_t> current;
  int64_t longest = 0;
  for (int64_t index : order) {
    const int64_t cost = pair_cost(corpus, index);
    if (cost > options.max_tokens) {
      throw Error("pair " + std::to_string(index + 1) + " needs " + std::to_string(cost) +
                  " tokens, more than the batch budget max_tokens=" + std::to_string(options.max_tokens) +
                  " (raise the budget or lower data.max_length)");
    }
    const int64_t new_longest = std::max(longest, cost);
    const bool over_tokens = new_longest * static_cast<int64_t>(current.size() + 1) > options.max_tokens;
    const bool over_sentences = options.max_sentences > 0 && static_cast<int64_t>(current.size()) >= options.max_sentences;
    if (!current.empty() && (over_tokens || over_sentences)) {
      batches.push_back(std::move(current));
      current.clear();
      longest = 0;
    }
    current.push_back(index);
    longest = std::max(longest, cost);
  }
  if (!current.empty()) batches.push_back(std::move(current));
  if (options.shuffle) std::shuffle(batches.begin(), batches.end(), rng);
  return batches;
}

namespace {

// Writes `rows` into a PAD-filled (B, L) tensor, each row prefixed/suffixed as asked.
torch::Tensor pad_rows(const std::vector<const std::vector<int32_t>*>& rows, int32_t prefix, int32_t suffix) {
  size_t longest = 0;
  for (const auto* row : rows) longest = std::max(longest, row->size());
  const int64_t width = static_cast<int64_t>(longest) + (prefix >= 0) + (suffix >= 0);
  auto out = torch::full({static_cast<int64_t>(rows.size()), width}, SpecialIds::pad, torch::kLong);
  auto* data = out.data_ptr<int64_t>();
  for (size_t b = 0; b < rows.size(); ++b) {
    int64_t* cursor = data + b * width;
    if (prefix >= 0) *cursor++ = prefix;
    for (int32_t id : *rows[b]) *cursor++ = id;
    if (suffix >= 0) *cursor++ = suffix;
  }
  return out;
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> collate_sources(const std::vector<std::vector<int32_t>>& sources) {
  std::vector<const std::vector<int32_t>*> rows;
  auto lengths = torch::empty({static_cast<int64_t>(sources.size())}, torch::kLong);
  for (size_t i = 0; i < sources.size(); ++i) {
    rows.push_back(&sources[i]);
    lengths[i] = static_cast<int64_t>(sources[i].size()) + 1;
  }
  return {pad_rows(rows, -1, SpecialIds::eos), lengths};
}

Batch collate(const EncodedCorpus& corpus, const std::vector<int64_t>& indices) {
  Batch batch;
  batch.indices = indices;
  std::vector<const std::vector<int32_t>*> src_rows, trg_rows;
  auto lengths = torch::empty({static_cast<int64_t>(indices.size())}, torch::kLong);
  auto* length_data = lengths.data_ptr<int64_t>();
  for (size_t i = 0; i < indices.size(); ++i) {
    src_rows.push_back(&corpus.source[indices[i]]);
    trg_rows.push_back(&corpus.target[indices[i]]);
    length_data[i] = static_cast<int64_t>(corpus.source[indices[i]].size()) + 1;
    batch.target_tokens += static_cast<int64_t>(corpus.target[indices[i]].size()) + 1;
  }
  batch.src = pad_rows(src_rows, -1, SpecialIds::eos);
  batch.src_lengths = lengths;
  batch.trg_in = pad_rows(trg_rows, SpecialIds::bos, -1);
  batch.trg_out = pad_rows(trg_rows, -1, SpecialIds::eos);
  return batch;
}

}  // namespace s2s
