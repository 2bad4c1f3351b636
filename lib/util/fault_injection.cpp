#include "util/fault_injection.h"

#include <csignal>
#include <cstdlib>
#include <map>
#include <string>

namespace s2s {

void fault_point(const char* name) {
  static const std::string spec = std::getenv("S2S_KILL_AT") ? std::getenv("S2S_KILL_AT") : "";
  if (spec.empty()) return;
  static std::map<std::string, long> reached;
  const auto colon = spec.rfind(':');
  const std::string point = spec.substr(0, colon);
  const long times = colon == std::string::npos ? 1 : std::atol(spec.c_str() + colon + 1);
  if (point == name && ++reached[point] == times) std::raise(SIGKILL);
}

}  // namespace s2s
