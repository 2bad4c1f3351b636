#!/usr/bin/env bash
# Issue 4's learnability experiment at full size, through the real CLI:
# reverse random sequences of 5-30 symbols (20 distinct), train the
# Transformer, the RNN with Bahdanau attention and the RNN without attention
# on the same data and settings, and report greedy exact match on held-out
# sequences, overall and by length. The test suite runs a smaller version
# (tests/test_training.cpp, tag [learnability]).
#
# usage: tests/learnability/full_size.sh [S2S_BINARY] [OUT_DIR]
set -euo pipefail
s2s=${1:-build/s2s}
out=${2:-runs/learnability}
transformer_steps=${TRANSFORMER_STEPS:-5000}
rnn_steps=${RNN_STEPS:-1000}
threads=${THREADS:-1}

rm -rf "$out"
mkdir -p "$out"
"$s2s" synthetic --task reverse --min-length 5 --max-length 30 --symbols 20 \
  --train 8000 --dev 100 --test 500 --seed 7 --out "$out/raw" >/dev/null
"$s2s" prepare --train-src "$out/raw/train.src" --train-trg "$out/raw/train.trg" \
  --dev-src "$out/raw/dev.src" --dev-trg "$out/raw/dev.trg" \
  --test-src "$out/raw/test.src" --test-trg "$out/raw/test.trg" \
  --vocab-size 45 --out "$out/corpus" >/dev/null 2>&1

config() {  # name steps learning-rate model-json
  cat >"$out/$1.json" <<JSON
{"model": $4,
 "data": {"dir": "$out/corpus", "max_tokens": 1600},
 "train": {"learning_rate": $3, "warmup_steps": 200, "label_smoothing": 0.0,
           "max_steps": $2, "log_every": 100, "threads": $threads},
 "eval": {"every_steps": 500, "max_sentences": 100}}
JSON
}
config transformer "$transformer_steps" 0.001 \
  '{"architecture":"transformer","d_model":64,"heads":4,"ff_dim":128,"encoder_layers":2,"decoder_layers":2,"dropout":0.0}'
config rnn-attention "$rnn_steps" 0.002 \
  '{"architecture":"rnn","embed_dim":64,"hidden_dim":64,"encoder_layers":1,"decoder_layers":1,"attention":"bahdanau","attention_dim":64,"dropout":0.0}'
config rnn "$rnn_steps" 0.002 \
  '{"architecture":"rnn","embed_dim":64,"hidden_dim":64,"encoder_layers":1,"decoder_layers":1,"attention":"none","dropout":0.0}'

printf '%-14s %6s %8s %8s %8s %8s %10s\n' model steps "5-10" "11-20" "21-30" all train_s
for name in transformer rnn-attention rnn; do
  "$s2s" train --config "$out/$name.json" --out "$out/$name" >"$out/$name.log" 2>&1
  "$s2s" translate --threads "$threads" --beam 1 --model "$out/$name" \
    --input "$out/corpus/test.src" >"$out/$name.hyp" 2>/dev/null
  seconds=$(sed -n 's/.*"train_seconds": \([0-9.]*\).*/\1/p' "$out/$name/summary.json" 2>/dev/null || true)
  steps=$(sed -n 's/.*"steps": \([0-9]*\).*/\1/p' "$out/$name/summary.json" 2>/dev/null || true)
  paste -d '\t' "$out/$name.hyp" "$out/corpus/test.trg" "$out/corpus/test.src" | awk -F '\t' \
    -v name="$name" -v seconds="${seconds:-?}" -v steps="${steps:-?}" '
    { n = split($3, words, " "); bucket = n <= 10 ? 1 : (n <= 20 ? 2 : 3)
      total[bucket]++; all++
      if ($1 == $2) { right[bucket]++; right_all++ } }
    END { printf "%-14s %6s %8.3f %8.3f %8.3f %8.3f %10.1f\n", name, steps,
            right[1] / total[1], right[2] / total[2], right[3] / total[3], right_all / all, seconds }'
done
