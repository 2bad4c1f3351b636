#pragma once
// Reading a run's checkpoint back in a test: its parameters by name, the
// trainer's state and the saved random state.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "models/seq2seq.h"
#include "run/checkpoint.h"
#include "util/config.h"

namespace s2s_test {

struct LoadedCheckpoint {
  std::vector<std::pair<std::string, torch::Tensor>> parameters;
  nlohmann::json state;
  torch::Tensor rng;
};

// RUN/FILE, with the model that RUN/config.json describes.
inline LoadedCheckpoint load_run_checkpoint(const std::string& run, const std::string& file) {
  auto config = s2s::read_json_file(run + "/config.json");
  auto tokenizers = s2s::CorpusTokenizers::load(run);
  auto model = s2s::build_model(config["model"], tokenizers.source->vocab_size(), tokenizers.target->vocab_size());
  s2s::CheckpointContents contents;
  contents.model = model.get();
  s2s::load_checkpoint(run + "/" + file, contents);
  LoadedCheckpoint loaded;
  for (const auto& p : model->named_parameters()) loaded.parameters.emplace_back(p.key(), p.value().clone());
  loaded.state = contents.trainer_state;
  loaded.rng = contents.rng_state;
  return loaded;
}

}  // namespace s2s_test
