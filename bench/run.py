#!/usr/bin/env python3
"""mcpguard's benchmark: generates large inputs and times `mcpguard scan` on
them (median of several runs, and peak memory of the process).

    cargo build --release && python3 bench/run.py [--runs 5]

Inputs (written to bench/out/, which git ignores):
- a plan of 1,000 copies of the MCP architecture (10,000 resources), some non-compliant;
- a directory of 1,000 .tf files of the same architecture;
- an ARM deployment template of 715 copies of it (5,005 resources).
Figures go to stdout as a Markdown table, ready for the README.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "mcpguard")
OUT = os.path.join(ROOT, "bench", "out")


def measure(label, cmd, runs):
    walls, peak = [], 0.0
    for _ in range(runs):
        code = ("import resource,subprocess,sys,time;t=time.perf_counter();"
                "p=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
                "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)")
        out = subprocess.run([sys.executable, "-c", code] + cmd, capture_output=True, text=True, check=True).stdout
        wall, rss_kb, rc = out.split()
        if rc not in ("0", "1"):
            sys.exit(f"{label}: exit code {rc}")
        walls.append(float(wall))
        peak = max(peak, int(rss_kb) / 1024)
    return label, statistics.median(walls), min(walls), peak


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--copies", type=int, default=1112)  # 10,008 resources
    args = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    os.makedirs(OUT, exist_ok=True)
    rows = []
    gen = os.path.join(ROOT, "bench", "gen_plan.py")
    # Half and full size: the two rows show whether cost grows linearly.
    for copies in (args.copies // 2, args.copies):
        plan = os.path.join(OUT, f"plan-{copies}.json")
        with open(plan, "w") as f:
            subprocess.run([sys.executable, gen, str(copies)], stdout=f, check=True)
        size = os.path.getsize(plan) / 2**20
        n = subprocess.run([BIN, "scan", plan, "--format", "json"], capture_output=True, text=True)
        resources = json.loads(n.stdout)["summary"]["resources"]
        rows.append(measure(f"plan, {resources:,} resources ({size:.1f} MiB)", [BIN, "scan", plan, "--format", "json"], args.runs))
    gen_tf = os.path.join(ROOT, "bench", "gen_tf.py")
    if os.path.exists(gen_tf):
        tfdir = os.path.join(OUT, "tf-1000")
        subprocess.run([sys.executable, gen_tf, "1000", tfdir], check=True, stdout=subprocess.DEVNULL)
        rows.append(measure("source, 1,000 .tf files", [BIN, "scan", tfdir, "--format", "json"], args.runs))
    gen_template = os.path.join(ROOT, "bench", "gen_template.py")
    template = os.path.join(OUT, "template-715.json")
    with open(template, "w") as f:
        subprocess.run([sys.executable, gen_template, "715"], stdout=f, check=True)
    n = subprocess.run([BIN, "scan", template, "--format", "json"], capture_output=True, text=True)
    resources = json.loads(n.stdout)["summary"]["resources"]
    size = os.path.getsize(template) / 2**20
    rows.append(measure(f"ARM template, {resources:,} resources ({size:.1f} MiB)", [BIN, "scan", template, "--format", "json"], args.runs))
    print(f"| input | median | best | peak memory |\n|---|---|---|---|")
    for label, med, best, peak in rows:
        print(f"| {label} | {med:.3f} s | {best:.3f} s | {peak:.0f} MiB |")


if __name__ == "__main__":
    main()
