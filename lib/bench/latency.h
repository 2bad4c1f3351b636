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
  int repeats = 3;                         // the median of this many timed runs (after one warm-up)
  uint64_t seed = 1;
};

// {"encoder": [{"length","ms"}], "teacher_forced_decoder": [...], "autoregressive": [...]}
// Inputs are random ids (no EOS stop: generation runs exactly `length` steps).
nlohmann::json measure_latency(Seq2SeqModel& model, int64_t src_vocab, int64_t trg_vocab, const LatencyOptions& options);

}  // namespace s2s
