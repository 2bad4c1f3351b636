// libFuzzer harness: the corpus reader (lib/data/corpus.*) on arbitrary bytes,
// as a plain or gzipped text file and as TSV. Any s2s::Error is an accepted
// outcome (a clean refusal); a crash, a hang or any other exception is a bug.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "data/corpus.h"
#include "util/error.h"

namespace {

// An in-memory file with a path the reader can open (gzopen, ifstream).
struct MemoryFile {
  int fd;
  std::string path;
  MemoryFile(const uint8_t* data, size_t size) : fd(::memfd_create("fuzz", 0)) {
    if (size > 0 && ::write(fd, data, size) != static_cast<ssize_t>(size)) std::abort();
    path = "/proc/self/fd/" + std::to_string(fd);
  }
  ~MemoryFile() { ::close(fd); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the TSV columns; the rest is the file.
  const int source_column = data[0] & 3, target_column = (data[0] >> 2) & 3;
  MemoryFile file(data + 1, size - 1);
  try {
    s2s::LineReader reader(file.path);
    std::string line;
    while (reader.next(line)) {
    }
  } catch (const s2s::Error&) {
  }
  try {
    s2s::read_parallel_tsv(file.path, source_column, target_column);
  } catch (const s2s::Error&) {
  }
  try {
    s2s::read_parallel_text(file.path, file.path);
  } catch (const s2s::Error&) {
  }
  return 0;
}
