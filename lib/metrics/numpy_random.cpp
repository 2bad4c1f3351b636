// PCG64 and SeedSequence as numpy implements them (numpy/random/bit_generator.pyx,
// numpy/random/src/pcg64, distributions.c); every constant below is part of
// numpy's documented stream, which is stable across numpy versions.
#include "metrics/numpy_random.h"

#include <random>

#include "util/error.h"

namespace s2s {
namespace {

using u128 = unsigned __int128;

constexpr uint32_t kInitA = 0x43b0d7e5, kMultA = 0x931e8875;
constexpr uint32_t kInitB = 0x8b51f9dd, kMultB = 0x58f38ded;
constexpr uint32_t kMixMultL = 0xca01f9dd, kMixMultR = 0x4973f715;
constexpr int kXShift = 16;
constexpr size_t kPoolSize = 4;

constexpr u128 kPcgMultiplier = (static_cast<u128>(0x2360ED051FC65DA4ull) << 64) | 0x4385DF649FCCF645ull;

uint32_t hashmix(uint32_t value, uint32_t& hash_const) {
  value ^= hash_const;
  hash_const *= kMultA;
  value *= hash_const;
  value ^= value >> kXShift;
  return value;
}

uint32_t mix(uint32_t x, uint32_t y) {
  uint32_t result = kMixMultL * x - kMixMultR * y;
  result ^= result >> kXShift;
  return result;
}

// SeedSequence.mix_entropy: the 4-word pool.
std::vector<uint32_t> mix_entropy(const std::vector<uint32_t>& entropy) {
  std::vector<uint32_t> pool(kPoolSize);
  uint32_t hash_const = kInitA;
  for (size_t i = 0; i < kPoolSize; ++i) pool[i] = hashmix(i < entropy.size() ? entropy[i] : 0u, hash_const);
  for (size_t src = 0; src < kPoolSize; ++src)
    for (size_t dst = 0; dst < kPoolSize; ++dst)
      if (src != dst) pool[dst] = mix(pool[dst], hashmix(pool[src], hash_const));
  for (size_t src = kPoolSize; src < entropy.size(); ++src)
    for (size_t dst = 0; dst < kPoolSize; ++dst) pool[dst] = mix(pool[dst], hashmix(entropy[src], hash_const));
  return pool;
}

// A Python int as SeedSequence sees it: 32-bit words, least significant first.
std::vector<uint32_t> seed_words(uint64_t seed) {
  std::vector<uint32_t> words{static_cast<uint32_t>(seed)};
  if (seed >> 32) words.push_back(static_cast<uint32_t>(seed >> 32));
  return words;
}

uint64_t rotate_right(uint64_t value, unsigned rot) { return (value >> rot) | (value << ((64 - rot) & 63)); }

}  // namespace

std::vector<uint32_t> numpy_seed_sequence_state(const std::vector<uint32_t>& entropy, size_t n_words) {
  const std::vector<uint32_t> pool = mix_entropy(entropy);
  std::vector<uint32_t> state(n_words);
  uint32_t hash_const = kInitB;
  for (size_t i = 0; i < n_words; ++i) {
    uint32_t value = pool[i % kPoolSize];
    value ^= hash_const;
    hash_const *= kMultB;
    value *= hash_const;
    value ^= value >> kXShift;
    state[i] = value;
  }
  return state;
}

NumpyRandom::NumpyRandom(uint64_t seed) { seed_from_words(seed_words(seed)); }

NumpyRandom NumpyRandom::from_os_entropy() {
  std::random_device device;
  std::vector<uint32_t> entropy(4);
  for (uint32_t& word : entropy) word = device();
  NumpyRandom rng;
  rng.seed_from_words(entropy);
  return rng;
}

void NumpyRandom::seed_from_words(const std::vector<uint32_t>& entropy) {
  // generate_state(4, np.uint64): pairs of 32-bit words, low word first.
  const std::vector<uint32_t> words = numpy_seed_sequence_state(entropy, 8);
  uint64_t v[4];
  for (int i = 0; i < 4; ++i) v[i] = static_cast<uint64_t>(words[2 * i]) | (static_cast<uint64_t>(words[2 * i + 1]) << 32);
  const u128 initial_state = (static_cast<u128>(v[0]) << 64) | v[1];
  const u128 sequence = (static_cast<u128>(v[2]) << 64) | v[3];
  // pcg_setseq_128_srandom_r
  state_ = 0;
  increment_ = (sequence << 1) | 1u;
  step();
  state_ += initial_state;
  step();
  has_half_ = false;
  half_ = 0;
}

void NumpyRandom::step() { state_ = state_ * kPcgMultiplier + increment_; }

uint64_t NumpyRandom::next_uint64() {
  step();
  const uint64_t high = static_cast<uint64_t>(state_ >> 64), low = static_cast<uint64_t>(state_);
  return rotate_right(high ^ low, static_cast<unsigned>(state_ >> 122));
}

uint32_t NumpyRandom::next_uint32() {
  if (has_half_) {
    has_half_ = false;
    return half_;
  }
  const uint64_t next = next_uint64();
  has_half_ = true;
  half_ = static_cast<uint32_t>(next >> 32);
  return static_cast<uint32_t>(next & 0xffffffffu);
}

std::vector<int64_t> NumpyRandom::integers_below(uint64_t n, size_t count) {
  if (n == 0 || n > (uint64_t{1} << 32)) throw Error("integers_below needs 1 <= n <= 2^32, got " + std::to_string(n));
  std::vector<int64_t> out(count);
  const uint64_t range = n - 1;  // numpy's closed range [0, range]
  if (range == 0) return out;    // no draw at all, as numpy
  if (range == 0xffffffffull) {
    for (int64_t& v : out) v = next_uint32();
    return out;
  }
  // buffered_bounded_lemire_uint32
  const uint32_t range_excl = static_cast<uint32_t>(range) + 1;
  for (int64_t& v : out) {
    uint64_t m = static_cast<uint64_t>(next_uint32()) * range_excl;
    uint32_t leftover = static_cast<uint32_t>(m);
    if (leftover < range_excl) {
      const uint32_t threshold = (UINT32_MAX - static_cast<uint32_t>(range)) % range_excl;
      while (leftover < threshold) {
        m = static_cast<uint64_t>(next_uint32()) * range_excl;
        leftover = static_cast<uint32_t>(m);
      }
    }
    v = static_cast<int64_t>(m >> 32);
  }
  return out;
}

std::vector<uint8_t> NumpyRandom::random_bools(size_t count) {
  // buffered_bounded_bool: one 32-bit draw serves 32 booleans, lowest bit first.
  std::vector<uint8_t> out(count);
  uint32_t buffer = 0;
  int bits_left = 0;
  for (uint8_t& v : out) {
    if (bits_left == 0) {
      buffer = next_uint32();
      bits_left = 31;
    } else {
      buffer >>= 1;
      --bits_left;
    }
    v = static_cast<uint8_t>(buffer & 1u);
  }
  return out;
}

}  // namespace s2s
