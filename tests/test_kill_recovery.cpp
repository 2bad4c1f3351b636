// kill -9 at the worst moments of training (during a checkpoint write, between
// the best and the last checkpoint, before the first checkpoint) and resume:
// the run must end exactly where an uninterrupted one ends — the same
// parameters bit for bit, the same best checkpoint, every metrics step once —
// with no temporary file left behind. The fault points are named in
// lib/util/fault_injection.h. The hidden "[torture]" case kills at random
// moments instead (tests/kill_torture.sh runs it).
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "data/corpus.h"
#include "data/dataset.h"
#include "models/seq2seq.h"
#include "checkpoint_test_support.h"
#include "test_support.h"
#include "run/checkpoint.h"
#include "util/config.h"

using namespace s2s_test;

namespace {

constexpr int kSteps = 12;
const std::string kTortureSteps = "200";  // the random-kill run's length

std::string write_recovery_config(const ScratchDir& dir, const std::string& corpus) {
  nlohmann::json config = {
      {"model", {{"architecture", "rnn"}, {"embed_dim", 16}, {"hidden_dim", 16}, {"encoder_layers", 1},
                 {"decoder_layers", 1}, {"attention_dim", 16}, {"dropout", 0.1}}},
      {"data", {{"dir", corpus}, {"max_tokens", 200}}},
      {"train", {{"learning_rate", 0.003}, {"warmup_steps", 4}, {"max_steps", kSteps}, {"log_every", 1}, {"threads", 1}}},
      {"eval", {{"every_steps", 3}, {"max_sentences", 10}, {"metric", "loss"}}}};
  return dir.write("recovery.json", config.dump());
}

// One attempt as a user would make it: --resume when the run has a last checkpoint.
CommandResult attempt(const std::string& config, const std::string& run, const std::string& kill_at) {
  const bool has_last = std::filesystem::exists(run + "/checkpoint_last.pt");
  const std::string env = kill_at.empty() ? "" : "S2S_KILL_AT=" + kill_at + " ";
  const std::string args = has_last ? "train --resume --out " + run : "train --config " + config + " --out " + run;
  return run_s2s_with_env(env, args);
}

using Loaded = LoadedCheckpoint;
Loaded load(const std::string& run, const std::string& file) { return load_run_checkpoint(run, file); }

void require_identical(const Loaded& a, const Loaded& b) {
  REQUIRE(a.parameters.size() == b.parameters.size());
  for (size_t i = 0; i < a.parameters.size(); ++i) {
    INFO(a.parameters[i].first);
    CHECK(torch::equal(a.parameters[i].second, b.parameters[i].second));
  }
  CHECK(a.state["step"] == b.state["step"]);
  CHECK(a.state["best_metric"] == b.state["best_metric"]);
  CHECK(a.state["best_step"] == b.state["best_step"]);
  if (a.rng.defined() || b.rng.defined()) CHECK(torch::equal(a.rng, b.rng));
}

// (type, step, loss-or-dev-loss) of every metrics record, in order.
std::vector<std::string> metric_records(const std::string& run) {
  std::vector<std::string> records;
  for (const auto& line : s2s::read_lines(run + "/metrics.jsonl")) {
    auto j = nlohmann::json::parse(line);
    records.push_back(j["type"].get<std::string>() + " " + j["step"].dump() + " " +
                      (j.contains("loss") ? j["loss"].dump() : j.value("dev_loss", nlohmann::json()).dump()));
  }
  return records;
}

std::vector<std::string> temporaries(const std::string& run) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(run)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp.") != std::string::npos) found.push_back(name);
  }
  return found;
}

void require_same_run(const std::string& straight, const std::string& run) {
  require_identical(load(straight, "checkpoint_last.pt"), load(run, "checkpoint_last.pt"));
  require_identical(load(straight, "checkpoint_best.pt"), load(run, "checkpoint_best.pt"));
  CHECK(metric_records(run) == metric_records(straight));
  CHECK(temporaries(run).empty());
}

}  // namespace

TEST_CASE("training killed during a checkpoint write, between the checkpoints and before the first one ends as if never killed",
          "[training][kill]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "copy", 200, 2, 6);
  const std::string config = write_recovery_config(dir, corpus);
  const std::string straight = dir.file("straight"), run = dir.file("killed");
  REQUIRE(attempt(config, straight, "").exit_code == 0);

  // Each evaluation saves best (when the dev loss improved), then last: the
  // first kill hits the first best write, before any checkpoint exists.
  CHECK(attempt(config, run, "checkpoint_write:1").exit_code == 128 + 9);
  CHECK_FALSE(std::filesystem::exists(run + "/checkpoint_last.pt"));
  CHECK_FALSE(temporaries(run).empty());  // what the restart must clean
  // A fresh restart, killed at its second evaluation after best, before last:
  // best may be ahead of last, never behind it.
  CHECK(attempt(config, run, "between_checkpoints:2").exit_code == 128 + 9);
  CHECK(load(run, "checkpoint_last.pt").state["step"] == 3);
  CHECK(load(run, "checkpoint_best.pt").state["step"] >= 3);
  // Resumed from step 3, killed while writing its fourth checkpoint file.
  CHECK(attempt(config, run, "checkpoint_write:4").exit_code == 128 + 9);
  CHECK(load(run, "checkpoint_best.pt").state["step"] >= load(run, "checkpoint_last.pt").state["step"]);
  // Resumed to the end.
  auto finished = attempt(config, run, "");
  REQUIRE(finished.exit_code == 0);
  CHECK_THAT(finished.output, Catch::Contains("resumed from step"));
  require_same_run(straight, run);

  // Resuming the finished run trains nothing and logs nothing.
  const auto records = metric_records(run);
  auto again = attempt(config, run, "");
  REQUIRE(again.exit_code == 0);
  CHECK_THAT(again.output, Catch::Contains("already reached its budget"));
  CHECK(load(run, "checkpoint_last.pt").state["step"] == kSteps);
  CHECK(metric_records(run) == records);
}

TEST_CASE("a checkpoint write that fails for lack of space keeps the previous checkpoint and ends with a clear error",
          "[training][kill]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "copy", 200, 2, 6);
  const std::string config = write_recovery_config(dir, corpus);
  const std::string run = dir.file("run");
  REQUIRE(run_s2s("train --config " + config + " --set train.max_steps=3 --out " + run).exit_code == 0);
  const auto before = read_file(run + "/checkpoint_last.pt");
  // RLIMIT_FSIZE below a checkpoint's size: every checkpoint write fails (EFBIG).
  const auto limit_blocks = std::to_string(before.size() / 1024 / 2);
  auto full = run_s2s_with_env("", "train --resume --set train.max_steps=6 --out " + run, "ulimit -f " + limit_blocks + "; ");
  CHECK(full.exit_code == 1);
  CHECK_THAT(full.output, Catch::Contains("s2s: error: cannot write " + run + "/checkpoint_") &&
                              Catch::Contains("File too large"));
  CHECK_THAT(full.output, !Catch::Contains("Exception raised from"));
  CHECK(read_file(run + "/checkpoint_last.pt") == before);
  CHECK(temporaries(run).empty());
  // The run goes on from the kept checkpoint once there is room.
  auto resumed = run_s2s("train --resume --set train.max_steps=6 --out " + run);
  CHECK(resumed.exit_code == 0);
  CHECK(load(run, "checkpoint_last.pt").state["step"] == 6);
}

TEST_CASE("training killed at random moments ends as if never killed (S2S_TORTURE_KILLS kills)", "[.torture]") {
  const char* kills_text = std::getenv("S2S_TORTURE_KILLS");
  const int kills = kills_text ? std::atoi(kills_text) : 10;
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "copy", 400, 2, 8);
  const std::string config = write_recovery_config(dir, corpus);
  const std::string straight = dir.file("straight"), run = dir.file("killed");
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(run_s2s("train --config " + config + " --set train.max_steps=" + kTortureSteps + " --out " + straight).exit_code == 0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::mt19937 random(12345);
  std::uniform_real_distribution<double> moment(0.3, std::max(0.5, 0.6 * seconds));  // before a fresh run would end
  int killed = 0, killed_after_a_checkpoint = 0;
  for (int i = 0; i < kills + 50 && killed < kills; ++i) {
    const bool has_last = std::filesystem::exists(run + "/checkpoint_last.pt");
    if (has_last && read_file(run + "/checkpoint_last.pt").size() > 0) {
      if (s2s::read_checkpoint_state(run + "/checkpoint_last.pt")["step"] == std::stoi(kTortureSteps)) break;  // nothing left to kill
    }
    const std::string args = (has_last ? "train --resume --set train.max_steps=" + kTortureSteps + " --out " + run
                                       : "train --config " + config + " --set train.max_steps=" + kTortureSteps + " --out " + run);
    char delay[32];
    std::snprintf(delay, sizeof(delay), "%.2f", moment(random));
    auto result = run_s2s(args + " & pid=$!; sleep " + delay + "; kill -9 $pid 2>/dev/null; wait $pid");
    std::printf("torture: attempt %d (%s, kill after %s s): exit %d\n", i + 1, has_last ? "resume" : "fresh", delay,
                result.exit_code);
    if (result.exit_code == 137) {
      ++killed;
      killed_after_a_checkpoint += has_last;
    }
    if (result.exit_code == 0) break;  // finished before the kill
  }
  std::printf("torture: %d kills (%d of them resumed runs), straight run %.1f s\n", killed, killed_after_a_checkpoint,
              seconds);
  REQUIRE(run_s2s("train --resume --set train.max_steps=" + kTortureSteps + " --out " + run).exit_code == 0);
  require_same_run(straight, run);
}
