// The test binary keeps freed memory for reuse as s2s-engine does
// (lib/util/memory_reuse.h), so the tests that train run under the same
// allocator behaviour as the program, and faster.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "util/memory_reuse.h"

int main(int argc, char** argv) {
  s2s::keep_freed_memory_for_reuse();
  return Catch::Session().run(argc, argv);
}
