#include "util/openmp_wait.h"

#include <unistd.h>

#include <cstdlib>

namespace s2s {

void ensure_passive_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  if (::setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // exec failed (no /proc, say): carry on with the default policy.
}

}  // namespace s2s
