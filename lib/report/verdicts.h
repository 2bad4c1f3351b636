#pragma once
// Reading the compare run's paired significance tests (results["significance"],
// written by lib/compare/test_outputs) and saying what they allow: a difference
// is called a win only when it is not zero and its paired-bootstrap p-value is
// below alpha; everything else is "not significant".
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace s2s::report {

// One pairwise difference, oriented so that `better` has the higher (or equal) score.
struct Verdict {
  std::string better, worse;
  std::string metric;  // "BLEU" or "chrF2"
  double difference = 0, lower = 0, upper = 0;  // better - worse, and its 95% bootstrap interval
  double p_value = 1;
  double alpha = 0.05;
  bool significant = false;  // difference > 0 and p < alpha
};

// The test of models a and b for `decoding` ("greedy" or "beam") and `metric`, or nullopt when
// results.json has none.
std::optional<Verdict> find_verdict(const nlohmann::json& results, const std::string& a, const std::string& b,
                                    const std::string& decoding, const std::string& metric = "BLEU");

// The greedy BLEU test of models a and b on one source-length bucket, or nullopt.
std::optional<Verdict> find_bucket_verdict(const nlohmann::json& results, const std::string& a, const std::string& b,
                                           const std::string& bucket);

// Every verdict for one decoding and metric, in the order of results.json.
std::vector<Verdict> verdicts(const nlohmann::json& results, const std::string& decoding,
                              const std::string& metric = "BLEU");

// "transformer beats rnn-attention by 2.3 BLEU, 95% CI [1.6, 3.0], p = 0.001", or
// "transformer and rnn-attention differ by 0.3 BLEU (95% CI [-0.5, 1.1], p = 0.21): not significant at 0.05",
// or "transformer and rnn-attention score the same BLEU".
std::string verdict_sentence(const Verdict& v);

// " (p = 0.001)" when significant, " (not significant at 0.05, p = 0.21)" otherwise.
std::string verdict_qualifier(const Verdict& v);

// "p = 0.001" (three decimals; never "p = 0.000").
std::string p_value_text(double p);

}  // namespace s2s::report
