// sacreBLEU 2.x BLEU: see bleu.h. Tokens are interned to integer ids so that
// n-grams are small fixed-size keys; per-line maps are reused across lines.
#include "metrics/bleu.h"

#include <cmath>
#include <cstdio>
#include <unordered_map>

#include "metrics/metric_input.h"
#include "util/error.h"

namespace s2s {
namespace {

constexpr int kMaxOrder = 4;

struct NgramKey {
  std::array<int32_t, kMaxOrder> ids;  // unused trailing slots hold -1
  bool operator==(const NgramKey& other) const { return ids == other.ids; }
};

struct NgramKeyHash {
  size_t operator()(const NgramKey& key) const {
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int32_t id : key.ids) {
      h ^= static_cast<uint32_t>(id);
      h *= 0xFF51AFD7ED558CCDull;
      h ^= h >> 29;
    }
    return static_cast<size_t>(h);
  }
};

using NgramCounts = std::unordered_map<NgramKey, int32_t, NgramKeyHash>;

// sacreBLEU's counts: hyp_len, ref_len, then matches and totals per order.
struct SegmentStats {
  int64_t sys_len = 0, ref_len = 0;
  std::array<int64_t, kMaxOrder> correct{}, total{};

  void add(const SegmentStats& other) {
    sys_len += other.sys_len;
    ref_len += other.ref_len;
    for (int n = 0; n < kMaxOrder; ++n) {
      correct[n] += other.correct[n];
      total[n] += other.total[n];
    }
  }
};

void count_ngrams(const std::vector<int32_t>& ids, NgramCounts& counts) {
  counts.clear();
  const size_t len = ids.size();
  for (size_t n = 1; n <= static_cast<size_t>(kMaxOrder); ++n) {
    for (size_t i = 0; i + n <= len; ++i) {
      NgramKey key;
      key.ids.fill(-1);
      for (size_t j = 0; j < n; ++j) key.ids[j] = ids[i + j];
      ++counts[key];
    }
  }
}

// The reference length closest to the hypothesis length; ties go to the shorter.
int64_t closest_ref_len(int64_t hyp_len, const std::vector<int64_t>& ref_lens) {
  int64_t closest_diff = -1, closest_len = -1;
  for (int64_t ref_len : ref_lens) {
    int64_t diff = hyp_len > ref_len ? hyp_len - ref_len : ref_len - hyp_len;
    if (closest_diff == -1 || diff < closest_diff) {
      closest_diff = diff;
      closest_len = ref_len;
    } else if (diff == closest_diff && ref_len < closest_len) {
      closest_len = ref_len;
    }
  }
  return closest_len;
}

class BleuScorer {
 public:
  explicit BleuScorer(const BleuOptions& options) : options_(options) {}

  // Statistics of line i of the hypotheses against line i of every reference stream.
  SegmentStats segment(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                       size_t i) {
    ref_lens_.clear();
    merged_.clear();
    for (size_t k = 0; k < refs.size(); ++k) {
      const std::vector<int32_t>& ids = tokenize(refs[k][i], static_cast<int>(k), i);
      ref_lens_.push_back(static_cast<int64_t>(ids.size()));
      count_ngrams(ids, scratch_);
      for (const auto& [key, count] : scratch_) {
        auto [it, inserted] = merged_.emplace(key, count);
        if (!inserted && it->second < count) it->second = count;
      }
    }
    const std::vector<int32_t>& hyp_ids = tokenize(hyps[i], -1, i);
    SegmentStats stats;
    stats.sys_len = static_cast<int64_t>(hyp_ids.size());
    stats.ref_len = closest_ref_len(stats.sys_len, ref_lens_);
    count_ngrams(hyp_ids, scratch_);
    for (const auto& [key, count] : scratch_) {
      int n = 0;
      while (n + 1 < kMaxOrder && key.ids[n + 1] != -1) ++n;
      stats.total[n] += count;
      auto it = merged_.find(key);
      if (it != merged_.end()) stats.correct[n] += std::min(count, it->second);
    }
    return stats;
  }

 private:
  // lower() if asked, rstrip(), tokenize, then map each token to its id.
  const std::vector<int32_t>& tokenize(const std::string& line, int stream, size_t index) {
    std::u32string text = metrics_detail::decode_line(line, stream, index);
    if (options_.lowercase) text = python_lower(text);
    std::vector<std::u32string> tokens = sacre_tokenize(python_rstrip(text), options_.tokenize);
    ids_.clear();
    for (auto& token : tokens) {
      auto it = vocab_.find(token);
      if (it == vocab_.end()) it = vocab_.emplace(std::move(token), static_cast<int32_t>(vocab_.size())).first;
      ids_.push_back(it->second);
    }
    return ids_;
  }

  BleuOptions options_;
  std::unordered_map<std::u32string, int32_t> vocab_;
  std::vector<int32_t> ids_;
  std::vector<int64_t> ref_lens_;
  NgramCounts merged_, scratch_;
};

double sacre_log(double x) { return x == 0.0 ? -9999999999.0 : std::log(x); }

// sacreBLEU's BLEU.compute_bleu with smooth_method='exp'.
BleuResult compute_bleu(const SegmentStats& stats, bool effective_order) {
  BleuResult r;
  r.sys_len = stats.sys_len;
  r.ref_len = stats.ref_len;
  r.counts = stats.correct;
  r.totals = stats.total;
  r.ratio = r.ref_len > 0 ? static_cast<double>(r.sys_len) / static_cast<double>(r.ref_len) : 0.0;
  if (r.sys_len < r.ref_len)
    r.bp = r.sys_len > 0 ? std::exp(1.0 - static_cast<double>(r.ref_len) / static_cast<double>(r.sys_len)) : 0.0;
  else
    r.bp = 1.0;
  r.precisions.fill(0.0);
  bool any_match = false;
  for (int64_t c : stats.correct) any_match = any_match || c != 0;
  if (!any_match) {
    r.score = 0.0;
    return r;
  }
  double smooth_mteval = 1.0;
  int eff_order = kMaxOrder;
  for (int n = 1; n <= kMaxOrder; ++n) {
    const double total = static_cast<double>(stats.total[n - 1]);
    const double correct = static_cast<double>(stats.correct[n - 1]);
    if (stats.total[n - 1] == 0) break;
    if (effective_order) eff_order = n;
    if (stats.correct[n - 1] == 0) {
      smooth_mteval *= 2.0;
      r.precisions[n - 1] = 100.0 / (smooth_mteval * total);
    } else {
      r.precisions[n - 1] = 100.0 * correct / total;
    }
  }
  double log_sum = 0.0;
  for (int n = 0; n < eff_order; ++n) log_sum += sacre_log(r.precisions[n]);
  r.score = r.bp * std::exp(log_sum / eff_order);
  return r;
}

std::string bleu_signature(size_t nrefs, const BleuOptions& options, bool effective_order) {
  return "nrefs:" + std::to_string(nrefs) + "|case:" + (options.lowercase ? "lc" : "mixed") +
         "|eff:" + (effective_order ? "yes" : "no") + "|tok:" + sacre_tokenizer_name(options.tokenize) +
         "|smooth:exp|version:" + kSacreBleuVersion;
}

std::string printf_string(const char* format, double a) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, a);
  return buffer;
}

std::string verbose_part(const BleuResult& r) {
  std::string out;
  for (int n = 0; n < kMaxOrder; ++n) {
    if (n) out += '/';
    out += printf_string("%.1f", r.precisions[n]);
  }
  out += " (BP = " + printf_string("%.3f", r.bp) + " ratio = " + printf_string("%.3f", r.ratio) +
         " hyp_len = " + std::to_string(r.sys_len) + " ref_len = " + std::to_string(r.ref_len) + ")";
  return out;
}

}  // namespace

std::string BleuResult::format() const { return "BLEU = " + printf_string("%.2f", score) + " " + verbose_part(*this); }

nlohmann::json BleuResult::to_json() const {
  return nlohmann::json{{"name", "BLEU"},
                        {"score", score},
                        {"precisions", precisions},
                        {"bp", bp},
                        {"ratio", ratio},
                        {"sys_len", sys_len},
                        {"ref_len", ref_len},
                        {"counts", counts},
                        {"totals", totals},
                        {"signature", signature},
                        {"verbose_score", verbose_part(*this)}};
}

BleuResult corpus_bleu(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                       const BleuOptions& options) {
  metrics_detail::check_streams(hyps, refs);
  BleuScorer scorer(options);
  SegmentStats sum;
  for (size_t i = 0; i < hyps.size(); ++i) sum.add(scorer.segment(hyps, refs, i));
  BleuResult result = compute_bleu(sum, /*effective_order=*/false);
  result.signature = bleu_signature(refs.size(), options, false);
  return result;
}

std::vector<BleuResult> sentence_bleu_each(const std::vector<std::string>& hyps,
                                           const std::vector<std::vector<std::string>>& refs,
                                           const BleuOptions& options) {
  metrics_detail::check_streams(hyps, refs);
  BleuScorer scorer(options);
  const std::string signature = bleu_signature(refs.size(), options, true);
  std::vector<BleuResult> results;
  results.reserve(hyps.size());
  for (size_t i = 0; i < hyps.size(); ++i) {
    results.push_back(compute_bleu(scorer.segment(hyps, refs, i), /*effective_order=*/true));
    results.back().signature = signature;
  }
  return results;
}

BleuResult sentence_bleu_result(const std::string& hyp, const std::vector<std::string>& refs,
                                const BleuOptions& options) {
  std::vector<std::vector<std::string>> streams;
  streams.reserve(refs.size());
  for (const auto& ref : refs) streams.push_back({ref});
  return sentence_bleu_each({hyp}, streams, options).front();
}

std::vector<std::vector<int64_t>> bleu_sentence_statistics(const std::vector<std::string>& hyps,
                                                           const std::vector<std::vector<std::string>>& refs,
                                                           const BleuOptions& options) {
  metrics_detail::check_streams(hyps, refs);
  BleuScorer scorer(options);
  std::vector<std::vector<int64_t>> rows;
  rows.reserve(hyps.size());
  for (size_t i = 0; i < hyps.size(); ++i) {
    const SegmentStats stats = scorer.segment(hyps, refs, i);
    std::vector<int64_t> row{stats.sys_len, stats.ref_len};
    row.insert(row.end(), stats.correct.begin(), stats.correct.end());
    row.insert(row.end(), stats.total.begin(), stats.total.end());
    rows.push_back(std::move(row));
  }
  return rows;
}

double bleu_score_from_statistics(const std::vector<double>& sums) {
  if (sums.size() != 2 + 2 * kMaxOrder) throw Error("BLEU statistics need " + std::to_string(2 + 2 * kMaxOrder) + " values");
  // Sums of integer counts are exact in double, so the integer path serves them.
  SegmentStats stats;
  stats.sys_len = static_cast<int64_t>(sums[0]);
  stats.ref_len = static_cast<int64_t>(sums[1]);
  for (int n = 0; n < kMaxOrder; ++n) {
    stats.correct[n] = static_cast<int64_t>(sums[2 + n]);
    stats.total[n] = static_cast<int64_t>(sums[2 + kMaxOrder + n]);
  }
  return compute_bleu(stats, /*effective_order=*/false).score;
}

double sentence_bleu(const std::string& hyp, const std::vector<std::string>& refs, const BleuOptions& options) {
  return sentence_bleu_result(hyp, refs, options).score;
}

}  // namespace s2s
