#!/usr/bin/env bash
# The parity runs behind docs/PARITY.md, one after another on one thread each
# (about three hours on a shared core). Each prints its Markdown table; all of them
# end up under OUT/<task>/<label>/report.md. SEEDS overrides the seeds.
#
# usage: tests/parity/run_all.sh [S2S_BINARY] [OUT_DIR]
set -euo pipefail
s2s=${1:-build/s2s}
out=${2:-runs/parity}
read -r -a seeds <<<"${SEEDS:-1 2}"
parity() { /usr/bin/python3 tests/parity/run_parity.py --s2s "$s2s" --out "$out" --seeds "${seeds[@]}" "$@"; }

parity --task reverse --model transformer-pre --steps 1000
parity --task reverse --model rnn-attention --steps 400 --lr 0.002 --eval-every 100
parity --task sort --model transformer-pre --steps 1000
parity --task reverse --model transformer-post --steps 1000
parity --task sort --model rnn-attention --steps 400 --lr 0.002 --eval-every 100
parity --task reverse --model transformer-pre --steps 1000 --set model.positions=learned --label transformer-pre-learned

# A subset of the Bible (sides of at most 20 words; 10,000 training pairs), with dropout and label smoothing
bible=(--task bible --max-length 20 --train-pairs 10000 --steps 1200 --eval-every 200 --lr 0.002 --label-smoothing 0.1 --set model.dropout=0.1)
parity "${bible[@]}" --model transformer-pre --warmup 200
parity "${bible[@]}" --model transformer-post --warmup 200
parity "${bible[@]}" --model rnn-attention --schedule constant --warmup 100

# The learning-rate x warmup sweep behind the demo's Transformer settings (s2s only; docs/PARITY.md)
demo=(--task bible --max-length 80 --train-pairs 29000 --vocab-size 4000 --max-tokens 1500 --set data.max_length=96
      --set train.precision=bf16 --label-smoothing 0.1 --steps 900 --eval-every 300 --seeds 1)
demo_transformer=(--model transformer-pre --set model.d_model=128 --set model.ff_dim=512 --set model.encoder_layers=3
                  --set model.decoder_layers=3 --set model.dropout=0.1)
/usr/bin/python3 tests/parity/sweep.py --out "$out" --name demo-transformer --lr 0.001 0.002 0.004 --warmup 50 150 400 \
  -- --s2s "$s2s" "${demo[@]}" "${demo_transformer[@]}"
