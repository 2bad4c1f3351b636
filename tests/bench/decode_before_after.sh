#!/usr/bin/env bash
# Decoding speed of two builds of s2s-engine side by side in one run, and
# whether they translate identically: for each beam, the two programs take
# turns translating the same file (ROUNDS rounds, the faster round of each
# reported, so that a burst of other load does not decide the ratio).
#   bash tests/bench/decode_before_after.sh BEFORE_ENGINE AFTER_ENGINE MODEL_DIR SRC_FILE [LINES] [THREADS] [ROUNDS]
# Prints a Markdown table (sentences/s, output tokens/s, ratio, identical
# outputs) and exits 1 when the outputs differ.
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: $0 BEFORE_ENGINE AFTER_ENGINE MODEL_DIR SRC_FILE [LINES] [THREADS] [ROUNDS]" >&2
  exit 2
fi
BEFORE=$1 AFTER=$2 MODEL=$3 SRC=$4 LINES=${5:-300} THREADS=${6:-1} ROUNDS=${7:-2}
for program in "$BEFORE" "$AFTER"; do
  [ -x "$program" ] || { echo "$0: $program is not an executable" >&2; exit 2; }
done
[ -f "$SRC" ] || { echo "$0: cannot read $SRC" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
head -n "$LINES" "$SRC" > "$WORK/src.txt"
# Set the OpenMP wait policy here, as the s2s launcher does, so that neither
# engine re-executes itself.
export OMP_WAIT_POLICY=PASSIVE

# seconds PROGRAM BEAM OUT: wall time of one translation of the file.
seconds() {
  local a b
  a=$(date +%s%N)
  "$1" translate --model "$MODEL" --input "$WORK/src.txt" --beam "$2" --threads "$THREADS" > "$3" 2> "$3.err"
  b=$(date +%s%N)
  awk -v ns=$((b - a)) 'BEGIN { printf "%.3f", ns / 1e9 }'
}

min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }

status=0
printf '| beam | before: sent/s | after: sent/s | before: tok/s | after: tok/s | speed-up | identical outputs |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | --- |\n'
for beam in 1 5; do
  best_before="" best_after=""
  for _ in $(seq "$ROUNDS"); do
    best_before=$(min "$best_before" "$(seconds "$BEFORE" "$beam" "$WORK/before.$beam")")
    best_after=$(min "$best_after" "$(seconds "$AFTER" "$beam" "$WORK/after.$beam")")
  done
  sentences=$(wc -l < "$WORK/src.txt")
  # Output tokens: whitespace-separated words plus one EOS per line (the words of the detokenized text).
  tokens=$(awk '{ n += NF + 1 } END { print n }' "$WORK/after.$beam")
  if cmp -s "$WORK/before.$beam" "$WORK/after.$beam"; then
    same="yes"
  else
    same="NO: $(diff "$WORK/before.$beam" "$WORK/after.$beam" | grep -c '^<') of $sentences lines differ"
    status=1
  fi
  awk -v k="$beam" -v s="$sentences" -v w="$tokens" -v b="$best_before" -v a="$best_after" -v same="$same" 'BEGIN {
    printf "| %d | %.2f | %.2f | %.0f | %.0f | %.2fx | %s |\n", k, s / b, s / a, w / b, w / a, b / a, same }'
done
echo "($(wc -l < "$WORK/src.txt") lines of $SRC, $THREADS thread(s), faster of $ROUNDS rounds each; tokens = output words + EOS;" \
  "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
exit "$status"
