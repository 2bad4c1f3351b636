#!/bin/bash
# Builds the libFuzzer harnesses with clang (in build-fuzz/ beside build/) and
# runs each for a bounded time on its seed corpus; prints executions and
# whether it found a crash. Not part of the default test run.
# Usage: bash tests/fuzz/run_fuzz.sh [SECONDS_PER_HARNESS (default 60)] [BUILD_DIR] [HARNESS...]
#   S2S_FUZZ_RUNS=N: stop a harness after N executions, if that comes before
#   SECONDS_PER_HARNESS (fork mode counts them per worker, so there only time stops it)
#   HARNESS: corpus_reader metrics config checkpoint exported_file (default: all)
# The two harnesses that link LibTorch run in libFuzzer's fork mode: LibTorch
# leaks a little on every malformed archive it refuses, so a long run outgrows
# any RSS limit; a worker that does is restarted (-ignore_ooms) and the run goes
# on. A crash or a leak of ours still ends it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SECONDS_EACH=${1:-60}
BUILD=${2:-$HERE/../../build-fuzz}
mkdir -p "$BUILD" && BUILD=$(cd "$BUILD" && pwd)  # absolute: the harnesses run inside it
shift $(( $# > 2 ? 2 : $# ))
HARNESSES=${*:-corpus_reader metrics config checkpoint exported_file}
cmake -S "$HERE" -B "$BUILD" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$BUILD.cmake.log" 2>&1 ||
  { cat "$BUILD.cmake.log"; exit 1; }
cmake --build "$BUILD" -j2 > "$BUILD.build.log" 2>&1 || { tail -50 "$BUILD.build.log"; exit 1; }
status=0
for harness in $HARNESSES; do
  corpus="$BUILD/corpus_$harness"
  mkdir -p "$corpus"
  seeds="$HERE/seeds/$harness"
  mode=()
  if [ "$harness" = checkpoint ] || [ "$harness" = exported_file ]; then  # seeds written by the harness itself
    seeds="$BUILD/seeds_$harness"
    mkdir -p "$seeds"
    S2S_FUZZ_WRITE_SEEDS="$seeds" "$BUILD/fuzz_$harness" > /dev/null 2>&1 || { echo "fuzz_$harness: cannot write its seeds"; exit 1; }
    mode=(-fork=1 -ignore_ooms=1)
  elif [ -n "${S2S_FUZZ_RUNS:-}" ]; then
    mode=(-runs="$S2S_FUZZ_RUNS")
  fi
  log="$BUILD/fuzz_$harness.log"
  # New inputs go to $corpus; the checked-in seeds are only read.
  # LibTorch's own leaks on malformed archives are suppressed by name (lsan_libtorch.supp).
  started=$(date +%s)
  if (cd "$BUILD" && LSAN_OPTIONS="suppressions=$HERE/lsan_libtorch.supp" "./fuzz_$harness" "${mode[@]}" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$corpus" "$seeds" > "$log" 2>&1); then
    result="no crash"
  else
    result="CRASH (see $log and $BUILD/crash-*)"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  # fork mode prints no final stats: its last status line "#N: cov: ..." has the total
  [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  [ -n "$runs" ] || runs="?"
  echo "fuzz_$harness: $runs executions in $(( $(date +%s) - started )) s (limit ${SECONDS_EACH} s), $result"
done
exit $status
