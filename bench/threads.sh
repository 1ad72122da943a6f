#!/usr/bin/env bash
# pelican server with io-threads 1 (its default) and 2, and redis-server,
# unpinned, as people run them: server and clients share the machine.
#
#   bench/threads.sh [rounds]     (default 3)
#
# Each round starts the three servers in turn (the order rotating) without
# persistence and measures:
#   xadd-P1, xadd-P16   redis-benchmark -c 50 XADD, pipeline 1 / 16
#   lib-c4-b64          the processing library end to end, 4 workers
#                       taking batches of 64 (bench/libbench consume)
#   lib-c16-b1          the same, 16 workers taking one message at a time
# Results go to bench/results/threads-<time>.csv; the script prints each
# value and the median ratio of each Pelican setting to Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/server.sh
. bench/server.sh

rounds=${1:-3}
port=${BENCH_PORT:-16392}
tmp=$(mktemp -d)
mkdir -p bench/results
out=bench/results/threads-$(date +%Y%m%d-%H%M%S).csv

cleanup() {
	kill_server
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/pelican" ./cmd/pelican
go build -o "$tmp/libbench" ./bench/libbench
echo "server,round,workload,value" >"$out"

start() { # start <pelican-1|pelican-2|redis>
	case "$1" in
	pelican-1) env -u GOMAXPROCS "$tmp/pelican" server --addr "127.0.0.1:$port" >/dev/null 2>&1 & ;;
	pelican-2) "$tmp/pelican" server --addr "127.0.0.1:$port" --io-threads 2 >/dev/null 2>&1 & ;;
	redis) redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 & ;;
	esac
	pid=$!
	server_started "$1"
}

record() { echo "$1,$2,$3,$4" >>"$out"; printf '  %-10s %-12s %14s\n' "$1" "$3" "$4"; }

rb() { # rb <requests> <pipeline>
	redis-benchmark -p "$port" -c 50 -n "$1" -P "$2" --csv XADD "s$2" '*' f v 2>/dev/null |
		awk -F'"' 'NR==2 {print $4}'
}

lib() { # lib <messages> <workers> <batch>
	"$tmp/libbench" consume -backend tcp -addr "127.0.0.1:$port" -impl worker -n "$1" -c "$2" -b "$3" |
		awk '{print $1}'
}

kinds=(pelican-1 pelican-2 redis)
for round in $(seq 1 "$rounds"); do
	echo "round $round"
	for i in 0 1 2; do
		kind=${kinds[$(((i + round) % 3))]}
		start "$kind"
		record "$kind" "$round" xadd-P1 "$(rb 200000 1)"
		record "$kind" "$round" xadd-P16 "$(rb 1000000 16)"
		record "$kind" "$round" lib-c4-b64 "$(lib 50000 4 64)"
		record "$kind" "$round" lib-c16-b1 "$(lib 20000 16 1)"
		stop_server
	done
done

echo
echo "median ratio to Redis over the rounds (each round's values divided, then the median; spread in brackets)"
python3 - "$out" <<'PY'
import csv, sys, statistics
rows = list(csv.DictReader(open(sys.argv[1])))
v = {}
for r in rows:
    v[(r["server"], r["round"], r["workload"])] = float(r["value"])
rounds = sorted({r["round"] for r in rows})
for w in sorted({r["workload"] for r in rows}):
    for k in ("pelican-1", "pelican-2"):
        ratios = [v[(k, rd, w)] / v[("redis", rd, w)] for rd in rounds]
        print(f"  {w:<11} {k:<10} {statistics.median(ratios):.2f}  ({', '.join(f'{x:.2f}' for x in ratios)})")
PY
echo "results: $out"
