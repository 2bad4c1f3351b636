#include "report/findings.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "report/report_format.h"
#include "report/verdicts.h"

namespace s2s {

namespace {

using report::fixed;
using report::ModelInfo;
using report::number_at;
using report::significant;
using report::string_at;
using report::times;

// Points (length, ms) of one latency curve: finite, positive, sorted by length.
std::vector<std::pair<double, double>> latency_points(const ModelInfo& m, const std::string& kind) {
  std::vector<std::pair<double, double>> points;
  const nlohmann::json* curve = report::array_at(*m.json, "latency/" + kind);
  if (curve == nullptr) return points;
  // A curve where a longer input ran faster beyond the spread supports no conclusion about growth.
  if (const nlohmann::json* monotone = report::find_at(*m.json, "latency/monotone/" + kind);
      monotone != nullptr && monotone->is_boolean() && !monotone->get<bool>())
    return points;
  for (const auto& entry : *curve) {
    auto length = number_at(entry, "length");
    auto ms = number_at(entry, "ms");
    if (length && ms && *length > 0 && *ms > 0) points.emplace_back(*length, *ms);
  }
  std::sort(points.begin(), points.end());
  return points;
}

std::optional<double> ms_at(const std::vector<std::pair<double, double>>& points, double length) {
  for (const auto& p : points)
    if (p.first == length) return p.second;
  return std::nullopt;
}

struct Growth {
  double short_len, long_len, short_ms, long_ms;
  double ratio() const { return long_ms / short_ms; }
  double length_ratio() const { return long_len / short_len; }
  // Exponent k in ms ~ length^k between the two ends.
  double exponent() const { return std::log(ratio()) / std::log(length_ratio()); }
};

std::optional<Growth> growth_of(const std::vector<std::pair<double, double>>& points) {
  if (points.size() < 2 || points.front().first == points.back().first) return std::nullopt;
  return Growth{points.front().first, points.back().first, points.front().second, points.back().second};
}

std::string describe_growth(double exponent) {
  if (exponent > 1.25) return "faster than linear";
  if (exponent >= 0.75) return "roughly linear in length";
  if (exponent >= 0.3) return "sub-linear";
  return "nearly flat";
}

std::string length_text(double length) { return report::grouped(length); }

std::string growth_clause(const ModelInfo& m, const Growth& g) {
  return m.name + " " + significant(g.short_ms) + " ms at " + length_text(g.short_len) + " \xE2\x86\x92 " +
         significant(g.long_ms) + " ms at " + length_text(g.long_len) + " (" + times(g.ratio()) + " for " +
         times(g.length_ratio()) + " the length, " + describe_growth(g.exponent()) + ")";
}

std::string join(const std::vector<std::string>& parts, const std::string& last_sep = " and ",
                 const std::string& sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += (i + 1 == parts.size()) ? last_sep : sep;
    out += parts[i];
  }
  return out;
}

struct Scored {
  const ModelInfo* model;
  double value;
};

std::vector<Scored> scored(const std::vector<ModelInfo>& models, const std::string& path) {
  std::vector<Scored> out;
  for (const auto& m : models)
    if (auto v = number_at(*m.json, path)) out.push_back({&m, *v});
  std::stable_sort(out.begin(), out.end(), [](const Scored& a, const Scored& b) { return a.value > b.value; });
  return out;
}

bool same_at_one_decimal(double a, double b) { return std::fabs(a - b) < 0.05; }

// Which model has the best test BLEU, and by how much.
std::optional<std::string> bleu_finding(const std::vector<ModelInfo>& models, const nlohmann::json& results) {
  auto greedy = scored(models, "test/greedy/bleu");
  if (greedy.empty()) return std::string("No model has a test BLEU score in results.json, so quality is not compared.");
  std::string s;
  if (greedy.size() == 1) {
    s = "Only " + greedy[0].model->name + " has a test BLEU score (greedy decoding): " + fixed(greedy[0].value, 1) + ".";
    return s;
  }
  const Scored& best = greedy[0];
  if (same_at_one_decimal(best.value, greedy[1].value)) {
    s = "Test BLEU (greedy decoding) is tied at the top: " + best.model->name + " and " + greedy[1].model->name +
        " both score " + fixed(best.value, 1) + ".";
  } else {
    // A lead counts as a win only where the paired test (when the run has one) says it is significant.
    std::vector<std::string> behind;
    bool beats_every_transformer = true;
    for (std::size_t i = 1; i < greedy.size(); ++i) {
      auto verdict = report::find_verdict(results, best.model->name, greedy[i].model->name, "greedy");
      behind.push_back(greedy[i].model->name + " (" + fixed(greedy[i].value, 1) + ") by " +
                       fixed(best.value - greedy[i].value, 1) + (verdict ? report::verdict_qualifier(*verdict) : ""));
      if (greedy[i].model->is_transformer() && verdict && !verdict->significant) beats_every_transformer = false;
    }
    auto runner_up = report::find_verdict(results, best.model->name, greedy[1].model->name, "greedy");
    s = "Best test BLEU (greedy decoding): " + best.model->name + " with " + fixed(best.value, 1) +
        (runner_up && !runner_up->significant ? ", but not significantly ahead of everyone: " : ", ahead of ") +
        join(behind) + " BLEU.";
    bool any_transformer = std::any_of(models.begin(), models.end(), [](const ModelInfo& m) { return m.is_transformer(); });
    if (best.model->is_rnn() && any_transformer && beats_every_transformer)
      s += " Under this budget an RNN beat the Transformer.";
  }
  auto beam = scored(models, "test/beam/bleu");
  if (beam.size() >= 2) {
    auto beam_size = number_at(*beam[0].model->json, "test/beam/beam_size");
    std::string label = "With beam search" + (beam_size ? " (beam " + report::grouped(beam_size) + ")" : std::string());
    if (same_at_one_decimal(beam[0].value, beam[1].value)) {
      s += " " + label + " the top two tie at " + fixed(beam[0].value, 1) + ".";
    } else {
      s += " " + label + " the best is " + beam[0].model->name + " at " + fixed(beam[0].value, 1) + ", " +
           fixed(beam[0].value - beam[1].value, 1) + " above " + beam[1].model->name + ".";
    }
  }
  auto chrf = scored(models, "test/greedy/chrf");
  if (chrf.size() >= 2 && chrf[0].model != best.model && !same_at_one_decimal(chrf[0].value, chrf[1].value)) {
    s += " chrF ranks " + chrf[0].model->name + " first instead (" + fixed(chrf[0].value, 1) + ").";
  }
  return s;
}

// Training throughput of each Transformer against each RNN.
std::optional<std::string> throughput_finding(const std::vector<ModelInfo>& models, const nlohmann::json& results) {
  const std::string path = "training/target_tokens_per_second";
  std::vector<Scored> rnns, transformers;
  for (const auto& m : models) {
    auto v = number_at(*m.json, path);
    if (!v || *v <= 0) continue;
    if (m.is_rnn()) rnns.push_back({&m, *v});
    if (m.is_transformer()) transformers.push_back({&m, *v});
  }
  if (rnns.empty() || transformers.empty()) return std::nullopt;
  std::string device = string_at(results, "machine/device").value_or("");
  std::string s;
  for (const auto& t : transformers) {
    std::vector<std::string> parts;
    int faster = 0, slower = 0;
    for (const auto& r : rnns) {
      double ratio = t.value / r.value;
      parts.push_back(times(ratio) + " " + r.model->name + "'s " + report::grouped(r.value));
      if (ratio > 1.05) ++faster;
      if (ratio < 0.95) ++slower;
    }
    if (!s.empty()) s += " ";
    s += "Training throughput: " + t.model->name + " processed " + report::grouped(t.value) + " target tokens/s, " +
         join(parts) + ".";
    const int n = static_cast<int>(rnns.size());
    std::string where = device.empty() ? "on this machine" : "on this machine (device: " + device + ")";
    if (faster == n)
      s += " The Transformer trained faster than " + std::string(n == 1 ? "the RNN" : "every RNN") + " " + where + ".";
    else if (slower == n)
      s += " " + std::string(n == 1 ? "The RNN" : "Every RNN") + " trained faster than the Transformer " + where + ".";
    else if (faster == 0 && slower == 0)
      s += " Training speed was about the same (within 5%).";
    else
      s += " The Transformer was faster than some RNNs and slower than others.";
  }
  return s;
}

// How encoder latency grows from the shortest to the longest measured source length.
std::optional<std::string> encoder_finding(const std::vector<ModelInfo>& models) {
  std::vector<std::string> clauses;
  std::vector<std::pair<const ModelInfo*, Growth>> growths;
  for (const auto& m : models) {
    if (auto g = growth_of(latency_points(m, "encoder"))) {
      clauses.push_back(growth_clause(m, *g));
      growths.emplace_back(&m, *g);
    }
  }
  if (growths.empty()) return std::nullopt;
  std::string s = "Encoder latency vs source length: " + join(clauses, "; ", "; ") + ".";
  double t_max = -1, t_min = INFINITY, r_max = -1, r_min = INFINITY;
  for (const auto& [m, g] : growths) {
    if (m->is_transformer()) t_max = std::max(t_max, g.ratio()), t_min = std::min(t_min, g.ratio());
    if (m->is_rnn()) r_max = std::max(r_max, g.ratio()), r_min = std::min(r_min, g.ratio());
  }
  if (t_max > 0 && r_max > 0) {
    if (t_max < r_min)
      s += " The Transformer encoder's latency grew less with length than every RNN encoder's.";
    else if (t_min > r_max)
      s += " The Transformer encoder's latency grew more with length than every RNN encoder's.";
    else
      s += " Neither architecture's encoder latency grew consistently less with length.";
  }
  // Who is fastest at the longest length every model measured?
  double common_long = INFINITY;
  for (const auto& [m, g] : growths) common_long = std::min(common_long, g.long_len);
  const ModelInfo* fastest = nullptr;
  double fastest_ms = INFINITY;
  bool all_have = growths.size() >= 2;
  for (const auto& [m, g] : growths) {
    auto ms = ms_at(latency_points(*m, "encoder"), common_long);
    if (!ms) {
      all_have = false;
      break;
    }
    if (*ms < fastest_ms) fastest_ms = *ms, fastest = m;
  }
  if (all_have && fastest != nullptr)
    s += " At " + length_text(common_long) + " tokens the fastest encoder was " + fastest->name + " (" +
         significant(fastest_ms) + " ms).";
  return s;
}

// The Transformer decoder is parallel with teacher forcing but sequential when generating.
std::optional<std::string> autoregressive_finding(const std::vector<ModelInfo>& models) {
  std::string s;
  std::vector<std::string> rnn_clauses;
  for (const auto& m : models) {
    if (!m.is_rnn()) continue;
    if (auto g = growth_of(latency_points(m, "autoregressive")))
      rnn_clauses.push_back(times(g->ratio()) + " for " + m.name);
  }
  for (const auto& m : models) {
    if (!m.is_transformer()) continue;
    auto ar_points = latency_points(m, "autoregressive");
    auto g = growth_of(ar_points);
    if (!g) continue;
    if (!s.empty()) s += " ";
    const bool linear = g->exponent() >= 0.75;
    s += linear ? "Generating is sequential for the Transformer too: " : "The Transformer's generation latency grew less than linearly here: ";
    s += m.name + "'s autoregressive decoding took " + significant(g->short_ms) + " ms for " + length_text(g->short_len) +
         " output tokens and " + significant(g->long_ms) + " ms for " + length_text(g->long_len) + " (" +
         times(g->ratio()) + " for " + times(g->length_ratio()) + " the length, " + describe_growth(g->exponent()) + ")";
    if (!rnn_clauses.empty()) s += "; for comparison, autoregressive latency grew " + join(rnn_clauses) + " over their measured lengths";
    s += ".";
    auto tf_points = latency_points(m, "teacher_forced_decoder");
    // Compare with teacher forcing at the longest length both were measured at.
    for (auto it = ar_points.rbegin(); it != ar_points.rend(); ++it) {
      if (auto tf = ms_at(tf_points, it->first)) {
        double ratio = it->second / *tf;
        s += " With teacher forcing (the whole target at once, as in training) its decoder processed " +
             length_text(it->first) + " target tokens in " + significant(*tf) + " ms, " +
             (ratio >= 1 ? times(ratio) + " faster than generating them one by one."
                         : times(1 / ratio) + " slower than generating them one by one.");
        break;
      }
    }
  }
  if (s.empty()) return std::nullopt;
  return s;
}

struct Bucket {
  std::string name;
  std::optional<double> sentences;
  std::optional<double> bleu;
};

std::vector<Bucket> buckets_of(const ModelInfo& m) {
  std::vector<Bucket> out;
  const nlohmann::json* list = report::array_at(*m.json, "test/bleu_by_length");
  if (list == nullptr) return out;
  for (const auto& entry : *list) {
    Bucket b;
    b.name = string_at(entry, "bucket").value_or("");
    b.sentences = number_at(entry, "sentences");
    b.bleu = number_at(entry, "bleu");
    if (b.sentences && *b.sentences <= 0) b.bleu = std::nullopt;
    out.push_back(b);
  }
  return out;
}

std::optional<double> bleu_in(const std::vector<Bucket>& buckets, const std::string& name) {
  for (const auto& b : buckets)
    if (b.name == name) return b.bleu;
  return std::nullopt;
}

// BLEU on the longest bucket: RNN without attention against RNN with attention.
std::optional<std::string> bottleneck_finding(const std::vector<ModelInfo>& models, const nlohmann::json& results) {
  const ModelInfo* plain = nullptr;
  const ModelInfo* attentive = nullptr;
  for (const auto& m : models) {
    if (!m.is_rnn()) continue;
    if (m.attention == "none" && plain == nullptr) plain = &m;
    if (m.has_attention() && attentive == nullptr) attentive = &m;
  }
  if (plain == nullptr || attentive == nullptr) return std::nullopt;
  auto pb = buckets_of(*plain);
  auto ab = buckets_of(*attentive);
  // The longest bucket (last in the list) where both have a score, and the shortest likewise.
  std::optional<std::size_t> longest, shortest;
  for (std::size_t i = 0; i < pb.size(); ++i) {
    if (!pb[i].bleu || !bleu_in(ab, pb[i].name)) continue;
    if (!shortest) shortest = i;
    longest = i;
  }
  if (!longest) return std::nullopt;
  const Bucket& lb = pb[*longest];
  double p = *lb.bleu;
  double a = *bleu_in(ab, lb.name);
  std::string s = "On the longest source-length bucket with sentences (" + lb.name +
                  (lb.sentences ? ", " + report::grouped(lb.sentences) + " sentences" : std::string()) + "), " +
                  plain->name + " (no attention) scored " + fixed(p, 1) + " BLEU and " + attentive->name + " (" +
                  attentive->attention + " attention) " + fixed(a, 1) + ": ";
  auto verdict = report::find_bucket_verdict(results, plain->name, attentive->name, lb.name);
  if (same_at_one_decimal(a, p))
    s += "attention made no difference there.";
  else if (verdict && !verdict->significant)
    s += "a difference of " + fixed(std::fabs(a - p), 1) + " BLEU that this many sentences cannot tell from chance" +
         report::verdict_qualifier(*verdict) + ".";
  else if (a > p)
    s += "attention helped by " + fixed(a - p, 1) + " BLEU on long inputs" +
         (verdict ? report::verdict_qualifier(*verdict) : "") + ".";
  else
    s += "attention did not help there; the RNN without attention was " + fixed(p - a, 1) + " BLEU better" +
         (verdict ? report::verdict_qualifier(*verdict) : "") + ".";
  for (const auto& m : models) {
    if (!m.is_transformer()) continue;
    if (auto t = bleu_in(buckets_of(m), lb.name)) s += " On that bucket " + m.name + " scored " + fixed(*t, 1) + ".";
  }
  if (shortest && *shortest != *longest) {
    const Bucket& sb = pb[*shortest];
    double p_drop = *sb.bleu - p;
    double a_drop = *bleu_in(ab, sb.name) - a;
    auto change = [](double drop) {
      return drop >= 0 ? "lost " + fixed(drop, 1) : "gained " + fixed(-drop, 1);
    };
    s += " From the " + sb.name + " bucket to the " + lb.name + " bucket " + plain->name + " " + change(p_drop) +
         " BLEU and " + attentive->name + " " + change(a_drop) + ".";
  }
  return s;
}

// Where the RNN comes out ahead of the Transformer, whatever the numbers say.
std::optional<std::string> rnn_wins_finding(const std::vector<ModelInfo>& models, const nlohmann::json& results) {
  const ModelInfo* transformer = nullptr;
  {
    double best = -INFINITY;
    for (const auto& m : models) {
      if (!m.is_transformer()) continue;
      double bleu = number_at(*m.json, "test/greedy/bleu").value_or(-1e300);
      if (transformer == nullptr || bleu > best) transformer = &m, best = bleu;
    }
  }
  std::vector<const ModelInfo*> rnns;
  for (const auto& m : models)
    if (m.is_rnn()) rnns.push_back(&m);
  if (transformer == nullptr || rnns.empty()) return std::nullopt;
  const nlohmann::json& tj = *transformer->json;
  std::vector<std::string> wins;
  std::vector<std::string> checked;

  // Parameter count.
  if (auto tp = number_at(tj, "parameters")) {
    checked.push_back("parameter count");
    std::vector<std::string> who;
    for (const auto* r : rnns)
      if (auto rp = number_at(*r->json, "parameters"); rp && *rp < *tp)
        who.push_back(r->name + " " + report::parameter_count(rp));
    if (!who.empty())
      wins.push_back("fewer parameters (" + join(who) + " vs " + transformer->name + " " +
                     report::parameter_count(tp) + ")");
  }
  // Per-token autoregressive latency at the longest length both measured.
  auto t_ar = latency_points(*transformer, "autoregressive");
  if (!t_ar.empty()) {
    std::vector<std::string> who;
    bool compared = false;
    for (const auto* r : rnns) {
      auto r_ar = latency_points(*r, "autoregressive");
      for (auto it = t_ar.rbegin(); it != t_ar.rend(); ++it) {
        auto rms = ms_at(r_ar, it->first);
        if (!rms) continue;
        compared = true;
        if (*rms < it->second * 0.95)
          who.push_back(r->name + " " + significant(*rms / it->first) + " ms vs " + significant(it->second / it->first) +
                        " ms at " + length_text(it->first) + " output tokens");
        break;
      }
    }
    if (compared) checked.push_back("per-token decoding latency");
    if (!who.empty()) wins.push_back("lower autoregressive decoding latency per output token (" + join(who, "; ", "; ") + ")");
  }
  // Training throughput.
  if (auto tt = number_at(tj, "training/target_tokens_per_second")) {
    checked.push_back("training throughput");
    std::vector<std::string> who;
    for (const auto* r : rnns)
      if (auto rt = number_at(*r->json, "training/target_tokens_per_second"); rt && *rt > *tt * 1.05)
        who.push_back(r->name + " " + report::grouped(rt) + " vs " + report::grouped(tt) + " target tokens/s");
    if (!who.empty()) wins.push_back("higher training throughput (" + join(who, "; ", "; ") + ")");
  }
  // Test BLEU under the same budget.
  if (auto tb = number_at(tj, "test/greedy/bleu")) {
    checked.push_back("test BLEU");
    std::vector<std::string> who;
    for (const auto* r : rnns)
      if (auto rb = number_at(*r->json, "test/greedy/bleu"); rb && *rb > *tb + 0.05) {
        auto verdict = report::find_verdict(results, r->name, transformer->name, "greedy");
        if (verdict && !verdict->significant) continue;  // not a win
        who.push_back(r->name + " " + fixed(rb, 1) + " vs " + fixed(tb, 1) +
                      (verdict ? report::verdict_qualifier(*verdict) : ""));
      }
    if (!who.empty()) wins.push_back("better test BLEU under the same budget (" + join(who, "; ", "; ") + ")");
  }
  if (checked.empty()) return std::nullopt;
  if (wins.empty())
    return "On these numbers no RNN beat " + transformer->name + " on " + join(checked, " or ") + ".";
  return "Where the RNN wins against " + transformer->name + ": " + join(wins, "; ") + ".";
}

// Every pairwise difference the paired bootstrap tested, for greedy and for beam decoding.
std::vector<std::string> significance_findings(const nlohmann::json& results) {
  std::vector<std::string> out;
  const auto sentences = number_at(results, "significance/sentences");
  const auto resamples = number_at(results, "significance/resamples");
  for (const char* decoding : {"greedy", "beam"}) {
    std::vector<std::string> parts;
    for (const char* metric : {"BLEU", "chrF2"}) {
      std::vector<std::string> sentences_of_metric;
      for (const auto& v : report::verdicts(results, decoding, metric))
        sentences_of_metric.push_back(report::verdict_sentence(v));
      if (!sentences_of_metric.empty()) parts.push_back(join(sentences_of_metric, "; ", "; "));
    }
    if (parts.empty()) continue;
    out.push_back(std::string("Paired bootstrap, ") + (std::string(decoding) == "greedy" ? "greedy decoding" : "beam search") +
                  " (" + report::grouped(sentences) + " test sentences, " + report::grouped(resamples) +
                  " resamples): " + join(parts, ". chrF: ", ". ") + ".");
  }
  return out;
}

// Budgets are equal in time, not in work, when the machine was busy: say so.
std::optional<std::string> contention_finding(const std::vector<ModelInfo>& models) {
  std::vector<std::string> varied;
  for (const auto& m : models) {
    auto ratio = number_at(*m.json, "training/throughput_spread/ratio");
    if (ratio && *ratio > 2.0)
      varied.push_back(m.name + " " + times(*ratio) + " (" + report::grouped(number_at(*m.json, "training/throughput_spread/min")) +
                       "–" + report::grouped(number_at(*m.json, "training/throughput_spread/max")) + " target tok/s)");
  }
  if (varied.empty()) return std::nullopt;
  return "Warning: training throughput varied by more than 2\xC3\x97 during training for " + join(varied) +
         ", a sign that something else was using the machine; an equal wall-clock budget then buys unequal work. "
         "Compare the steps column, or set budget.max_steps for a machine-independent budget.";
}

// Latency curves left out of the conclusions because they were not monotone beyond their spread.
std::optional<std::string> non_monotone_finding(const std::vector<ModelInfo>& models) {
  std::vector<std::string> curves;
  for (const auto& m : models) {
    const nlohmann::json* flagged = report::array_at(*m.json, "latency/non_monotone");
    if (flagged == nullptr) continue;
    for (const auto& step : *flagged) {
      auto kind = string_at(step, "kind");
      if (!kind) continue;
      std::string name = *kind == "teacher_forced_decoder" ? "teacher-forced decoder" : *kind == "autoregressive" ? "generation" : *kind;
      curves.push_back(m.name + " " + name + " (" + report::grouped(number_at(step, "shorter")) + " tokens slower than " +
                       report::grouped(number_at(step, "longer")) + ")");
    }
  }
  if (curves.empty()) return std::nullopt;
  return "Not monotone beyond their measured spread, so no growth conclusion is drawn from them: " + join(curves) +
         ". Rerun `s2s bench` on a quiet machine for a clean curve.";
}

// Below ~5 BLEU the models have barely started to translate: rankings at that level rarely hold.
std::optional<std::string> undertrained_finding(const std::vector<ModelInfo>& models) {
  auto greedy = scored(models, "test/greedy/bleu");
  if (greedy.empty() || greedy.front().value >= 5.0) return std::nullopt;
  return "Every model is below 5 test BLEU (best " + fixed(greedy.front().value, 1) +
         "): they are undertrained at this budget, and the ranking may not hold with more training.";
}

}  // namespace

std::vector<std::string> derive_findings(const nlohmann::json& results) {
  const std::vector<ModelInfo> models = report::read_models(results);
  std::vector<std::string> findings;
  auto add = [&](std::optional<std::string> f) {
    if (f && !f->empty()) findings.push_back(std::move(*f));
  };
  add(undertrained_finding(models));
  add(contention_finding(models));
  add(bleu_finding(models, results));
  for (auto& f : significance_findings(results)) add(std::move(f));
  add(throughput_finding(models, results));
  add(encoder_finding(models));
  add(autoregressive_finding(models));
  add(bottleneck_finding(models, results));
  add(non_monotone_finding(models));
  add(rnn_wins_finding(models, results));
  return findings;
}

}  // namespace s2s
