#pragma once
// `s2s compare`: the head-to-head experiment. Every model of the experiment is
// trained on the same prepared corpus with the same batches, trainer settings
// and budget, then evaluated, timed and inspected the same way; the results go
// to results.json and the report (lib/report).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace s2s {

// Defaults of every experiment key (unknown keys in a file are errors).
nlohmann::json default_experiment_config();

struct CompareOptions {
  std::string config_path;             // the experiment file, or empty when `experiment` is given
  nlohmann::json experiment;           // an experiment made in memory (compare on a user's corpus)
  std::vector<std::string> overrides;  // --set key=value on the experiment
  std::string out_dir;
  std::string command_line;            // recorded in results.json
};

// The experiment as it would run: defaults, the file (or the generated experiment) and the
// overrides, checked key by key; presets resolved to the files that would be read.
nlohmann::json resolved_experiment(const CompareOptions& options);

// Runs (or resumes) the experiment; returns results.json's content.
nlohmann::json run_comparison(const CompareOptions& options);

}  // namespace s2s
