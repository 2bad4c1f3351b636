// Data-parallel training on c10d (Gloo over loopback): N processes with their
// shares of each step's batches must train like one process with all of them,
// a run must resume with another number of processes, and a rank that dies or
// never arrives must stop every other rank with a message that names it.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "checkpoint_test_support.h"
#include "distributed/launcher.h"
#include "test_support.h"

using namespace s2s_test;

namespace {

nlohmann::json tiny_model(const std::string& architecture) {
  if (architecture == "rnn") {
    return {{"architecture", "rnn"}, {"embed_dim", 16}, {"hidden_dim", 16}, {"encoder_layers", 1},
            {"decoder_layers", 1}, {"attention_dim", 16}, {"dropout", 0.0}};
  }
  return {{"architecture", "transformer"}, {"d_model", 16}, {"heads", 2}, {"ff_dim", 32}, {"encoder_layers", 1},
          {"decoder_layers", 1}, {"dropout", 0.0}};
}

// Small batches, so a step of 2 × 1 batches is two different batches; eval every 6 steps.
std::string write_config(const ScratchDir& dir, const std::string& corpus, const std::string& architecture) {
  nlohmann::json config = {
      {"model", tiny_model(architecture)},
      {"data", {{"dir", corpus}, {"max_tokens", 60}}},
      {"train", {{"learning_rate", 0.003}, {"warmup_steps", 2}, {"max_steps", 12}, {"log_every", 1}, {"threads", 1},
                 {"keep_last", 2}, {"distributed_timeout_seconds", 30}}},
      {"eval", {{"every_steps", 6}, {"bleu", false}, {"metric", "loss"}}}};
  return dir.write(architecture + ".json", config.dump());
}

// The largest absolute difference between two checkpoints' parameters.
double max_difference(const LoadedCheckpoint& a, const LoadedCheckpoint& b) {
  REQUIRE(a.parameters.size() == b.parameters.size());
  double largest = 0.0;
  for (size_t i = 0; i < a.parameters.size(); ++i) {
    REQUIRE(a.parameters[i].first == b.parameters[i].first);
    largest = std::max(largest, (a.parameters[i].second - b.parameters[i].second).abs().max().item<double>());
  }
  return largest;
}

bool any_change(const LoadedCheckpoint& a, const LoadedCheckpoint& b) { return max_difference(a, b) > 1e-4; }

void require_ok(const CommandResult& result) {
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
}

std::string world_env(int rank, int world, int port) {
  return "RANK=" + std::to_string(rank) + " WORLD_SIZE=" + std::to_string(world) +
         " MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port) + " ";
}

// Shell: waits up to 60 s for the process in $launcher, then kills it and its
// workers (a failing test must not leave a training run behind); prints its exit status.
std::string wait_for_launcher() {
  return "for i in $(seq 600); do kill -0 $launcher 2>/dev/null || break; sleep 0.1; done; "
         "kill -0 $launcher 2>/dev/null && { echo 'the launcher did not stop'; pkill -KILL -P $launcher; kill -KILL $launcher; }; "
         "wait $launcher; echo \"launcher exit $?\"";
}

}  // namespace

TEST_CASE("two processes train like one process on the combined batches, and resume with another count",
          "[distributed]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "reverse", 300, 3, 8);
  for (const std::string architecture : {"transformer", "rnn"}) {
    SECTION(architecture) {
      const std::string config = write_config(dir, corpus, architecture);
      // The reference: one process, 2 batches a step, 12 steps (kept checkpoints at 6 and 12).
      const std::string single = dir.file(architecture + "-single");
      require_ok(run_s2s("train --config " + config + " --set train.accumulate=2 --out " + single));

      // Two processes, one batch each a step: the same step 6; then resumed as one process.
      const std::string parallel = dir.file(architecture + "-parallel");
      require_ok(run_s2s("train --config " + config + " --nproc 2 --set train.max_steps=6 --out " + parallel));
      const auto reference6 = load_run_checkpoint(single, "checkpoint_step6.pt");
      const auto parallel6 = load_run_checkpoint(parallel, "checkpoint_last.pt");
      CHECK(parallel6.state["step"] == 6);
      CHECK(any_change(load_run_checkpoint(single, "checkpoint_step12.pt"), reference6));
      CHECK(max_difference(reference6, parallel6) < 1e-5);
      const auto metrics = read_file(parallel + "/metrics.jsonl");
      CHECK(metrics.find("\"world_size\":2") != std::string::npos);
      CHECK(metrics.find("communication_seconds_per_step") != std::string::npos);

      require_ok(run_s2s("train --resume --out " + parallel + " --set train.accumulate=2 --set train.max_steps=12"));
      const auto reference12 = load_run_checkpoint(single, "checkpoint_last.pt");
      CHECK(load_run_checkpoint(parallel, "checkpoint_last.pt").state["step"] == 12);
      CHECK(max_difference(reference12, load_run_checkpoint(parallel, "checkpoint_last.pt")) < 1e-5);

      // The reverse: one process for 6 steps, resumed as two.
      const std::string grown = dir.file(architecture + "-grown");
      require_ok(run_s2s("train --config " + config + " --set train.accumulate=2 --set train.max_steps=6 --out " + grown));
      require_ok(run_s2s("train --resume --out " + grown + " --nproc 2 --set train.accumulate=1 --set train.max_steps=12"));
      CHECK(max_difference(reference12, load_run_checkpoint(grown, "checkpoint_last.pt")) < 1e-5);
      // Rank 0 alone wrote the metrics: every step once.
      int train_records = 0;
      std::istringstream lines(read_file(grown + "/metrics.jsonl"));
      for (std::string line; std::getline(lines, line);) train_records += line.find("\"type\":\"train\"") != std::string::npos;
      CHECK(train_records == 12);
    }
  }
}

TEST_CASE("a killed rank stops the others with a message that names it, within the timeout", "[distributed]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "reverse", 300, 3, 8);
  const std::string config = write_config(dir, corpus, "rnn");
  const std::string settings = " --set train.max_steps=100000 --set eval.every_steps=0 --set train.distributed_timeout_seconds=20";

  SECTION("torchrun-style ranks: rank 1 killed, rank 0 names it") {
    const int port = s2s::free_local_port();
    const std::string run = dir.file("killed");
    const std::string binary = S2S_BINARY;
    // Rank 1 in the background; once rank 0 has logged a step, rank 1 gets kill -9.
    const std::string command =
        world_env(1, 2, port) + binary + " train --config " + config + settings + " --out " + run +
        " > " + dir.file("rank1.log") + " 2>&1 & rank1=$!; "
        "( for i in $(seq 600); do grep -q '\"type\":\"train\"' " + run + "/metrics.jsonl 2>/dev/null && break; sleep 0.1; done; "
        "kill -9 $rank1 ) & " +
        world_env(0, 2, port) + binary + " train --config " + config + settings + " --out " + run;
    const auto start = std::chrono::steady_clock::now();
    const CommandResult result = run_shell(command);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK(result.output.find("rank 1 stopped responding") != std::string::npos);
    CHECK(result.output.find("Exception raised from") == std::string::npos);
    CHECK(seconds < 60 + 20);
    // Rank 0 wrote no checkpoint after the failure that could look whole and newer.
    CHECK(!std::filesystem::exists(run + "/summary.json"));
  }

  SECTION("a rank that stops on an error is quoted by the others") {
    const int port = s2s::free_local_port();
    const std::string run = dir.file("failed");
    // --init-from may differ between ranks (rank 0's weights are broadcast), so
    // rank 1 passes the rendezvous and then fails on its own.
    const std::string command =
        world_env(1, 2, port) + std::string(S2S_BINARY) + " train --config " + config + settings + " --out " + run +
        " --init-from " + dir.file("no-such-run") + " > " + dir.file("rank1.log") + " 2>&1 & " +
        world_env(0, 2, port) + std::string(S2S_BINARY) + " train --config " + config + settings + " --out " + run;
    const CommandResult result = run_shell(command);
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK(result.output.find("rank 1 stopped on an error: --init-from: " + dir.file("no-such-run") + " does not exist") !=
          std::string::npos);
    CHECK(!std::filesystem::exists(run));
  }

  SECTION("--nproc: a worker killed, the launcher names it and the others stop") {
    const std::string run = dir.file("launched");
    const std::string command =
        std::string(S2S_BINARY) + " train --config " + config + settings + " --nproc 2 --out " + run +
        " & launcher=$!; "
        "for i in $(seq 600); do grep -q '\"type\":\"train\"' " + run + "/metrics.jsonl 2>/dev/null && break; sleep 0.1; done; "
        "for p in $(pgrep -P $launcher); do tr '\\0' '\\n' < /proc/$p/environ | grep -qx RANK=1 && kill -9 $p; done; " +
        wait_for_launcher();
    const CommandResult result = run_shell(command);
    INFO(result.output);
    CHECK(result.output.find("worker rank 1") != std::string::npos);
    CHECK(result.output.find("killed by signal 9") != std::string::npos);
    CHECK(result.output.find("rank 1 stopped responding") != std::string::npos);
    CHECK(result.output.find("launcher exit 1") != std::string::npos);
  }
}

TEST_CASE("Ctrl-C stops every worker of --nproc together, with one checkpoint to resume from", "[distributed]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "reverse", 300, 3, 8);
  const std::string config = write_config(dir, corpus, "rnn");
  const std::string run = dir.file("interrupted");
  // setsid: the launcher and its workers form one process group, as in a terminal.
  const std::string command =
      "setsid " + std::string(S2S_BINARY) + " train --config " + config +
      " --set train.max_steps=100000 --set eval.every_steps=0 --nproc 2 --out " + run + " & launcher=$!; "
      "for i in $(seq 600); do grep -q '\"type\":\"train\"' " + run + "/metrics.jsonl 2>/dev/null && break; sleep 0.1; done; "
      "kill -INT -$launcher; "
      // The launcher forwards the signal as SIGTERM; repeat that late copy until the workers are gone.
      "for i in $(seq 40); do pkill -TERM -P $launcher || break; sleep 0.05; done; " +
      wait_for_launcher();
  const CommandResult result = run_shell(command);
  INFO(result.output);
  CHECK(result.output.find("launcher exit 0") != std::string::npos);
  CHECK(result.output.find("checkpoint saved, continue with --resume") != std::string::npos);
  CHECK(result.output.find("error") == std::string::npos);
  const auto summary = nlohmann::json::parse(read_file(run + "/summary.json"));
  CHECK(summary["stopped_because"] == "interrupted");
  CHECK(load_run_checkpoint(run, "checkpoint_last.pt").state["step"] == summary["steps"]);
}

TEST_CASE("a rank that never arrives, or a malformed environment, is named", "[distributed]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "reverse", 100, 3, 8);
  const std::string config = write_config(dir, corpus, "rnn");
  const std::string run = dir.file("alone");

  auto alone = run_s2s_with_env(world_env(0, 3, s2s::free_local_port()),
                                "train --config " + config + " --set train.distributed_timeout_seconds=2 --out " + run);
  INFO(alone.output);
  CHECK(alone.exit_code == 1);
  CHECK(alone.output.find("ranks 1, 2 of 3 never arrived") != std::string::npos);
  CHECK(!std::filesystem::exists(run));

  auto bad_rank = run_s2s_with_env("RANK=2 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 ",
                                   "train --config " + config + " --out " + run);
  CHECK(bad_rank.exit_code == 2);
  CHECK(bad_rank.output.find("RANK") != std::string::npos);
  auto no_address = run_s2s_with_env("RANK=0 WORLD_SIZE=2 MASTER_PORT=29999 ", "train --config " + config + " --out " + run);
  CHECK(no_address.exit_code == 2);
  CHECK(no_address.output.find("MASTER_ADDR") != std::string::npos);
  auto nested = run_s2s_with_env(world_env(0, 2, 29999), "train --config " + config + " --nproc 2 --out " + run);
  CHECK(nested.exit_code == 2);
  CHECK(!std::filesystem::exists(run));
}

TEST_CASE("compare trains its models data-parallel with \"nproc\"", "[distributed]") {
  ScratchDir dir;
  const std::string corpus = make_synthetic_corpus(dir, "reverse", 200, 3, 8);
  dir.write("rnn.json", nlohmann::json{{"model", tiny_model("rnn")}}.dump());
  nlohmann::json experiment = {
      {"name", "parallel"},
      {"threads", 1},
      {"nproc", 2},
      {"corpus", {{"dir", corpus}}},
      {"models", {{{"name", "rnn"}, {"preset", "rnn.json"}}}},
      {"shared", {{"train", {{"log_every", 1}}}, {"eval", {{"every_steps", 0}, {"max_sentences", 5}}}}},
      {"budget", {{"max_steps", 4}}},
      {"test", {{"max_sentences", 5}, {"beam", 2}}},
      {"latency", {{"lengths", {4}}, {"repeats", 1}}},
      {"attention_examples", 0}};
  auto result = run_s2s("compare --config " + dir.write("experiment.json", experiment.dump()) + " --out " + dir.file("out"));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(result.output.find("training in 2 processes") != std::string::npos);
  auto results = nlohmann::json::parse(read_file(dir.file("out/results.json")));
  CHECK(results["models"][0]["training"]["steps"] == 4);
  CHECK(read_file(dir.file("out/models/rnn/metrics.jsonl")).find("\"world_size\":2") != std::string::npos);

  experiment["nproc"] = 0;
  auto bad = run_s2s("compare --config " + dir.write("bad.json", experiment.dump()) + " --out " + dir.file("bad"));
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("experiment key nproc") != std::string::npos);
}
