#include "search/search.h"

#include <algorithm>
#include <numeric>
#include <cmath>
#include <limits>

#include "text/tokenizer.h"
#include "util/error.h"

namespace s2s {

LengthNorm parse_length_norm(const std::string& name) {
  if (name == "gnmt") return LengthNorm::gnmt;
  if (name == "average") return LengthNorm::average;
  if (name == "none") return LengthNorm::none;
  throw UsageError("length normalisation must be gnmt, average or none, not \"" + name + "\"");
}

std::string length_norm_name(LengthNorm norm) {
  switch (norm) {
    case LengthNorm::gnmt: return "gnmt";
    case LengthNorm::average: return "average";
    case LengthNorm::none: return "none";
  }
  return "gnmt";
}

double length_normalized(double log_prob, size_t length, LengthNorm norm, double alpha) {
  if (norm == LengthNorm::none || alpha == 0.0) return log_prob;
  const double n = static_cast<double>(length);
  if (norm == LengthNorm::average) return log_prob / std::pow(n, alpha);
  return log_prob / std::pow((5.0 + n) / 6.0, alpha);
}

namespace {

// Forbids EOS while fewer than min_length tokens were produced (step t has produced t).
void forbid_early_end(torch::Tensor& log_probs, int64_t t, const SearchOptions& options) {
  if (t < options.min_length) log_probs.select(1, SpecialIds::eos).fill_(-std::numeric_limits<double>::infinity());
}

// PAD and BOS are never output tokens: a model can still give them
// probability (an untrained one, or one trained with label smoothing over the
// whole vocabulary), and an output holding them would neither detokenize nor
// score back the same (teacher-forced scoring skips PAD). They are ruled out
// after the softmax (as fairseq rules out PAD), so the other tokens keep their
// log-probs.
void forbid_non_output_tokens(torch::Tensor& log_probs) {
  const double never = -std::numeric_limits<double>::infinity();
  log_probs.select(1, SpecialIds::pad).fill_(never);
  log_probs.select(1, SpecialIds::bos).fill_(never);
}

// Steps the decoder by one token, with or without reusing its state. Without
// reuse the whole prefix is decoded again, which is what the cache saves.
torch::Tensor next_log_probs(Seq2SeqModel& model, DecoderState& state, const EncoderOutput& encoded,
                             const torch::Tensor& prefix, const torch::Tensor& last_tokens, bool use_cache) {
  torch::Tensor log_probs;
  if (use_cache) {
    log_probs = torch::log_softmax(model.step(state, last_tokens), -1);
  } else {
    auto out = model.decode(encoded, prefix);
    auto last = out.logits.select(1, prefix.size(1) - 1);
    if (out.attention.defined()) state.attention = out.attention.select(1, prefix.size(1) - 1);
    log_probs = torch::log_softmax(last, -1);
  }
  forbid_non_output_tokens(log_probs);
  return log_probs;
}

EncoderOutput select_rows(const EncoderOutput& encoded, const torch::Tensor& index) {
  EncoderOutput out;
  out.memory = encoded.memory.index_select(0, index);
  out.src_mask = encoded.src_mask.index_select(0, index);
  for (const auto& s : encoded.summary) out.summary.push_back(s.index_select(0, index));
  return out;
}

// The source lengths on the host, copied once per search.
std::vector<int64_t> host_lengths(const torch::Tensor& lengths) {
  auto cpu = lengths.to(torch::kCPU, torch::kLong).contiguous();
  return std::vector<int64_t>(cpu.data_ptr<int64_t>(), cpu.data_ptr<int64_t>() + cpu.numel());
}

// Each sentence's output length limit, from its own source length (EOS included).
std::vector<int64_t> output_limits(const std::vector<int64_t>& source_lengths, const SearchOptions& options) {
  std::vector<int64_t> limits;
  for (const int64_t length : source_lengths) {
    int64_t limit = static_cast<int64_t>(options.max_length_a * length) + options.max_length_b;
    if (options.max_length > 0) limit = std::min(limit, options.max_length);
    limits.push_back(limit);
  }
  return limits;
}

std::vector<float> attention_row(const torch::Tensor& attention, int64_t row, int64_t length) {
  auto values = attention[row].narrow(0, 0, length).to(torch::kFloat).contiguous();
  return std::vector<float>(values.data_ptr<float>(), values.data_ptr<float>() + length);
}

// The decoder's side of a search: its state and, for decoding without the
// cache, the encoder output and the prefix. Sentences that are done leave
// it, so later steps compute only the rows still searching (fairseq and
// Marian shrink their batches the same way).
struct DecodingBatch {
  DecoderState state;
  EncoderOutput encoded;  // read only without the cache
  torch::Tensor prefix;   // (R, t) tokens fed so far, BOS first; kept only without the cache
  bool use_cache = true;

  // Row r becomes old row index[r]. Within the same sentences (a beam's
  // reorder) only per-hypothesis tensors move; otherwise everything does.
  void take_rows(const torch::Tensor& index, bool same_sentences) {
    if (same_sentences) {
      Seq2SeqModel::reorder(state, index);
    } else {
      Seq2SeqModel::select_rows(state, index);
      if (!use_cache) encoded = select_rows(encoded, index);
    }
    if (!use_cache) prefix = prefix.index_select(0, index);
  }
  // The tokens fed at the next step, (R).
  void feed(const torch::Tensor& tokens) {
    if (!use_cache) prefix = torch::cat({prefix, tokens.unsqueeze(1)}, 1);
  }
};

DecodingBatch start_batch(Seq2SeqModel& model, EncoderOutput encoded, int64_t rows, const SearchOptions& options) {
  DecodingBatch batch;
  batch.state = model.start(encoded);
  batch.encoded = std::move(encoded);
  batch.use_cache = options.use_cache;
  batch.prefix = torch::full({rows, 1}, SpecialIds::bos, torch::TensorOptions().dtype(torch::kLong).device(batch.encoded.memory.device()));
  return batch;
}

torch::Tensor long_tensor(const std::vector<int64_t>& values, const torch::Device& device) {
  return torch::tensor(values, torch::kLong).to(device);
}

std::vector<std::vector<Hypothesis>> greedy(Seq2SeqModel& model, const torch::Tensor& src, const torch::Tensor& lengths,
                                            const SearchOptions& options) {
  const int64_t B = src.size(0);
  const auto source_lengths = host_lengths(lengths);
  const auto limits = output_limits(source_lengths, options);
  std::vector<Hypothesis> hyps(B);
  std::vector<int64_t> live;  // live[r]: the sentence in row r
  for (int64_t b = 0; b < B; ++b) {
    if (limits[b] > 0) live.push_back(b);
  }
  if (!live.empty()) {
    auto encoded = model.encode(src, lengths);
    if (static_cast<int64_t>(live.size()) < B) encoded = select_rows(encoded, long_tensor(live, src.device()));
    auto batch = start_batch(model, std::move(encoded), static_cast<int64_t>(live.size()), options);
    auto tokens = batch.prefix.select(1, 0);
    for (int64_t t = 0; !live.empty(); ++t) {
      auto log_probs = next_log_probs(model, batch.state, batch.encoded, batch.prefix, tokens, options.use_cache);  // (R, V)
      forbid_early_end(log_probs, t, options);
      auto [best, best_ids] = log_probs.max(-1);
      tokens = best_ids;
      // One device-to-host copy a step (ids are exact in double); attention only when kept.
      auto on_host = torch::stack({best.to(torch::kDouble), best_ids.to(torch::kDouble)}).to(torch::kCPU);  // (2, R)
      auto host = on_host.accessor<double, 2>();
      const auto& state_attention = batch.state.attention;
      auto attention = options.keep_attention && state_attention.defined() ? state_attention.to(torch::kCPU) : torch::Tensor();
      std::vector<int64_t> kept_rows, kept_sentences;
      for (size_t r = 0; r < live.size(); ++r) {
        const int64_t b = live[r];
        hyps[b].log_prob += host[0][r];
        if (attention.defined()) hyps[b].attention.push_back(attention_row(attention, r, source_lengths[b]));
        const auto id = static_cast<int64_t>(host[1][r]);
        const bool ended = id == SpecialIds::eos;
        if (!ended) hyps[b].tokens.push_back(id);
        if (!ended && t + 1 < limits[b]) {
          kept_rows.push_back(static_cast<int64_t>(r));
          kept_sentences.push_back(b);
        }
      }
      if (kept_rows.size() < live.size() && !kept_rows.empty()) {
        const auto index = long_tensor(kept_rows, src.device());
        batch.take_rows(index, /*same_sentences=*/false);
        tokens = tokens.index_select(0, index);
      }
      live = std::move(kept_sentences);
      batch.feed(tokens);
    }
  }
  std::vector<std::vector<Hypothesis>> out(B);
  for (int64_t b = 0; b < B; ++b) {
    hyps[b].score = length_normalized(hyps[b].log_prob, hyps[b].tokens.size() + 1, options.length_norm, options.length_penalty);
    out[b].push_back(std::move(hyps[b]));
  }
  return out;
}

// One live path of the beam, kept on the host (the tensors hold the rest).
struct BeamEntry {
  std::vector<int64_t> tokens;
  double log_prob = 0.0;
  std::vector<std::vector<float>> attention;
};

// A path ended here (by EOS, or cut by the length limit), scored at its length with EOS.
Hypothesis ended(BeamEntry&& entry, const SearchOptions& options) {
  const double score = length_normalized(entry.log_prob, entry.tokens.size() + 1, options.length_norm, options.length_penalty);
  return Hypothesis{std::move(entry.tokens), entry.log_prob, score, std::move(entry.attention)};
}

// Inserts `h` into `best` (sorted best first, at most K long). An equal score
// goes after those already there, as a stable sort of all of them would put it.
void keep_best(std::vector<Hypothesis>& best, Hypothesis&& h, int64_t K) {
  auto at = std::find_if(best.begin(), best.end(), [&](const Hypothesis& o) { return o.score < h.score; });
  if (at - best.begin() >= K) return;
  best.insert(at, std::move(h));
  if (static_cast<int64_t>(best.size()) > K) best.pop_back();
}

// This step's best continuations of the A sentences still searching, on the host.
struct StepCandidates {
  const at::TensorAccessor<double, 2>& scores;  // (A, take) cumulative log-probabilities, best first
  const at::TensorAccessor<int64_t, 2>& ids;    // (A, take) flat k * V + token
  int64_t take, vocabulary;
  const torch::Tensor& attention;               // (A*K, S) of this step, or undefined
};

// The beam of the sentence in slot `slot` (rows slot*K..) after one step: its best
// continuations fill `next` (their parent rows and tokens written to parent_rows/next_tokens),
// those ending in EOS go to `finished`. Returns whether the sentence is done.
bool advance_sentence(int64_t slot, int64_t K, int64_t t, const StepCandidates& candidates,
                      const std::vector<BeamEntry>& beam, int64_t source_length, int64_t limit,
                      const SearchOptions& options, std::vector<Hypothesis>& finished, std::vector<BeamEntry>& next,
                      std::vector<int64_t>& parent_rows, std::vector<int64_t>& next_tokens) {
  const int64_t V = candidates.vocabulary;
  for (int64_t j = 0; j < candidates.take && static_cast<int64_t>(next.size()) < K; ++j) {
    const double score = candidates.scores[slot][j];
    if (!std::isfinite(score)) break;
    const int64_t flat = candidates.ids[slot][j];
    const int64_t k = flat / V, token = flat % V;
    const BeamEntry& parent = beam[k];
    BeamEntry child{parent.tokens, score, {}};
    if (options.keep_attention) {
      child.attention = parent.attention;
      if (candidates.attention.defined()) child.attention.push_back(attention_row(candidates.attention, slot * K + k, source_length));
    }
    if (token == SpecialIds::eos) {
      keep_best(finished, ended(std::move(child), options), K);
      continue;
    }
    child.tokens.push_back(token);
    const int64_t row = slot * K + static_cast<int64_t>(next.size());
    parent_rows[row] = slot * K + k;
    next_tokens[row] = token;
    next.push_back(std::move(child));
  }
  if (next.empty()) return true;
  if (t + 1 >= limit) {
    // Paths cut by the length limit compete with the finished ones.
    for (auto& entry : next) keep_best(finished, ended(std::move(entry), options), K);
    next.clear();
    return true;
  }
  if (static_cast<int64_t>(finished.size()) < K) return false;
  // Done when no live path can still enter the best K. The first live path has
  // the highest log-probability and all have the same length, so it scores
  // best if they ended now. With length_penalty 0 that bounds every
  // continuation (log-probabilities only fall); with a penalty, longer paths
  // are divided by more, and this is the usual estimate.
  const BeamEntry& best_live = next.front();
  const double ending_now =
      length_normalized(best_live.log_prob, best_live.tokens.size() + 1, options.length_norm, options.length_penalty);
  return ending_now <= finished[K - 1].score;
}

// The n best distinct hypotheses of each sentence, best first.
std::vector<std::vector<Hypothesis>> distinct_best(std::vector<std::vector<Hypothesis>>& finished,
                                                   const SearchOptions& options) {
  std::vector<std::vector<Hypothesis>> out(finished.size());
  for (size_t b = 0; b < finished.size(); ++b) {
    for (auto& h : finished[b]) {
      bool duplicate = std::any_of(out[b].begin(), out[b].end(), [&](const Hypothesis& o) { return o.tokens == h.tokens; });
      if (!duplicate) out[b].push_back(std::move(h));
      if (static_cast<int>(out[b].size()) >= options.nbest) break;
    }
    // Only non-finite scores leave nothing: say so with an empty, -inf output
    // (as the exported search does) rather than an empty list callers index.
    if (out[b].empty()) {
      const double minus_inf = -std::numeric_limits<double>::infinity();
      out[b].push_back(Hypothesis{{}, minus_inf, minus_inf, {}});
    }
  }
  return out;
}

// Each sentence's `take` best continuations of its K rows: cumulative scores
// (A, take) in double, best first, and flat ids k * V + token. A sentence's
// best `take` are among each row's best `take` (a row adds one constant, its
// path's score), so each row's vocabulary is ranked in the model's precision
// and only K * take candidates per sentence in double: the same values as
// ranking all K * V in double.
std::pair<torch::Tensor, torch::Tensor> best_continuations(const torch::Tensor& log_probs, const torch::Tensor& base,
                                                           int64_t K, int64_t take) {
  const int64_t rows = log_probs.size(0), V = log_probs.size(1), A = rows / K;
  const int64_t per_row = std::min(take, V);
  auto [row_best, row_tokens] = log_probs.topk(per_row, 1);                                   // (A*K, per_row)
  auto totals = (row_best.to(torch::kDouble) + base.unsqueeze(1)).view({A, K * per_row});   // (A, K*per_row)
  auto [top_scores, at] = totals.topk(take, 1);                                               // (A, take)
  auto tokens = row_tokens.view({A, K * per_row}).gather(1, at);
  auto k = at.div(per_row, "floor");
  return {top_scores, k * V + tokens};
}

std::vector<std::vector<Hypothesis>> beam_search(Seq2SeqModel& model, const torch::Tensor& src,
                                                 const torch::Tensor& lengths, const SearchOptions& options) {
  const int64_t B = src.size(0), K = options.beam;
  const auto source_lengths = host_lengths(lengths);
  const auto limits = output_limits(source_lengths, options);

  std::vector<std::vector<BeamEntry>> beams(B, std::vector<BeamEntry>(1));  // start: one empty path each
  std::vector<std::vector<Hypothesis>> finished(B);                         // the best K ended paths, best first
  std::vector<int64_t> live;  // live[a]: the sentence in rows a*K .. a*K + K-1
  for (int64_t b = 0; b < B; ++b) {
    if (limits[b] > 0) {
      live.push_back(b);
    } else {
      keep_best(finished[b], ended(std::move(beams[b].front()), options), K);
    }
  }
  if (live.empty()) return distinct_best(finished, options);
  // Every live sentence gets K rows: row a*K + k is beam k of sentence live[a].
  auto expand = long_tensor(live, src.device()).repeat_interleave(K);
  auto batch = start_batch(model, select_rows(model.encode(src, lengths), expand), expand.size(0), options);
  auto tokens = batch.prefix.select(1, 0);
  // Cumulative scores of each row's path; rows without a live path get -inf.
  auto row_scores = [&] {
    std::vector<double> base(live.size() * K, -std::numeric_limits<double>::infinity());
    for (size_t a = 0; a < live.size(); ++a) {
      const auto& beam = beams[live[a]];
      for (size_t k = 0; k < beam.size(); ++k) base[a * K + k] = beam[k].log_prob;
    }
    return base;
  };
  auto base_tensor = torch::tensor(row_scores(), torch::kDouble).to(src.device());  // (A*K)

  for (int64_t t = 0;; ++t) {
    auto log_probs = next_log_probs(model, batch.state, batch.encoded, batch.prefix, tokens, options.use_cache);  // (A*K, V)
    if (log_probs.scalar_type() != torch::kDouble) log_probs = log_probs.to(torch::kFloat);
    forbid_early_end(log_probs, t, options);
    const int64_t V = log_probs.size(1), A = static_cast<int64_t>(live.size());
    const int64_t take = std::min<int64_t>(2 * K, K * V);
    auto [top_scores, top_ids] = best_continuations(log_probs, base_tensor, K, take);
    // One device-to-host copy a step (flat ids are exact in double); attention only when kept.
    auto on_host = torch::stack({top_scores, top_ids.to(torch::kDouble)}).to(torch::kCPU);  // (2, A, take)
    auto host_ids = on_host[1].to(torch::kLong);
    auto host_scores = on_host[0];
    auto score_at = host_scores.accessor<double, 2>();
    auto id_at = host_ids.accessor<int64_t, 2>();
    const auto& state_attention = batch.state.attention;
    auto attention = options.keep_attention && state_attention.defined() ? state_attention.to(torch::kCPU) : torch::Tensor();

    // Rows without a live path keep their own state: reorder() moves hypotheses
    // only within their sentence (models/seq2seq.h).
    std::vector<int64_t> parent_rows(A * K), next_tokens(A * K, SpecialIds::pad);
    std::iota(parent_rows.begin(), parent_rows.end(), int64_t{0});
    const StepCandidates candidates{score_at, id_at, take, V, attention};
    std::vector<int64_t> kept_slots, kept_sentences;
    for (int64_t a = 0; a < A; ++a) {
      const int64_t b = live[a];
      std::vector<BeamEntry> next;
      const bool done = advance_sentence(a, K, t, candidates, beams[b], source_lengths[b], limits[b], options, finished[b],
                                         next, parent_rows, next_tokens);
      beams[b] = std::move(next);
      if (!done) {
        kept_slots.push_back(a);
        kept_sentences.push_back(b);
      }
    }
    if (kept_slots.empty()) break;
    const bool same_sentences = static_cast<int64_t>(kept_slots.size()) == A;
    if (!same_sentences) {
      // Keep the rows of the sentences still searching, in order.
      std::vector<int64_t> rows, row_tokens;
      for (const int64_t a : kept_slots) {
        rows.insert(rows.end(), parent_rows.begin() + a * K, parent_rows.begin() + (a + 1) * K);
        row_tokens.insert(row_tokens.end(), next_tokens.begin() + a * K, next_tokens.begin() + (a + 1) * K);
      }
      parent_rows = std::move(rows);
      next_tokens = std::move(row_tokens);
    }
    live = std::move(kept_sentences);
    // One host-to-device copy a step: parents, next tokens and the new paths' scores.
    const int64_t R = static_cast<int64_t>(parent_rows.size());
    std::vector<double> packed(parent_rows.begin(), parent_rows.end());
    packed.insert(packed.end(), next_tokens.begin(), next_tokens.end());
    const auto scores = row_scores();
    packed.insert(packed.end(), scores.begin(), scores.end());
    auto on_device = torch::tensor(packed, torch::kDouble).to(src.device());  // (3 * R)
    batch.take_rows(on_device.slice(0, 0, R).to(torch::kLong), same_sentences);
    tokens = on_device.slice(0, R, 2 * R).to(torch::kLong);
    base_tensor = on_device.slice(0, 2 * R);
    batch.feed(tokens);
  }

  return distinct_best(finished, options);
}

}  // namespace

std::vector<std::vector<Hypothesis>> search(Seq2SeqModel& model, const torch::Tensor& src, const torch::Tensor& lengths,
                                            const SearchOptions& options) {
  if (options.beam < 1) throw Error("beam size must be at least 1");
  if (options.nbest < 1 || options.nbest > options.beam) throw Error("nbest must be between 1 and the beam size");
  if (options.min_length < 0 || options.max_length < 0) throw Error("min and max output lengths cannot be negative");
  // Inference mode, not just no-grad: tensors made here skip autograd's
  // version counters and views bookkeeping (none of them leaves this call).
  c10::InferenceMode inference;
  if (options.beam == 1 && options.greedy_shortcut) return greedy(model, src, lengths, options);
  return beam_search(model, src, lengths, options);
}

std::vector<double> score_outputs(Seq2SeqModel& model, const torch::Tensor& src, const torch::Tensor& lengths,
                                  const std::vector<std::vector<int64_t>>& outputs) {
  torch::NoGradGuard no_grad;
  const int64_t B = src.size(0);
  size_t longest = 0;
  for (const auto& o : outputs) longest = std::max(longest, o.size());
  const int64_t T = static_cast<int64_t>(longest) + 1;
  auto trg_in = torch::full({B, T}, SpecialIds::pad, torch::kLong);
  auto trg_out = torch::full({B, T}, SpecialIds::pad, torch::kLong);
  for (int64_t b = 0; b < B; ++b) {
    trg_in[b][0] = SpecialIds::bos;
    for (size_t i = 0; i < outputs[b].size(); ++i) {
      trg_in[b][i + 1] = outputs[b][i];
      trg_out[b][i] = outputs[b][i];
    }
    trg_out[b][outputs[b].size()] = SpecialIds::eos;
  }
  auto encoded = model.encode(src, lengths);
  auto log_probs = torch::log_softmax(model.decode(encoded, trg_in.to(src.device())).logits, -1).to(torch::kCPU);
  auto picked = log_probs.gather(2, trg_out.unsqueeze(2)).squeeze(2).masked_fill(trg_out.eq(SpecialIds::pad), 0.0);
  auto sums = picked.sum(1).to(torch::kDouble);
  return std::vector<double>(sums.data_ptr<double>(), sums.data_ptr<double>() + B);
}

}  // namespace s2s
