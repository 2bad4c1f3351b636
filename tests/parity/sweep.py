#!/usr/bin/python3
"""A learning-rate x warmup sweep through the parity harness, s2s side only.

Runs tests/parity/run_parity.py --only s2s once per grid point (label
NAME-lr<LR>-wu<WARMUP>, so finished points are found again in OUT), then prints
a Markdown grid of the final dev loss and test BLEU (mean over the seeds) with
the best point marked, and writes it to OUT/<task>/NAME-sweep.md. Every
argument after `--` goes to run_parity.py unchanged (task, model, steps, --set).

usage:
  /usr/bin/python3 tests/parity/sweep.py --name demo-transformer --lr 0.001 0.002 0.004 \\
      --warmup 50 150 400 -- --task bible --model transformer-pre --steps 900 ...
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def point_label(name, lr, warmup):
    return f"{name}-lr{lr:g}-wu{warmup}"


def find_results(out, label):
    paths = sorted(glob.glob(os.path.join(out, "*", label, "results.json")), key=os.path.getmtime)
    return paths[-1] if paths else None


def run_point(args, passthrough, lr, warmup):
    label = point_label(args.name, lr, warmup)
    found = find_results(args.out, label)
    if found and not args.rerun:
        return found
    command = ["/usr/bin/python3", os.path.join(HERE, "run_parity.py"), "--out", args.out, "--only", "s2s",
               "--label", label, "--lr", str(lr), "--warmup", str(warmup)] + passthrough
    print(" ".join(command), file=sys.stderr)
    if subprocess.run(command, stdout=subprocess.DEVNULL).returncode != 0:
        raise SystemExit(f"sweep: the point lr {lr:g}, warmup {warmup} failed")
    return find_results(args.out, label)


def summarise(path):
    with open(path) as f:
        runs = json.load(f)["results"]["s2s"]
    steps = [point["step"] for point in runs[0]["curve"]]
    return {"dev_loss": statistics.mean(r["curve"][-1]["dev_loss"] for r in runs),
            "bleu": statistics.mean(r["bleu"] for r in runs), "seeds": len(runs), "step": steps[-1],
            "curve": {step: statistics.mean(p["dev_loss"] for r in runs for p in r["curve"] if p["step"] == step)
                      for step in steps}}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True, help="prefix of the grid points' labels")
    ap.add_argument("--lr", type=float, nargs="+", required=True)
    ap.add_argument("--warmup", type=int, nargs="+", required=True)
    ap.add_argument("--out", default="runs/parity")
    ap.add_argument("--rerun", action="store_true", help="train points whose results are already in OUT again")
    if "--" not in sys.argv:
        ap.error("give run_parity.py's arguments after --")
    split = sys.argv.index("--")
    args, passthrough = ap.parse_args(sys.argv[1:split]), sys.argv[split + 1:]
    if "--only" in passthrough or "--lr" in passthrough or "--warmup" in passthrough:
        ap.error("--only, --lr and --warmup are the sweep's own; leave them out after --")

    grid = {(lr, wu): summarise(run_point(args, passthrough, lr, wu)) for lr in args.lr for wu in args.warmup}
    best = min(grid, key=lambda point: grid[point]["dev_loss"])
    any_point = next(iter(grid.values()))
    lines = [f"`/usr/bin/python3 tests/parity/sweep.py {' '.join(sys.argv[1:])}`", "",
             f"Final dev loss / test BLEU (greedy) after {any_point['step']} steps, mean of {any_point['seeds']} "
             f"seed(s); **bold**: the lowest dev loss.", "",
             "| learning rate | " + " | ".join(f"warmup {wu}" for wu in args.warmup) + " |",
             "| ---: | " + " | ".join("---:" for _ in args.warmup) + " |"]
    for lr in args.lr:
        cells = []
        for wu in args.warmup:
            text = f"{grid[(lr, wu)]['dev_loss']:.3f} / {grid[(lr, wu)]['bleu']:.2f}"
            cells.append(f"**{text}**" if (lr, wu) == best else text)
        lines.append(f"| {lr:g} | " + " | ".join(cells) + " |")
    # A slower machine stops the demo's time budget earlier: the best point at each evaluation.
    lines.append("")
    for step in any_point["curve"]:
        at = {point: summary["curve"].get(step) for point, summary in grid.items() if step in summary["curve"]}
        leader = min(at, key=at.get)
        lines.append(f"- best at step {step}: lr {leader[0]:g}, warmup {leader[1]} (dev loss {at[leader]:.3f})")
    text = "\n".join(lines)
    task_dir = os.path.dirname(os.path.dirname(run_point(args, passthrough, *best)))
    with open(os.path.join(task_dir, f"{args.name}-sweep.md"), "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
