#pragma once
// OpenMP's wait policy, fixed before the OpenMP runtime starts.
//
// LibTorch's intra-op threads (OpenMP) and OpenBLAS's own pthreads share the
// cores. With GNU OpenMP's default ("active") policy, idle OpenMP threads spin
// for a while after each parallel region and take the cores from the BLAS
// threads doing the next matrix product. Measured on the 2-core machine
// (Transformer d=256, 2 threads): 1,301 target tok/s active vs 2,295 passive;
// the Bahdanau RNN 851 vs 1,982. The policy is read once, when libgomp loads,
// so the only way to set it from inside is to re-execute the program with it
// in the environment.
namespace s2s {

// If OMP_WAIT_POLICY is unset, sets it to PASSIVE and re-executes this
// program with the same arguments; returns only when nothing was done (the
// variable was already set, by the user or by the re-execution) or exec failed.
void ensure_passive_openmp_wait(char** argv);

}  // namespace s2s
