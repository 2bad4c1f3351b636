#!/usr/bin/env bash
# One or two training threads, quiet and beside one busy process, with
# Debian's two OpenBLAS builds side by side in one run: libopenblas0-pthread
# (installed by bootstrap.sh: OpenBLAS keeps its own thread pool beside
# LibTorch's OpenMP pool) and libopenblas0-openmp (one OpenMP pool for both),
# swapped in with LD_LIBRARY_PATH from a package unpacked under OUT_DIR
# (`apt-get download`; nothing is installed). Prints target tokens/s.
#
# usage: tests/bench/blas_threads.sh [S2S_BINARY] [CORPUS_DIR] [OUT_DIR]
#   STEPS (25), MAX_TOKENS (2000), PRESET (transformer)
set -euo pipefail
s2s=${1:-build/s2s}
corpus=${2:-.gpu/corpus}
out=${3:-runs/blas-threads}
steps=${STEPS:-25}
max_tokens=${MAX_TOKENS:-2000}
preset=${PRESET:-transformer}
[ -f "$corpus/train.src" ] || { echo "blas_threads: no prepared corpus in $corpus" >&2; exit 1; }
mkdir -p "$out"

openmp_dir=$out/openblas-openmp/usr/lib/x86_64-linux-gnu/openblas-openmp
if [ ! -f "$openmp_dir/libblas.so.3" ]; then
  (cd "$out" && apt-get download libopenblas0-openmp > /dev/null 2>&1) ||
    { echo "blas_threads: cannot download libopenblas0-openmp from the apt archive" >&2; exit 1; }
  dpkg -x "$out"/libopenblas0-openmp_*.deb "$out/openblas-openmp"
fi

# The LD_LIBRARY_PATH that selects OpenBLAS build $1 (pthread: the installed one).
blas_library_path() {
  if [ "$1" = openmp ]; then echo "$openmp_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; else echo "${LD_LIBRARY_PATH:-}"; fi
}

tokens_per_second() { /usr/bin/python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["target_tokens_per_second"]))' "$1"; }

# train_speed BLAS THREADS LOAD: target tokens/s of one short run.
train_speed() {
  local blas=$1 threads=$2 load=$3 run=$out/$1-$2-$3 busy=
  rm -rf "$run"
  if [ "$load" = busy ]; then
    /usr/bin/python3 -c 'while True: pass' &
    busy=$!
  fi
  LD_LIBRARY_PATH=$(blas_library_path "$blas") "$s2s" train --config "models/$preset.json" --out "$run" --set "data.dir=\"$corpus\"" \
    --set train.max_steps="$steps" --set train.threads="$threads" --set data.max_tokens="$max_tokens" \
    --set eval.every_steps=0 --set eval.bleu=false > "$run.log" 2>&1 || { [ -n "$busy" ] && kill "$busy"; cat "$run.log" >&2; exit 1; }
  [ -n "$busy" ] && kill "$busy" && wait "$busy" 2> /dev/null || true
  tokens_per_second "$run/summary.json"
}

echo "| OpenBLAS build | 1 thread | 2 threads | 2 / 1 | 1 thread, 1 busy process | 2 threads, 1 busy process | 2 / 1 busy |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for blas in pthread openmp; do
  # Which libblas the engine loads with this library path (to stderr).
  LD_LIBRARY_PATH=$(blas_library_path "$blas") ldd "$(dirname "$s2s")/s2s-engine" | grep 'libblas' >&2
  q1=$(train_speed "$blas" 1 quiet) q2=$(train_speed "$blas" 2 quiet)
  b1=$(train_speed "$blas" 1 busy) b2=$(train_speed "$blas" 2 busy)
  /usr/bin/python3 -c "import sys; q1,q2,b1,b2=map(int,sys.argv[2:]); print(f'| libopenblas0-{sys.argv[1]} | {q1:,} | {q2:,} | {q2/q1:.2f}x | {b1:,} | {b2:,} | {b2/b1:.2f}x |')" \
    "$blas" "$q1" "$q2" "$b1" "$b2"
done
echo
echo "($preset.json, $steps steps, $max_tokens-token batches, corpus $corpus, target tokens/s; $(nproc) cores)"
