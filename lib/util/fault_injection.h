#pragma once
// Named points where a test can make the process die as `kill -9` would, to
// check that every such death is survivable (tests/test_kill_recovery.cpp).
// S2S_KILL_AT="NAME:N" sends SIGKILL to the process the N-th time it reaches
// fault_point("NAME"); without that variable a fault point does nothing.
// Points: "checkpoint_write" (half of a checkpoint's bytes written to its
// temporary file), "between_checkpoints" (checkpoint_best.pt renamed into
// place, checkpoint_last.pt not yet written).
namespace s2s {

void fault_point(const char* name);

}  // namespace s2s
