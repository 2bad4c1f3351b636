#include "train/ema.h"

#include <algorithm>

#include "util/error.h"

namespace s2s {

double ema_decay_at(double decay, int64_t step) {
  return std::min(decay, (1.0 + static_cast<double>(step)) / (10.0 + static_cast<double>(step)));
}

namespace {

// Applies `combine(to_tensor, from_tensor, is_parameter)` to every pair of same-named tensors.
template <typename Combine>
void for_each_pair(torch::nn::Module& to, const torch::nn::Module& from, Combine combine) {
  torch::NoGradGuard no_grad;
  auto source_parameters = from.named_parameters();
  for (auto& item : to.named_parameters()) {
    const torch::Tensor* other = source_parameters.find(item.key());
    if (other == nullptr) throw Error("weight average: parameter " + item.key() + " is missing from the live model");
    combine(item.value(), *other, true);
  }
  auto source_buffers = from.named_buffers();
  for (auto& item : to.named_buffers()) {
    const torch::Tensor* other = source_buffers.find(item.key());
    if (other == nullptr) throw Error("weight average: buffer " + item.key() + " is missing from the live model");
    combine(item.value(), *other, false);
  }
}

}  // namespace

void ema_update(torch::nn::Module& average, const torch::nn::Module& live, double d) {
  for_each_pair(average, live, [d](torch::Tensor& avg, const torch::Tensor& value, bool parameter) {
    if (parameter && avg.is_floating_point()) {
      avg.mul_(d).add_(value, 1.0 - d);
    } else {
      avg.copy_(value);
    }
  });
}

void copy_weights(torch::nn::Module& to, const torch::nn::Module& from) {
  for_each_pair(to, from, [](torch::Tensor& target, const torch::Tensor& value, bool) { target.copy_(value); });
}

}  // namespace s2s
