#include "run/model_bundle.h"

#include <algorithm>
#include <filesystem>

#include "models/ensemble.h"
#include "run/checkpoint.h"
#include "run/checkpoint_average.h"
#include "util/config.h"
#include "util/error.h"
#include "util/paths.h"

namespace s2s {

namespace {

// The checkpoint names a run directory holds ("best", "last", "step400", ...), for errors.
std::string checkpoint_names(const std::string& run_dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(run_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("checkpoint_", 0) == 0 && name.size() > 14 && name.compare(name.size() - 3, 3, ".pt") == 0) {
      names.push_back(name.substr(11, name.size() - 14));
    }
  }
  std::sort(names.begin(), names.end());
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "none" : text;
}

// config.json, tokenizers and the model built (with its initial weights).
ModelBundle load_run_without_weights(const std::string& run_dir) {
  if (!path_exists(run_dir)) throw Error("model " + run_dir + " does not exist");
  const std::string config_path = run_dir + "/config.json";
  if (!path_exists(config_path)) throw Error(run_dir + " is not a training directory (no config.json)");
  ModelBundle bundle;
  bundle.config = read_json_file(config_path);
  bundle.tokenizers = CorpusTokenizers::load(run_dir);
  if (!bundle.config.is_object() || !bundle.config.contains("model")) throw Error(config_path + " has no model section");
  try {
    bundle.model = build_model(bundle.config.at("model"), bundle.tokenizers.source->vocab_size(),
                               bundle.tokenizers.target->vocab_size());
  } catch (const Error& e) {
    throw Error(config_path + ": " + e.what());  // the run's own file is at fault, not the usage
  }
  return bundle;
}

void finish_bundle(ModelBundle& bundle, const torch::Device& device) {
  bundle.model->to(device);
  bundle.model->eval();
  bundle.device = device;
}

}  // namespace

ModelBundle load_model_bundle(const std::string& run_dir, const std::string& which, const torch::Device& device) {
  if (which.empty() || which.find('/') != std::string::npos) {
    throw UsageError("--checkpoint must name a checkpoint of the run (best, last, ema, avg, step<N>), not \"" + which + "\"");
  }
  ModelBundle bundle = load_run_without_weights(run_dir);
  std::string path = run_dir + "/checkpoint_" + which + ".pt";
  if (which == "best" && !path_exists(path)) path = run_dir + "/checkpoint_last.pt";
  if (!path_exists(path) && (which == "best" || which == "last")) throw Error(run_dir + " has no checkpoint (" + path + ")");
  if (!path_exists(path)) {
    throw UsageError("--checkpoint " + which + ": " + run_dir + " has no " + path.substr(path.rfind('/') + 1) +
                     "; it holds: " + checkpoint_names(run_dir));
  }
  CheckpointContents contents;
  contents.model = bundle.model.get();
  contents.config_origin = run_dir + "/config.json";
  load_checkpoint(path, contents);
  bundle.checkpoint_path = path;
  finish_bundle(bundle, device);
  return bundle;
}

ModelBundle load_averaged_bundle(const std::string& run_dir, int64_t count, const torch::Device& device) {
  ModelBundle bundle = load_run_without_weights(run_dir);
  std::vector<std::string> paths;
  for (const auto& kept : last_kept_checkpoints(run_dir, count)) paths.push_back(kept.path);
  average_checkpoints(*bundle.model, paths, run_dir + "/config.json");
  bundle.checkpoint_path = paths.back();
  bundle.averaged_from = paths;
  finish_bundle(bundle, device);
  return bundle;
}

ModelBundle load_ensemble_bundle(const std::vector<std::string>& run_dirs, const std::string& which,
                                 const torch::Device& device) {
  if (run_dirs.empty()) throw UsageError("an ensemble needs at least one --model");
  std::vector<ModelBundle> members;
  for (const auto& dir : run_dirs) {
    members.push_back(load_model_bundle(dir, which, device));
    const auto& first = members.front().tokenizers;
    const auto& added = members.back().tokenizers;
    if (added.target->serialized() != first.target->serialized()) {
      throw Error("ensemble: " + dir + " has another target vocabulary than " + run_dirs.front() +
                  " (its SentencePiece model differs); ensemble members must share it");
    }
    if (added.source->serialized() != first.source->serialized()) {
      throw Error("ensemble: " + dir + " has another source tokenizer than " + run_dirs.front() +
                  "; ensemble members must share it");
    }
  }
  ModelBundle bundle;
  bundle.tokenizers = members.front().tokenizers;
  bundle.config = members.front().config;
  // The tightest position table of any member bounds the sources and outputs of all.
  for (const auto& member : members) {
    const auto& model = member.config["model"];
    if (!model.contains("max_positions")) continue;
    auto& kept = bundle.config["model"];
    if (!kept.contains("max_positions") || model["max_positions"].get<int64_t>() < kept["max_positions"].get<int64_t>()) {
      kept["max_positions"] = model["max_positions"];
    }
  }
  std::vector<ModelPtr> models;
  for (const auto& member : members) {
    models.push_back(member.model);
    bundle.checkpoint_path += (bundle.checkpoint_path.empty() ? "" : " + ") + member.checkpoint_path;
  }
  bundle.model = std::make_shared<EnsembleModel>(models);
  finish_bundle(bundle, device);
  return bundle;
}

}  // namespace s2s
