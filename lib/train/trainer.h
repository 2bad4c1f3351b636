#pragma once
// One training loop for every architecture: the same batches, loss, optimizer,
// schedule, validation and checkpoints, whatever model the config builds.
#include <nlohmann/json.hpp>
#include <string>

#include "distributed/world.h"

namespace s2s {

struct TrainOptions {
  nlohmann::json config;     // resolved (run/run_config.h)
  std::string run_dir;       // checkpoints, metrics.jsonl, config.json, tokenizer models
  bool resume = false;       // continue from run_dir/checkpoint_last.pt
  // Fine-tuning: start from the weights of this run directory's best checkpoint
  // (or of a checkpoint file inside one) — not its optimizer, schedule or data
  // position. Its model config must match; its tokenizer must be data.dir's.
  std::string init_from;
  bool quiet = false;        // no progress lines on stderr
  // Data parallel (world.world_size > 1): this process is one rank. Each rank
  // trains on its own share of every global step's batches (train.accumulate
  // batches each, so a step takes accumulate × world_size batches of the epoch
  // and its loss is normalised by the global target tokens); rank 0 alone
  // evaluates, logs and writes the run directory.
  WorldSpec world;
};

struct TrainSummary {
  int64_t steps = 0;
  int64_t epochs_completed = 0;
  double train_seconds = 0.0;      // time spent in training steps (validation excluded)
  double wall_seconds = 0.0;       // everything, validation included
  int64_t target_tokens = 0;
  double final_train_loss = 0.0;   // label-smoothed, per token, over the last log window
  double best_metric = 0.0;
  std::string stopped_because;     // max_steps | max_minutes | max_epochs | early_stopping | interrupted | nonfinite_loss
  int64_t parameters = 0;
  std::string precision = "fp32";  // train.precision
  double peak_resident_mib = 0.0;  // the process's high-water mark (data, model, optimiser, activations)
  nlohmann::json to_json() const;
};

// Trains as the config says. Throws s2s::Error on bad input; SIGINT/SIGTERM
// end the run early with a checkpoint (stopped_because = "interrupted"). In a
// data-parallel run, a failure of another rank is an s2s::Error naming it.
TrainSummary train_model(const TrainOptions& options);

}  // namespace s2s
