#include "report/verdicts.h"

#include <algorithm>

#include "report/report_format.h"

namespace s2s::report {
namespace {

// `figures` holds difference/lower/upper/p_value (a pair's metric entry or one of its buckets).
std::optional<Verdict> verdict_of(const nlohmann::json& pair, const nlohmann::json& figures,
                                  const nlohmann::json& results, const std::string& metric) {
  auto a = string_at(pair, "a"), b = string_at(pair, "b");
  auto difference = number_at(figures, "difference");
  auto lower = number_at(figures, "lower"), upper = number_at(figures, "upper");
  auto p = number_at(figures, "p_value");
  if (!a || !b || !difference || !lower || !upper || !p) return std::nullopt;
  Verdict v;
  v.metric = metric;
  v.alpha = number_at(results, "significance/alpha").value_or(0.05);
  v.p_value = *p;
  if (*difference >= 0) {
    v.better = *a, v.worse = *b;
    v.difference = *difference, v.lower = *lower, v.upper = *upper;
  } else {
    v.better = *b, v.worse = *a;
    v.difference = -*difference, v.lower = -*upper, v.upper = -*lower;
  }
  v.significant = v.difference > 0 && v.p_value < v.alpha;
  return v;
}

}  // namespace

std::string p_value_text(double p) { return p < 0.001 ? "p < 0.001" : "p = " + fixed(p, 3); }

std::vector<Verdict> verdicts(const nlohmann::json& results, const std::string& decoding, const std::string& metric) {
  std::vector<Verdict> out;
  const nlohmann::json* pairs = array_at(results, "significance/pairs");
  if (pairs == nullptr) return out;
  for (const auto& pair : *pairs) {
    if (string_at(pair, "decoding") != decoding) continue;
    if (const nlohmann::json* figures = find_at(pair, metric))
      if (auto v = verdict_of(pair, *figures, results, metric)) out.push_back(*v);
  }
  return out;
}

std::optional<Verdict> find_verdict(const nlohmann::json& results, const std::string& a, const std::string& b,
                                    const std::string& decoding, const std::string& metric) {
  for (const Verdict& v : verdicts(results, decoding, metric))
    if ((v.better == a && v.worse == b) || (v.better == b && v.worse == a)) return v;
  return std::nullopt;
}

std::optional<Verdict> find_bucket_verdict(const nlohmann::json& results, const std::string& a, const std::string& b,
                                           const std::string& bucket) {
  const nlohmann::json* pairs = array_at(results, "significance/pairs");
  if (pairs == nullptr) return std::nullopt;
  for (const auto& pair : *pairs) {
    if (string_at(pair, "decoding") != std::string("greedy")) continue;
    const auto pa = string_at(pair, "a"), pb = string_at(pair, "b");
    if (!((pa == a && pb == b) || (pa == b && pb == a))) continue;
    if (const nlohmann::json* buckets = array_at(pair, "bleu_by_length"))
      for (const auto& entry : *buckets)
        if (string_at(entry, "bucket") == bucket) return verdict_of(pair, entry, results, "BLEU");
  }
  return std::nullopt;
}

std::string verdict_sentence(const Verdict& v) {
  // Two decimals where one would print a real difference as 0.0.
  const int decimals = v.difference != 0 && v.difference < 0.05 ? 2 : 1;
  const std::string interval = "95% CI [" + fixed(v.lower, decimals) + ", " + fixed(v.upper, decimals) + "]";
  if (v.difference == 0) return v.better + " and " + v.worse + " score the same " + v.metric;
  if (v.significant)
    return v.better + " beats " + v.worse + " by " + fixed(v.difference, decimals) + " " + v.metric + ", " + interval +
           ", " + p_value_text(v.p_value);
  return v.better + " and " + v.worse + " differ by " + fixed(v.difference, decimals) + " " + v.metric + " (" +
         interval + ", " + p_value_text(v.p_value) + "): not significant at " + significant(v.alpha, 2);
}

std::string verdict_qualifier(const Verdict& v) {
  if (v.significant) return " (" + p_value_text(v.p_value) + ")";
  return " (not significant at " + significant(v.alpha, 2) + ", " + p_value_text(v.p_value) + ")";
}

}  // namespace s2s::report
