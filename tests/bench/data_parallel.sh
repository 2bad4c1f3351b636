#!/usr/bin/env bash
# Data-parallel training measured side by side (issue 22): for the Transformer
# and the attentional RNN presets on a prepared corpus, one after another in
# one run,
#   1x1: one process, one thread;  1x2: one process, two threads;
#   2x1: two processes (s2s train --nproc 2, c10d/Gloo over loopback), one thread each;
# each with the same batches per process (data.max_tokens), so 2x1 takes two
# batches a step. Prints target tokens per second of training time (validation
# excluded), their ratios to 1x1, and for 2x1 the time per step spent waiting
# on the collectives (the gradient buckets, the token count, the loss).
#
# usage: bash tests/bench/data_parallel.sh BUILD_DIR CORPUS_DIR OUT_DIR [STEPS]
set -euo pipefail
S2S=$(realpath "$1")/s2s
CORPUS=$(realpath "$2")
OUT=$3
STEPS=${4:-40}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

run() {  # NAME PRESET EXTRA...
  local name=$1 preset=$2; shift 2
  rm -rf "$OUT/$name"
  "$S2S" train --config "$ROOT/models/$preset.json" --set "data.dir=$CORPUS" --set data.max_tokens=2000 \
    --set train.max_steps="$STEPS" --set train.warmup_steps=20 --set train.log_every=5 \
    --set eval.every_steps=0 --set eval.bleu=false "$@" --out "$OUT/$name" > "$OUT/$name.log" 2>&1
}

for preset in transformer rnn-attention; do
  run "$preset-1x1" "$preset" --set train.threads=1
  run "$preset-1x2" "$preset" --set train.threads=2
  run "$preset-2x1" "$preset" --set train.threads=1 --nproc 2
done

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
print(f"{'model':<14} {'layout':<5} {'steps':>5} {'tok/s':>8} {'vs 1x1':>7} {'s/step':>7} {'comm s/step':>11}")
for preset in ("transformer", "rnn-attention"):
    base = None
    for layout in ("1x1", "1x2", "2x1"):
        run = f"{out}/{preset}-{layout}"
        summary = json.load(open(f"{run}/summary.json"))
        comm = [r["communication_seconds_per_step"] for r in map(json.loads, open(f"{run}/metrics.jsonl"))
                if r.get("type") == "train" and "communication_seconds_per_step" in r]
        rate = summary["target_tokens_per_second"]
        base = base or rate
        per_step = summary["train_seconds"] / summary["steps"]
        comm_text = f"{sum(comm) / len(comm):.3f}" if comm else "-"
        print(f"{preset:<14} {layout:<5} {summary['steps']:>5} {rate:>8.0f} {rate / base:>7.2f} {per_step:>7.3f} {comm_text:>11}")
PY
