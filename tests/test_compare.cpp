// A whole `s2s compare` experiment, in miniature: two models on a synthetic
// corpus, a few steps each; the report files and results fields must exist.
#include <algorithm>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace s2s_test;

TEST_CASE("a small compare experiment writes results.json, report.md and report.html with every section",
          "[compare]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "reverse", 300, 4, 10);
  dir.write("rnn.json", R"({"model": {"architecture": "rnn", "embed_dim": 16, "hidden_dim": 16, "encoder_layers": 1,
                                       "decoder_layers": 1, "attention": "bahdanau", "attention_dim": 16}})");
  dir.write("transformer.json", R"({"model": {"architecture": "transformer", "d_model": 16, "heads": 2, "ff_dim": 32,
                                               "encoder_layers": 1, "decoder_layers": 1}})");
  nlohmann::json experiment = {
      {"name", "test"},
      {"threads", 1},
      {"corpus", {{"dir", corpus}}},
      {"models", {{{"name", "rnn-attention"}, {"preset", "rnn.json"}}, {{"name", "transformer"}, {"preset", "transformer.json"}}}},
      {"shared", {{"train", {{"log_every", 2}}}, {"eval", {{"every_steps", 4}, {"max_sentences", 10}}}}},
      {"budget", {{"max_steps", 8}}},
      {"test", {{"max_sentences", 20}, {"beam", 2}}},
      {"latency", {{"lengths", {4, 8}}, {"repeats", 1}}},
      {"attention_examples", 1}};
  const auto config = dir.write("experiment.json", experiment.dump());
  auto result = run_s2s("compare --config " + config + " --out " + dir.file("out"));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);

  auto results = nlohmann::json::parse(read_file(dir.file("out/results.json")));
  REQUIRE(results["models"].size() == 2);
  for (const auto& model : results["models"]) {
    CHECK(model["parameters"].get<int64_t>() > 0);
    CHECK(model["training"]["steps"] == 8);
    CHECK(model["training"]["target_tokens_per_second"].get<double>() > 0);
    CHECK(model["training"]["curve"].size() >= 4);
    CHECK(model["test"]["greedy"].contains("bleu"));
    CHECK(model["test"]["beam"]["beam_size"] == 2);
    CHECK(model["test"]["bleu_by_length"].size() == 6);
    CHECK(model["latency"]["encoder"].size() == 2);
    CHECK(model["latency"]["autoregressive"].size() == 2);
    CHECK(model["attention_examples"].size() == 1);
  }
  CHECK(results["models"][1]["attention_examples"][0].contains("heads"));

  // Every test output is saved, line-aligned with the saved source, and is what `translate` prints.
  const std::string outputs = dir.file("out/outputs");
  const std::string saved_source = read_file(outputs + "/test.src.txt");
  CHECK(std::count(saved_source.begin(), saved_source.end(), '\n') == 20);
  for (const char* name : {"rnn-attention", "transformer"}) {
    const std::string greedy = read_file(outputs + "/" + name + ".greedy.txt");
    CHECK(std::count(greedy.begin(), greedy.end(), '\n') == 20);
    const std::string beam = read_file(outputs + "/" + name + ".beam2.txt");
    CHECK(std::count(beam.begin(), beam.end(), '\n') == 20);
    auto translated = run_s2s("translate --model " + dir.file("out/models/") + name + " --beam 1 --input " + outputs +
                              "/test.src.txt 2>/dev/null");
    REQUIRE(translated.exit_code == 0);
    CHECK(translated.output == greedy);
  }
  // Significance of the one pair, greedy and beam; intervals on the buckets with sentences.
  REQUIRE(results["significance"]["pairs"].size() == 2);
  for (const auto& pair : results["significance"]["pairs"]) {
    CHECK(pair["BLEU"]["p_value"].get<double>() > 0);
    CHECK(pair["BLEU"]["lower"].get<double>() <= pair["BLEU"]["upper"].get<double>());
  }
  for (const auto& bucket : results["models"][0]["test"]["bleu_by_length"])
    if (bucket["sentences"].get<int>() > 0) CHECK(bucket.contains("bleu_lower"));
  CHECK(results["test_set"]["sentences"] == 20);
  CHECK(!results["examples"].empty());
  CHECK(results.contains("machine"));
  const std::string html = read_file(dir.file("out/report.html"));
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("NaN") == std::string::npos);
  CHECK(read_file(dir.file("out/report.md")).find("transformer") != std::string::npos);

  // Running it again reuses the trained models instead of retraining them.
  auto again = run_s2s("compare --config " + config + " --out " + dir.file("out"));
  REQUIRE(again.exit_code == 0);
  CHECK_THAT(again.output, Catch::Contains("already trained"));
}
