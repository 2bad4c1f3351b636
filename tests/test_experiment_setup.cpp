// Starting `s2s compare` on one's own corpus: bare preset names resolve from the
// toolkit's models/, and --train-src/--train-trg --print-config prints a runnable
// experiment scaled to the corpus by the documented rule.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "compare/experiment.h"
#include "compare/experiment_setup.h"
#include "test_support.h"
#include "util/config.h"

using namespace s2s_test;
using Catch::Matchers::Contains;

TEST_CASE("a bare preset name resolves from the experiment's folder first, then the toolkit's models/", "[compare]") {
  ScratchDir dir;
  CHECK(s2s::resolve_preset(dir.path, "rnn-attention.json") == std::string(S2S_SOURCE_DIR) + "/models/rnn-attention.json");
  const auto own = dir.write("rnn-attention.json", "{}");
  CHECK(s2s::resolve_preset(dir.path, "rnn-attention.json") == own);
  const std::string message = error_of([&] { s2s::resolve_preset(dir.path, "no-such-preset.json"); });
  CHECK_THAT(message, Contains("no-such-preset.json not found; tried " + dir.path + "/no-such-preset.json"));
  CHECK_THAT(message, Contains(std::string(S2S_SOURCE_DIR) + "/models/no-such-preset.json"));
}

TEST_CASE("the corpus-size rule scales vocabulary, batches and held-out sets", "[compare]") {
  const auto bible = s2s::scale_for_corpus(29078, 25.4);
  CHECK(bible.vocab_size == 4000);
  CHECK(bible.max_tokens == 1500);
  CHECK(bible.test_size == 969);
  const auto tiny = s2s::scale_for_corpus(2000, 6.0);
  CHECK(tiny.vocab_size == 2000);
  CHECK(tiny.max_tokens == 300);
  CHECK(tiny.dev_size == 100);
  CHECK(s2s::scale_for_corpus(2000000, 20.0).vocab_size == 16000);
}

TEST_CASE("compare --train-src --train-trg --print-config prints a valid experiment and trains nothing", "[compare]") {
  ScratchDir dir;
  std::string src, trg;
  for (int i = 0; i < 400; ++i) {
    src += "uno dos tres " + std::to_string(i) + "\n";
    trg += "one two three " + std::to_string(i) + "\n";
  }
  const auto src_path = dir.write("own.es", src), trg_path = dir.write("own.en", trg);
  const auto result = run_s2s("compare --train-src " + src_path + " --train-trg " + trg_path +
                              " --budget-minutes 0.5 --print-config 2>/dev/null");
  REQUIRE(result.exit_code == 0);
  const auto experiment = nlohmann::json::parse(result.output);
  CHECK(experiment["corpus"]["train_src"] == src_path);
  CHECK(experiment["corpus"]["vocab_size"] == 2000);
  CHECK(experiment["corpus"]["test_size"] == 100);
  CHECK(experiment["budget"]["max_minutes"] == 0.5);
  CHECK(experiment["models"].size() == 3);
  CHECK(experiment["scaling"]["train_pairs"] == 400);
  // It is an experiment file `compare --config` accepts.
  CHECK_NOTHROW(s2s::merge_checked(s2s::default_experiment_config(), experiment, ""));
  // Usage errors exit non-zero without running anything.
  CHECK(run_s2s("compare --train-src " + src_path + " --print-config").exit_code != 0);
  CHECK(run_s2s("compare --config x.json --train-src " + src_path + " --train-trg " + trg_path + " --out " +
                dir.file("o")).exit_code != 0);
}
