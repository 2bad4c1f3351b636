#include "train/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <sstream>

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "util/error.h"
#include "util/runtime.h"

namespace s2s {

// LibTorch 2.4 replaced the per-device autocast setters with ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define S2S_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace {

// Whether this CPU has bf16 arithmetic instructions (x86 AVX512-BF16, which
// every AMX CPU also has; Arm's BF16 extension). Decided by the instruction
// set, not by timing: a timing near 1x flips between runs, and the same
// command must not be accepted on one run and refused on the next.
bool cpu_has_bf16_instructions() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx512bf16");
#elif defined(__aarch64__) && defined(__linux__) && defined(HWCAP2_BF16)
  return (getauxval(AT_HWCAP2) & HWCAP2_BF16) != 0;
#else
  return false;
#endif
}

const char* kBf16InstructionName =
#if defined(__aarch64__)
    "BF16";
#else
    "avx512_bf16";
#endif

bool autocast_enabled(bool cuda) {
#ifdef S2S_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

void set_autocast_enabled(bool cuda, bool enabled) {
#ifdef S2S_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, enabled);
#else
  if (cuda) at::autocast::set_enabled(enabled);
  else at::autocast::set_cpu_enabled(enabled);
#endif
}

at::ScalarType autocast_dtype(bool cuda) {
#ifdef S2S_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast_dtype(bool cuda, at::ScalarType dtype) {
#ifdef S2S_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, dtype);
#else
  if (cuda) at::autocast::set_autocast_gpu_dtype(dtype);
  else at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

}  // namespace

Precision precision_from_name(const std::string& name) {
  if (name == "fp32") return Precision::fp32;
  if (name == "bf16") return Precision::bf16;
  if (name == "fp16") return Precision::fp16;
  throw UsageError("config key train.precision must be fp32, bf16, fp16 or auto, not \"" + name + "\"");
}

std::string precision_name(Precision precision) {
  switch (precision) {
    case Precision::bf16: return "bf16";
    case Precision::fp16: return "fp16";
    case Precision::fp32: break;
  }
  return "fp32";
}

void check_precision_supported(Precision precision, const torch::Device& device) {
  if (precision == Precision::fp32 || device.is_cuda()) return;
  if (precision == Precision::fp16) {
    throw UsageError("train.precision fp16 needs train.device cuda: LibTorch's CPU autocast has no fp16 "
                     "(use bf16 or fp32 on the CPU)");
  }
  if (cpu_has_bf16_instructions()) return;
  const double fp32 = probe_matmul_gflops(torch::kFloat, device);
  const double bf16 = probe_matmul_gflops(torch::kBFloat16, device);
  std::ostringstream message;
  message.precision(0);
  message << std::fixed << "train.precision bf16 would not help on this CPU: it has no " << kBf16InstructionName
          << " instructions, so bf16 is emulated (a bf16 matmul measured " << bf16 << " GFLOP/s against " << fp32
          << " for fp32); use fp32";
  throw UsageError(message.str());
}

Precision resolve_precision(const std::string& name, const torch::Device& device, std::string* why) {
  if (name != "auto") {
    const Precision precision = precision_from_name(name);
    check_precision_supported(precision, device);
    return precision;
  }
  const double fp32 = probe_matmul_gflops(torch::kFloat, device);
  const double bf16 = probe_matmul_gflops(torch::kBFloat16, device);
  const bool instructions = device.is_cuda() || cpu_has_bf16_instructions();
  const bool faster = instructions && bf16 >= kAutoBf16Speedup * fp32;
  if (why) {
    std::ostringstream text;
    text.precision(0);
    text << std::fixed << "bf16 matmul " << bf16 << " GFLOP/s, fp32 " << fp32 << " on " << device.str();
    if (!instructions) text << " (no " << kBf16InstructionName << " instructions)";
    *why = text.str();
  }
  return faster ? Precision::bf16 : Precision::fp32;
}

AutocastScope::AutocastScope(Precision precision, const torch::Device& device) {
  if (precision == Precision::fp32) return;
  active_ = true;
  cuda_ = device.is_cuda();
  was_enabled_ = autocast_enabled(cuda_);
  previous_dtype_ = autocast_dtype(cuda_);
  set_autocast_dtype(cuda_, precision == Precision::bf16 ? at::kBFloat16 : at::kHalf);
  set_autocast_enabled(cuda_, true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast_enabled(cuda_, was_enabled_);
  set_autocast_dtype(cuda_, previous_dtype_);
}

}  // namespace s2s
