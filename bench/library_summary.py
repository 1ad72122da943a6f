"""Summarises bench/library.sh result files: medians over the runs.

    python3 bench/library_summary.py bench/results/library-<time>.csv [more.csv ...]

The runs of several files are pooled (run numbers are prefixed with the
file's position).
"""

import csv
import statistics
import sys
from collections import defaultdict


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, spec=",.0f"):
    return "-" if x is None else format(x, spec)


def main(paths):
    rows = []
    for i, path in enumerate(paths):
        for r in csv.DictReader(open(path)):
            r["run"] = str((i + 1) * 1000 + int(r["run"]))
            rows.append(r)
    backends = []
    for r in rows:
        if r["backend"] not in backends:
            backends.append(r["backend"])

    # Library vs loop, run by run.
    pairs = defaultdict(lambda: defaultdict(dict))  # (backend, workload, config) -> run -> impl -> row
    for r in rows:
        if r["workload"] in ("consume", "deadletter") and r["impl"] in ("worker", "loop"):
            pairs[(r["backend"], r["workload"], r["config"])][r["run"]][r["impl"]] = r
        # The worker's dead-lettering against the loop that moves each batch
        # in one Lua script without a guard ("dl-script"), and against the
        # loop with the same move-once guarantee under WATCH ("dl-guarded"):
        # rows of their own.
        for loop_impl, row in (("loop-script", "dl-script"), ("loop-guarded", "dl-guarded")):
            if r["workload"] == "deadletter" and r["impl"] in ("worker", loop_impl):
                impl = "loop" if r["impl"] == loop_impl else "worker"
                pairs[(r["backend"], row, r["config"])][r["run"]][impl] = r
    print("Pelican worker vs minimal go-redis loop (msgs/s; CPU µs per message: client process, server process)")
    print(f"{'backend':<9} {'workload':<10} {'config':<7} {'worker msg/s':>13} {'loop msg/s':>12} {'ratio':>6}  {'per-run ratios':<22} {'cpu w/l client':>15} {'cpu w/l server':>15}")
    for key in sorted(pairs, key=lambda k: (backends.index(k[0]), k[1], k[2])):
        runs = pairs[key]
        ratios, w, l, wc, lc, ws, ls = [], [], [], [], [], [], []
        for run in sorted(runs, key=int):
            d = runs[run]
            if "worker" in d and "loop" in d:
                a, b = num(d["worker"]["v1"]), num(d["loop"]["v1"])
                if a and b:
                    ratios.append(a / b)
            if "worker" in d:
                w.append(num(d["worker"]["v1"]))
                wc.append(num(d["worker"]["v2"]))
                ws.append(num(d["worker"]["v3"]))
            if "loop" in d:
                l.append(num(d["loop"]["v1"]))
                lc.append(num(d["loop"]["v2"]))
                ls.append(num(d["loop"]["v3"]))
        cpu_c = f"{fmt(med(wc), '.2f')}/{fmt(med(lc), '.2f')}"
        cpu_s = f"{fmt(med(ws), '.2f')}/{fmt(med(ls), '.2f')}" if med(ws) else "-"
        print(f"{key[0]:<9} {key[1]:<10} {key[2]:<7} {fmt(med(w)):>13} {fmt(med(l)):>12} {fmt(med(ratios), '.2f'):>6}  "
              f"{' '.join(format(x, '.2f') for x in ratios):<22} {cpu_c:>15} {cpu_s:>15}")

    # Peers.
    peers = defaultdict(list)
    for r in rows:
        if r["workload"] == "consume" and r["impl"] in ("asynq", "watermill"):
            peers[(r["backend"], r["impl"], r["config"])].append(r)
    if peers:
        print()
        print("Peers, publish → no-op → ack (msgs/s; CPU µs per message: client process, server process)")
        print(f"{'backend':<9} {'library':<10} {'config':<7} {'msg/s':>10}  {'per run':<30} {'cpu client':>10} {'cpu server':>10}")
        for key in sorted(peers, key=lambda k: (backends.index(k[0]), k[1], int(k[2][1:]))):
            rs = peers[key]
            vals = [num(r["v1"]) for r in rs]
            print(f"{key[0]:<9} {key[1]:<10} {key[2]:<7} {fmt(med(vals)):>10}  {' '.join(fmt(v) for v in vals):<30} "
                  f"{fmt(med(num(r['v2']) for r in rs), '.2f'):>10} {fmt(med(num(r['v3']) for r in rs), '.2f'):>10}")

    # Recovery.
    rec = defaultdict(list)
    for r in rows:
        if r["workload"] == "recover":
            rec[(r["backend"], r["impl"], r["config"])].append(r)
    if rec:
        print()
        print("Recovery of 1000 messages held by a killed worker (seconds from the kill to the last processed)")
        print(f"{'backend':<9} {'library':<10} {'config':<9} {'median s':>9} {'min':>7} {'max':>7}  {'duplicates':>10} {'missing':>8} {'early':>6}")
        for key in sorted(rec, key=lambda k: (backends.index(k[0]), k[1], k[2])):
            rs = rec[key]
            secs = [num(r["v1"]) for r in rs if num(r["v1"]) is not None and num(r["v1"]) >= 0]
            total = lambda f: sum(int(num(r[f]) or 0) for r in rs)
            print(f"{key[0]:<9} {key[1]:<10} {key[2]:<9} {fmt(med(secs), '.3f'):>9} {fmt(min(secs) if secs else None, '.3f'):>7} "
                  f"{fmt(max(secs) if secs else None, '.3f'):>7}  {total('v2'):>10} {total('v3'):>8} {total('v4'):>6}")


if __name__ == "__main__":
    main(sys.argv[1:])
