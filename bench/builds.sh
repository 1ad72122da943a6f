#!/usr/bin/env bash
# pelican server built at two commits, side by side in one run.
#
#   bench/builds.sh BASE [pairs] [workloads]   (default 6 pairs; workloads
#                                               xadd-P16 xadd-P1 xrange)
#
# Builds cmd/pelican at BASE (any git revision) and at the working tree,
# then runs each workload on the two builds alternately, the order within
# a pair flipping each time, the server pinned to CPU 0 and
# redis-benchmark (50 clients) to CPU 1, a fresh server for every run:
#   xadd-P16   XADD s16 * f v, pipeline 16, 1,000,000 requests
#   xadd-P1    XADD s1 * f v, 200,000 requests
#   xrange     XRANGE r <random> + COUNT 10 over 100k entries, 200,000 requests
# It prints each pair's throughput and ratio (working tree / BASE) and the
# median ratio. Results go to bench/results/builds-<time>.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/server.sh
. bench/server.sh

base=${1:?usage: bench/builds.sh BASE [pairs] [workloads]}
pairs=${2:-6}
workloads=${3:-xadd-P16 xadd-P1 xrange}
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}
port=${BENCH_PORT:-16393}
tmp=$(mktemp -d)
mkdir -p bench/results
out=bench/results/builds-$(date +%Y%m%d-%H%M%S).csv

cleanup() {
	kill_server
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$tmp/base"
git archive "$base" | tar -x -C "$tmp/base"
(cd "$tmp/base" && go build -o "$tmp/pelican-base" ./cmd/pelican)
go build -o "$tmp/pelican-tree" ./cmd/pelican
go build -o "$tmp/loadgen" ./bench/loadgen
echo "build,pair,workload,value" >"$out"

rb() { # rb <requests> <pipeline> <keyspace> command...
	local n=$1 p=$2 r=$3
	shift 3
	local rflag=()
	[ "$r" -gt 0 ] && rflag=(-r "$r")
	taskset -c "$client_cpu" redis-benchmark -p "$port" -c 50 -n "$n" -P "$p" "${rflag[@]}" --csv "$@" 2>/dev/null |
		awk -F'"' 'NR==2 {print $4}'
}

measure() { # measure <base|tree> <workload>: prints requests per second
	taskset -c "$server_cpu" "$tmp/pelican-$1" server --addr "127.0.0.1:$port" >/dev/null 2>&1 &
	pid=$!
	server_started "$1"
	case "$2" in
	xadd-P16) rb 1000000 16 0 XADD s16 '*' f v ;;
	xadd-P1) rb 200000 1 0 XADD s1 '*' f v ;;
	xrange)
		taskset -c "$client_cpu" "$tmp/loadgen" preload -addr "127.0.0.1:$port" -stream r -n 100000 -size 10 >/dev/null
		rb 200000 1 100000 XRANGE r __rand_int__ + COUNT 10
		;;
	*) echo "unknown workload $2" >&2 && exit 1 ;;
	esac
	stop_server
}

for wl in $workloads; do
	echo "$wl (tree / $base)"
	ratios=()
	for pair in $(seq 1 "$pairs"); do
		if [ $((pair % 2)) -eq 1 ]; then
			b=$(measure base "$wl")
			t=$(measure tree "$wl")
		else
			t=$(measure tree "$wl")
			b=$(measure base "$wl")
		fi
		echo "base,$pair,$wl,$b" >>"$out"
		echo "tree,$pair,$wl,$t" >>"$out"
		r=$(awk -v t="$t" -v b="$b" 'BEGIN { printf "%.2f", t / b }')
		ratios+=("$r")
		printf '  pair %-2d %12s %12s  %s\n' "$pair" "$b" "$t" "$r"
	done
	printf '%s\n' "${ratios[@]}" | sort -n | awk '{ r[NR] = $1 }
	END { m = (NR % 2) ? r[(NR+1)/2] : (r[NR/2] + r[NR/2+1]) / 2; printf "  median %.2f\n", m }'
done
echo "results: $out"
