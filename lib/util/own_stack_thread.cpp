#include "util/own_stack_thread.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "util/error.h"

namespace s2s {
namespace {

constexpr size_t kStackBytes = size_t{8} << 20;  // glibc's default for a new thread

struct Job {
  const std::function<void()>* work;
  std::exception_ptr failure;
};

extern "C" void* run_job(void* argument) {
  auto* job = static_cast<Job*>(argument);
  try {
    (*job->work)();
  } catch (...) {
    job->failure = std::current_exception();
  }
  return nullptr;
}

}  // namespace

void run_on_own_stack_thread(const std::function<void()>& work) {
  const size_t guard = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  void* mapping = ::mmap(nullptr, kStackBytes + guard, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                         -1, 0);
  if (mapping == MAP_FAILED) throw Error(std::string("cannot allocate a thread stack: ") + std::strerror(errno));
  ::mprotect(mapping, guard, PROT_NONE);  // the stack grows down onto this page: an overflow faults, not corrupts
  pthread_attr_t attributes;
  ::pthread_attr_init(&attributes);
  ::pthread_attr_setstack(&attributes, static_cast<char*>(mapping) + guard, kStackBytes);
  Job job{&work, nullptr};
  pthread_t thread;
  const int started = ::pthread_create(&thread, &attributes, run_job, &job);
  ::pthread_attr_destroy(&attributes);
  if (started == 0) ::pthread_join(thread, nullptr);
  ::munmap(mapping, kStackBytes + guard);
  if (started != 0) throw Error(std::string("cannot start a thread: ") + std::strerror(started));
  if (job.failure) std::rethrow_exception(job.failure);
}

}  // namespace s2s
