#pragma once
// A run directory as something to translate with: its resolved config, its
// tokenizers and one of its checkpoints (or an average of several, or several
// runs as one ensemble) loaded into a model. Below both the trainer and the
// translator, which each need to read what the other writes.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/seq2seq.h"

namespace s2s {

// A trained model with everything needed to use it.
struct ModelBundle {
  ModelPtr model;
  CorpusTokenizers tokenizers;
  nlohmann::json config;  // the resolved training config
  torch::Device device{torch::kCPU};
  std::string checkpoint_path;
  std::vector<std::string> averaged_from;  // the checkpoint files averaged into `model`, when it is an average
};

// Loads a training directory: its config.json, tokenizer model(s) and
// checkpoint_<which>.pt (best, last, ema, avg, step<N>, ...; best falls back to
// last when absent). s2s::Error listing the run's checkpoints when it is missing.
ModelBundle load_model_bundle(const std::string& run_dir, const std::string& which, const torch::Device& device);

// The run's model with the parameter average of its last `count` kept
// checkpoints (train.keep_last; run/checkpoint_average.h).
ModelBundle load_averaged_bundle(const std::string& run_dir, int64_t count, const torch::Device& device);

// Several runs as one ensemble (models/ensemble.h): the same source and
// target tokenizers are required (s2s::Error naming the run that differs). One
// run gives a one-member ensemble, which translates exactly as the run itself.
ModelBundle load_ensemble_bundle(const std::vector<std::string>& run_dirs, const std::string& which,
                                 const torch::Device& device);

}  // namespace s2s
