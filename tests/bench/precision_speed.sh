#!/usr/bin/env bash
# Training speed in fp32 and bf16, s2s beside plain PyTorch, side by side in
# one run: each preset (Transformer, attentional LSTM) trains STEPS steps in
# s2s (train.precision fp32, then bf16) and in tests/parity/reference.py (the
# same model in torch.nn, the same batches, CPU autocast for bf16), one after
# another on THREADS threads. Prints a Markdown table of target tokens/s and
# the ratios (bf16 over fp32; s2s over PyTorch), then for fp32 the model
# FLOPs both achieve (counted analytically by reference.py over the batches both
# train on) against a matmul probe run here after each preset (the best of
# five 2048^3 fp32 products through the same LibTorch build of OpenBLAS, on
# THREADS threads), and s2s's peak resident memory.
#
# The reference runs with glibc's malloc told to keep freed memory
# (MALLOC_MMAP_MAX_=0, MALLOC_TRIM_THRESHOLD_), as s2s does by itself
# (lib/util/memory_reuse.h), so that the two compare model code, not allocator
# settings; tests/bench/allocator.sh measures both with and without it.
#
# usage: tests/bench/precision_speed.sh [S2S_BINARY] [CORPUS_DIR] [OUT_DIR]
#   CORPUS_DIR: a prepared corpus (default .gpu/corpus, the Bible with a joint 8k
#   vocabulary: `bash tests/gpu/gpu_checks.sh prepare`). STEPS (60), THREADS (1),
#   MAX_TOKENS (2000), PRESETS ("transformer rnn-attention").
set -euo pipefail
s2s=${1:-build/s2s}
corpus=${2:-.gpu/corpus}
out=${3:-runs/precision-speed}
steps=${STEPS:-60}
threads=${THREADS:-1}
max_tokens=${MAX_TOKENS:-2000}
read -r -a presets <<<"${PRESETS:-transformer rnn-attention}"
[ -f "$corpus/train.src" ] || { echo "precision_speed: no prepared corpus in $corpus" >&2; exit 1; }
mkdir -p "$out"

json_field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
tokens_per_second() { /usr/bin/python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["target_tokens_per_second"]))' "$1"; }
calc() { /usr/bin/python3 -c "print($1)"; }
# matmul_gflops: the best of five 2048^3 fp32 products, GFLOP/s.
matmul_gflops() {
  /usr/bin/python3 -c '
import sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
a, b, best = torch.randn(2048, 2048), torch.randn(2048, 2048), float("inf")
a @ b
for _ in range(5):
    t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)
print(round(2 * 2048 ** 3 / best / 1e9, 1))' "$threads"
}

rows=()
flop_rows=()
for preset in "${presets[@]}"; do
  declare -A figure=()
  for precision in fp32 bf16; do
    run=$out/$preset-$precision
    rm -rf "$run"
    "$s2s" train --config "models/$preset.json" --out "$run" --set "data.dir=\"$corpus\"" --set train.max_steps="$steps" \
      --set train.threads="$threads" --set train.precision="$precision" --set data.max_tokens="$max_tokens" \
      --set eval.every_steps=0 --set eval.bleu=false --set train.log_every=20 > "$run.log" 2>&1
    figure[s2s-$precision]=$(tokens_per_second "$run/summary.json")
    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184 /usr/bin/python3 tests/parity/reference.py --corpus "$corpus" --config "$run/config.json" --seed 1 \
      --threads "$threads" --precision "$precision" --speed-only --out "$out/$preset-$precision-pytorch.json"
    figure[torch-$precision]=$(tokens_per_second "$out/$preset-$precision-pytorch.json")
    if [ "$precision" = fp32 ]; then
      flops=$(json_field "$out/$preset-fp32-pytorch.json" model_flops)
      s2s_seconds=$(json_field "$run/summary.json" train_seconds)
      probe=$(matmul_gflops)
      s2s_gflops=$(calc "round($flops / $s2s_seconds / 1e9, 1)")
      torch_gflops=$(calc "round($(json_field "$out/$preset-fp32-pytorch.json" model_gflops_per_second), 1)")
      flop_rows+=("| $preset | $(calc "round($flops / $steps / 1e9, 1)") | $probe | $s2s_gflops | $(calc "f'{100 * $s2s_gflops / $probe:.0f}%'") | $torch_gflops | $(calc "f'{100 * $torch_gflops / $probe:.0f}%'") | $(calc "round($(json_field "$run/summary.json" peak_resident_mib))") |")
    fi
    echo "$preset $precision: s2s ${figure[s2s-$precision]} tok/s, PyTorch ${figure[torch-$precision]} tok/s" >&2
  done
  ratio() { /usr/bin/python3 -c "print(f'{$1 / $2:.2f}')"; }
  rows+=("| $preset | ${figure[s2s-fp32]} | ${figure[s2s-bf16]} | $(ratio "${figure[s2s-bf16]}" "${figure[s2s-fp32]}")x | ${figure[torch-fp32]} | ${figure[torch-bf16]} | $(ratio "${figure[torch-bf16]}" "${figure[torch-fp32]}")x | $(ratio "${figure[s2s-fp32]}" "${figure[torch-fp32]}")x | $(ratio "${figure[s2s-bf16]}" "${figure[torch-bf16]}")x |")
  unset figure
done

echo
echo "$steps steps each, $max_tokens-token batches, $threads thread(s), corpus $corpus; target tokens/s"
echo
echo "| preset | s2s fp32 | s2s bf16 | bf16/fp32 | PyTorch fp32 | PyTorch bf16 | bf16/fp32 | s2s/PyTorch fp32 | s2s/PyTorch bf16 |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
echo
echo "fp32 model FLOPs (matrix products of the forward pass x 3, padding included) against a 2048^3 matmul probe run after each preset"
echo
echo "| preset | GFLOP per step | probe GFLOP/s | s2s GFLOP/s | s2s utilisation | PyTorch GFLOP/s | PyTorch utilisation | s2s peak resident MiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${flop_rows[@]}"
