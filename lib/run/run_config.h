#pragma once
// The configuration of a run (config.json in its directory), which train
// resolves and checks once: one JSON document with sections data, model,
// train and eval. Every key has a documented default here; a config file only
// states what differs, and unknown keys are errors (util/config.h).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace s2s {

// The defaults of every section. The model section's keys depend on
// model.architecture and are filled in by resolve_config().
nlohmann::json default_train_config();

// Reads `path` (may be empty: defaults only), applies `--set` overrides, checks
// every key and type and returns the fully resolved config.
nlohmann::json resolve_config(const std::string& path, const std::vector<std::string>& overrides);

// Same, from an already parsed document (for experiments that embed configs).
nlohmann::json resolve_config_json(const nlohmann::json& config, const std::vector<std::string>& overrides);

// The data, train and eval sections of a resolved config as typed fields (the
// keys and their meaning: default_train_config()). Read once, so the trainer
// never looks a key up in its loop. The model section stays JSON: its keys
// depend on the architecture (build_model).
struct DataSettings {
  std::string dir;
  int64_t max_length = 0, max_tokens = 0, max_sentences = 0;
  double sample_alpha = 0.0;
  int sample_nbest = -1;
};
struct TrainingSettings {
  std::string optimizer, schedule, device, precision, nonfinite_loss;
  double learning_rate = 0, beta1 = 0, beta2 = 0, weight_decay = 0, plateau_factor = 0, min_learning_rate = 0;
  double clip_norm = 0, label_smoothing = 0, max_minutes = 0, ema_decay = 0, distributed_timeout_seconds = 0;
  int64_t warmup_steps = 0, plateau_patience = 0, accumulate = 1, max_steps = 0, max_epochs = 0, log_every = 0,
          keep_last = 0;
  uint64_t seed = 1;
  int threads = 0;
};
struct EvalSettings {
  int64_t every_steps = 0, max_sentences = 0, patience = 0, max_length_b = 0;
  bool bleu = true;
  int beam = 1;
  std::string metric;
  double max_length_a = 0;
};
struct TrainSettings {
  DataSettings data;
  TrainingSettings train;
  EvalSettings eval;
};

// `resolved` as resolve_config() returns it (every key present and checked).
TrainSettings read_train_settings(const nlohmann::json& resolved);

}  // namespace s2s
