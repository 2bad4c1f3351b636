#include "util/memory_reuse.h"

#include <malloc.h>
#include <sys/resource.h>

#include <climits>
#include <cstdlib>
#include <initializer_list>

namespace s2s {

bool keep_freed_memory_for_reuse() {
  for (const char* name : {"GLIBC_TUNABLES", "MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                           "MALLOC_TOP_PAD_"}) {
    if (std::getenv(name) != nullptr) return false;
  }
  // With no mmap'd chunks every allocation comes from the heaps, where freed
  // memory stays for reuse; a request too large for a thread's heap still
  // falls back to mmap inside glibc, so nothing fails for lack of it.
  const bool no_mmap = mallopt(M_MMAP_MAX, 0) == 1;
  const bool no_trim = mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1;
  return no_mmap && no_trim;
}

double peak_resident_mib() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0.0;
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

}  // namespace s2s
