#pragma once
// train.precision: the arithmetic of the forward pass. Weights, gradients,
// optimizer state and checkpoints stay fp32 in every mode; bf16 and fp16 run
// the matmuls of the forward pass (and their backward) in 16 bits through
// LibTorch's autocast.
#include <torch/torch.h>

#include <string>

namespace s2s {

enum class Precision { fp32, bf16, fp16 };

// "fp32" | "bf16" | "fp16"; throws s2s::UsageError naming train.precision otherwise.
Precision precision_from_name(const std::string& name);
std::string precision_name(Precision precision);

// Refuses, with one sentence, a precision that cannot run or would not help on
// `device`: fp16 needs CUDA (LibTorch's CPU autocast has no fp16), and bf16 on
// a CPU is accepted only where the CPU has bf16 instructions (AVX512-BF16 or
// Arm BF16; without them bf16 is emulated and no faster than fp32). Decided by
// the instruction set so that the answer never changes between runs; the
// refusal quotes a bf16 and an fp32 matmul measured here. Throws s2s::UsageError.
void check_precision_supported(Precision precision, const torch::Device& device);

// train.precision checked for `device`: a named precision by
// check_precision_supported; "auto" gives the candidate: bf16 where the device
// has bf16 arithmetic (any CUDA device; a CPU with bf16 instructions) and a
// bf16 matmul measures at least kAutoBf16Speedup times an fp32 one on it (CPUs
// with bf16 instructions measure ~2-4x, those without near or below 1x), else fp32.
// The trainer then keeps bf16 only if the model's own training pass is faster
// in it (kAutoStepSpeedup). `why` (may be null) receives the matmul figures.
constexpr double kAutoBf16Speedup = 1.5;
// ... and then (lib/train/trainer.cpp) a forward + backward pass of the model itself on a real
// batch must be at least this much faster in bf16 than in fp32.
constexpr double kAutoStepSpeedup = 1.1;
Precision resolve_precision(const std::string& name, const torch::Device& device, std::string* why = nullptr);

// Autocast for the forward pass while in scope: bf16/fp16 on `device`, nothing
// for fp32. Restores the previous autocast state and empties the cast-weight
// cache when the outermost scope ends (as torch.autocast does on exit).
class AutocastScope {
 public:
  AutocastScope(Precision precision, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool was_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace s2s
