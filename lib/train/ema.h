#pragma once
// An exponential moving average of the weights during training (Marian's
// --exponential-smoothing, fairseq's --ema-decay): after every optimizer step
//   average = d * average + (1 - d) * live,   d = min(decay, (1 + step) / (10 + step)),
// the step-dependent cap being TensorFlow's ExponentialMovingAverage(num_updates),
// so that a short run is not dominated by the random initial weights (with
// decay 0.9999 and no cap, 500 steps would leave 95% of the average at the
// initialisation).
#include <torch/torch.h>

namespace s2s {

// The decay used at optimizer step `step` (1-based) for a configured `decay`.
double ema_decay_at(double decay, int64_t step);

// average = d * average + (1 - d) * live for every parameter (matched by name);
// buffers are copied. Both modules must be the same model.
void ema_update(torch::nn::Module& average, const torch::nn::Module& live, double d);

// Copies every parameter and buffer of `from` into `to` (same model).
void copy_weights(torch::nn::Module& to, const torch::nn::Module& from);

}  // namespace s2s
