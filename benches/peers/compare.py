#!/usr/bin/env python3
"""Times bcfsim against a hand-written floor, SimPy and Ciw, and prints the tables of BENCHMARKS.md.

Run from anywhere, after `benches/peers/setup.sh`:

    benches/peers/.venv/bin/python benches/peers/compare.py

Everything is timed in CPU seconds (user + system) of the work: bcfsim and the floor as whole
processes (`bcfsim run FILE --threads 1`, start-up and writing its outputs included), SimPy and
Ciw by the CPU time of their replications in this process. Each time is the best of several runs,
bcfsim and the floor alternated. The mean waits of bcfsim, SimPy and Ciw must agree (and, for
M/M/10, with Erlang C), and the floor (`examples/mmc_floor.rs`) must print exactly bcfsim's values
replication by replication, so that everyone is doing the same work; the script exits with 1 if
not. Then: tandem lines of 10, 100 and 1,000 services (nanoseconds an event, memory a service),
and one thread against two on 1,000 replications of M/M/10 and of the default county.
"""

import argparse
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import models

ROOT = Path(__file__).resolve().parents[2]
BCFSIM = ROOT / "target" / "release" / "bcfsim"
FLOOR = ROOT / "target" / "release" / "examples" / "mmc_floor"
SCENARIOS = {"mmc": "benches/scenarios/perf-mmc.toml", "blocking": "benches/scenarios/perf-blocking.toml"}
FIRST_SERVICE = {"mmc": "unit", "blocking": "beds"}
FLOOR_STATISTICS = ("mean_wait", "p90_wait", "mean_occupancy", "mean_queue")
# Two-sided 99.9 % normal quantile: one comparison in a thousand disagrees by chance.
Z_999 = 3.2905
# Tandem lines: services and days simulated, about 10 million events each at 100 arrivals a day
# (the line of 1,000 services takes about 40 days to fill).
TANDEM = ((10, 10000.0), (100, 1000.0), (1000, 100.0))


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command, out=None):
    """Runs `command`; returns (CPU seconds, wall seconds, peak RSS in MiB, stdout)."""
    rss_file = Path(tempfile.mkstemp()[1])
    cpu, started = children_cpu(), time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *command], cwd=ROOT, capture_output=True, text=True, check=True
    )
    wall, cpu = time.perf_counter() - started, children_cpu() - cpu
    rss = int(rss_file.read_text().split()[-1]) / 1024.0
    rss_file.unlink()
    return cpu, wall, rss, result.stdout


def bcfsim(args, out):
    """Runs bcfsim once; returns (CPU seconds, wall seconds, peak RSS in MiB, events)."""
    cpu, wall, rss, stdout = timed([str(BCFSIM), "run", *args, "--out", str(out)])
    return cpu, wall, rss, int(re.search(r"([\d,]+) events in", stdout).group(1).replace(",", ""))


def best_bcfsim(args, runs):
    """The least CPU and wall time of `runs` runs, the largest peak RSS and the events."""
    with tempfile.TemporaryDirectory() as out:
        timings = [bcfsim(args, out) for _ in range(runs)]
        return min(t[0] for t in timings), min(t[1] for t in timings), max(t[2] for t in timings), timings[0][3]


def replication_values(model, replications, statistics_wanted):
    """Per statistic, bcfsim's per-replication values at the first service, as written."""
    with tempfile.TemporaryDirectory() as out:
        bcfsim([SCENARIOS[model], "-r", str(replications), "--threads", "1"], out)
        values = {name: [] for name in statistics_wanted}
        service = FIRST_SERVICE[model]
        for line in (Path(out) / "replications.csv").read_text().splitlines()[1:]:
            _, statistic, value = line.split(",")
            for name in statistics_wanted:
                if statistic == f"services.{service}.{name}":
                    values[name].append(value)
        return values


def time_peer(engine, model, replications, runs):
    run = models.ENGINES[(engine, model)]
    best = math.inf
    for _ in range(runs):
        started = time.process_time()
        values = [run(1000 + r) for r in range(replications)]
        best = min(best, time.process_time() - started)
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


def floor_versus_bcfsim(replications, runs):
    """Checks that the floor prints bcfsim's values; returns the least CPU seconds of each."""
    rows = timed([str(FLOOR), str(replications)])[3].splitlines()
    header = rows[0].split(",")
    floor = {name: [row.split(",")[header.index(name)] for row in rows[1:]] for name in FLOOR_STATISTICS}
    same = floor == replication_values("mmc", replications, FLOOR_STATISTICS)
    print(f"  floor vs bcfsim, {', '.join(FLOOR_STATISTICS)} of every replication: {'identical' if same else 'DIFFERENT'}")
    bcfsim_cpu, floor_cpu = math.inf, math.inf
    with tempfile.TemporaryDirectory() as out:
        for _ in range(runs):
            bcfsim_cpu = min(bcfsim_cpu, bcfsim([SCENARIOS["mmc"], "-r", str(replications), "--threads", "1"], out)[0])
            floor_cpu = min(floor_cpu, timed([str(FLOOR), str(replications)])[0])
    return same, bcfsim_cpu, floor_cpu


def tandem_scenario(services, days, folder):
    """Writes a line of `services` single-place services, each busy 80 % of the time."""
    lines = [
        f"# A tandem line of {services} services (load 0.8 each), written by compare.py.",
        f'[simulation]\nname = "tandem-{services}"\nhorizon_days = {days}\nwarmup_days = 0\nseed = 1000\n',
        '[[source]]\nid = "arrivals"\nrate_per_day = 100.0\nto = "s0"\n',
    ]
    for k in range(services):
        following = f"s{k + 1}" if k + 1 < services else "done"
        lines.append(
            f'[[service]]\nid = "s{k}"\ncapacity = 1\nduration = {{ dist = "exponential", mean = 0.008 }}\n'
            f'routes = [{{ to = "{following}", p = 1.0 }}]\n'
        )
    lines.append('[[exit]]\nid = "done"\n')
    path = Path(folder) / f"tandem-{services}.toml"
    path.write_text("\n".join(lines))
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each bcfsim timing (best is kept)")
    parser.add_argument("--peer-runs", type=int, default=3, help="runs of each peer timing (best is kept)")
    parser.add_argument("--replications", type=int, default=100, help="replications of each reference model")
    parser.add_argument("--skip-peers", action="store_true", help="skip SimPy and Ciw (and their agreement)")
    parser.add_argument("--skip-default", action="store_true", help="skip the 1,000-replication county runs")
    options = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet", "--example", "mmc_floor"], cwd=ROOT, check=True)
    reps = str(options.replications)
    consistent = True

    print("M/M/10: the hand-written floor (std's heap, bcfsim's random streams)")
    same, bcfsim_cpu, floor_cpu = floor_versus_bcfsim(options.replications, options.runs)
    consistent &= same

    rows = []
    for model in ("mmc", "blocking") if not options.skip_peers else ():
        cpu, _, _, events = best_bcfsim([SCENARIOS[model], "-r", reps, "--threads", "1"], options.runs)
        waits = [float(v) for v in replication_values(model, options.replications, ("mean_wait",))["mean_wait"]]
        blocked = replication_values(model, options.replications, ("mean_blocked",))["mean_blocked"]
        blocked = [float(v) for v in blocked] or [0.0] * options.replications
        estimates = {"bcfsim": (mean_se(waits), mean_se(blocked))}
        timings = {}
        for engine in ("simpy", "ciw"):
            print(f"timing {engine} on {model} ...", file=sys.stderr, flush=True)
            seconds, peer_waits, peer_blocked = time_peer(engine, model, options.replications, options.peer_runs)
            timings[engine] = seconds
            estimates[engine] = (mean_se(peer_waits), mean_se(peer_blocked))
        rows.append((model, cpu, events, timings))
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
    print(f"| M/M/10, {options.replications} replications, one thread | CPU s | × floor |")
    print("|---|---|---|")
    print(f"| hand-written floor (`examples/mmc_floor.rs`) | {floor_cpu:.3f} | 1.00 |")
    print(f"| bcfsim | {bcfsim_cpu:.3f} | **{bcfsim_cpu / floor_cpu:.2f}** |")
    if rows:
        print()
        print(f"| work ({options.replications} replications, one thread, CPU s) | bcfsim | SimPy | Ciw | × SimPy | × Ciw |")
        print("|---|---|---|---|---|---|")
        for model, cpu, events, timings in rows:
            print(
                f"| {model} ({events:,} events) | {cpu:.3f} s | {timings['simpy']:.1f} s | {timings['ciw']:.1f} s "
                f"| {timings['simpy'] / cpu:.0f}× | {timings['ciw'] / cpu:.0f}× |"
            )

    print()
    print("| tandem line (one replication, one thread) | events | CPU s | ns an event | × 10 services | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    per_event, peaks = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for services, days in TANDEM:
            path = tandem_scenario(services, days, folder)
            cpu, _, rss, events = best_bcfsim([str(path), "-r", "1", "--threads", "1"], max(3, options.runs // 3))
            per_event[services], peaks[services] = cpu / events * 1e9, rss
            print(
                f"| {services:,} services, {days:g} days | {events:,} | {cpu:.2f} | {per_event[services]:.0f} "
                f"| {per_event[services] / per_event[10]:.2f} | {rss:.1f} |"
            )
    print(f"memory a service, (peak at 1,000 − peak at 10) / 990: {(peaks[1000] - peaks[10]) * 1024 / 990:.1f} KiB")

    print()
    print("| 1,000 replications | threads | wall s | speed-up |")
    print("|---|---|---|---|")
    work = [("M/M/10", [SCENARIOS["mmc"]])]
    if not options.skip_default:
        work.append(("default county", []))
    for label, scenario in work:
        one = None
        for threads in sorted({1, 2, os.cpu_count() or 1}):
            runs = max(2, options.runs // 4) if label == "M/M/10" else 1
            wall = best_bcfsim([*scenario, "-r", "1000", "--threads", str(threads)], runs)[1]
            one = one or wall
            print(f"| {label} | {threads} | {wall:.2f} | {one / wall:.2f}× |")
    if not consistent:
        print("the engines disagree: they are not doing the same work", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
