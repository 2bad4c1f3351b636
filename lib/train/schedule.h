#pragma once
// Learning-rate schedules: constant, warmup + inverse square root (Vaswani et
// al. 2017), and reduce-on-plateau. Each has a linear warmup.
#include <nlohmann/json.hpp>
#include <string>

namespace s2s {

class LearningRateSchedule {
 public:
  LearningRateSchedule(std::string kind, double base_lr, int64_t warmup_steps, double plateau_factor,
                       int64_t plateau_patience, double min_lr);

  // The rate for optimizer step `step` (1-based).
  double rate(int64_t step) const;
  // Reports an evaluation result (higher is better); plateau may reduce the rate.
  void observe(double metric);

  nlohmann::json state() const;
  void restore(const nlohmann::json& state);

 private:
  std::string kind_;
  double base_lr_;
  int64_t warmup_;
  double factor_;
  int64_t patience_;
  double min_lr_;
  double scale_ = 1.0;
  double best_ = -1e300;
  int64_t bad_evaluations_ = 0;
};

}  // namespace s2s
