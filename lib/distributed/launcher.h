#pragma once
// `--nproc N`: N worker processes of this same program on this machine, each
// given the variables torchrun would set, so a local run and a torchrun, Slurm
// or Kubernetes run go through exactly the same code.
#include <string>
#include <vector>

namespace s2s {

struct LocalLaunch {
  std::vector<std::string> arguments;  // what each worker runs, after the program name ("train", "--config", ...)
  int nproc = 2;
  int threads_per_worker = 1;          // OMP_NUM_THREADS of each worker
  double timeout_seconds = 300;        // how long the others get to stop by themselves after one failed
};

// A port on 127.0.0.1 that the kernel calls free now (bound to port 0, then released).
int free_local_port();

// Threads for each of `nproc` workers: `configured`, or the cores shared out when it is 0 (all cores).
int threads_per_worker(int configured, int nproc);

// Starts the workers and waits for all of them. Returns 0 when every worker
// succeeded; otherwise names the first rank that failed (its exit status or the
// signal that killed it) on stderr and returns 2 when that was a usage error,
// else 1. SIGINT and SIGTERM are passed on to the workers, which then save a
// checkpoint and stop together.
int launch_local_workers(const LocalLaunch& launch);

}  // namespace s2s
