#pragma once
// Runs work on a fresh thread whose stack this process allocates itself.
//
// Why: glibc keeps the stacks of finished threads in one process-wide cache, shared by every
// link namespace. The SentencePiece bridge lives in its own dlmopen() namespace with its own
// libc; when that libc starts a thread (SentencePiece's trainer does) on a cached stack, it
// frees the thread-local blocks the previous owner left there with its own free(), although
// our libc allocated them. A thread that touched the bridge's thread-locals must therefore
// never reach that cache: a thread on a caller-supplied stack is not cached, and its
// thread-locals are released by the allocator that made them. (Found by AddressSanitizer:
// subword sampling, then SentencePiece training, in one process.)
#include <functional>

namespace s2s {

// Runs `work` to completion on the new thread; exceptions thrown by `work` are rethrown here.
void run_on_own_stack_thread(const std::function<void()>& work);

}  // namespace s2s
