#pragma once
// Helpers shared by the pipeline, search, training and compare tests: a
// temporary directory, running the built s2s binary, and a small prepared
// synthetic corpus.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <vector>

#include "data/corpus.h"
#include "data/prepare.h"
#include "data/synthetic.h"
#include "util/error.h"

namespace s2s_test {

// The message of the s2s::Error that `fn` throws (fails the test when none is thrown).
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const s2s::Error& e) {
    return e.what();
  }
  FAIL("expected an s2s::Error");
  return {};
}

struct ScratchDir {
  std::string path;
  ScratchDir() {
    char pattern[] = "/tmp/s2s-test-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~ScratchDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string& name) const { return path + "/" + name; }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::binary) << text;
    return file(name);
  }
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell script, capturing its stdout and stderr together ({ SCRIPT; } 2>&1).
inline CommandResult run_shell(const std::string& script) {
  CommandResult result;
  std::string command = "{ " + script + "; } 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// Runs `PREFIX ENV s2s ARGS` through the shell, capturing stdout and stderr together: `env` sets
// variables ("NAME=value "), `prefix` runs first in the same shell ("ulimit -f 8; "). Braces, so
// shell syntax in `args` (redirections, "& pid=$!; kill ...") sees the same capture.
inline CommandResult run_s2s_with_env(const std::string& env, const std::string& args, const std::string& prefix = "") {
  return run_shell(prefix + env + std::string(S2S_BINARY) + " " + args);
}

// Runs `s2s ARGS` through the shell, capturing its output.
inline CommandResult run_s2s(const std::string& args) { return run_s2s_with_env("", args); }

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The loss of every "train" record of a run's metrics.jsonl, in order.
inline std::vector<double> train_losses(const std::string& metrics_path) {
  std::vector<double> losses;
  for (const auto& line : s2s::read_lines(metrics_path)) {
    auto record = nlohmann::json::parse(line);
    if (record["type"] == "train") losses.push_back(record["loss"].get<double>());
  }
  return losses;
}

// A prepared corpus directory of a synthetic task, with a small joint vocabulary.
inline std::string make_synthetic_corpus(const ScratchDir& dir, const std::string& task, int64_t train,
                                         int64_t min_length, int64_t max_length, int64_t symbols = 10) {
  s2s::SyntheticTask spec;
  spec.task = task;
  spec.min_length = min_length;
  spec.max_length = max_length;
  spec.symbols = symbols;
  const std::string raw = dir.file("raw-" + task);
  s2s::write_synthetic_splits(raw, spec, train, 100, 100);
  s2s::PrepareOptions prepare;
  prepare.out_dir = dir.file("corpus-" + task);
  prepare.train.source_path = raw + "/train.src";
  prepare.train.target_path = raw + "/train.trg";
  prepare.dev.source_path = raw + "/dev.src";
  prepare.dev.target_path = raw + "/dev.trg";
  prepare.test.source_path = raw + "/test.src";
  prepare.test.target_path = raw + "/test.trg";
  // Specials (4), the word boundary, each symbol alone and with the boundary:
  // room for every symbol to be one piece, so a sequence of n symbols is n tokens.
  prepare.vocab_size = 2 * static_cast<int>(symbols) + 5;
  s2s::prepare_corpus(prepare, nullptr);
  return prepare.out_dir;
}

}  // namespace s2s_test
