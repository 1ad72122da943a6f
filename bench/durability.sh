#!/usr/bin/env bash
# Pelican with persistence vs redis-server with its append-only file, side
# by side in one run.
#
#   bench/durability.sh [pairs]     (default 3 pairs)
#
# For appendfsync everysec and always, each pair starts `pelican server
# --dir D --appendfsync P` and `redis-server --appendonly yes
# --appendfsync P --dir D` (alternating, the order flipping each pair, the
# server pinned to CPU 0 and the clients to CPU 1) and measures:
#   xadd-P1, xadd-P16   redis-benchmark XADD, 50 clients, pipeline 1 / 16
#   library             the processing library end to end (publish, a
#                       no-op handler, acknowledge: bench/libbench consume)
#   bytes/entry         the append-only directory's size per XADD entry
# and once, with appendfsync everysec:
#   restart             seconds from start to serving, on 1M entries with a
#                       group holding 100k pending, after a rewrite
#   rewrite             seconds BGREWRITEAOF takes on that data
# Results go to bench/results/durability-<time>.csv; the script prints each
# value and the ratio Pelican/Redis per pair.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/server.sh
. bench/server.sh

pairs=${1:-3}
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}
port=${BENCH_PORT:-16391}
tmp=$(mktemp -d)
mkdir -p bench/results
out=bench/results/durability-$(date +%Y%m%d-%H%M%S).csv

cleanup() {
	kill_server
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/pelican" ./cmd/pelican
go build -o "$tmp/loadgen" ./bench/loadgen
go build -o "$tmp/libbench" ./bench/libbench
echo "server,policy,pair,workload,value" >"$out"

start() { # start <pelican|redis> <policy> <dir>
	mkdir -p "$3"
	case "$1" in
	pelican) taskset -c "$server_cpu" "$tmp/pelican" server --addr "127.0.0.1:$port" --dir "$3" --appendfsync "$2" >"$tmp/server.log" 2>&1 & ;;
	redis) taskset -c "$server_cpu" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly yes \
		--appendfsync "$2" --dir "$3" >"$tmp/server.log" 2>&1 & ;;
	esac
	pid=$!
	server_started "$1"
}

rb() { # rb <requests> <pipeline> command...
	local n=$1 p=$2
	shift 2
	taskset -c "$client_cpu" redis-benchmark -p "$port" -c 50 -n "$n" -P "$p" --csv "$@" 2>/dev/null |
		awk -F'"' 'NR==2 {print $4}'
}

record() { echo "$1,$2,$3,$4,$5" >>"$out"; printf '  %-8s %-9s %-12s %14s\n' "$1" "$2" "$4" "$5"; }

run_server() { # run_server <kind> <policy> <pair>
	local kind=$1 policy=$2 pair=$3 dir=$tmp/$1-$2-$3 n
	start "$kind" "$policy" "$dir"
	if [ "$policy" = always ]; then n=20000; else n=200000; fi
	record "$kind" "$policy" "$pair" xadd-P1 "$(rb "$n" 1 XADD s1 '*' f v)"
	record "$kind" "$policy" "$pair" xadd-P16 "$(rb $((n * 4)) 16 XADD s16 '*' f v)"
	local entries=$((n + n * 4))
	local bytes
	bytes=$(du -sb "$dir" | cut -f1)
	record "$kind" "$policy" "$pair" bytes/entry "$(awk -v b="$bytes" -v e="$entries" 'BEGIN {printf "%.1f", b/e}')"
	local lib
	lib=$(taskset -c "$client_cpu" "$tmp/libbench" consume -backend tcp -addr "127.0.0.1:$port" -impl worker \
		-n $((n / 4)) -c 4 -b 64 | awk '{print $1}')
	record "$kind" "$policy" "$pair" library "$lib"
	stop_server
	rm -rf "$dir"
}

for policy in everysec always; do
	echo "appendfsync $policy"
	for pair in $(seq 1 "$pairs"); do
		if [ $((pair % 2)) -eq 1 ]; then order="pelican redis"; else order="redis pelican"; fi
		for kind in $order; do run_server "$kind" "$policy" "$pair"; done
	done
done

echo "restart and rewrite (everysec, 1M entries, 100k pending)"
for kind in pelican redis; do
	dir=$tmp/$kind-restart
	start "$kind" everysec "$dir"
	taskset -c "$client_cpu" "$tmp/loadgen" preload -addr "127.0.0.1:$port" -stream q -n 1000000 -size 10 -group g
	redis-cli -p "$port" XREADGROUP GROUP g c COUNT 100000 STREAMS q '>' >/dev/null
	t0=$(date +%s.%N)
	redis-cli -p "$port" BGREWRITEAOF >/dev/null
	while redis-cli -p "$port" INFO persistence | grep -q 'aof_rewrite_in_progress:1'; do sleep 0.01; done
	t1=$(date +%s.%N)
	record "$kind" everysec 1 rewrite "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b-a}')"
	if [ "$kind" = pelican ]; then
		stall=$(grep -o 'stall_ms=[0-9.]*' "$tmp/server.log" | tail -1 | cut -d= -f2)
		record "$kind" everysec 1 rewrite-stall-ms "${stall:-n/a}"
	fi
	stop_server
done
# Restarts alternate between the two directories, the order flipping.
for pair in $(seq 1 "$pairs"); do
	if [ $((pair % 2)) -eq 1 ]; then order="pelican redis"; else order="redis pelican"; fi
	for kind in $order; do
		t0=$(date +%s.%N)
		start "$kind" everysec "$tmp/$kind-restart"
		t1=$(date +%s.%N)
		record "$kind" everysec "$pair" restart "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b-a}')"
		record "$kind" everysec "$pair" restart-xlen "$(redis-cli -p "$port" XLEN q)"
		stop_server
	done
done

echo
echo "ratios Pelican/Redis (per pair; higher is better for throughput, lower for bytes and seconds)"
python3 - "$out" <<'EOF'
import csv, sys, statistics
rows = list(csv.DictReader(open(sys.argv[1])))
vals = {}
for r in rows:
    try:
        v = float(r["value"])
    except ValueError:
        continue
    vals.setdefault((r["policy"], r["workload"], r["pair"]), {})[r["server"]] = v
by = {}
for (policy, workload, pair), d in sorted(vals.items()):
    if "pelican" in d and "redis" in d and d["redis"]:
        by.setdefault((policy, workload), []).append(d["pelican"] / d["redis"])
for (policy, workload), rs in by.items():
    print(f"  {policy:9s} {workload:12s} median {statistics.median(rs):.2f}  ({', '.join(f'{r:.2f}' for r in rs)})")
EOF
echo "results: $out"
