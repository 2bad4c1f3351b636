#include "util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/error.h"

namespace s2s {

std::string temp_path_for(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

static void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void commit_temp_file(const std::string& temp_path, const std::string& final_path) {
  fsync_path(temp_path);
  if (std::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    std::string reason = std::strerror(errno);
    std::remove(temp_path.c_str());
    throw Error("cannot write " + final_path + ": " + reason);
  }
}

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  const std::string temp = temp_path_for(path);
  try {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot open " + path + " for writing: " + std::strerror(errno));
    write(out);
    out.flush();
    if (!out) throw Error("cannot write " + path + " (disk full?)");
  } catch (...) {
    std::remove(temp.c_str());
    throw;
  }
  commit_temp_file(temp, path);
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, [&](std::ostream& out) { out << text; });
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace s2s
