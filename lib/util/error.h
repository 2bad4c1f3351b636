#pragma once
// One exception type for every user-facing failure (bad input, bad config,
// corrupt checkpoint). The program catches it at the top, prints its message
// as one sentence on stderr and exits non-zero; nothing else is ever thrown
// on purpose for input problems.
//
// Exit codes: an s2s::Error is bad data (exit 1: a file that is missing,
// unreadable, malformed or does not fit); an s2s::UsageError is bad usage
// (exit 2: a flag or config key with a value out of its range or of the
// wrong type, flags that contradict each other).
#include <stdexcept>
#include <string>

namespace s2s {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct UsageError : Error {
  using Error::Error;
};

// The first line of a library's message, without trailing blanks: LibTorch's
// errors carry a backtrace after it, and a user-facing sentence is one line.
inline std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

}  // namespace s2s
