#include "train/schedule.h"

#include <algorithm>
#include <cmath>

namespace s2s {

LearningRateSchedule::LearningRateSchedule(std::string kind, double base_lr, int64_t warmup_steps,
                                           double plateau_factor, int64_t plateau_patience, double min_lr)
    : kind_(std::move(kind)), base_lr_(base_lr), warmup_(warmup_steps), factor_(plateau_factor),
      patience_(plateau_patience), min_lr_(min_lr) {}

double LearningRateSchedule::rate(int64_t step) const {
  const double s = static_cast<double>(std::max<int64_t>(step, 1));
  const double w = static_cast<double>(warmup_);
  double multiplier = warmup_ > 0 ? std::min(1.0, s / w) : 1.0;
  if (kind_ == "inverse_sqrt" && warmup_ > 0 && s > w) multiplier = std::sqrt(w / s);
  if (kind_ == "inverse_sqrt" && warmup_ == 0) multiplier = 1.0 / std::sqrt(s);
  return std::max(min_lr_, base_lr_ * multiplier * scale_);
}

void LearningRateSchedule::observe(double metric) {
  if (metric > best_) {
    best_ = metric;
    bad_evaluations_ = 0;
    return;
  }
  if (kind_ != "plateau") return;
  if (++bad_evaluations_ >= patience_) {
    scale_ *= factor_;
    bad_evaluations_ = 0;
  }
}

nlohmann::json LearningRateSchedule::state() const {
  return {{"scale", scale_}, {"best", best_}, {"bad_evaluations", bad_evaluations_}};
}

void LearningRateSchedule::restore(const nlohmann::json& state) {
  scale_ = state.at("scale").get<double>();
  best_ = state.at("best").get<double>();
  bad_evaluations_ = state.at("bad_evaluations").get<int64_t>();
}

}  // namespace s2s
