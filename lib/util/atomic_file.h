#pragma once
// Writing files so a reader never sees a half-written one: everything goes to
// "<path>.tmp.<pid>" first and is renamed over <path> only once complete.
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace s2s {

// Calls `write` with a stream to a temporary file beside `path`, flushes and
// fsyncs it, then renames it to `path`. On any failure (including an exception
// from `write`) the temporary file is removed and s2s::Error is thrown naming `path`.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

// Same, for a whole string.
void write_text_atomically(const std::string& path, const std::string& text);

// Same, each of `lines` followed by a newline.
void write_lines_atomically(const std::string& path, const std::vector<std::string>& lines);

// Renames a finished temporary file into place after fsync (for writers that
// need a file name rather than a stream, e.g. torch::save).
void commit_temp_file(const std::string& temp_path, const std::string& final_path);

// A unique temporary path beside `path`.
std::string temp_path_for(const std::string& path);

std::string read_text_file(const std::string& path);

}  // namespace s2s
