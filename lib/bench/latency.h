#pragma once
// Latency against length, the measurement behind the "parallel computation"
// claim: the encoder (parallel over positions for the Transformer, a time loop
// for the RNN), the teacher-forced decoder (parallel in training for the
// Transformer) and autoregressive generation (sequential for both).
#include <nlohmann/json.hpp>
#include <vector>

#include "models/seq2seq.h"

namespace s2s {

struct LatencyOptions {
  std::vector<int64_t> lengths = {8, 16, 32, 64, 128, 256};
  int64_t batch_size = 1;
  int64_t source_length_for_decoder = 32;  // memory length used by the decoder measurements
  int repeats = 3;                         // at least this many timed runs per point (the median is reported)
  double min_seconds = 0.05;               // ... and more, up to max_repeats, until this much time was measured
  int max_repeats = 50;
  int warmup_sweeps = 2;                   // untimed passes over every length and measurement first
  uint64_t seed = 1;
};

// {"encoder": [{"length","ms","p25","p75","runs"}], "teacher_forced_decoder": [...], "autoregressive": [...],
//  "monotone": {"encoder": true, ...}, "non_monotone": [{"kind","shorter","longer"}]}
// Before any timing, every measurement runs untimed at every length (warmup_sweeps times), so lazy
// initialisation in LibTorch (thread pools, allocator growth, kernel selection) is never charged to
// the first length measured. A curve is marked not monotone when a longer input was faster beyond
// the spread (its p75 below the shorter one's p25): conclusions about its growth are then withheld.
// Inputs are random ids (no EOS stop: generation runs exactly `length` steps).
nlohmann::json measure_latency(Seq2SeqModel& model, int64_t src_vocab, int64_t trg_vocab, const LatencyOptions& options);

}  // namespace s2s
