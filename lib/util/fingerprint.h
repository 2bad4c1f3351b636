#pragma once
// 64-bit FNV-1a: the one fingerprint of the project (cache keys, checkpoint
// checksums, prepare's record of its inputs). Not cryptographic: it detects
// change and damage, not tampering.
#include <cstdint>
#include <string>

namespace s2s {

constexpr uint64_t kFingerprintSeed = 1469598103934665603ULL;

// FNV-1a of `bytes`, continuing from `seed` (a previous fingerprint) when given.
uint64_t fingerprint(const std::string& bytes, uint64_t seed = kFingerprintSeed);

// FNV-1a of a file's bytes, read in blocks; s2s::Error naming the file when it cannot be read.
uint64_t file_fingerprint(const std::string& path);

// 16 lowercase hex digits.
std::string fingerprint_hex(uint64_t value);

}  // namespace s2s
