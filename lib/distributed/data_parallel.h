#pragma once
// This process's link to the other ranks of a data-parallel run, on PyTorch's
// c10d: a TCPStore for the rendezvous and a Gloo process group for the
// collectives. Every failure — a rank that never arrives, dies, hangs or stops
// on an error — becomes one s2s::Error that names the rank, on every rank that
// is still there, within train.distributed_timeout_seconds: never a hang.
#include <torch/torch.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "distributed/world.h"
#include "util/error.h"

namespace s2s {

// Another rank failed (died, hung, stopped on an error, never arrived): this
// rank stops too, and does not report itself as the cause.
struct PeerFailure : Error {
  using Error::Error;
};

class DataParallel {
 public:
  // Rendezvous: every rank reaches rank 0's store and announces itself with the
  // fingerprint of its training config and --resume (ranks must agree on them), or fails naming
  // the ranks that are missing.
  DataParallel(const WorldSpec& spec, const std::string& config_fingerprint);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return spec_.rank; }
  int world_size() const { return spec_.world_size; }
  bool is_main() const { return spec_.rank == 0; }

  // Sums each tensor across the ranks, in place (all launched, then all waited).
  void sum(const std::vector<torch::Tensor>& tensors, const std::string& during);
  // Overwrites every rank's tensors with rank 0's.
  void broadcast_from_main(const std::vector<torch::Tensor>& tensors, const std::string& during);
  // Sums the gradients of `parameters` across the ranks, in buckets of about
  // 25 MiB (reverse parameter order, as the backward pass produces them); an
  // undefined gradient counts as zeros and is defined afterwards.
  void sum_gradients(const std::vector<torch::Tensor>& parameters);
  void barrier(const std::string& during);

  // Rank 0 hands a value to every rank through the store; the others wait for it
  // as long as rank 0's heartbeat goes on (an evaluation may take minutes).
  void publish(const std::string& key, const std::string& value);
  std::string receive(const std::string& key);

  // Called by a rank about to exit on an error: the others name it with this message.
  void report_failure(const std::string& message) noexcept;

  // Seconds spent waiting on collectives since the last call (then reset).
  double take_communication_seconds();

 private:
  struct Bucket {
    std::vector<size_t> parameters;  // indices into the parameter list
    torch::Tensor flat;              // [sum of their numel], float
  };
  // A collective failed: blames the rank diagnose() finds, with the library's `detail`.
  [[noreturn]] void fail(const std::string& during, const std::string& detail);
  // Throws the PeerFailure every stop of this rank reports: "... on rank R while DURING: BLAME; every rank stops".
  [[noreturn]] void stop(const std::string& during, const std::string& blame);
  // Which rank is to blame, from the store: a reported failure, or a stale heartbeat.
  std::string diagnose();
  void beat_heart();
  int64_t heartbeat_of(int rank);
  std::string store_address() const;

  WorldSpec spec_;
  std::chrono::milliseconds timeout_;
  struct Links;                  // the c10d store and process group (data_parallel.cpp)
  std::unique_ptr<Links> links_;
  std::vector<Bucket> buckets_;
  size_t bucketed_parameters_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread heartbeat_;
  double communication_seconds_ = 0.0;
};

}  // namespace s2s
