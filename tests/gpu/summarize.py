"""Summary of tests/gpu/gpu_checks.sh's output folder as Markdown (stdout).

usage: python3 tests/gpu/summarize.py OUT_DIR DEVICE
Throughput per preset and precision, an MFU estimate, how far the bf16 loss
curve strays from the fp32 one, and the latency-against-length tables.
"""
import glob
import json
import os
import sys

out_dir, device = sys.argv[1], sys.argv[2]


def load(path):
    with open(path) as f:
        return json.load(f)


def curve(path):
    points = {}
    with open(path) as f:
        for line in f:
            record = json.loads(line)
            if record.get("type") == "train":
                points[record["step"]] = record["loss"]
    return points


probe = load(os.path.join(out_dir, "probe.json")) if os.path.exists(os.path.join(out_dir, "probe.json")) else {}
peak = probe.get("bf16_tflops", 0.0)
print(f"# GPU checks on {device}\n")
if probe:
    print(f"Matmul probe ({probe['size']}^3): bf16 {probe['bf16_tflops']:.1f} TFLOP/s, fp32 {probe['fp32_tflops']:.1f} TFLOP/s.\n")

print("## Training throughput\n")
print("MFU estimate: 6 x parameters x (source + target tokens)/s over the bf16 probe, taking source length")
print("= target length (an approximation: the exact FLOPs depend on lengths and attention).\n")
print("| preset | precision | steps | target tok/s | MFU vs bf16 probe | final loss | max bf16/fp32 loss gap |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
summaries = sorted(glob.glob(os.path.join(out_dir, "runs", "*.summary.json")))
for path in summaries:
    name = os.path.basename(path)[: -len(".summary.json")]
    preset, precision = name.rsplit("-", 1)
    s = load(path)
    tps = s["target_tokens_per_second"]
    mfu = 6 * s["parameters"] * 2 * tps / (peak * 1e12) if peak else 0.0
    gap = ""
    fp32_metrics = os.path.join(out_dir, "runs", f"{preset}-fp32.metrics.jsonl")
    if precision != "fp32" and os.path.exists(fp32_metrics):
        a, b = curve(fp32_metrics), curve(os.path.join(out_dir, "runs", f"{name}.metrics.jsonl"))
        common = sorted(set(a) & set(b))
        if common:
            step, worst = max(((k, abs(b[k] - a[k]) / a[k]) for k in common), key=lambda item: item[1])
            gap = f"{100 * worst:.1f}% (step {step})"
    print(f"| {preset} | {precision} | {s['steps']} | {tps:,.0f} | {100 * mfu:.1f}% | {s['final_train_loss']:.3f} | {gap} |")

print("\n## Latency against length (median ms)\n")
for path in sorted(glob.glob(os.path.join(out_dir, "bench-*.json"))):
    try:
        bench = load(path)
    except (OSError, ValueError):
        continue
    name = os.path.basename(path)[len("bench-"): -len(".json")]
    latency = bench["latency"]
    lengths = [p["length"] for p in latency["encoder"]]
    print(f"### {name} ({bench.get('description', '')})\n")
    print("| length | " + " | ".join(str(n) for n in lengths) + " |")
    print("| --- |" + " ---: |" * len(lengths))
    for kind in ("encoder", "teacher_forced_decoder", "autoregressive"):
        print(f"| {kind} | " + " | ".join(f"{p['ms']:.2f}" for p in latency[kind]) + " |")
    print()
