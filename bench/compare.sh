#!/usr/bin/env bash
# Pelican vs redis-server, side by side in one run.
#
#   bench/compare.sh [pairs]     (default 5 pairs)
#
# Each server runs alone, pinned to CPU 0; redis-benchmark and the Go
# load generator are pinned to CPU 1. The two servers alternate, and the
# order within a pair flips each time, so drift on the machine hits both.
# For every workload the script prints each pair's throughput, the ratio
# Pelican/Redis, and the median ratio; and the resident memory of each
# server holding 1M entries of one 100-byte field. Results also go to
# bench/results/<time>.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/server.sh
. bench/server.sh

pairs=${1:-5}
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}
port=${BENCH_PORT:-16390}
tmp=$(mktemp -d)
mkdir -p bench/results
out=bench/results/$(date +%Y%m%d-%H%M%S).csv

cleanup() {
	kill_server
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/pelican" ./cmd/pelican
go build -o "$tmp/loadgen" ./bench/loadgen
echo "server,pair,workload,value" >"$out"

start() { # start <pelican|redis>
	case "$1" in
	pelican) taskset -c "$server_cpu" "$tmp/pelican" server --addr "127.0.0.1:$port" >/dev/null 2>&1 & ;;
	redis) taskset -c "$server_cpu" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 & ;;
	esac
	pid=$!
	server_started "$1"
}

rb() { # rb <requests> <pipeline> <keyspace> command...
	local n=$1 p=$2 r=$3
	shift 3
	local rflag=()
	[ "$r" -gt 0 ] && rflag=(-r "$r")
	taskset -c "$client_cpu" redis-benchmark -p "$port" -c 50 -n "$n" -P "$p" "${rflag[@]}" --csv "$@" 2>/dev/null |
		awk -F'"' 'NR==2 {print $4}'
}

lg() { taskset -c "$client_cpu" "$tmp/loadgen" "$@"; }

record() { echo "$1,$2,$3,$4" >>"$out"; printf '  %-8s %-16s %12s\n' "$1" "$3" "$4"; }

run_server() { # run_server <kind> <pair>
	local kind=$1 pair=$2
	start "$kind"
	record "$kind" "$pair" xadd-P1 "$(rb 200000 1 0 XADD s1 '*' f v)"
	record "$kind" "$pair" xadd-P16 "$(rb 2000000 16 0 XADD s16 '*' f v)"
	lg preload -addr "127.0.0.1:$port" -stream r -n 100000 -size 10
	record "$kind" "$pair" xrange-count10 "$(rb 200000 1 100000 XRANGE r __rand_int__ + COUNT 10)"
	lg preload -addr "127.0.0.1:$port" -stream q -n 1000000 -size 10 -group g
	record "$kind" "$pair" xreadgroup-count10 "$(rb 100000 1 0 XREADGROUP GROUP g c COUNT 10 STREAMS q '>')"
	record "$kind" "$pair" xack "$(rb 200000 1 1000000 XACK q g __rand_int__-0)"
	lg preload -addr "127.0.0.1:$port" -stream ra -n 500000 -size 10 -group g
	record "$kind" "$pair" readack-loop "$(lg readack -addr "127.0.0.1:$port" -stream ra -group g -clients 50 -n 500000)"
	stop_server

	start "$kind"
	local base
	base=$(lg rss -pid "$pid")
	lg preload -addr "127.0.0.1:$port" -stream m -n 1000000 -size 100
	redis-cli -p "$port" MEMORY PURGE >/dev/null
	local full
	full=$(lg rss -pid "$pid")
	record "$kind" "$pair" rss-1M-entries "$full"
	record "$kind" "$pair" rss-per-entry "$(awk -v f="$full" -v b="$base" 'BEGIN { printf "%.1f", (f - b) / 1000000 }')"
	stop_server
}

for pair in $(seq 1 "$pairs"); do
	echo "pair $pair"
	if [ $((pair % 2)) -eq 1 ]; then
		run_server pelican "$pair"
		run_server redis "$pair"
	else
		run_server redis "$pair"
		run_server pelican "$pair"
	fi
done

echo
echo "results: $out"
awk -F, 'NR > 1 { v[$2","$3","$1] = $4; w[$3] = 1; p[$2] = 1 }
END {
	printf "%-20s", "workload"
	for (i = 1; i in p; i++) printf "  pair%-2d", i
	printf "  median (pelican/redis)\n"
	for (wl in w) {
		n = 0
		printf "%-20s", wl
		for (i = 1; i in p; i++) {
			r = v[i","wl",pelican"] / v[i","wl",redis"]
			printf "  %6.2f", r
			ratios[++n] = r
		}
		# insertion sort for the median
		for (a = 2; a <= n; a++) { x = ratios[a]; b = a - 1; while (b > 0 && ratios[b] > x) { ratios[b+1] = ratios[b]; b-- } ratios[b+1] = x }
		med = (n % 2) ? ratios[(n+1)/2] : (ratios[n/2] + ratios[n/2+1]) / 2
		printf "  %6.2f\n", med
	}
}' "$out"
