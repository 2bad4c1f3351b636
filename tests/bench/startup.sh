#!/usr/bin/env bash
# Start-up time of the commands a user runs most, before and after the
# launcher (app/launcher.cpp), side by side in one run: "engine" is
# s2s-engine started directly with a clean environment, which re-executes
# itself to set the OpenMP wait policy (what `s2s` did before the launcher);
# "s2s" is the launcher. Median wall time of RUNS runs each, in seconds.
#   bash tests/bench/startup.sh [BUILD_DIR] [WORK_DIR] [RUNS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
WORK=${2:-/tmp/s2s_startup}
RUNS=${3:-9}
rm -rf "$WORK" && mkdir -p "$WORK"
S2S=$BUILD/s2s
ENGINE=$BUILD/s2s-engine

# A one-line BLEU input and a tiny trained model for `translate`.
printf 'the cat sat on the mat\n' > "$WORK/hyp.txt"
printf 'the cat sat on a mat\n' > "$WORK/ref.txt"
"$S2S" synthetic --task reverse --min-length 3 --max-length 8 --symbols 12 --train 200 --dev 10 --test 10 \
  --out "$WORK/text" > /dev/null
"$S2S" prepare --train-src "$WORK/text/train.src" --train-trg "$WORK/text/train.trg" \
  --dev-src "$WORK/text/dev.src" --dev-trg "$WORK/text/dev.trg" \
  --test-src "$WORK/text/test.src" --test-trg "$WORK/text/test.trg" --vocab-size 20 --out "$WORK/corpus" > /dev/null 2>&1
"$S2S" train --config "$ROOT/models/transformer.json" --set data.dir="$WORK/corpus" --set train.max_steps=1 \
  --set eval.bleu=false --set eval.every_steps=0 --out "$WORK/model" > /dev/null 2>&1
head -1 "$WORK/text/test.src" > "$WORK/one.txt"

# median_seconds PROGRAM ARGS...: the median wall time of RUNS runs (output discarded).
median_seconds() {
  local times=()
  for _ in $(seq "$RUNS"); do
    local a b
    a=$(date +%s%N)
    env -u OMP_WAIT_POLICY -u GLOG_minloglevel "$@" > /dev/null 2>&1 || true
    b=$(date +%s%N)
    times+=("$(( (b - a) / 1000000 ))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END { printf "%.3f", t[int((NR + 1) / 2)] / 1000 }'
}

printf '| command | engine, re-exec (before) | s2s launcher (after) | ratio |\n| --- | ---: | ---: | ---: |\n'
row() {
  local label=$1; shift
  local before after
  before=$(median_seconds "$ENGINE" "$@")
  after=$(median_seconds "$S2S" "$@")
  awk -v label="$label" -v b="$before" -v a="$after" 'BEGIN { printf "| `s2s %s` | %s s | %s s | %.2fx |\n", label, b, a, b / a }'
}
row "--version" --version
row "--help" --help
row "bleu (one line)" bleu --hyp "$WORK/hyp.txt" --ref "$WORK/ref.txt"
row "translate (one line)" translate --threads 1 --model "$WORK/model" --input "$WORK/one.txt"
echo "($RUNS runs each, median; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg))"
