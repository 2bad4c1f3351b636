#!/bin/bash
# The bad-input suite: every case runs the built `s2s` on a small broken input
# and asserts what a user must see (README, "Errors"):
#   - the exit code: 1 for bad data, 2 for bad usage (0 for the inputs that are
#     odd but valid: CRLF, a byte-order mark, an over-long line);
#   - exactly one "s2s: error:" line on stderr, naming the file:line or the key
#     (the case's expected text);
#   - no stack trace ("Exception raised from", "frame #") and no 309-digit bound;
#   - the output file or directory absent, or unchanged when it existed;
#   - no hang (each case runs under `timeout`).
#
# Usage: run_bad_inputs.sh S2S_BINARY WORK_DIR setup|GROUP
#   setup  makes the shared fixtures in WORK_DIR (tiny corpus, an RNN and a
#          Transformer run, an export); the groups prepare, train, translate,
#          evaluate, bleu, compare, export, average run their cases against them.
#   all    setup and every group, one after the other.
set -u
S2S=$1
WORK=$2
GROUP=$3
export OMP_WAIT_POLICY=PASSIVE  # saves the re-exec of every start (lib/util/openmp_wait.cpp)
CASES=0
FAILED=0
OUT="$WORK/out_$GROUP"  # each group its own output path, so groups may run in parallel

fail() {
  echo "FAIL [$CURRENT]: $*"
  FAILED=$((FAILED + 1))
}

# Snapshot of a path (absent, or the checksums of every file under it).
snapshot() {
  if [ -e "$1" ]; then (cd "$1" 2>/dev/null && find . -type f | sort | xargs -r md5sum) || md5sum "$1"; else echo absent; fi
}

# expect NAME CODE TEXT OUTPUT_PATH -- s2s ARGS...   (stdin from /dev/null unless the args redirect)
# TEXT: a fixed string the error line must contain (for CODE 0: the stderr must contain it; "" = anything).
# OUTPUT_PATH: a path that must be absent or unchanged afterwards ("-" = none).
expect() {
  CURRENT=$1
  local code=$2 text=$3 output=$4
  shift 5
  CASES=$((CASES + 1))
  local before
  before=$(snapshot "$output")
  timeout 120 "$S2S" "$@" < "${STDIN:-/dev/null}" > "$OUT.stdout" 2> "$OUT.stderr"
  local got=$?
  local errors
  errors=$(grep -c "^s2s: error:" "$OUT.stderr")
  if [ "$got" = 124 ]; then fail "timed out (hang)"; return; fi
  [ "$got" = "$code" ] || fail "exit code $got, expected $code: $(tail -c 400 "$OUT.stderr")"
  if [ "$code" != 0 ]; then
    [ "$errors" = 1 ] || fail "$errors error lines, expected 1: $(tail -c 400 "$OUT.stderr")"
    grep "^s2s: error:" "$OUT.stderr" | grep -qF -- "$text" || fail "error does not name \"$text\": $(grep '^s2s: error:' "$OUT.stderr" | head -c 400)"
  else
    [ "$errors" = 0 ] || fail "unexpected error: $(head -c 400 "$OUT.stderr")"
    [ -z "$text" ] || grep -qF -- "$text" "$OUT.stderr" || fail "stderr lacks \"$text\": $(head -c 400 "$OUT.stderr")"
  fi
  if grep -qE "Exception raised from|frame #[0-9]|terminate called|[0-9]{30}" "$OUT.stderr"; then
    fail "stack trace, abort or huge number on stderr"
  fi
  [ "$output" = - ] || [ "$(snapshot "$output")" = "$before" ] || fail "$output was created or changed"
  [ -z "${VERBOSE:-}" ] || echo "ok  [$CURRENT] $(grep '^s2s: error:' "$OUT.stderr" | head -c 200)"
}

setup() {
  rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
  cd "$WORK" || exit 1
  "$S2S" synthetic --task copy --min-length 2 --max-length 6 --symbols 8 --train 200 --dev 20 --test 20 --out raw > /dev/null || exit 1
  "$S2S" prepare --train-src raw/train.src --train-trg raw/train.trg --dev-src raw/dev.src --dev-trg raw/dev.trg \
    --test-src raw/test.src --test-trg raw/test.trg --vocab-size 21 --out corpus > /dev/null 2>&1 || exit 1
  cat > rnn.json <<JSON
{"data": {"dir": "$WORK/corpus", "max_tokens": 400},
 "model": {"architecture": "rnn", "embed_dim": 16, "hidden_dim": 16, "encoder_layers": 1, "decoder_layers": 1, "attention_dim": 16},
 "train": {"max_steps": 2, "threads": 1, "log_every": 1}, "eval": {"every_steps": 0, "max_sentences": 5}}
JSON
  sed -e 's/"architecture": "rnn", "embed_dim": 16, "hidden_dim": 16/"architecture": "transformer", "d_model": 16, "heads": 2, "ff_dim": 16/' \
      -e 's/, "attention_dim": 16//' rnn.json > transformer.json
  "$S2S" train --config rnn.json --out rnn > /dev/null 2>&1 || { echo "setup: training the RNN failed"; exit 1; }
  "$S2S" train --config transformer.json --out transformer > /dev/null 2>&1 || { echo "setup: training the Transformer failed"; exit 1; }
  "$S2S" export --model transformer --out transformer.pt > /dev/null 2>&1 || { echo "setup: export failed"; exit 1; }
  # Broken inputs.
  printf 'a b\nc \xff d\n' > bad_utf8.txt
  printf 'a b\nc \000 d\n' > nul.txt
  printf 'a b\r\nc d\r\n' > crlf.txt
  printf '\xef\xbb\xbfa b\nc d\n' > bom.txt
  printf 'a b\tb a\nc d\n' > short.tsv
  printf 'a b\nc d\ne f\n' > three.txt
  printf 'a b\nc d\n' > two.txt
  : > empty.txt
  mkdir -p a_directory empty_dir
  head -c 100000 /dev/urandom > random.bin
  python3 -c "print(' '.join(['a b c d'] * 250000))" > long_line.txt 2>/dev/null || \
    awk 'BEGIN { for (i = 0; i < 250000; i++) printf "a b c d "; print "" }' > long_line.txt
  gzip -c raw/train.src | head -c 300 > truncated.gz
  echo '{"data": {"dir": ' > invalid.json
  cp -r rnn rnn_mismatch && sed -i 's/"hidden_dim": 16/"hidden_dim": 24/' rnn_mismatch/config.json
  cp -r rnn rnn_truncated && head -c 200 rnn/checkpoint_last.pt > rnn_truncated/checkpoint_last.pt && rm -f rnn_truncated/checkpoint_best.pt
  cp -r rnn rnn_foreign && cp random.bin rnn_foreign/checkpoint_best.pt
  head -c 3000 transformer.pt > truncated.pt
  cp random.bin foreign.pt
  echo '{"models": {}}' > compare_bad.json
  # Kept checkpoints for `average` (a full checkpoint loads as one), one of them foreign.
  cp -r rnn rnn_kept && cp rnn/checkpoint_last.pt rnn_kept/checkpoint_step5.pt
  cp -r rnn rnn_kept_bad && cp rnn/checkpoint_last.pt rnn_kept_bad/checkpoint_step5.pt && cp random.bin rnn_kept_bad/checkpoint_step7.pt
  echo "setup done"
}

group_prepare() {
  local P="prepare --dev-size 5 --test-size 5 --vocab-size 21"
  expect "prepare: missing file" 1 "missing.txt" "$OUT" -- $P --train-src missing.txt --train-trg raw/train.trg --out "$OUT"
  expect "prepare: directory as file" 1 "a_directory" "$OUT" -- $P --train-src a_directory --train-trg raw/train.trg --out "$OUT"
  expect "prepare: empty files" 1 "empty.txt" "$OUT" -- $P --train-src empty.txt --train-trg empty.txt --out "$OUT"
  expect "prepare: line counts differ" 1 "three.txt" "$OUT" -- $P --train-src three.txt --train-trg two.txt --out "$OUT"
  expect "prepare: invalid UTF-8" 1 "bad_utf8.txt:2" "$OUT" -- $P --train-src bad_utf8.txt --train-trg two.txt --out "$OUT"
  expect "prepare: NUL byte" 1 "nul.txt:2" "$OUT" -- $P --train-src nul.txt --train-trg two.txt --out "$OUT"
  expect "prepare: TSV with too few fields" 1 "short.tsv:2" "$OUT" -- $P --train-tsv short.tsv --out "$OUT"
  expect "prepare: truncated gzip" 1 "truncated.gz" "$OUT" -- $P --train-src truncated.gz --train-trg raw/train.trg --out "$OUT"
  expect "prepare: unknown flag" 2 "--vocab" "$OUT" -- prepare --vocab 8 --train-src raw/train.src --train-trg raw/train.trg --out "$OUT"
  expect "prepare: vocabulary size 0" 2 "--vocab-size" "$OUT" -- prepare --dev-size 5 --test-size 5 --vocab-size 0 --train-src raw/train.src --train-trg raw/train.trg --out "$OUT"
  expect "prepare: negative dev size" 2 "--dev-size" "$OUT" -- prepare --test-size 5 --dev-size -3 --train-src raw/train.src --train-trg raw/train.trg --out "$OUT"
  expect "prepare: output is a file" 1 "two.txt" two.txt -- $P --train-src raw/train.src --train-trg raw/train.trg --out two.txt
  expect "prepare: --tokenizer-from without a tokenizer" 2 "--tokenizer-from" "$OUT" -- $P --train-src raw/train.src --train-trg raw/train.trg --tokenizer-from empty_dir --out "$OUT"
  expect "prepare: --tokenizer-from missing" 2 "nowhere" "$OUT" -- $P --train-src raw/train.src --train-trg raw/train.trg --tokenizer-from nowhere --out "$OUT"
}

group_train() {
  local T="train --config rnn.json"
  expect "train: missing config" 1 "missing.json" "$OUT" -- train --config missing.json --out "$OUT"
  expect "train: config is a directory" 1 "a_directory" "$OUT" -- train --config a_directory --out "$OUT"
  expect "train: invalid JSON" 1 "invalid.json" "$OUT" -- train --config invalid.json --out "$OUT"
  expect "train: unknown key" 2 "train.lerning_rate" "$OUT" -- $T --set train.lerning_rate=0.1 --out "$OUT"
  expect "train: wrong type" 2 "train.max_steps" "$OUT" -- $T --set train.max_steps='"many"' --out "$OUT"
  expect "train: zero width (rnn)" 2 "model.hidden_dim" "$OUT" -- $T --set model.hidden_dim=0 --out "$OUT"
  expect "train: zero width (transformer)" 2 "model.d_model" "$OUT" -- train --config transformer.json --set model.d_model=0 --out "$OUT"
  expect "train: heads do not divide width" 2 "model.heads" "$OUT" -- train --config transformer.json --set model.heads=3 --out "$OUT"
  expect "train: dropout 1.5" 2 "model.dropout" "$OUT" -- train --config transformer.json --set model.dropout=1.5 --out "$OUT"
  expect "train: negative attention dropout" 2 "model.attention_dropout" "$OUT" -- train --config transformer.json --set model.attention_dropout=-0.1 --out "$OUT"
  expect "train: negative learning rate" 2 "train.learning_rate" "$OUT" -- $T --set train.learning_rate=-0.001 --out "$OUT"
  expect "train: label smoothing 1" 2 "train.label_smoothing" "$OUT" -- $T --set train.label_smoothing=1.0 --out "$OUT"
  expect "train: beta1 1" 2 "train.beta1" "$OUT" -- $T --set train.beta1=1.0 --out "$OUT"
  expect "train: accumulate 0" 2 "train.accumulate" "$OUT" -- $T --set train.accumulate=0 --out "$OUT"
  expect "train: eval beam 0" 2 "eval.beam" "$OUT" -- $T --set eval.beam=0 --out "$OUT"
  expect "train: batch budget 0" 2 "data.max_tokens" "$OUT" -- $T --set data.max_tokens=0 --out "$OUT"
  expect "train: negative max length a" 2 "eval.max_length_a" "$OUT" -- $T --set eval.max_length_a=-1 --out "$OUT"
  expect "train: unknown architecture" 2 "model.architecture" "$OUT" -- $T --set model.architecture=lstm --out "$OUT"
  expect "train: unknown attention" 2 "model.attention" "$OUT" -- $T --set model.attention=cosine --out "$OUT"
  expect "train: no budget" 2 "train.max_steps" "$OUT" -- $T --set train.max_steps=0 --out "$OUT"
  expect "train: max positions too small for eval" 2 "model.max_positions" "$OUT" -- train --config transformer.json --set model.max_positions=8 --out "$OUT"
  expect "train: --set without =" 2 "--set" "$OUT" -- $T --set train.max_steps --out "$OUT"
  expect "train: negative threads flag" 2 "--threads" "$OUT" -- $T --threads -1 --out "$OUT"
  expect "train: data.dir missing" 1 "nowhere" "$OUT" -- $T --set data.dir=nowhere --out "$OUT"
  expect "train: data.dir not a corpus" 1 "empty_dir" "$OUT" -- $T --set data.dir="$WORK/empty_dir" --out "$OUT"
  expect "train: existing run without --resume" 2 "--resume" rnn -- $T --out rnn
  expect "train: --resume without checkpoint" 2 "checkpoint_last.pt" empty_dir -- train --resume --config rnn.json --out empty_dir
  expect "train: --resume with another width" 2 "model.hidden_dim" rnn -- train --resume --out rnn --set model.hidden_dim=32
  expect "train: --resume with another data.dir" 2 "data.dir" rnn -- train --resume --out rnn --set data.dir="$WORK/raw"
  expect "train: sample_nbest 1" 2 "data.sample_nbest" "$OUT" -- $T --set data.sample_nbest=1 --out "$OUT"
  expect "train: negative sample_alpha" 2 "data.sample_alpha" "$OUT" -- $T --set data.sample_alpha=-0.1 --out "$OUT"
  expect "train: ema_decay 1" 2 "train.ema_decay" "$OUT" -- $T --set train.ema_decay=1.0 --out "$OUT"
  expect "train: negative keep_last" 2 "train.keep_last" "$OUT" -- $T --set train.keep_last=-1 --out "$OUT"
  expect "train: --init-from missing" 2 "nowhere" "$OUT" -- $T --init-from nowhere --out "$OUT"
  expect "train: --init-from another model" 2 "model.architecture" "$OUT" -- train --config transformer.json --init-from rnn --out "$OUT"
  expect "train: --init-from another width" 2 "model.hidden_dim" "$OUT" -- $T --set model.hidden_dim=32 --init-from rnn --out "$OUT"
  expect "train: --nproc 0" 2 "--nproc" "$OUT" -- $T --nproc 0 --out "$OUT"
  expect "train: distributed timeout 0" 2 "train.distributed_timeout_seconds" "$OUT" -- $T --set train.distributed_timeout_seconds=0 --out "$OUT"
  expect "train: --nproc on an existing run without --resume" 2 "--resume" rnn -- $T --nproc 2 --out rnn
  WORLD_SIZE=2 RANK=5 expect "train: RANK outside WORLD_SIZE" 2 "RANK" "$OUT" -- $T --out "$OUT"
  WORLD_SIZE=2 RANK=0 MASTER_PORT=29500 expect "train: WORLD_SIZE without MASTER_ADDR" 2 "MASTER_ADDR" "$OUT" -- $T --out "$OUT"
}

group_translate() {
  expect "translate: missing model" 1 "nowhere" - -- translate --model nowhere
  expect "translate: model dir without config" 1 "empty_dir" - -- translate --model empty_dir
  expect "translate: missing input" 1 "missing.txt" - -- translate --model rnn --input missing.txt
  expect "translate: input is a directory" 1 "a_directory" - -- translate --model rnn --input a_directory
  expect "translate: invalid UTF-8" 1 "bad_utf8.txt:2" - -- translate --model rnn --input bad_utf8.txt
  expect "translate: NUL byte" 1 "nul.txt:2" - -- translate --model rnn --input nul.txt
  STDIN=bad_utf8.txt expect "translate: invalid UTF-8 on stdin" 1 "stdin:2" - -- translate --model rnn
  expect "translate: beam 0" 2 "--beam" - -- translate --model rnn --beam 0
  expect "translate: beam not a number" 2 "--beam" - -- translate --model rnn --beam five
  expect "translate: negative max-length-a" 2 "--max-length-a" - -- translate --model rnn --max-length-a -1
  expect "translate: nbest over beam" 2 "--nbest" - -- translate --model rnn --beam 2 --nbest 3
  expect "translate: unknown checkpoint" 2 "--checkpoint" - -- translate --model rnn --checkpoint middle
  expect "translate: checkpoint name with a slash" 2 "--checkpoint" - -- translate --model rnn --checkpoint ../rnn/last
  expect "translate: unknown length normalisation" 2 "--length-norm" - -- translate --model rnn --length-norm mean
  expect "translate: negative min length" 2 "--min-length" - -- translate --model rnn --min-length -1
  expect "translate: an export in an ensemble" 2 "transformer.pt" - -- translate --model transformer.pt --model rnn --input two.txt
  expect "translate: an ensemble member missing" 1 "nowhere" - -- translate --model rnn --model nowhere --input two.txt
  # An export decodes through the same search as a run (export/scripted_model.h): every search flag works.
  expect "translate: export with another length normalisation and --min-length" 0 "" - -- translate --model transformer.pt --length-norm average --min-length 2 --input two.txt
  expect "translate: export with --nbest" 0 "" - -- translate --model transformer.pt --beam 3 --nbest 3 --input two.txt
  [ "$(grep -c . "$OUT.stdout")" -gt 2 ] || fail "--nbest 3 of an export: $(grep -c . "$OUT.stdout") hypothesis lines for 2 sentences"
  expect "translate: export with --attention-json" 0 "" - -- translate --model transformer.pt --attention-json --input two.txt
  grep -q '"attention"' "$OUT.stdout" || fail "--attention-json of an export printed no attention: $(head -c 300 "$OUT.stdout")"
  expect "translate: unknown flag" 2 "--bem" - -- translate --model rnn --bem 3
  expect "translate: config.json does not match checkpoint" 1 "rnn_mismatch/config.json" - -- translate --model rnn_mismatch --input two.txt
  expect "translate: truncated checkpoint" 1 "truncated" - -- translate --model rnn_truncated --checkpoint last --input two.txt
  expect "translate: foreign checkpoint" 1 "rnn_foreign/checkpoint_best.pt" - -- translate --model rnn_foreign --input two.txt
  expect "translate: foreign .pt file" 1 "foreign.pt" - -- translate --model foreign.pt --input two.txt
  expect "translate: truncated .pt file" 1 "truncated.pt" - -- translate --model truncated.pt --input two.txt
  expect "translate: CRLF accepted" 0 "" - -- translate --model rnn --input crlf.txt
  grep -q $'\r' "$OUT.stdout" && fail "a carriage return reached the output"
  [ "$(wc -l < "$OUT.stdout")" = 2 ] || fail "CRLF input: $(wc -l < "$OUT.stdout") output lines, expected 2"
  expect "translate: byte-order mark accepted" 0 "" - -- translate --model rnn --input bom.txt
  expect "translate: 1 MB line, RNN (truncated with a warning)" 0 "long_line.txt:1" - -- translate --model rnn --beam 5 --input long_line.txt
  expect "translate: 1 MB line, Transformer" 0 "long_line.txt:1" - -- translate --model transformer --beam 5 --input long_line.txt
  expect "translate: 1 MB line, exported" 0 "long_line.txt:1" - -- translate --model transformer.pt --beam 5 --input long_line.txt
}

group_evaluate() {
  expect "evaluate: missing source" 1 "missing.txt" - -- evaluate --model rnn --src missing.txt --ref two.txt
  expect "evaluate: reference count differs" 1 "three.txt" - -- evaluate --model rnn --src two.txt --ref three.txt
  expect "evaluate: reference is a directory" 1 "a_directory" - -- evaluate --model rnn --src two.txt --ref a_directory
  expect "evaluate: invalid UTF-8 source" 1 "bad_utf8.txt:2" - -- evaluate --model rnn --src bad_utf8.txt --ref two.txt
  expect "evaluate: beam 0" 2 "--beam" - -- evaluate --model rnn --src two.txt --ref two.txt --beam 0
  expect "evaluate: missing --ref" 2 "--ref" - -- evaluate --model rnn --src two.txt
}

group_bleu() {
  expect "bleu: missing hypothesis" 1 "missing.txt" - -- bleu --ref two.txt --hyp missing.txt
  expect "bleu: line counts differ" 1 "three.txt" - -- bleu --ref three.txt --hyp two.txt
  expect "bleu: unknown tokenizer" 2 "--tokenize" - -- bleu --ref two.txt --hyp two.txt --tokenize foo
  expect "bleu: invalid UTF-8" 1 "bad_utf8.txt" - -- bleu --ref two.txt --hyp bad_utf8.txt
  expect "bleu: reference is a directory" 2 "a_directory" - -- bleu --ref a_directory --hyp two.txt
}

group_compare() {
  expect "compare: missing config" 1 "missing.json" "$OUT" -- compare --config missing.json --out "$OUT"
  expect "compare: invalid JSON" 1 "invalid.json" "$OUT" -- compare --config invalid.json --out "$OUT"
  expect "compare: wrong shape" 2 "models" "$OUT" -- compare --config compare_bad.json --out "$OUT"
}

group_export() {
  expect "export: missing model" 1 "nowhere" out.pt -- export --model nowhere --out out.pt
  expect "export: truncated checkpoint" 1 "truncated" out.pt -- export --model rnn_truncated --checkpoint last --out out.pt
  expect "export: config does not match checkpoint" 1 "rnn_mismatch/config.json" out.pt -- export --model rnn_mismatch --out out.pt
  expect "export: output directory missing" 1 "no_such_dir/out.pt" no_such_dir -- export --model rnn --out no_such_dir/out.pt
  expect "export: missing --out" 2 "--out" - -- export --model rnn
  expect "export: --average with --checkpoint" 2 "--average" out.pt -- export --model rnn --average 1 --checkpoint last --out out.pt
  expect "export: --average beyond the kept checkpoints" 1 "train.keep_last" out.pt -- export --model rnn --average 3 --out out.pt
  expect "export: unknown length normalisation" 2 "--length-norm" out.pt -- export --model rnn --length-norm mean --out out.pt
}

group_average() {
  expect "average: missing run" 1 "nowhere" - -- average --model nowhere --last 2
  expect "average: no kept checkpoints" 1 "train.keep_last=2" - -- average --model rnn --last 2
  expect "average: --last 0" 2 "--last" - -- average --model rnn_kept --last 0
  expect "average: a foreign kept checkpoint" 1 "checkpoint_step7.pt" rnn_kept_bad -- average --model rnn_kept_bad --last 2
  expect "average: output directory missing" 1 "no_such_dir/avg.pt" no_such_dir -- average --model rnn_kept --last 1 --out no_such_dir/avg.pt
  expect "average: one kept checkpoint" 0 "averaged 1 checkpoints" - -- average --model rnn_kept --last 1 --out avg_out.pt
  [ -s avg_out.pt ] || fail "average wrote no avg_out.pt"
}

cd "$WORK" 2>/dev/null || [ "$GROUP" = setup ] || [ "$GROUP" = all ] || { echo "no fixtures in $WORK: run the setup first"; exit 1; }
case "$GROUP" in
  setup) setup; exit $? ;;
  all) setup || exit 1; for g in prepare train translate evaluate bleu compare export average; do "group_$g"; done ;;
  prepare|train|translate|evaluate|bleu|compare|export|average) "group_$GROUP" ;;
  *) echo "unknown group $GROUP"; exit 2 ;;
esac
echo "$GROUP: $CASES cases, $FAILED failed"
[ "$FAILED" = 0 ]
