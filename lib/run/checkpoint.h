#pragma once
// Checkpoints: model parameters, optimizer state and the trainer's own state
// (step, data position, RNG, schedule) in one file, written atomically and
// protected by a checksum so a truncated or corrupted file is refused with a
// clear error instead of loading garbage.
//
// File layout: "S2SCKPT1" | uint64 FNV-1a checksum of the payload | uint64
// payload size | payload (a torch::serialize archive).
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

namespace s2s {

struct CheckpointContents {
  torch::nn::Module* model = nullptr;        // saved / loaded in place
  torch::optim::Optimizer* optimizer = nullptr;  // optional
  torch::nn::Module* ema_model = nullptr;    // optional: the moving average of the weights (train.ema_decay)
  bool ema_loaded = false;                   // set by load_checkpoint when the file held an average
  nlohmann::json trainer_state;              // step, epoch, position, schedule, metrics
  torch::Tensor rng_state;                   // the CPU generator's state
  std::string config_origin = "its config";  // where the model's shape came from, named in mismatch errors
};

void save_checkpoint(const std::string& path, const CheckpointContents& contents);

// Loads into contents.model (and .optimizer when set). Throws s2s::Error naming
// the file when it is missing, truncated, corrupted, or made for another model
// (a parameter missing or of another shape than the model built from
// contents.config_origin).
void load_checkpoint(const std::string& path, CheckpointContents& contents);

// Reads only the trainer state (cheap inspection, e.g. for `compare` resume).
nlohmann::json read_checkpoint_state(const std::string& path);

// Before training into `run_dir`: s2s::UsageError when `resume` is asked of a
// directory without checkpoint_last.pt, or a fresh run would start over one
// that has it. One check for `s2s train` and for its --nproc launcher.
void check_run_directory_for_training(const std::string& run_dir, bool resume);

}  // namespace s2s
