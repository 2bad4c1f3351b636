#pragma once
// The decoding flags `translate` and `evaluate` share (checkpoint, beam, length
// normalisation and limits), and loading one run or an ensemble of several.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "search/search.h"
#include "translate/translator.h"

namespace s2s::app {

struct SearchFlags {
  std::string checkpoint = "best";
  int beam = 5;
  double length_penalty = 1.0;
  std::string length_norm = "gnmt";
  int64_t min_length = 0;
  int64_t max_length = 0;

  void add_to(CLI::App* cmd) {
    cmd->add_option("--checkpoint", checkpoint, "best, last, ema, avg or step<N> (checkpoint_<name>.pt of the run)");
    cmd->add_option("--beam", beam, "Beam size (1 = greedy)")->check(CLI::Range(1, 1000));
    cmd->add_option("--length-penalty", length_penalty, "Length penalty alpha (of --length-norm)")
        ->check(CLI::Range(-10.0, 10.0));
    cmd->add_option("--length-norm", length_norm,
                    "gnmt: log p / ((5+|y|)/6)^alpha; average: log p / |y|^alpha (fairseq); none: log p")
        ->check(CLI::IsMember({"gnmt", "average", "none"}));
    cmd->add_option("--min-length", min_length, "No EOS before this many output tokens")->check(CLI::Range(0, 1000000));
    cmd->add_option("--max-length", max_length, "At most this many output tokens (0 = only the a*|src|+b limit)")
        ->check(CLI::Range(0, 1000000));
  }

  void apply(SearchOptions& search) const {
    search.beam = beam;
    search.length_penalty = length_penalty;
    search.length_norm = parse_length_norm(length_norm);
    search.min_length = min_length;
    search.max_length = max_length;
  }
};

// One training directory, or several as an ensemble.
inline ModelBundle load_runs(const std::vector<std::string>& run_dirs, const std::string& checkpoint,
                             const torch::Device& device) {
  if (run_dirs.size() == 1) return load_model_bundle(run_dirs.front(), checkpoint, device);
  return load_ensemble_bundle(run_dirs, checkpoint, device);
}

}  // namespace s2s::app
