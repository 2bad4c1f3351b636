#include "util/runtime.h"

#include <torch/version.h>
#include <unistd.h>

#include <ATen/detail/CUDAHooksInterface.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "util/error.h"

namespace s2s {

int configure_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  return torch::get_num_threads();
}

torch::Device resolve_device(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda") {
    if (!torch::cuda::is_available()) throw Error("--device cuda asked for, but this LibTorch build has no usable CUDA device");
    return torch::Device(torch::kCUDA);
  }
  throw Error("device must be cpu or cuda, not \"" + name + "\"");
}

std::string loaded_blas() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::string found = "unknown";
  while (std::getline(maps, line)) {
    if (line.find("openblas") != std::string::npos) return "openblas";
    if (line.find("libmkl") != std::string::npos) return "mkl";
    if (line.find("blis") != std::string::npos) return "blis";
    if (line.find("libblas.so") != std::string::npos) found = "reference (" + line.substr(line.find('/')) + ")";
  }
  return found;
}

double probe_matmul_gflops(torch::ScalarType dtype, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  const int64_t n = device.is_cuda() ? 4096 : 512;
  const int repeats = device.is_cuda() ? 20 : 5;
  auto options = torch::TensorOptions().dtype(dtype).device(device);
  auto a = torch::randn({n, n}, options), b = torch::randn({n, n}, options);
  auto c = torch::matmul(a, b);  // warm-up
  auto finish = [&] {
    if (device.is_cuda()) torch::cuda::synchronize();
  };
  finish();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) c = torch::matmul(a, b);
  finish();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return 2.0 * static_cast<double>(n * n * n) * repeats / seconds / 1e9;
}

torch::Tensor to_device(const torch::Tensor& tensor, const torch::Device& device) {
  if (tensor.device() == device) return tensor;
  if (device.is_cuda() && tensor.device().is_cpu()) return tensor.pin_memory().to(device, /*non_blocking=*/true);
  return tensor.to(device);
}

// The model line of the first GPU the NVIDIA driver lists (no CUDA headers needed).
static std::string nvidia_gpu_model() {
  std::error_code error;
  const std::filesystem::path gpus = "/proc/driver/nvidia/gpus";
  if (!std::filesystem::is_directory(gpus, error)) return "unknown GPU";
  for (const auto& entry : std::filesystem::directory_iterator(gpus, error)) {
    std::ifstream info(entry.path() / "information");
    std::string line;
    while (std::getline(info, line)) {
      if (line.rfind("Model:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 6));
    }
  }
  return "unknown GPU";
}

std::string describe_cuda() {
  if (!torch::cuda::is_available()) return "";
  const long runtime = at::detail::getCUDAHooks().versionCUDART();
  std::string text = nvidia_gpu_model() + " x" + std::to_string(torch::cuda::device_count());
  if (runtime > 0) text += ", CUDA runtime " + std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10);
  return text;
}

static std::string cpu_model() {
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  while (std::getline(info, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown";
}

nlohmann::json describe_machine(const torch::Device& device) {
  return {{"cpu", cpu_model()},
          {"cores", std::thread::hardware_concurrency()},
          {"threads", torch::get_num_threads()},
          {"torch_version", TORCH_VERSION},
          {"blas", loaded_blas()},
          {"device", device.str()},
          {"cuda", device.is_cuda() ? describe_cuda() : std::string()}};
}

void print_startup_banner(const torch::Device& device) {
  const double gflops = probe_matmul_gflops();
  std::cerr << "s2s " << S2S_VERSION << " | LibTorch " << TORCH_VERSION << " | device " << device.str() << " | threads "
            << torch::get_num_threads() << " | BLAS " << loaded_blas() << " (" << static_cast<int>(gflops)
            << " GFLOP/s fp32 matmul)";
  if (device.is_cuda()) std::cerr << " | " << describe_cuda();
  std::cerr << "\n";
  if (device.is_cpu() && gflops < 20.0) {
    std::cerr << "s2s: warning: matrix multiply runs at " << gflops
              << " GFLOP/s: this looks like the reference BLAS; install libopenblas0-pthread for a ~30x speed-up\n";
  }
}

}  // namespace s2s
