#include "util/openmp_wait.h"

#include <unistd.h>

#include <cstdlib>
#include <utility>

namespace s2s {

void ensure_passive_openmp_wait(char** argv) {
  bool changed = false;
  for (const auto& [name, value] : {std::pair{"OMP_WAIT_POLICY", "PASSIVE"}, std::pair{"GLOG_minloglevel", "3"}}) {
    if (std::getenv(name) != nullptr) continue;
    if (::setenv(name, value, 1) == 0) changed = true;
  }
  if (!changed) return;
  ::execv("/proc/self/exe", argv);
  // exec failed (no /proc, say): carry on with the defaults.
}

}  // namespace s2s
