#pragma once
// Who this process is in a data-parallel run, read from the environment that
// torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) — so a
// Slurm script or a Kubernetes PyTorchJob launches `s2s train` unchanged, and
// `s2s train --nproc N` sets the same variables for its local workers.
#include <string>

namespace s2s {

struct WorldSpec {
  int rank = 0;
  int world_size = 1;  // 1: a single process, no process group at all
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // torchrun's agent already serves the store on MASTER_PORT: every rank joins it as a client.
  bool agent_store = false;
  std::string store_prefix = "s2s";  // keys of this run (torchrun restarts get their own)
  double timeout_seconds = 300;      // train.distributed_timeout_seconds
  bool distributed() const { return world_size > 1; }
  bool is_main() const { return rank == 0; }
};

// The spec the environment describes; world_size 1 when WORLD_SIZE is unset or 1.
// Throws s2s::UsageError naming the variable that is malformed or missing.
WorldSpec world_from_environment();

}  // namespace s2s
