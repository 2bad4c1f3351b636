#pragma once
// Greedy and beam search over the Seq2SeqModel interface, batched, for both
// architectures: each step feeds one token per hypothesis through step() and
// reuses the model's state (RNN hidden state, Transformer key/value cache).
#include <torch/torch.h>

#include <string>
#include <vector>

#include "models/seq2seq.h"

namespace s2s {

// How a finished hypothesis's log-probability becomes its score, |y| counting EOS:
//   gnmt     log p / ((5 + |y|) / 6)^alpha   (Wu et al. 2016; Marian, OpenNMT-py)
//   average  log p / |y|^alpha               (fairseq's --lenpen; alpha 1 = per-token average)
//   none     log p                           (alpha ignored)
enum class LengthNorm { gnmt, average, none };
LengthNorm parse_length_norm(const std::string& name);  // s2s::UsageError for another name
std::string length_norm_name(LengthNorm norm);
double length_normalized(double log_prob, size_t length, LengthNorm norm, double alpha);

struct SearchOptions {
  int beam = 1;                  // 1 = greedy
  int nbest = 1;                 // hypotheses returned per sentence (<= beam)
  LengthNorm length_norm = LengthNorm::gnmt;
  double length_penalty = 1.0;   // alpha of length_norm
  // EOS is not allowed before min_length output tokens (fairseq's --min-len);
  // the length limit below still ends a sentence that reaches it first.
  int64_t min_length = 0;
  // An absolute cap on every output (0 = none), applied on top of a * |src| + b.
  int64_t max_length = 0;
  // Output length limit of each sentence: floor(a * |src|) + b tokens, |src| being
  // that sentence's own source length (EOS included), so that a sentence's output
  // does not depend on the sentences batched with it.
  double max_length_a = 1.5;
  int64_t max_length_b = 10;
  bool keep_attention = false;   // record the attention of the best hypothesis
  bool use_cache = true;         // false: re-run the whole prefix every step (for benchmarks)
  bool greedy_shortcut = true;   // beam 1 takes the (cheaper) greedy path; false runs beam search with K=1
};

struct Hypothesis {
  std::vector<int64_t> tokens;   // without BOS and EOS
  double log_prob = 0.0;         // sum of token log-probabilities, EOS included
  double score = 0.0;            // log_prob after the length penalty
  std::vector<std::vector<float>> attention;  // (steps, S) when keep_attention; S = real source length
};

// src (B, S) padded ids with EOS, lengths (B). Returns, per sentence, between
// one and nbest hypotheses sorted by score, best first, all distinct (when the
// model's scores are not finite, one empty output scored -inf).
std::vector<std::vector<Hypothesis>> search(Seq2SeqModel& model, const torch::Tensor& src, const torch::Tensor& lengths,
                                            const SearchOptions& options);

// Teacher-forced log-probability of given outputs (tokens without EOS; EOS is scored) — for tests and n-best rescoring.
std::vector<double> score_outputs(Seq2SeqModel& model, const torch::Tensor& src, const torch::Tensor& lengths,
                                  const std::vector<std::vector<int64_t>>& outputs);

}  // namespace s2s
