#!/usr/bin/env bash
# One search, measured: the native search over a training directory, the same
# C++ search over its export (lib/export/scripted_model.h), and the export's
# own TorchScript search as Python calls it (tests/python/translate_exported.py),
# one thread, on the transformer.json and rnn-attention.json presets after two
# training steps (near-random weights: every output runs to the a*|src|+b
# limit, so each line costs many decoder steps). Start-up (an empty input) is
# subtracted from every figure; every pair of outputs is compared.
#   bash tests/bench/one_search.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
WORK=${2:-/tmp/s2s_one_search}
S2S=$BUILD/s2s
PY=/usr/bin/python3
rm -rf "$WORK" && mkdir -p "$WORK"
export OMP_NUM_THREADS=1

"$S2S" synthetic --task reverse --min-length 8 --max-length 30 --symbols 40 --train 2000 --dev 50 --test 200 \
  --out "$WORK/text" > /dev/null
"$S2S" prepare --train-src "$WORK/text/train.src" --train-trg "$WORK/text/train.trg" \
  --dev-src "$WORK/text/dev.src" --dev-trg "$WORK/text/dev.trg" \
  --test-src "$WORK/text/test.src" --test-trg "$WORK/text/test.trg" --vocab-size 64 --out "$WORK/corpus" > /dev/null 2>&1
cp "$WORK/text/test.src" "$WORK/in.txt"
: > "$WORK/empty.txt"
for m in transformer rnn-attention; do
  "$S2S" train --config "$ROOT/models/$m.json" --set data.dir="$WORK/corpus" --set train.max_steps=2 \
    --set eval.bleu=false --set eval.every_steps=0 --out "$WORK/$m" > /dev/null 2>&1
  "$S2S" export --model "$WORK/$m" --out "$WORK/$m.pt" > /dev/null 2>&1
done
echo "$(wc -l < "$WORK/in.txt") lines, one thread, start-up subtracted"

now() { date +%s.%N; }
for m in transformer rnn-attention; do
  for beam in 1 5; do
    for rep in 1 2; do
      a=$(now); "$S2S" translate --threads 1 --beam $beam --model "$WORK/$m" --input "$WORK/in.txt" > "$WORK/native.$m.$beam" 2>/dev/null
      b=$(now); "$S2S" translate --threads 1 --beam $beam --model "$WORK/$m" --input "$WORK/empty.txt" > /dev/null 2>&1
      c=$(now); "$S2S" translate --threads 1 --beam $beam --model "$WORK/$m.pt" --input "$WORK/in.txt" > "$WORK/cpp.$m.$beam" 2>/dev/null
      d=$(now); "$S2S" translate --threads 1 --beam $beam --model "$WORK/$m.pt" --input "$WORK/empty.txt" > /dev/null 2>&1
      e=$(now); $PY "$ROOT/tests/python/translate_exported.py" "$WORK/$m.pt" --beam $beam --input "$WORK/in.txt" > "$WORK/ts.$m.$beam" 2>/dev/null
      f=$(now); $PY "$ROOT/tests/python/translate_exported.py" "$WORK/$m.pt" --beam $beam --input "$WORK/empty.txt" > /dev/null 2>&1
      g=$(now)
      $PY - "$m" "$beam" "$a" "$b" "$c" "$d" "$e" "$f" "$g" <<'PY'
import sys
m, beam = sys.argv[1], sys.argv[2]
a, b, c, d, e, f, g = map(float, sys.argv[3:])
native, over_export, torchscript = (b - a) - (c - b), (d - c) - (e - d), (f - e) - (g - f)
print(f"{m:14s} beam {beam}: native {native:6.2f} s | C++ search over the export {over_export:6.2f} s | "
      f"TorchScript search from Python {torchscript:6.2f} s")
PY
    done
    for other in cpp ts; do
      if cmp -s "$WORK/native.$m.$beam" "$WORK/$other.$m.$beam"; then echo "  $other: same lines as native"
      else echo "  $other: $(diff "$WORK/native.$m.$beam" "$WORK/$other.$m.$beam" | grep -c '^<') lines differ from native"; fi
    done
  done
done
