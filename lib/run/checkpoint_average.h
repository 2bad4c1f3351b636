#pragma once
// The checkpoints a run keeps of its last evaluations (train.keep_last), and
// their parameter average — fairseq's average_checkpoints.py and OpenNMT-py's
// average_models.py, over our checkpoint format.
//
// A kept checkpoint is "checkpoint_step<N>.pt" in the run directory: the model
// and the trainer state of step N, without the optimizer (it is never resumed).
#include <torch/torch.h>

#include <string>
#include <vector>

namespace s2s {

struct KeptCheckpoint {
  int64_t step = 0;
  std::string path;
};

std::string kept_checkpoint_name(int64_t step);

// The run's kept checkpoints, oldest (lowest step) first.
std::vector<KeptCheckpoint> kept_checkpoints(const std::string& run_dir);

// The last `count` kept checkpoints; s2s::Error naming the run when it kept fewer
// (and saying how to keep more).
std::vector<KeptCheckpoint> last_kept_checkpoints(const std::string& run_dir, int64_t count);

// Loads every file of `paths` (checkpoints of one model) into `model` in turn and
// leaves `model` holding the element-wise mean of their parameters and buffers,
// summed in float64 so that N copies of one checkpoint average to it exactly.
// s2s::Error naming the file that is unreadable or of another model
// (`config_origin` names where the model's shape came from).
void average_checkpoints(torch::nn::Module& model, const std::vector<std::string>& paths,
                         const std::string& config_origin);

}  // namespace s2s
