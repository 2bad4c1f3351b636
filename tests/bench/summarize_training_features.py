#!/usr/bin/env python3
"""Prints the table of tests/bench/bible_training_features.sh from its output directory."""
import json
import os
import sys

out = sys.argv[1]
RUNS = [r for r in ["base-s1", "base-s2", "sampled-s1", "sampled-a05-s1", "long-s1"] if os.path.exists(f"{out}/{r}/summary.json")]


def bleu(name):
    return json.load(open(f"{out}/eval-{name}.json"))["bleu"]["score"]


def summary(run):
    return json.load(open(f"{out}/{run}/summary.json"))


def best_step(run):
    best = None
    for line in open(f"{out}/{run}/metrics.jsonl"):
        record = json.loads(line)
        if record["type"] == "eval" and (best is None or record.get("dev_bleu", -1) > best[1]):
            best = (record["step"], record.get("dev_bleu", -1))
    return best[0]


def paired(name):
    """{system name: (BLEU, p-value)} of a paired-bootstrap JSON, baseline first."""
    data = json.load(open(f"{out}/paired-{name}.json"))
    return [(s["name"], s["BLEU"]["score"], s["BLEU"].get("p_value")) for s in data["systems"]]


def p_text(p):
    return "" if p is None else f", p = {p:.3f}"


print("| run | steps | target tokens / step | test BLEU, best checkpoint (its step) | average of the last 5 | EMA |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for run in RUNS:
    s = summary(run)
    systems = paired(run)
    avg, ema = systems[1], systems[2]
    print(f"| {run} | {s['steps']} | {s['target_tokens'] / s['steps']:.0f} | {bleu(run + '-best'):.2f} ({best_step(run)}) | "
          f"{bleu(run + '-avg'):.2f}{p_text(avg[2])} | {bleu(run + '-ema'):.2f}{p_text(ema[2])} |")
if os.path.exists(f"{out}/paired-base-s1-vs.json"):
    print("\nagainst base-s1's best checkpoint:")
    for name, score, p in paired("base-s1-vs")[1:]:
        print(f"- {os.path.basename(name)}: {score:.2f}{p_text(p)}")
