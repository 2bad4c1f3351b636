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

// Measured fp32 matmul speed (GFLOP/s) on a 512^3 product.
double probe_matmul_gflops();

// Machine description for reports: cpu model, cores, threads, torch version, BLAS, device.
nlohmann::json describe_machine(const torch::Device& device);

// Prints one start-up line to stderr, and a warning when the matmul probe
// shows a reference (unoptimised) BLAS.
void print_startup_banner(const torch::Device& device);

}  // namespace s2s
