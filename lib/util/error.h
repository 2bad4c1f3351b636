#pragma once
// One exception type for every user-facing failure (bad input, bad config,
// corrupt checkpoint). The program catches it at the top, prints its message
// as one sentence on stderr and exits non-zero; nothing else is ever thrown
// on purpose for input problems.
#include <stdexcept>
#include <string>

namespace s2s {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace s2s
