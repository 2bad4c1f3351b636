#!/usr/bin/env bash
# The parity runs behind docs/PARITY.md, one after another on one thread each
# (about an hour on a shared core). Each prints its Markdown table; all of them
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
