#include "util/fingerprint.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <vector>

#include "util/error.h"

namespace s2s {

namespace {

uint64_t add_bytes(uint64_t hash, const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

uint64_t fingerprint(const std::string& bytes, uint64_t seed) { return add_bytes(seed, bytes.data(), bytes.size()); }

uint64_t file_fingerprint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path + ": " + std::strerror(errno));
  uint64_t hash = kFingerprintSeed;
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hash = add_bytes(hash, buffer.data(), static_cast<size_t>(in.gcount()));
  }
  return hash;
}

std::string fingerprint_hex(uint64_t value) {
  std::ostringstream hex;
  hex << std::hex << std::setw(16) << std::setfill('0') << value;
  return hex.str();
}

}  // namespace s2s
