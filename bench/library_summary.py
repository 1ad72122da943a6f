"""Summarises bench/library.sh result files: medians over the runs.

    python3 bench/library_summary.py bench/results/library-<time>.csv [more.csv ...]

The runs of several files are pooled (run numbers are prefixed with the
file's position).

Besides the worker against the loops and the peers, it reports the worker
against the base worker (the library at the commit bench/library.sh was
given as BASE: impls worker-base and pelican-base), run by run, and the
head-of-line row (workload hol: one slow message in HOL_EVERY).
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

    new_vs_base(rows, backends)

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
        print(f"{'backend':<9} {'library':<12} {'config':<9} {'median s':>9} {'min':>7} {'max':>7}  {'duplicates':>10} {'missing':>8} {'early':>6}")
        for key in sorted(rec, key=lambda k: (backends.index(k[0]), k[1], k[2])):
            rs = rec[key]
            secs = [num(r["v1"]) for r in rs if num(r["v1"]) is not None and num(r["v1"]) >= 0]
            total = lambda f: sum(int(num(r[f]) or 0) for r in rs)
            print(f"{key[0]:<9} {key[1]:<12} {key[2]:<9} {fmt(med(secs), '.3f'):>9} {fmt(min(secs) if secs else None, '.3f'):>7} "
                  f"{fmt(max(secs) if secs else None, '.3f'):>7}  {total('v2'):>10} {total('v3'):>8} {total('v4'):>6}")

    head_of_line(rows, backends)


# The field holding messages per second in each workload's rows.
RATE_FIELD = {"consume": "v1", "deadletter": "v1", "hol": "v2"}


def new_vs_base(rows, backends):
    """Prints the new worker against the base worker, run by run."""
    pairs = defaultdict(lambda: defaultdict(dict))  # (backend, workload, config) -> run -> impl -> row
    for r in rows:
        if r["workload"] in RATE_FIELD and r["impl"] in ("worker", "worker-base"):
            pairs[(r["backend"], r["workload"], r["config"])][r["run"]][r["impl"]] = r
    pairs = {k: v for k, v in pairs.items() if any("worker-base" in d for d in v.values())}
    if not pairs:
        return
    print()
    print("New worker vs base worker (msgs/s; for hol, messages over the seconds until all were processed; "
          "CPU µs per message, client process)")
    print(f"{'backend':<9} {'workload':<10} {'config':<7} {'new msg/s':>11} {'base msg/s':>11} {'ratio':>6}  "
          f"{'per-run ratios':<22} {'cpu new/base':>13}")
    for key in sorted(pairs, key=lambda k: (backends.index(k[0]), k[1], k[2])):
        field = RATE_FIELD[key[1]]
        ratios, new, old, nc, oc = [], [], [], [], []
        for run in sorted(pairs[key], key=int):
            d = pairs[key][run]
            a = num(d["worker"][field]) if "worker" in d else None
            b = num(d["worker-base"][field]) if "worker-base" in d else None
            if a and b:
                ratios.append(a / b)
            new.append(a)
            old.append(b)
            if key[1] != "hol":
                nc.append(num(d["worker"]["v2"]) if "worker" in d else None)
                oc.append(num(d["worker-base"]["v2"]) if "worker-base" in d else None)
        cpu = f"{fmt(med(nc), '.2f')}/{fmt(med(oc), '.2f')}" if nc else "-"
        print(f"{key[0]:<9} {key[1]:<10} {key[2]:<7} {fmt(med(new)):>11} {fmt(med(old)):>11} {fmt(med(ratios), '.2f'):>6}  "
              f"{' '.join(format(x, '.2f') for x in ratios):<22} {cpu:>13}")


def config_order(config):
    """Sorts configurations like c4 and 4x64 by their numbers."""
    return [int(x) if x.isdigit() else x for x in config.lstrip("c").split("x")]


def head_of_line(rows, backends):
    """Prints the head-of-line row: seconds until all messages were
    processed, and until the last fast one was."""
    hol = defaultdict(list)
    for r in rows:
        if r["workload"] == "hol":
            hol[(r["backend"], r["impl"], r["config"])].append(r)
    if not hol:
        return
    impls = ["worker", "worker-base", "asynq", "watermill"]
    print()
    print("Head-of-line: one slow message in HOL_EVERY (seconds until every message was processed; "
          "msgs/s over that; seconds until the last fast message was)")
    print(f"{'backend':<9} {'library':<12} {'config':<7} {'median s':>9} {'min':>7} {'max':>7} {'msg/s':>8} "
          f"{'fast s':>7}  {'per run s':<24}")
    for key in sorted(hol, key=lambda k: (backends.index(k[0]), config_order(k[2]),
                                          impls.index(k[1]) if k[1] in impls else len(impls), k[1])):
        rs = hol[key]
        secs = [num(r["v1"]) for r in rs if num(r["v1"]) is not None]
        print(f"{key[0]:<9} {key[1]:<12} {key[2]:<7} {fmt(med(secs), '.3f'):>9} "
              f"{fmt(min(secs) if secs else None, '.3f'):>7} {fmt(max(secs) if secs else None, '.3f'):>7} "
              f"{fmt(med(num(r['v2']) for r in rs)):>8} {fmt(med(num(r['v3']) for r in rs), '.3f'):>7}  "
              f"{' '.join(fmt(x, '.3f') for x in secs):<24}")
    base_elsewhere = any(r["impl"] == "worker-base" for r in rows)
    if base_elsewhere and not any(k[1] == "worker-base" for k in hol):
        print("(worker-base: the base's libbench has no hol subcommand, so the base worker is not in this row)")


if __name__ == "__main__":
    main(sys.argv[1:])
