#pragma once
// Keeps freed memory inside the process, so that the next training step's
// tensors reuse it instead of asking the kernel for fresh pages.
//
// glibc serves every allocation above its mmap threshold (at most 32 MiB,
// usually far less) with its own mmap and returns it with munmap on free, and
// trims the top of the heap whenever 128 KiB of it are free. A training step
// allocates and frees the same large tensors (activations, the (B, T, V)
// logits and their gradients) every time, so each step paid for page faults
// and for the kernel zeroing every page again: `perf` showed clear_page_erms
// and the page-fault path at ~8% of a one-thread training run on an Intel
// machine (1.3-1.4x faster without them), and on a virtual machine where page
// faults cost far more, 10 steps of 2,000-token batches on one thread ran
// 6.8x (Transformer) to 9.9x (Bahdanau RNN) faster (tests/bench/allocator.sh,
// table in docs/BENCHMARKS.md).
//
// The cost: the resident size stays at its high-water mark until the process
// ends (freed memory is kept for reuse, not given back): +23-31% peak resident
// memory in the same table.
namespace s2s {

// Turns off mmap for allocations and the heap trimming (mallopt), unless the
// user set glibc's malloc tunables themselves (GLIBC_TUNABLES or one of the
// MALLOC_*_ variables), whose choice is kept. Returns whether it changed them.
bool keep_freed_memory_for_reuse();

// The process's peak resident set so far, in MiB (getrusage's ru_maxrss): what
// keeping freed memory costs, reported in a training run's summary.json.
double peak_resident_mib();

}  // namespace s2s
