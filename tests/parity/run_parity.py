#!/usr/bin/python3
"""Learning parity: s2s against a plain PyTorch reference on one task.

For each seed, trains one model through the s2s CLI (`s2s synthetic`,
`prepare`, `train`, `translate --checkpoint last --beam 1`) and the same
model in reference.py (torch.nn.Transformer* layers / torch.nn.LSTM with
Bahdanau attention) on the same token ids, batches, initialisation scheme and
hyperparameters. Prints dev loss at fixed steps and test exact match, BLEU and
chrF side by side (mean ± standard deviation over seeds) and a verdict, as a
Markdown table; writes everything to OUT/<task>/<label>/results.json.

Tasks: the synthetic copy / reverse / sort of `s2s synthetic`, or `bible`, a
subset of the embedded Spanish-English Bible: the first --train-pairs training
pairs of a prepared Bible corpus (--bible-corpus, made with `s2s prepare
--bible` when absent) whose sides both have at most --max-length words, the
first 300 such dev pairs and 350 such test pairs, with a SentencePiece
vocabulary of its own (--vocab-size, default 2000).

Run on demand (minutes per model; not part of CI), with Debian's python3 (it
has torch), from the repository root after building s2s:
  /usr/bin/python3 tests/parity/run_parity.py --model transformer-pre --task reverse
  /usr/bin/python3 tests/parity/run_parity.py --model rnn-attention --task sort --steps 600
  ... --set model.norm=post --set train.learning_rate=0.002   (any config key, both sides)
  ... --only s2s                                              (a sweep without the reference)
  /usr/bin/python3 tests/parity/run_parity.py --model transformer-pre --task bible --max-length 20 \
      --train-pairs 10000 --steps 2000 --set model.dropout=0.1 --label-smoothing 0.1
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import s2s_batches  # noqa: E402

# Small models, the sizes of the learnability test (tests/test_training.cpp).
MODELS = {
    "transformer-pre": {"architecture": "transformer", "d_model": 64, "heads": 4, "ff_dim": 128,
                        "encoder_layers": 2, "decoder_layers": 2, "norm": "pre", "dropout": 0.0},
    "transformer-post": {"architecture": "transformer", "d_model": 64, "heads": 4, "ff_dim": 128,
                         "encoder_layers": 2, "decoder_layers": 2, "norm": "post", "dropout": 0.0},
    "rnn-attention": {"architecture": "rnn", "cell": "lstm", "embed_dim": 64, "hidden_dim": 64,
                      "encoder_layers": 1, "decoder_layers": 1, "bidirectional": True,
                      "attention": "bahdanau", "attention_dim": 64, "dropout": 0.0},
}


def run(command, log=None):
    with open(log, "w") if log else open(os.devnull, "w") as sink:
        result = subprocess.run(command, stdout=sink if log else subprocess.DEVNULL, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise SystemExit(f"run_parity: {' '.join(command)} failed (exit {result.returncode}); see {log}")


def parse_value(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_set(config, assignment):
    key, _, value = assignment.partition("=")
    node = config
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = parse_value(value)


def prepare_split_args(raw):
    return [x for split in ("train", "dev", "test") for side in ("src", "trg")
            for x in (f"--{split}-{side}", os.path.join(raw, f"{split}.{side}"))]


def bible_subset(args, raw):
    """The first pairs of each split of a prepared Bible corpus whose sides both
    have at most --max-length words (whitespace-separated)."""
    full = args.bible_corpus
    if not os.path.exists(os.path.join(full, "train.src")):
        run([args.s2s, "prepare", "--bible", "--vocab-size", "8000", "--out", full], full + ".prepare.log")
    os.makedirs(raw, exist_ok=True)
    for split, wanted in (("train", args.train_pairs), ("dev", 300), ("test", 350)):
        with open(os.path.join(full, f"{split}.src")) as f:
            sources = f.read().splitlines()
        with open(os.path.join(full, f"{split}.trg")) as f:
            targets = f.read().splitlines()
        pairs = [(s, t) for s, t in zip(sources, targets)
                 if len(s.split()) <= args.max_length and len(t.split()) <= args.max_length][:wanted]
        if len(pairs) < wanted:
            raise SystemExit(f"run_parity: {full}/{split}.src has only {len(pairs)} pairs of at most "
                             f"{args.max_length} words a side, {wanted} wanted")
        for side, index in (("src", 0), ("trg", 1)):
            with open(os.path.join(raw, f"{split}.{side}"), "w") as f:
                f.write("".join(pair[index] + "\n" for pair in pairs))


def make_corpus(args, task_dir):
    corpus = os.path.join(task_dir, "corpus")
    if os.path.exists(os.path.join(corpus, "spm.model")):
        return corpus
    raw = os.path.join(task_dir, "raw")
    if args.task == "bible":
        bible_subset(args, raw)
        run([args.s2s, "prepare"] + prepare_split_args(raw) + ["--vocab-size", str(args.vocab_size), "--out", corpus],
            os.path.join(task_dir, "prepare.log"))
        return corpus
    run([args.s2s, "synthetic", "--task", args.task, "--min-length", str(args.min_length), "--max-length",
         str(args.max_length), "--symbols", str(args.symbols), "--train", str(args.train_pairs), "--dev", "200",
         "--test", "500", "--seed", "7", "--out", raw])
    run([args.s2s, "prepare"] + prepare_split_args(raw) + ["--vocab-size", str(args.vocab_size), "--out", corpus],
        os.path.join(task_dir, "prepare.log"))
    return corpus


def s2s_config(args, corpus, seed):
    config = {
        "model": dict(MODELS[args.model]),
        "data": {"dir": corpus, "max_tokens": args.max_tokens},
        "train": {"learning_rate": args.lr, "schedule": args.schedule, "warmup_steps": args.warmup,
                  "label_smoothing": args.label_smoothing, "clip_norm": 1.0, "max_steps": args.steps,
                  "log_every": 100, "threads": 1, "seed": seed},
        "eval": {"every_steps": args.eval_every, "bleu": False, "metric": "loss"},
    }
    for assignment in args.set:
        apply_set(config, assignment)
    return config


def test_quality(args, hypotheses, references):
    """Exact match, and BLEU and chrF as `s2s bleu` computes them (sacreBLEU 2.6.0's
    figures), of a file of test translations."""
    with open(hypotheses) as h, open(references) as r:
        hyp, ref = h.read().splitlines(), r.read().splitlines()
    if len(hyp) != len(ref):
        raise SystemExit(f"run_parity: {hypotheses} has {len(hyp)} lines, {references} {len(ref)}")
    scored = subprocess.run([args.s2s, "bleu", "--ref", references, "--hyp", hypotheses, "--json"],
                            capture_output=True, text=True)
    if scored.returncode != 0:
        raise SystemExit(f"run_parity: s2s bleu failed on {hypotheses}: {scored.stderr.strip()}")
    scores = json.loads(scored.stdout)
    return {"exact_match": sum(a == b for a, b in zip(hyp, ref)) / len(ref),
            "bleu": scores["bleu"]["score"], "chrf": scores["chrf"]["score"]}


def run_s2s(args, corpus, config_path, run_dir, seed):
    if os.path.exists(run_dir):
        subprocess.run(["rm", "-rf", run_dir], check=True)
    run([args.s2s, "train", "--config", config_path, "--out", run_dir], run_dir + ".log")
    hyp = run_dir + ".hyp"
    with open(hyp, "w") as out:
        subprocess.run([args.s2s, "translate", "--threads", "1", "--beam", "1", "--checkpoint", "last", "--model",
                        run_dir, "--input", os.path.join(corpus, "test.src")], stdout=out,
                       stderr=subprocess.DEVNULL, check=True)
    curve = []
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            record = json.loads(line)
            if record.get("type") == "eval" and "dev_loss" in record:
                curve.append({"step": record["step"], "dev_loss": record["dev_loss"]})
    with open(os.path.join(run_dir, "summary.json")) as f:
        summary = json.load(f)
    return {"implementation": "s2s", "seed": seed, "curve": curve,
            **test_quality(args, hyp, os.path.join(corpus, "test.trg")),
            "train_seconds": summary["train_seconds"], "parameters": summary["parameters"]}


def run_reference(args, corpus, config_path, out_path, seed):
    run(["/usr/bin/python3", os.path.join(HERE, "reference.py"), "--corpus", corpus, "--config", config_path,
         "--seed", str(seed), "--out", out_path], out_path + ".log")
    with open(out_path) as f:
        result = json.load(f)
    quality = test_quality(args, out_path + ".hyp", os.path.join(corpus, "test.trg"))
    if abs(quality["exact_match"] - result["exact_match"]) > 1e-12:
        raise SystemExit(f"run_parity: {out_path}.hyp gives exact match {quality['exact_match']}, "
                         f"the reference reported {result['exact_match']}")
    result.update(quality)
    return result


def mean_sd(values):
    if not values:
        return float("nan"), float("nan")
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def fmt(values, digits=3):
    m, sd = mean_sd(values)
    return f"{m:.{digits}f} ± {sd:.{digits}f}"


def verdict(name, ours, theirs, higher_is_better):
    """Within noise when the gap of the means is under two standard errors of
    their difference (seed-to-seed spread, n seeds each); else who is ahead."""
    (m1, s1), (m2, s2) = mean_sd(ours), mean_sd(theirs)
    gap = m1 - m2
    noise = 2.0 * math.sqrt(s1 ** 2 / len(ours) + s2 ** 2 / len(theirs))
    if abs(gap) <= noise:
        return f"{name}: within noise (s2s {m1:.3f}, reference {m2:.3f}, gap {gap:+.3f}, noise ±{noise:.3f})"
    ahead = "s2s" if (gap > 0) == higher_is_better else "reference"
    return f"{name}: {ahead} ahead by {abs(gap):.3f} (s2s {m1:.3f}, reference {m2:.3f}, noise ±{noise:.3f})"


def steps_to(curve, threshold):
    for point in curve:
        if point["dev_loss"] <= threshold:
            return point["step"]
    return None


def report(args, results, command):
    lines = [f"`{command}`", ""]
    sides = [s for s in ("s2s", "reference") if results.get(s)]
    steps = sorted({p["step"] for s in sides for r in results[s] for p in r["curve"]})
    lines.append("| step | " + " | ".join(f"{s} dev loss" for s in sides) + " |")
    lines.append("| ---: | " + " | ".join("---:" for _ in sides) + " |")
    for step in steps:
        cells = []
        for s in sides:
            values = [p["dev_loss"] for r in results[s] for p in r["curve"] if p["step"] == step]
            cells.append(fmt(values))
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| | " + " | ".join(sides) + " |")
    lines.append("| --- | " + " | ".join("---:" for _ in sides) + " |")
    # Whole translations of Bible verses are almost never word for word: exact match is only a synthetic task's measure.
    synthetic = args.task != "bible"
    if synthetic:
        lines.append("| exact match (test, greedy) | " + " | ".join(fmt([r["exact_match"] for r in results[s]]) for s in sides) + " |")
        lines.append("| per seed | " + " | ".join(", ".join(f"{r['exact_match']:.3f}" for r in results[s]) for s in sides) + " |")
    lines.append("| BLEU (test, greedy) | " + " | ".join(fmt([r["bleu"] for r in results[s]], 2) for s in sides) + " |")
    lines.append("| per seed | " + " | ".join(", ".join(f"{r['bleu']:.2f}" for r in results[s]) for s in sides) + " |")
    lines.append("| chrF | " + " | ".join(fmt([r["chrf"] for r in results[s]], 2) for s in sides) + " |")
    if synthetic:
        lines.append(f"| steps to dev loss ≤ {args.threshold} | " + " | ".join(
            ", ".join(str(steps_to(r["curve"], args.threshold) or "–") for r in results[s]) for s in sides) + " |")
    lines.append("| training seconds | " + " | ".join(fmt([r["train_seconds"] for r in results[s]], 0) for s in sides) + " |")
    lines.append("| parameters | " + " | ".join(str(results[s][0]["parameters"]) for s in sides) + " |")
    if len(sides) == 2:
        lines.append("")
        final = lambda s: [r["curve"][-1]["dev_loss"] for r in results[s]]
        lines.append("- " + verdict("final dev loss", final("s2s"), final("reference"), higher_is_better=False))
        for name, key in ((("exact match", "exact_match"),) if synthetic else ()) + (("BLEU", "bleu"), ("chrF", "chrf")):
            lines.append("- " + verdict(name, [r[key] for r in results["s2s"]],
                                        [r[key] for r in results["reference"]], higher_is_better=True))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--s2s", default="build/s2s")
    ap.add_argument("--out", default="runs/parity")
    ap.add_argument("--model", choices=sorted(MODELS), required=True)
    ap.add_argument("--label", help="name of this configuration's directory (default: the model name)")
    ap.add_argument("--task", choices=["copy", "reverse", "sort", "bible"], default="reverse")
    ap.add_argument("--bible-corpus", default="runs/bible",
                    help="a corpus made by `s2s prepare --bible` (made there when absent), for --task bible")
    ap.add_argument("--vocab-size", type=int,
                    help="SentencePiece vocabulary (default: --symbols + 25; 2000 for --task bible)")
    ap.add_argument("--min-length", type=int, default=4)
    ap.add_argument("--max-length", type=int, default=16, help="symbols, or words a side for --task bible")
    ap.add_argument("--symbols", type=int, default=20)
    ap.add_argument("--train-pairs", type=int, default=4000)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--schedule", default="inverse_sqrt")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--max-tokens", type=int, default=1600)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--set", action="append", default=[], help="KEY=VALUE into the config of both sides")
    ap.add_argument("--only", choices=["s2s", "reference"], help="run one side only")
    ap.add_argument("--threshold", type=float, default=0.1, help="dev loss for the steps-to-threshold row")
    ap.add_argument("--report-only", action="store_true",
                    help="train nothing: print the table again from this configuration's results.json")
    args = ap.parse_args()
    if args.symbols > 26:
        raise SystemExit("run_parity: --symbols above 26 gives multi-character names; keep it at most 26")
    if not os.access(args.s2s, os.X_OK):
        raise SystemExit(f"run_parity: {args.s2s} is not an executable; build s2s first or pass --s2s")
    problem = s2s_batches.check_against_libstdcxx()
    if problem:
        raise SystemExit("run_parity: the Python batching port disagrees with libstdc++: " + problem)

    if args.vocab_size is None:
        args.vocab_size = 2000 if args.task == "bible" else args.symbols + 25
    if args.task == "bible":
        task_name = f"bible-{args.max_length}w-{args.train_pairs}-v{args.vocab_size}"
    else:
        task_name = f"{args.task}-{args.min_length}-{args.max_length}-{args.symbols}-{args.train_pairs}"
    task_dir = os.path.join(args.out, task_name)
    label_dir = os.path.join(task_dir, args.label or args.model)
    os.makedirs(label_dir, exist_ok=True)
    if args.report_only:
        with open(os.path.join(label_dir, "results.json")) as f:
            saved = json.load(f)
        print(report(args, saved["results"], saved["command"]))
        return
    corpus = os.path.abspath(make_corpus(args, task_dir))
    results = {"s2s": [], "reference": []}
    started = time.time()
    for seed in args.seeds:
        config_path = os.path.join(label_dir, f"config-seed{seed}.json")
        with open(config_path, "w") as f:
            json.dump(s2s_config(args, corpus, seed), f, indent=1)
        if args.only != "reference":
            results["s2s"].append(run_s2s(args, corpus, config_path, os.path.join(label_dir, f"s2s-seed{seed}"), seed))
            print(f"s2s seed {seed}: exact match {results['s2s'][-1]['exact_match']:.3f}, "
                  f"BLEU {results['s2s'][-1]['bleu']:.2f}", file=sys.stderr)
        if args.only != "s2s":
            # s2s writes its config with every default filled in: the reference reads that one.
            resolved = os.path.join(label_dir, f"s2s-seed{seed}", "config.json")
            results["reference"].append(
                run_reference(args, corpus, resolved if os.path.exists(resolved) else config_path,
                              os.path.join(label_dir, f"reference-seed{seed}.json"), seed))
            print(f"reference seed {seed}: exact match {results['reference'][-1]['exact_match']:.3f}, "
                  f"BLEU {results['reference'][-1]['bleu']:.2f}", file=sys.stderr)
    command = "/usr/bin/python3 tests/parity/run_parity.py " + " ".join(sys.argv[1:])
    text = report(args, results, command)
    with open(os.path.join(label_dir, "results.json"), "w") as f:
        json.dump({"command": command, "args": vars(args), "results": results}, f, indent=1)
    with open(os.path.join(label_dir, "report.md"), "w") as f:
        f.write(text + "\n")
    print(text)
    print(f"\n({time.time() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
