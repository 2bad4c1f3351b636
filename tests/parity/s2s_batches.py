"""The batches `s2s train` feeds, reproduced in Python for the reference trainer.

A port of lib/data/batching.cpp (make_batches) together with the two pieces of
the C++ standard library it relies on, as libstdc++ (GCC 12, Debian 12)
implements them: std::mt19937_64 and std::shuffle. With these, the reference
sees the same pairs in the same batches in the same order as s2s for the same
seed. `check_against_libstdcxx()` compiles a few lines of C++ with the system
compiler and compares the generator and the shuffle against this port.
"""
import os
import subprocess
import tempfile

MASK64 = (1 << 64) - 1


class MT19937_64:
    """std::mt19937_64 (the 64-bit Mersenne Twister of C++11)."""

    N, M = 312, 156
    MATRIX_A = 0xB5026F5AA96619E9
    UPPER, LOWER = 0xFFFFFFFF80000000, 0x7FFFFFFF

    def __init__(self, seed):
        self.mt = [0] * self.N
        self.mt[0] = seed & MASK64
        for i in range(1, self.N):
            prev = self.mt[i - 1]
            self.mt[i] = (6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK64
        self.index = self.N

    def _twist(self):
        mt = self.mt
        for i in range(self.N):
            y = (mt[i] & self.UPPER) | (mt[(i + 1) % self.N] & self.LOWER)
            v = mt[(i + self.M) % self.N] ^ (y >> 1)
            if y & 1:
                v ^= self.MATRIX_A
            mt[i] = v
        self.index = 0

    def __call__(self):
        if self.index >= self.N:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK64


def uniform_int(rng, low, high):
    """std::uniform_int_distribution<uint64_t>{low, high}(mt19937_64): Lemire's
    nearly divisionless method on 128-bit products, as libstdc++ 12 does for a
    generator with a full 64-bit range."""
    span = high - low
    if span == MASK64:
        return rng() + low
    bound = span + 1
    product = rng() * bound
    low_bits = product & MASK64
    if low_bits < bound:
        threshold = ((1 << 64) - bound) % bound
        while low_bits < threshold:
            product = rng() * bound
            low_bits = product & MASK64
    return (product >> 64) + low


def shuffle(items, rng):
    """std::shuffle(first, last, mt19937_64) in libstdc++: when the generator's
    range covers n^2 it draws two swap positions per call."""
    n = len(items)
    if n <= 1:
        return
    if MASK64 // n >= n:
        i = 1
        if n % 2 == 0:
            j = uniform_int(rng, 0, 1)
            items[i], items[j] = items[j], items[i]
            i += 1
        while i != n:
            swap_range = i + 1
            x = uniform_int(rng, 0, swap_range * (swap_range + 1) - 1)
            first, second = x // (swap_range + 1), x % (swap_range + 1)
            items[i], items[first] = items[first], items[i]
            i += 1
            items[i], items[second] = items[second], items[i]
            i += 1
        return
    for i in range(n - 1, 0, -1):  # never reached for the corpus sizes used here
        j = uniform_int(rng, 0, i)
        items[i], items[j] = items[j], items[i]


def pair_cost(source, target):
    return max(len(source), len(target)) + 1


def make_batches(sources, targets, max_tokens, seed, epoch, max_sentences=0, shuffle_batches=True):
    """lib/data/batching.cpp make_batches: sort by (source length, target length,
    random tie-break), fill batches up to max_tokens = sentences x longest
    cost, then shuffle the batches. Returns lists of pair indices."""
    n = len(sources)
    rng = MT19937_64((seed * 1000003 + epoch) & MASK64)
    tiebreak = [rng() if shuffle_batches else 0 for _ in range(n)]
    order = sorted(range(n), key=lambda i: (len(sources[i]), len(targets[i]), tiebreak[i], i))
    batches, current, longest = [], [], 0
    for index in order:
        cost = pair_cost(sources[index], targets[index])
        if cost > max_tokens:
            raise ValueError(f"pair {index + 1} needs {cost} tokens, more than max_tokens={max_tokens}")
        new_longest = max(longest, cost)
        over_tokens = new_longest * (len(current) + 1) > max_tokens
        over_sentences = max_sentences > 0 and len(current) >= max_sentences
        if current and (over_tokens or over_sentences):
            batches.append(current)
            current, longest = [], 0
        current.append(index)
        longest = max(longest, cost)
    if current:
        batches.append(current)
    if shuffle_batches:
        shuffle(batches, rng)
    return batches


_CHECK_SOURCE = r"""
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>
int main() {
  const unsigned long long seeds[] = {1, 2, 3, 1000003ULL * 7 + 2};
  const int sizes[] = {1, 2, 5, 8, 57, 300};
  for (auto seed : seeds) {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 3; ++i) std::printf("%llu\n", (unsigned long long)rng());
    for (int n : sizes) {
      std::vector<int> v(n);
      std::iota(v.begin(), v.end(), 0);
      std::shuffle(v.begin(), v.end(), rng);
      for (int x : v) std::printf("%d ", x);
      std::printf("\n");
    }
  }
}
"""


def _python_check_output():
    lines = []
    for seed in (1, 2, 3, 1000003 * 7 + 2):
        rng = MT19937_64(seed)
        for _ in range(3):
            lines.append(str(rng()))
        for n in (1, 2, 5, 8, 57, 300):
            v = list(range(n))
            shuffle(v, rng)
            lines.append("".join(f"{x} " for x in v))
    return lines


def check_against_libstdcxx(compiler="g++"):
    """Compiles the C++ twin of _python_check_output and compares. Returns None
    when they agree, else a sentence saying what differs."""
    with tempfile.TemporaryDirectory() as tmp:
        source, binary = os.path.join(tmp, "check.cpp"), os.path.join(tmp, "check")
        with open(source, "w") as f:
            f.write(_CHECK_SOURCE)
        subprocess.run([compiler, "-std=c++17", "-O1", source, "-o", binary], check=True)
        expected = subprocess.run([binary], check=True, capture_output=True, text=True).stdout.splitlines()
    actual = _python_check_output()
    for line, (want, got) in enumerate(zip(expected, actual)):
        if want != got:
            return f"line {line + 1}: libstdc++ gives {want!r}, the Python port {got!r}"
    if len(expected) != len(actual):
        return f"libstdc++ printed {len(expected)} lines, the Python port {len(actual)}"
    return None


if __name__ == "__main__":
    problem = check_against_libstdcxx()
    print("batching port matches libstdc++" if problem is None else "MISMATCH: " + problem)
    raise SystemExit(0 if problem is None else 1)
