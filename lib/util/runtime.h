#pragma once
// Process-wide runtime setup: LibTorch thread count, device choice, and the
// start-up line that says what the numbers were measured on.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

namespace s2s {

// Sets LibTorch's intra-op threads (0 = all cores; LibTorch itself starts with
// one here) and returns the number in use.
int configure_threads(int threads);

// "cpu" or "cuda"; throws s2s::Error when CUDA is asked for but absent.
torch::Device resolve_device(const std::string& name);

// Which BLAS library the process loaded (from /proc/self/maps).
std::string loaded_blas();

// Measured matmul speed (GFLOP/s) on a 512^3 product in `dtype` on `device`
// (on CUDA: 4096^3, timed after the device finished).
double probe_matmul_gflops(torch::ScalarType dtype = torch::kFloat, const torch::Device& device = torch::kCPU);

// A batch tensor on `device`. To CUDA it goes through pinned host memory and
// a non-blocking copy, so the host can prepare the next batch while the
// device works; on the CPU it is returned as it is.
torch::Tensor to_device(const torch::Tensor& tensor, const torch::Device& device);

// The CUDA build and device LibTorch sees: "" on a CPU-only build or machine;
// otherwise the GPU's model (from the NVIDIA driver) and the CUDA runtime.
std::string describe_cuda();

// Machine description for reports: cpu model, cores, threads, torch version,
// BLAS, device, and on CUDA the GPU and CUDA runtime.
nlohmann::json describe_machine(const torch::Device& device);

// Prints one start-up line to stderr, and a warning when the matmul probe
// shows a reference (unoptimised) BLAS.
void print_startup_banner(const torch::Device& device);

}  // namespace s2s
