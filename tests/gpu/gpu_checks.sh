#!/usr/bin/env bash
# The GPU checks, in one go on a machine with a CUDA LibTorch and no apt:
# build against that LibTorch, the test suite there plus the CUDA-only tests,
# each preset trained for a fixed number of steps in fp32 and bf16 (target
# tok/s, an MFU estimate against a bf16 matmul probe run in the same script,
# the two loss curves side by side), and `s2s bench` latency against length at
# batch 1 and 64.
#
#   here, once (a Debian 12 machine with apt and the Bible's SWORD packages):
#     bash tests/gpu/gpu_checks.sh prepare
#       -> .gpu/debs (the dependency prefix's .debs) and .gpu/corpus (the Bible corpus, joint 8k)
#   there (the device tool: carry [".gpu"]; its $OUT comes back):
#     bash tests/gpu/gpu_checks.sh run
#       -> $OUT/log, $OUT/summary.md, $OUT/results.json, the runs' metrics and the bench JSON
#   a dry run of the same steps on the CPU, against a build that exists:
#     DEVICE=cpu S2S_BUILD=build STEPS=10 bash tests/gpu/gpu_checks.sh run
#
# Settings (environment): DEVICE (cuda), STEPS (training steps per run, 300),
# MAX_TOKENS (batch size in tokens, 4000), PRECISIONS ("fp32 bf16"), PYTHON (python3,
# the one with torch), S2S_BUILD (an existing build: no build step), TESTS (1; 0 skips
# the test suite), OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
GPU_DIR=$ROOT/.gpu

prepare() {
  mkdir -p "$GPU_DIR"
  bash third_party/debian_prefix.sh download "$GPU_DIR/debs"
  local s2s=${S2S_BUILD:-build}/s2s
  [ -x "$s2s" ] || { echo "gpu_checks: build s2s first (bash bootstrap.sh test), or set S2S_BUILD" >&2; exit 1; }
  if [ ! -f "$GPU_DIR/corpus/train.src" ]; then
    "$s2s" prepare --bible --vocab-size 8000 --out "$GPU_DIR/corpus"
  fi
  rm -rf "$GPU_DIR/corpus/cache" "$GPU_DIR/corpus/raw"  # rebuilt or not needed there
  du -sh "$GPU_DIR"/* >&2
}

run() {
  DEVICE=${DEVICE:-cuda}
  STEPS=${STEPS:-300}
  MAX_TOKENS=${MAX_TOKENS:-4000}
  PRECISIONS=${PRECISIONS:-fp32 bf16}
  PYTHON=${PYTHON:-python3}
  OUT=${OUT:-/tmp/s2s-gpu-out}
  mkdir -p "$OUT"
  exec > >(tee -a "$OUT/log") 2>&1
  local started=$SECONDS
  echo "== machine"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  "$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())'
  nproc

  local build=${S2S_BUILD:-}
  if [ -z "$build" ]; then
    echo "== build against the Python install's LibTorch"
    build=/tmp/s2s-build
    local torch_prefix
    torch_prefix=$("$PYTHON" -c 'import torch; print(torch.utils.cmake_prefix_path)')
    bash third_party/debian_prefix.sh unpack "$GPU_DIR/debs" /tmp/s2s-prefix
    local generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    local t=$SECONDS
    bash third_party/debian_prefix.sh configure /tmp/s2s-prefix "$build" "$torch_prefix" "${generator[@]}" > "$OUT/configure.log"
    cmake --build "$build" -j "$(nproc)" > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
    echo "build: $((SECONDS - t)) s; warnings: $(grep -c 'warning:' "$OUT/build.log" || true)"
  fi
  build=$(realpath "$build")
  local s2s=$build/s2s
  "$s2s" --version

  echo "== tests"
  # The whole suite but its 11-minute learnability run; then the CUDA-only cases.
  [ "${TESTS:-1}" = 1 ] && (cd "$build" && timeout 300 ctest -j "$(nproc)" -E 'learn to reverse' --output-on-failure > "$OUT/ctest.log" 2>&1) || true
  grep -E 'tests passed|tests failed|\(Failed\)|Timeout' "$OUT/ctest.log" 2>/dev/null | head -20 || true
  if [ "$DEVICE" = cuda ] && [ "${TESTS:-1}" = 1 ]; then
    "$build/tests/s2s_tests" "[.cuda]" > "$OUT/cuda_tests.log" 2>&1 || true
    tail -4 "$OUT/cuda_tests.log"
  fi

  echo "== bf16 matmul probe"
  "$PYTHON" - "$DEVICE" > "$OUT/probe.json" <<'EOF'
import json, sys, time, torch
device = sys.argv[1]
n = 8192 if device == "cuda" else 1024
out = {}
for name, dtype in (("bf16", torch.bfloat16), ("fp32", torch.float32)):
    a = torch.randn(n, n, device=device, dtype=dtype); b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3): a @ b
    if device == "cuda": torch.cuda.synchronize()
    reps = 20 if device == "cuda" else 3
    t = time.time()
    for _ in range(reps): a @ b
    if device == "cuda": torch.cuda.synchronize()
    out[name + "_tflops"] = 2 * n ** 3 * reps / (time.time() - t) / 1e12
out["size"] = n
print(json.dumps(out))
EOF
  cat "$OUT/probe.json"

  echo "== training: $STEPS steps per run, $MAX_TOKENS-token batches, on $DEVICE"
  local corpus=$GPU_DIR/corpus
  if [ ! -f "$corpus/train.src" ]; then
    echo "(no .gpu/corpus: a synthetic reverse task instead)"
    "$s2s" synthetic --task reverse --train 20000 --min-length 5 --max-length 40 --symbols 200 --out /tmp/s2s-synthetic > /dev/null
    "$s2s" prepare --train-src /tmp/s2s-synthetic/train.src --train-trg /tmp/s2s-synthetic/train.trg \
      --dev-src /tmp/s2s-synthetic/dev.src --dev-trg /tmp/s2s-synthetic/dev.trg \
      --test-src /tmp/s2s-synthetic/test.src --test-trg /tmp/s2s-synthetic/test.trg --vocab-size 400 --out /tmp/s2s-synthetic-corpus > /dev/null
    corpus=/tmp/s2s-synthetic-corpus
  fi
  mkdir -p "$OUT/runs"
  for preset in rnn rnn-attention transformer; do
    for precision in $PRECISIONS; do
      local run=/tmp/s2s-runs/$preset-$precision
      rm -rf "$run"
      "$s2s" train --config "models/$preset.json" --device "$DEVICE" --out "$run" --set "data.dir=\"$corpus\"" \
        --set train.max_steps="$STEPS" --set train.precision="$precision" --set data.max_tokens="$MAX_TOKENS" \
        --set train.log_every=10 --set eval.every_steps=0 --set eval.max_sentences=100 > "$OUT/runs/$preset-$precision.log" 2>&1 ||
        { echo "train $preset $precision failed:"; tail -5 "$OUT/runs/$preset-$precision.log"; continue; }
      cp "$run/summary.json" "$OUT/runs/$preset-$precision.summary.json"
      cp "$run/metrics.jsonl" "$OUT/runs/$preset-$precision.metrics.jsonl"
      echo "$preset $precision: $(grep -o '"target_tokens_per_second": [0-9.]*' "$run/summary.json")"
    done
  done

  echo "== latency against length"
  for preset in rnn-attention transformer; do
    [ -f "/tmp/s2s-runs/$preset-fp32/summary.json" ] || continue
    for batch in 1 64; do
      "$s2s" bench --model "/tmp/s2s-runs/$preset-fp32" --device "$DEVICE" --batch-size "$batch" --repeats 5 \
        --lengths 8 16 32 64 128 256 > "$OUT/bench-$preset-b$batch.json" 2> "$OUT/bench-$preset-b$batch.log" ||
        { echo "bench $preset batch $batch failed:"; tail -3 "$OUT/bench-$preset-b$batch.log"; }
    done
  done

  "$PYTHON" tests/gpu/summarize.py "$OUT" "$DEVICE" > "$OUT/summary.md"
  cat "$OUT/summary.md"
  echo "gpu_checks: done in $((SECONDS - started)) s"
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
