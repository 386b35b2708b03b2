#!/usr/bin/env python3
"""Times bcfsim against SimPy and Ciw on the reference models and prints the table of BENCHMARKS.md.

Run from anywhere, after `benches/peers/setup.sh`:

    benches/peers/.venv/bin/python benches/peers/compare.py

bcfsim is timed as a whole process (`bcfsim run FILE --threads 1`, start-up and writing its outputs
included); SimPy and Ciw by their own in-process wall time for the same replications. Each time is
the best of several runs. The mean waits of all three must agree (and, for M/M/10, with Erlang C),
so that everyone is doing the same work; the script exits with 1 if they do not.
"""

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import models

ROOT = Path(__file__).resolve().parents[2]
BCFSIM = ROOT / "target" / "release" / "bcfsim"
SCENARIOS = {"mmc": "benches/scenarios/perf-mmc.toml", "blocking": "benches/scenarios/perf-blocking.toml"}
FIRST_SERVICE = {"mmc": "unit", "blocking": "beds"}
# Two-sided 99.9 % normal quantile: one comparison in a thousand disagrees by chance.
Z_999 = 3.2905


def run_bcfsim(args, out):
    """Runs bcfsim once; returns (wall seconds, peak RSS in MiB, events)."""
    rss_file = Path(out) / "rss"
    command = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), str(BCFSIM), "run", *args, "--out", str(out)]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    events = int(re.search(r"(\d+) events in", result.stdout).group(1))
    return wall, int(rss_file.read_text().split()[-1]) / 1024.0, events


def best_bcfsim(args, runs):
    with tempfile.TemporaryDirectory() as out:
        timings = [run_bcfsim(args, out) for _ in range(runs)]
        return min(t[0] for t in timings), max(t[1] for t in timings), timings[0][2], Path(out)


def bcfsim_values(model, replications):
    """Per-replication (mean wait, mean blocked) at the first service, from replications.csv."""
    with tempfile.TemporaryDirectory() as out:
        run_bcfsim([SCENARIOS[model], "-r", str(replications), "--threads", "1"], out)
        values = {}
        service = FIRST_SERVICE[model]
        for line in (Path(out) / "replications.csv").read_text().splitlines()[1:]:
            replication, statistic, value = line.split(",")
            for name in ("mean_wait", "mean_blocked"):
                if statistic == f"services.{service}.{name}" and value:
                    values.setdefault(name, []).append(float(value))
        return values["mean_wait"], values.get("mean_blocked", [0.0] * replications)


def time_peer(engine, model, replications, runs):
    run = models.ENGINES[(engine, model)]
    best = math.inf
    for _ in range(runs):
        started = time.perf_counter()
        values = [run(1000 + r) for r in range(replications)]
        best = min(best, time.perf_counter() - started)
    return best, [v[0] for v in values], [v[1] for v in values]


def mean_se(values):
    return statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))


def erlang_c_wait(rate, mean_service, servers):
    load = rate * mean_service
    term, terms = 1.0, 1.0
    for k in range(1, servers):
        term *= load / k
        terms += term
    term *= load / servers
    waiting = term * servers / (servers - load)
    p_wait = waiting / (terms + waiting)
    return p_wait * mean_service / (servers - load)


def agree(label, a, b):
    (mean_a, se_a), (mean_b, se_b) = a, b
    bound = Z_999 * math.hypot(se_a, se_b)
    ok = abs(mean_a - mean_b) <= bound
    print(f"  {label}: {mean_a:.4f} vs {mean_b:.4f} (difference {mean_a - mean_b:+.4f}, 99.9 % bound {bound:.4f}) {'agree' if ok else 'DISAGREE'}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each bcfsim timing (best is kept)")
    parser.add_argument("--peer-runs", type=int, default=3, help="runs of each peer timing (best is kept)")
    parser.add_argument("--replications", type=int, default=100, help="replications of each reference model")
    parser.add_argument("--skip-default", action="store_true", help="skip the 1,000-replication county run")
    options = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    reps = str(options.replications)
    rows = []
    consistent = True
    for model in ("mmc", "blocking"):
        wall, _, events, _ = best_bcfsim([SCENARIOS[model], "-r", reps, "--threads", "1"], options.runs)
        waits, blocked = bcfsim_values(model, options.replications)
        estimates = {"bcfsim": (mean_se(waits), mean_se(blocked))}
        timings = {}
        for engine in ("simpy", "ciw"):
            print(f"timing {engine} on {model} ...", file=sys.stderr, flush=True)
            seconds, peer_waits, peer_blocked = time_peer(engine, model, options.replications, options.peer_runs)
            timings[engine] = seconds
            estimates[engine] = (mean_se(peer_waits), mean_se(peer_blocked))
        rows.append((model, wall, events, timings))
        print(f"{model}: mean wait for the first service (and mean time blocked after it)")
        for engine in ("simpy", "ciw"):
            consistent &= agree(f"bcfsim vs {engine} wait", estimates["bcfsim"][0], estimates[engine][0])
            if model == "blocking":
                consistent &= agree(f"bcfsim vs {engine} blocked", estimates["bcfsim"][1], estimates[engine][1])
        if model == "mmc":
            m = models.MMC
            exact = erlang_c_wait(m["rate"], m["mean_service"], m["servers"])
            consistent &= agree("bcfsim vs Erlang C wait", estimates["bcfsim"][0], (exact, 0.0))
            for engine in ("simpy", "ciw"):
                consistent &= agree(f"{engine} vs Erlang C wait", estimates[engine][0], (exact, 0.0))

    print()
    print(f"| work ({options.replications} replications, one thread) | bcfsim | SimPy | Ciw | × SimPy | × Ciw |")
    print("|---|---|---|---|---|---|")
    for model, wall, events, timings in rows:
        print(
            f"| {model} ({events:,} events) | {wall:.3f} s | {timings['simpy']:.1f} s | {timings['ciw']:.1f} s "
            f"| {timings['simpy'] / wall:.0f}× | {timings['ciw'] / wall:.0f}× |"
        )

    print()
    print("| M/M/10 × 1,000 replications | wall | speed-up |")
    print("|---|---|---|")
    one = None
    for threads in sorted({1, 2, os.cpu_count() or 1}):
        wall = best_bcfsim([SCENARIOS["mmc"], "-r", "1000", "--threads", str(threads)], max(3, options.runs // 2))[0]
        one = one or wall
        print(f"| {threads} thread{'s' if threads > 1 else ''} | {wall:.2f} s | {one / wall:.2f}× |")

    if not options.skip_default:
        print()
        print("| default county scenario | wall | events | events/s | peak RSS |")
        print("|---|---|---|---|---|")
        for reps_default, threads in ((1, 1), (1000, os.cpu_count() or 1)):
            wall, rss, events, _ = best_bcfsim(["-r", str(reps_default), "--threads", str(threads)], 1)
            print(
                f"| {reps_default:,} replication{'s' if reps_default > 1 else ''}, {threads} thread"
                f"{'s' if threads > 1 else ''} | {wall:.2f} s | {events:,} | {events / wall / 1e6:.1f} M | {rss:.0f} MiB |"
            )
    if not consistent:
        print("the engines disagree: they are not doing the same work", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
