#include "run/checkpoint_average.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "run/checkpoint.h"
#include "util/error.h"

namespace s2s {

namespace {
constexpr const char* kPrefix = "checkpoint_step";
constexpr const char* kSuffix = ".pt";
}  // namespace

std::string kept_checkpoint_name(int64_t step) { return kPrefix + std::to_string(step) + kSuffix; }

std::vector<KeptCheckpoint> kept_checkpoints(const std::string& run_dir) {
  std::vector<KeptCheckpoint> kept;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(run_dir, error)) {
    const std::string name = entry.path().filename().string();
    const std::string prefix = kPrefix, suffix = kSuffix;
    if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    kept.push_back({std::stoll(digits), entry.path().string()});
  }
  std::sort(kept.begin(), kept.end(), [](const KeptCheckpoint& a, const KeptCheckpoint& b) { return a.step < b.step; });
  return kept;
}

std::vector<KeptCheckpoint> last_kept_checkpoints(const std::string& run_dir, int64_t count) {
  if (count < 1) throw UsageError("the number of checkpoints to average must be at least 1");
  auto kept = kept_checkpoints(run_dir);
  if (static_cast<int64_t>(kept.size()) < count) {
    throw Error(run_dir + " keeps " + std::to_string(kept.size()) + " checkpoint" + (kept.size() == 1 ? "" : "s") +
                " (" + kPrefix + "<N>" + kSuffix + "), fewer than the " + std::to_string(count) +
                " asked for; train with train.keep_last=" + std::to_string(count) + " or more");
  }
  return std::vector<KeptCheckpoint>(kept.end() - count, kept.end());
}

void average_checkpoints(torch::nn::Module& model, const std::vector<std::string>& paths,
                         const std::string& config_origin) {
  if (paths.empty()) throw UsageError("no checkpoints to average");
  torch::NoGradGuard no_grad;
  auto named_tensors = [&] {
    std::vector<std::pair<std::string, torch::Tensor>> all;
    for (const auto& item : model.named_parameters()) all.emplace_back(item.key(), item.value());
    for (const auto& item : model.named_buffers()) all.emplace_back(item.key(), item.value());
    return all;
  };
  std::map<std::string, torch::Tensor> sums;  // float64, on the model's device
  for (const auto& path : paths) {
    CheckpointContents contents;
    contents.model = &model;
    contents.config_origin = config_origin;
    load_checkpoint(path, contents);
    for (const auto& [name, tensor] : named_tensors()) {
      if (!tensor.is_floating_point()) continue;  // integer buffers (counters) keep the last file's value
      auto value = tensor.to(torch::kDouble);
      auto found = sums.find(name);
      if (found == sums.end()) {
        sums.emplace(name, value.clone());
      } else {
        found->second.add_(value);
      }
    }
  }
  const double count = static_cast<double>(paths.size());
  for (auto& [name, tensor] : named_tensors()) {
    auto found = sums.find(name);
    if (found != sums.end()) tensor.copy_(found->second.div(count).to(tensor.scalar_type()));
  }
}

}  // namespace s2s
