#pragma once
// Environment that must be fixed before the runtime libraries start: OpenMP's
// wait policy, and how much of glog's chatter reaches stderr.
//
// LibTorch's intra-op threads (OpenMP) and OpenBLAS's own pthreads share the
// cores. With GNU OpenMP's default ("active") policy, idle OpenMP threads spin
// for a while after each parallel region and take the cores from the BLAS
// threads doing the next matrix product. Measured on the 2-core machine
// (Transformer d=256, 2 threads): 1,301 target tok/s active vs 2,295 passive;
// the Bahdanau RNN 851 vs 1,982. The policy is read once, when libgomp loads,
// so the only way to set it from inside is to re-execute the program with it
// in the environment.
//
// LibTorch's c10d logs its own socket errors through glog (a rank that cannot
// reach the store, a peer that closed its connection) before s2s turns them
// into one sentence naming the rank; glog reads its level from the environment
// when it loads, so GLOG_minloglevel=3 (fatal only) is set the same way.
namespace s2s {

// Sets OMP_WAIT_POLICY=PASSIVE and GLOG_minloglevel=3 where unset (a user's own
// values are kept); true if it set either. Enough on its own in a program that
// has not loaded libgomp yet and is about to exec one that will (the launcher).
bool set_runtime_environment();

// set_runtime_environment(), then, if it changed anything, re-executes this
// program with the same arguments (libgomp has read the old policy already);
// returns only when nothing was to be done or exec failed.
void ensure_passive_openmp_wait(char** argv);

}  // namespace s2s
