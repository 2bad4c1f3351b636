#pragma once
// Small questions about paths, asked in one place.
#include <cstdint>
#include <string>

namespace s2s {

// True when `path` names anything (file, directory, ...) that stat() can see.
bool path_exists(const std::string& path);

// The size in bytes of the file at `path`, or -1 when it cannot be stat()ed.
int64_t file_size_or_minus_one(const std::string& path);

}  // namespace s2s
