#!/usr/bin/env bash
# Pelican's processing library against minimal go-redis loops and against
# peers (asynq, watermill-redisstream), on three backends, in one run.
#
#   bench/library.sh [runs]     (default 3)
#
# Backends: the embedded engine in the benchmark's own process (both CPUs);
# Pelican's server and redis-server over TCP on 127.0.0.1, the server
# pinned to CPU 0 and the benchmark to CPU 1. Each run visits the backends
# in turn, reversing their order and the order of worker and loop on every
# other run; before each measurement the script waits (up to IDLE_WAIT
# seconds) for the machine to be idle. Results go to
# bench/results/library-<time>.csv and the summary (medians over the runs)
# to stdout.
#
# Environment:
#   CONFIGS       lanes x batch for publish → no-op → ack (default "1x64 4x64 16x256")
#   N             messages for publish → no-op → ack (default 300000)
#   DLQ_CONFIG    lanes x batch for dead-lettering (default 4x64)
#   DLQ_N         messages for dead-lettering (default 60000)
#   PEERS         1 to run asynq and watermill too (default 1)
#   PEER_CONC     their concurrencies (default "16 64")
#   PEER_N        messages for them (default 30000)
#   PEERS_SLOW    1 to measure their recovery with default settings, which
#                 takes minutes (default 1)
#   IDLE_WAIT     seconds to wait for an idle machine (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}
port=${BENCH_PORT:-16391}
configs=${CONFIGS:-"1x64 4x64 16x256"}
n=${N:-300000}
dlq_config=${DLQ_CONFIG:-4x64}
dlq_n=${DLQ_N:-60000}
peers=${PEERS:-1}
peer_conc=${PEER_CONC:-"16 64"}
peer_n=${PEER_N:-30000}
peers_slow=${PEERS_SLOW:-1}
idle_wait=${IDLE_WAIT:-20}
tmp=$(mktemp -d)
mkdir -p bench/results
out=bench/results/library-$(date +%Y%m%d-%H%M%S).csv
pid=

cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/pelican" ./cmd/pelican
go build -o "$tmp/libbench" ./bench/libbench
if [ "$peers" = 1 ]; then (cd bench/peers && go build -o "$tmp/peers" .); fi
echo "run,backend,workload,config,impl,busy,v1,v2,v3,v4" >"$out"

# busy_pct prints how busy, in percent, all CPUs were over half a second.
busy_pct() {
	local a b ta=0 tb=0 i
	a=($(head -1 /proc/stat)); sleep 0.5; b=($(head -1 /proc/stat))
	for i in 1 2 3 4 5 6 7 8; do ta=$((ta + a[i])); tb=$((tb + b[i])); done
	local idle=$(((b[4] + b[5]) - (a[4] + a[5]))) tot=$((tb - ta))
	echo $((100 * (tot - idle) / (tot > 0 ? tot : 1)))
}

# wait_idle waits until the machine is idle (the running server, if any,
# is idle between measurements) and prints the last busy figure.
wait_idle() {
	local end=$((SECONDS + idle_wait)) b
	b=$(busy_pct)
	while [ "$b" -gt 10 ] && [ $SECONDS -lt $end ]; do b=$(busy_pct); done
	echo "$b"
}

start() { # start <pelican|redis>
	case "$1" in
	pelican) taskset -c "$server_cpu" "$tmp/pelican" server --addr "127.0.0.1:$port" >/dev/null 2>&1 & ;;
	redis) taskset -c "$server_cpu" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 & ;;
	esac
	pid=$!
	for _ in $(seq 1 200); do
		redis-cli -p "$port" PING >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "library.sh: $1 did not start" >&2
	exit 1
}

stop() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

# measure <run> <backend> <workload> <config> <impl> command...: runs the
# command after waiting for an idle machine and records its output line.
measure() {
	local run=$1 backend=$2 workload=$3 config=$4 impl=$5 busy res
	shift 5
	busy=$(wait_idle)
	if ! res=$("$@"); then
		echo "library.sh: failed: $*" >&2
		res="ERR"
	fi
	echo "$run,$backend,$workload,$config,$impl,$busy,${res// /,}" >>"$out"
	printf '  %-8s %-10s %-9s %-9s %-16s busy %3s%%  %s\n' "$run" "$backend" "$workload" "$config" "$impl" "$busy" "$res"
}

# lb <backend> args...: runs libbench on the backend.
lb() {
	local backend=$1
	shift
	case "$backend" in
	embedded) taskset -c "$server_cpu,$client_cpu" "$tmp/libbench" "$@" -backend embedded ;;
	*) taskset -c "$client_cpu" "$tmp/libbench" "$@" -backend tcp -addr "127.0.0.1:$port" -server-pid "$pid" ;;
	esac
}

pr() { taskset -c "$client_cpu" "$tmp/peers" "$@"; }

run_backend() { # run_backend <run> <backend>
	local run=$1 backend=$2 impls=(worker loop) dlq_impls=(worker loop loop-script loop-guarded) cfg c b
	[ $((run % 2)) -eq 0 ] && impls=(loop worker) dlq_impls=(loop-guarded loop-script loop worker)
	case "$backend" in pelican | redis) start "$backend" ;; esac
	for cfg in $configs; do
		c=${cfg%x*} b=${cfg#*x}
		for impl in "${impls[@]}"; do
			measure "$run" "$backend" consume "$cfg" "$impl" lb "$backend" consume -impl "$impl" -n "$n" -c "$c" -b "$b"
		done
	done
	c=${dlq_config%x*} b=${dlq_config#*x}
	for impl in "${dlq_impls[@]}"; do
		measure "$run" "$backend" deadletter "$dlq_config" "$impl" lb "$backend" deadletter -impl "$impl" -n "$dlq_n" -c "$c" -b "$b"
	done
	measure "$run" "$backend" recover 10x100 pelican lb "$backend" recover -n 1000 -c 10 -b 100 -min-idle 1s
	if [ "$peers" = 1 ] && [ "$backend" != embedded ]; then
		for c in $peer_conc; do
			if [ "$backend" = redis ]; then
				measure "$run" "$backend" consume "c$c" asynq pr asynq-consume -addr "127.0.0.1:$port" -n "$peer_n" -c "$c" -server-pid "$pid"
			fi
			measure "$run" "$backend" consume "c$c" watermill pr watermill-consume -addr "127.0.0.1:$port" -n "$peer_n" -c "$c" -server-pid "$pid"
		done
		measure "$run" "$backend" recover idle1s watermill pr watermill-recover -addr "127.0.0.1:$port" -n 1000 -c 10 -min-idle 1s -claim-interval 250ms -settle 0
		if [ "$peers_slow" = 1 ] && [ "$backend" = redis ]; then
			measure "$run" "$backend" recover defaults watermill pr watermill-recover -addr "127.0.0.1:$port" -n 1000 -c 10
			measure "$run" "$backend" recover defaults asynq pr asynq-recover -addr "127.0.0.1:$port" -n 1000 -c 10
		fi
	fi
	[ -n "$pid" ] && stop
	return 0
}

for run in $(seq 1 "$runs"); do
	echo "run $run"
	order=(embedded pelican redis)
	[ $((run % 2)) -eq 0 ] && order=(redis pelican embedded)
	for backend in "${order[@]}"; do
		run_backend "$run" "$backend"
	done
done

echo
echo "results: $out"
python3 bench/library_summary.py "$out"
