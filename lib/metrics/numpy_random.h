#pragma once
// numpy's default generator, bit for bit: `np.random.default_rng(seed)` is a
// PCG64 (XSL-RR 128/64) seeded through SeedSequence, and sacreBLEU's
// significance tests draw their resamples from it. Reproducing the exact
// stream is what lets `s2s bleu --paired-bs/--paired-ar` print sacreBLEU's
// numbers, not merely similar ones. Only the draws sacreBLEU makes are offered:
// `integers(0, n)` (int64, Lemire's bounded method, as `Generator.choice(n)`
// uses) and `integers(2, dtype=bool)`.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace s2s {

class NumpyRandom {
 public:
  // np.random.default_rng(seed) for a non-negative integer seed.
  explicit NumpyRandom(uint64_t seed);
  // np.random.default_rng(None): 128 bits from the operating system.
  static NumpyRandom from_os_entropy();

  uint64_t next_uint64();  // PCG64's raw output (bit_generator.random_raw())
  uint32_t next_uint32();  // low half of a raw draw, then its high half (numpy's buffered 32-bit draw)

  // rng.integers(0, n, size=count, dtype=np.int64) == rng.choice(n, size=count); n in [1, 2^32].
  std::vector<int64_t> integers_below(uint64_t n, size_t count);
  // rng.integers(2, size=count, dtype=bool), flattened in C order.
  std::vector<uint8_t> random_bools(size_t count);

 private:
  NumpyRandom() = default;
  void seed_from_words(const std::vector<uint32_t>& entropy);
  void step();

  unsigned __int128 state_ = 0, increment_ = 0;
  bool has_half_ = false;
  uint32_t half_ = 0;
};

// numpy's SeedSequence(entropy).generate_state(n_words, np.uint32), for tests and for the generator above.
std::vector<uint32_t> numpy_seed_sequence_state(const std::vector<uint32_t>& entropy, size_t n_words);

}  // namespace s2s
