#include "util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
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

// False (errno set) when the data could not be made durable, e.g. ENOSPC or EIO.
static bool fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  return ok;
}

void commit_temp_file(const std::string& temp_path, const std::string& final_path) {
  if (!fsync_path(temp_path)) {
    std::string reason = std::strerror(errno);
    std::remove(temp_path.c_str());
    throw Error("cannot write " + final_path + ": " + reason + " (the previous version, if any, is kept)");
  }
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
    errno = 0;
    write(out);
    out.close();
    if (!out) {
      const std::string reason = errno != 0 ? std::strerror(errno) : "write failed (disk full?)";
      throw Error("cannot write " + path + ": " + reason + " (the previous version, if any, is kept)");
    }
  } catch (...) {
    std::remove(temp.c_str());
    throw;
  }
  commit_temp_file(temp, path);
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_file_atomically(path, [&](std::ostream& out) { out << text; });
}

void write_lines_atomically(const std::string& path, const std::vector<std::string>& lines) {
  write_file_atomically(path, [&](std::ostream& out) {
    for (const auto& line : lines) out << line << '\n';
  });
}

std::string read_text_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw Error("cannot open " + path + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace s2s
