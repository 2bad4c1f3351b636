#!/usr/bin/env bash
# What keeping freed memory for reuse (lib/util/memory_reuse.h) buys, side by
# side in one run: each preset trains STEPS steps in s2s with glibc's default
# allocator behaviour and with s2s's own (the default since), and in the plain
# PyTorch reference (tests/parity/reference.py, the same model and batches)
# with glibc's default and with the same two settings given through the
# environment. Prints target tokens/s and peak resident memory for each.
#
# "glibc default" is asked for with GLIBC_TUNABLES=glibc.malloc.mmap_max=65536,
# glibc's own default value: any malloc tunable in the environment makes s2s
# keep the user's choice instead of its own.
#
# usage: tests/bench/allocator.sh [S2S_BINARY] [CORPUS_DIR] [OUT_DIR]
#   CORPUS_DIR: a prepared corpus (the Bible with a joint 8k vocabulary:
#   `s2s prepare --bible --vocab-size 8000 --out DIR`). STEPS (10), THREADS (1),
#   MAX_TOKENS (2000), PRESETS ("transformer rnn-attention rnn-luong").
set -euo pipefail
s2s=${1:-build/s2s}
corpus=${2:-.gpu/corpus}
out=${3:-runs/allocator}
steps=${STEPS:-10}
threads=${THREADS:-1}
max_tokens=${MAX_TOKENS:-2000}
read -r -a presets <<<"${PRESETS:-transformer rnn-attention rnn-luong}"
[ -f "$corpus/train.src" ] || { echo "allocator: no prepared corpus in $corpus" >&2; exit 1; }
mkdir -p "$out"

glibc_default=(env GLIBC_TUNABLES=glibc.malloc.mmap_max=65536)
kept_by_env=(env MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184)

# peak_mib COMMAND...: runs it (its output to stderr) and prints its peak
# resident set in MiB.
peak_mib() {
  /usr/bin/python3 -c '
import resource, subprocess, sys
status = subprocess.run(sys.argv[1:], stdout=sys.stderr).returncode
if status != 0: sys.exit(status)
print(round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))' "$@"
}
tokens_per_second() { /usr/bin/python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["target_tokens_per_second"]))' "$1"; }

rows=()
for preset in "${presets[@]}"; do
  row="| $preset"
  for variant in glibc kept; do
    run=$out/$preset-s2s-$variant
    rm -rf "$run"
    prefix=()
    [ "$variant" = glibc ] && prefix=("${glibc_default[@]}")
    mib=$(peak_mib "${prefix[@]}" "$s2s" train --config "models/$preset.json" --out "$run" \
      --set "data.dir=\"$corpus\"" --set train.max_steps="$steps" --set train.threads="$threads" \
      --set data.max_tokens="$max_tokens" --set eval.every_steps=0 --set eval.bleu=false --set train.log_every=10 \
      2> "$run.log")
    row+=" | $(tokens_per_second "$run/summary.json") | $mib"
  done
  for variant in glibc kept; do
    result=$out/$preset-pytorch-$variant.json
    prefix=("${glibc_default[@]}")
    [ "$variant" = kept ] && prefix=("${kept_by_env[@]}")
    mib=$(peak_mib "${prefix[@]}" /usr/bin/python3 tests/parity/reference.py --corpus "$corpus" \
      --config "$out/$preset-s2s-kept/config.json" --seed 1 --threads "$threads" --speed-only --out "$result")
    row+=" | $(tokens_per_second "$result") | $mib"
  done
  echo "$row |" >&2
  rows+=("$row |")
done

echo
echo "$steps steps each, $max_tokens-token batches, $threads thread(s), corpus $corpus; target tokens/s and peak resident MiB"
echo
echo "| preset | s2s, glibc default | MiB | s2s, memory kept | MiB | PyTorch, glibc default | MiB | PyTorch, memory kept (env) | MiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
