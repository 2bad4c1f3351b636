#include "distributed/world.h"

#include <cstdlib>

#include "util/error.h"

namespace s2s {

namespace {

std::string variable(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

int integer_variable(const char* name, int lowest, int highest) {
  const std::string text = variable(name);
  if (text.empty()) throw UsageError(std::string("data-parallel training needs the environment variable ") + name);
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value < lowest || value > highest) {
    throw UsageError(std::string("environment variable ") + name + " is \"" + text + "\"; it must be an integer in [" +
                     std::to_string(lowest) + ", " + std::to_string(highest) + "]");
  }
  return static_cast<int>(value);
}

}  // namespace

WorldSpec world_from_environment() {
  WorldSpec spec;
  if (variable("WORLD_SIZE").empty()) return spec;
  spec.world_size = integer_variable("WORLD_SIZE", 1, 65536);
  if (spec.world_size == 1) return spec;
  spec.rank = integer_variable("RANK", 0, spec.world_size - 1);
  spec.local_rank = variable("LOCAL_RANK").empty() ? 0 : integer_variable("LOCAL_RANK", 0, spec.world_size - 1);
  spec.master_addr = variable("MASTER_ADDR");
  if (spec.master_addr.empty()) throw UsageError("data-parallel training needs the environment variable MASTER_ADDR");
  spec.master_port = integer_variable("MASTER_PORT", 1, 65535);
  spec.agent_store = variable("TORCHELASTIC_USE_AGENT_STORE") == "True";
  const std::string restart = variable("TORCHELASTIC_RESTART_COUNT");
  if (!restart.empty()) spec.store_prefix += "/restart" + restart;
  return spec;
}

}  // namespace s2s
