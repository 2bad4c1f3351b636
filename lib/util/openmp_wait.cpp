#include "util/openmp_wait.h"

#include <unistd.h>

#include <cstdlib>
#include <utility>

namespace s2s {

bool set_runtime_environment() {
  bool changed = false;
  for (const auto& [name, value] : {std::pair{"OMP_WAIT_POLICY", "PASSIVE"}, std::pair{"GLOG_minloglevel", "3"}}) {
    if (std::getenv(name) != nullptr) continue;
    if (::setenv(name, value, 1) == 0) changed = true;
  }
  return changed;
}

void ensure_passive_openmp_wait(char** argv) {
  if (!set_runtime_environment()) return;
  ::execv("/proc/self/exe", argv);
  // exec failed (no /proc, say): carry on with the defaults.
}

}  // namespace s2s
