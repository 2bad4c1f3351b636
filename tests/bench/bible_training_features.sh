#!/usr/bin/env bash
# Issue 19's training features measured on the Bible corpus (the demo's
# Transformer, d=128): test BLEU of the best checkpoint, the average of the last
# 5 kept checkpoints and the moving average (EMA), at the demo's budget (500
# steps; the demo makes 450-560 in its 3.25 minutes on this kind of machine) and
# at 3x it, with and without subword sampling (alpha 0.1 and 0.5, at the demo's
# budget), and an ensemble of two seeds;
# each difference to the best checkpoint with a paired bootstrap test.
#
# usage: bash tests/bench/bible_training_features.sh BUILD_DIR CORPUS_DIR OUT_DIR
#   CORPUS_DIR: a prepared Bible corpus (s2s prepare --bible --vocab-size 4000, as the demo makes it)
# Budgets are in steps and every process runs one thread, two at a time, so the
# figures do not depend on the machine's load (only the wall time does).
set -euo pipefail
S2S=$(realpath "$1")/s2s
CORPUS=$(realpath "$2")
OUT=$3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

common=(--config "$ROOT/models/transformer.json" --set "data.dir=$CORPUS"
        --set model.d_model=128 --set model.ff_dim=512 --set train.warmup_steps=150
        --set data.max_length=96 --set data.max_tokens=1500
        --set eval.max_sentences=100 --set eval.beam=1
        --set train.keep_last=5 --set train.ema_decay=0.999 --set train.threads=1 --set train.log_every=100)

train() {  # NAME OVERRIDES...
  local name=$1; shift
  [ -f "$OUT/$name/summary.json" ] && return 0
  "$S2S" train "${common[@]}" "$@" --out "$OUT/$name" > "$OUT/$name.log" 2>&1
}

start=$SECONDS
train base-s1 --set train.max_steps=500 --set eval.every_steps=50 --set train.seed=1 &
train base-s2 --set train.max_steps=500 --set eval.every_steps=50 --set train.seed=2 &
wait
train sampled-s1 --set train.max_steps=500 --set eval.every_steps=50 --set train.seed=1 --set data.sample_alpha=0.1 &
train long-s1 --set train.max_steps=1500 --set eval.every_steps=150 --set train.seed=1 &
wait
train sampled-a05-s1 --set train.max_steps=500 --set eval.every_steps=50 --set train.seed=1 --set data.sample_alpha=0.5
echo "training: $((SECONDS - start)) s" >&2

evaluate() {  # NAME ARGS...: test BLEU (beam 5) into eval-NAME.json, translations into NAME.hyp
  local name=$1; shift
  [ -f "$OUT/eval-$name.json" ] && return 0
  "$S2S" evaluate --threads 1 --json --beam 5 --src "$CORPUS/test.src" --ref "$CORPUS/test.trg" \
    --output "$OUT/$name.hyp" "$@" > "$OUT/eval-$name.json.tmp" 2> "$OUT/eval-$name.log"
  mv "$OUT/eval-$name.json.tmp" "$OUT/eval-$name.json"
}

start=$SECONDS
runs=(base-s1 base-s2 sampled-s1 sampled-a05-s1 long-s1)
for run in "${runs[@]}"; do
  [ -f "$OUT/$run/checkpoint_avg.pt" ] || "$S2S" average --model "$OUT/$run" --last 5 2>> "$OUT/average.log"
done
for run in "${runs[@]}"; do
  evaluate "$run-best" --model "$OUT/$run" &
  evaluate "$run-avg" --model "$OUT/$run" --checkpoint avg &
  wait
  evaluate "$run-ema" --model "$OUT/$run" --checkpoint ema
done
evaluate ensemble-s1-s2 --model "$OUT/base-s1" --model "$OUT/base-s2"
echo "evaluation: $((SECONDS - start)) s" >&2

# Paired bootstrap (1000 resamples, sacreBLEU's) of each variant against the run's best checkpoint.
for run in "${runs[@]}"; do
  "$S2S" bleu --ref "$CORPUS/test.trg" --hyp "$OUT/$run-best.hyp" --hyp "$OUT/$run-avg.hyp" --hyp "$OUT/$run-ema.hyp" \
    --paired-bs --json > "$OUT/paired-$run.json"
done
"$S2S" bleu --ref "$CORPUS/test.trg" --hyp "$OUT/base-s1-best.hyp" --hyp "$OUT/base-s2-best.hyp" \
  --hyp "$OUT/ensemble-s1-s2.hyp" --hyp "$OUT/sampled-s1-best.hyp" --hyp "$OUT/long-s1-best.hyp" --paired-bs --json \
  > "$OUT/paired-base-s1-vs.json"

python3 "$ROOT/tests/bench/summarize_training_features.py" "$OUT"
