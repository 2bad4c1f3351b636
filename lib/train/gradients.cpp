#include "train/gradients.h"

#include "util/error.h"

namespace s2s {

namespace {

std::vector<torch::Tensor> defined_gradients(const std::vector<torch::Tensor>& parameters) {
  std::vector<torch::Tensor> gradients;
  for (const auto& p : parameters) {
    if (p.grad().defined()) gradients.push_back(p.grad());
  }
  return gradients;
}

}  // namespace

torch::Tensor clip_gradient_norm(const std::vector<torch::Tensor>& parameters, double max_norm) {
  torch::NoGradGuard no_grad;
  auto gradients = defined_gradients(parameters);
  if (gradients.empty()) return torch::zeros({});
  std::vector<torch::Tensor> norms;
  norms.reserve(gradients.size());
  for (const auto& g : gradients) norms.push_back(g.norm(2).to(torch::kFloat));
  auto total = torch::stack(norms).norm(2);                                  // ()
  auto factor = torch::clamp_max(max_norm / (total + 1e-6), 1.0);            // ()
  for (auto& g : gradients) g.mul_(factor.to(g.scalar_type()));
  return total;
}

GradientScaler::GradientScaler(bool enabled, GradientScalerOptions options)
    : enabled_(enabled), options_(options), scale_(enabled ? options.initial_scale : 1.0) {}

torch::Tensor GradientScaler::scale_loss(const torch::Tensor& loss) const {
  return enabled_ ? loss * scale_ : loss;
}

torch::Tensor GradientScaler::unscale_gradients(const std::vector<torch::Tensor>& parameters) const {
  torch::NoGradGuard no_grad;
  auto gradients = defined_gradients(parameters);
  if (gradients.empty()) return torch::zeros({}, torch::kBool);
  std::vector<torch::Tensor> finite;
  finite.reserve(gradients.size());
  for (auto& g : gradients) {
    if (enabled_) g.mul_(1.0 / scale_);
    finite.push_back(torch::isfinite(g).all());
  }
  return torch::stack(finite).all().logical_not();
}

void GradientScaler::update(bool overflowed) {
  if (!enabled_) return;
  if (overflowed) {
    scale_ *= options_.backoff_factor;
    clean_steps_ = 0;
    return;
  }
  if (++clean_steps_ >= options_.growth_interval) {
    scale_ *= options_.growth_factor;
    clean_steps_ = 0;
  }
}

nlohmann::json GradientScaler::state() const { return {{"scale", scale_}, {"clean_steps", clean_steps_}}; }

void GradientScaler::restore(const nlohmann::json& state) {
  if (!enabled_ || state.is_null()) return;
  if (!state.is_object() || !state.contains("scale") || !state["scale"].is_number() || !(state["scale"].get<double>() > 0)) {
    throw Error("the checkpoint's gradient scaler state is not a positive scale");
  }
  scale_ = state["scale"].get<double>();
  clean_steps_ = state.value("clean_steps", int64_t{0});
}

}  // namespace s2s
