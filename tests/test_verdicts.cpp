// The compare report's claims about differences: a difference is a win only
// when its paired test says so (p < 0.05) and it is not zero; the saved test
// outputs behind those tests are the detokenised translations, line-aligned.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "compare/test_outputs.h"
#include "report/findings.h"
#include "report/markdown_report.h"
#include "report/verdicts.h"
#include "test_support.h"
#include "util/atomic_file.h"

using nlohmann::json;
using Catch::Matchers::Contains;
using namespace s2s_test;

namespace {

json results_with(double bleu_a, double bleu_b, double difference, double p_value) {
  auto model = [](const std::string& name, const std::string& arch, double bleu) {
    return json{{"name", name}, {"architecture", arch}, {"attention", arch == "rnn" ? "bahdanau" : "multi-head"},
                {"parameters", 1000}, {"test", {{"greedy", {{"bleu", bleu}, {"chrf", 40.0}}}}}};
  };
  json metric = {{"a", bleu_a}, {"b", bleu_b}, {"difference", difference}, {"lower", difference - 1.0},
                 {"upper", difference + 1.0}, {"p_value", p_value}};
  return {{"models", {model("transformer", "transformer", bleu_a), model("rnn-attention", "rnn", bleu_b)}},
          {"significance",
           {{"alpha", 0.05}, {"sentences", 100}, {"resamples", 1000},
            {"pairs", {{{"decoding", "greedy"}, {"beam_size", 1}, {"a", "transformer"}, {"b", "rnn-attention"},
                        {"BLEU", metric}, {"chrF2", metric}}}}}}};
}

std::string all_findings(const json& results) {
  std::string text;
  for (const auto& f : s2s::derive_findings(results)) text += f + "\n";
  return text;
}

}  // namespace

TEST_CASE("a significant difference is called a win, with its interval and p-value", "[verdicts]") {
  const json results = results_with(12.3, 10.0, 2.3, 0.001);
  const auto v = s2s::report::find_verdict(results, "rnn-attention", "transformer", "greedy");
  REQUIRE(v);
  CHECK(v->significant);
  CHECK(v->better == "transformer");
  CHECK(s2s::report::verdict_sentence(*v) == "transformer beats rnn-attention by 2.3 BLEU, 95% CI [1.3, 3.3], p = 0.001");
  CHECK_THAT(all_findings(results), Contains("transformer beats rnn-attention by 2.3 BLEU"));
}

TEST_CASE("a difference with p >= 0.05 is never called a win", "[verdicts]") {
  for (double p : {0.05, 0.2, 0.9}) {
    const json results = results_with(12.3, 10.0, 2.3, p);
    const std::string text = all_findings(results);
    INFO(text);
    CHECK_THAT(text, !Contains("beats"));
    CHECK_THAT(text, Contains("not significant at 0.05"));
    CHECK_THAT(text, Contains("by 2.3 (not significant at 0.05"));
    CHECK_THAT(s2s::report::render_markdown(results), Contains("| not significant |"));
  }
}

TEST_CASE("an RNN ahead of the Transformer without significance is not said to beat it", "[verdicts]") {
  const json results = results_with(10.0, 10.4, -0.4, 0.4);
  const std::string text = all_findings(results);
  CHECK_THAT(text, !Contains("an RNN beat the Transformer"));
  CHECK_THAT(text, !Contains("better test BLEU under the same budget"));
}

TEST_CASE("a zero difference is never a win, even with sacreBLEU's p = 1/(N+1)", "[verdicts]") {
  // sacreBLEU counts strictly larger resampled differences, so identical systems get p = 1/1001.
  const json results = results_with(10.0, 10.0, 0.0, 1.0 / 1001);
  const auto v = s2s::report::find_verdict(results, "transformer", "rnn-attention", "greedy");
  REQUIRE(v);
  CHECK_FALSE(v->significant);
  CHECK(s2s::report::verdict_sentence(*v) == "transformer and rnn-attention score the same BLEU");
  CHECK_THAT(all_findings(results), !Contains("beats"));
  CHECK_THAT(s2s::report::render_markdown(results), Contains("| no difference |"));
}

TEST_CASE("pairwise significance of identical outputs is a zero difference and not significant", "[verdicts]") {
  ScratchDir dir;
  s2s::TestSet test;
  test.sources = {"uno dos tres cuatro cinco", "cuatro cinco seis siete", "seis siete ocho nueve", "diez once doce trece"};
  test.references = {"one two three four five", "four five six seven", "six seven eight nine", "ten eleven twelve thirteen"};
  const std::vector<std::string> same = {"one two three four five", "four five six seven", "six seven eight nine ten",
                                         "ten eleven twelve"};
  const std::vector<std::string> worse = {"one two", "four", "six seven", "eleven"};
  auto save = [&](const std::string& name, const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    s2s::write_text_atomically(s2s::output_path(dir.path, name, 1), text);
  };
  save("a", same);
  save("b", same);
  save("c", worse);
  const json sig = s2s::pairwise_significance({"a", "b", "c"}, dir.path, test, 1);
  REQUIRE(sig["pairs"].size() == 3);
  const json& ab = sig["pairs"][0];
  CHECK(ab["BLEU"]["difference"] == 0.0);
  CHECK(ab["BLEU"]["p_value"].get<double>() == Approx(1.0 / 1001));
  CHECK(ab["BLEU"]["significant"] == false);
  const json& ac = sig["pairs"][1];
  CHECK(ac["BLEU"]["difference"].get<double>() > 0);
  CHECK(ac["BLEU"]["lower"].get<double>() <= ac["BLEU"]["difference"].get<double>());
  CHECK(ac["BLEU"]["upper"].get<double>() >= ac["BLEU"]["difference"].get<double>());
}

TEST_CASE("s2s bleu --paired-bs --json prints the documented layout, baseline first", "[verdicts][cli]") {
  ScratchDir dir;
  const auto ref = dir.write("ref.txt", "the cat sat on the mat\na dog barked at night\nit rained all day long\n");
  const auto base = dir.write("base.txt", "the cat sat on a mat\na dog barked\nit rained all day\n");
  const auto sys = dir.write("sys.txt", "cat on mat\ndog\nrain\n");
  const auto result = run_s2s("bleu --ref " + ref + " --hyp " + base + " --hyp " + sys + " --paired-bs --paired-bs-n 50 --json");
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const json out = json::parse(result.output);
  REQUIRE(out["systems"].size() == 2);
  CHECK(out["systems"][0]["name"] == base);
  CHECK(out["systems"][0]["BLEU"]["p_value"].is_null());
  CHECK(out["systems"][0]["BLEU"]["mean"].is_number());
  CHECK(out["systems"][1]["chrF2"]["p_value"].is_number());
  CHECK(out["signatures"]["BLEU"].get<std::string>().find("bs:50|seed:12345|") != std::string::npos);
  // Usage errors: one test at a time, and a paired test needs two systems.
  CHECK(run_s2s("bleu --ref " + ref + " --hyp " + base + " --paired-bs").exit_code != 0);
  CHECK(run_s2s("bleu --ref " + ref + " --hyp " + base + " --hyp " + sys + " --paired-bs --paired-ar").exit_code != 0);
}

TEST_CASE("the long-sentence finding does not credit attention with a difference its bucket test rejects",
          "[verdicts]") {
  auto rnn = [](const std::string& name, const std::string& attention, double long_bleu) {
    return json{{"name", name}, {"architecture", "rnn"}, {"attention", attention},
                {"test", {{"bleu_by_length", {{{"bucket", "41-60"}, {"sentences", 9}, {"bleu", long_bleu}}}}}}};
  };
  auto with_p = [&](double p) {
    json results = {{"models", {rnn("rnn", "none", 2.0), rnn("rnn-attention", "bahdanau", 4.5)}}};
    results["significance"] = json::parse(R"({"alpha": 0.05, "pairs": [{"decoding": "greedy", "a": "rnn",
        "b": "rnn-attention", "bleu_by_length": [{"bucket": "41-60", "sentences": 9, "a": 2.0, "b": 4.5,
        "difference": -2.5, "lower": -6.0, "upper": 1.0, "p_value": 0}]}]})");
    results["significance"]["pairs"][0]["bleu_by_length"][0]["p_value"] = p;
    return results;
  };
  const std::string noisy = all_findings(with_p(0.3));
  CHECK_THAT(noisy, Contains("cannot tell from chance (not significant at 0.05, p = 0.300)"));
  CHECK_THAT(noisy, !Contains("attention helped"));
  CHECK_THAT(all_findings(with_p(0.01)), Contains("attention helped by 2.5 BLEU on long inputs (p = 0.010)"));
}
