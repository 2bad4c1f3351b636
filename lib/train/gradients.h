#pragma once
// What happens to the gradients between backward() and the optimizer step,
// written so that nothing waits for the device: the clipping factor and the
// fp16 scaler's overflow flag stay tensors until the step's one host read.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace s2s {

// Scales the gradients of `parameters` so that their joint L2 norm is at most
// `max_norm` (unchanged when already below). Returns the norm before clipping
// as a 0-dim tensor on the gradients' device, without a host synchronisation
// (torch::nn::utils::clip_grad_norm_ returns a double, which waits for the device).
torch::Tensor clip_gradient_norm(const std::vector<torch::Tensor>& parameters, double max_norm);

// Dynamic loss scaling for fp16 training: the loss is multiplied by a large
// factor before backward() so small gradients survive fp16, the gradients are
// divided by it again before clipping, and a step whose gradients overflowed
// is skipped and halves the factor; `growth_interval` clean steps in a row
// double it. Disabled, it is the identity and never skips.
struct GradientScalerOptions {
  double initial_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class GradientScaler {
 public:
  explicit GradientScaler(bool enabled, GradientScalerOptions options = {});

  bool enabled() const { return enabled_; }
  double scale() const { return scale_; }

  // loss × scale (the loss itself when disabled).
  torch::Tensor scale_loss(const torch::Tensor& loss) const;

  // Divides the gradients by the scale in place and returns a 0-dim bool tensor
  // on their device: true when any of them is inf or NaN. No host synchronisation.
  torch::Tensor unscale_gradients(const std::vector<torch::Tensor>& parameters) const;

  // After the step's host read of the overflow flag: backs off or grows the scale.
  void update(bool overflowed);

  // For checkpoints: the scale and the clean steps since it last changed.
  nlohmann::json state() const;
  void restore(const nlohmann::json& state);

 private:
  bool enabled_;
  GradientScalerOptions options_;
  double scale_;
  int64_t clean_steps_ = 0;
};

}  // namespace s2s
