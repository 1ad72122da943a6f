#!/usr/bin/env bash
# Pelican's processing library against minimal go-redis loops, against the
# worker of an earlier commit and against peers (asynq,
# watermill-redisstream), on three backends, in one run.
#
#   bench/library.sh [runs]     (default 3)
#
# Backends: the embedded engine in the benchmark's own process (both CPUs);
# Pelican's server and redis-server over TCP on 127.0.0.1, the server
# pinned to CPU 0 and the benchmark to CPU 1. Each run visits the backends
# in turn, reversing their order and the order of the implementations
# (worker, base worker, loops) on every other run; before each measurement the script waits (up to IDLE_WAIT
# seconds) for the machine to be idle. Results go to
# bench/results/library-<time>.csv and the summary (medians over the runs)
# to stdout.
#
# The base worker (impls worker-base and pelican-base) is the library at
# the commit BASE: the script checks it out with `git worktree add` into a
# temporary directory and builds this checkout's bench/libbench there, so
# that the same measuring code links the older library; if that does not
# compile, it builds the base's own bench/libbench (leaving out the flags
# that one does not know, and the rows it has no subcommand for).
#
# Environment:
#   CONFIGS       lanes x batch for publish → no-op → ack (default "1x64 4x64 16x256")
#   N             messages for publish → no-op → ack (default 300000)
#   DLQ_CONFIG    lanes x batch for dead-lettering (default 4x64)
#   DLQ_N         messages for dead-lettering (default 60000)
#   PEERS         1 to run asynq and watermill too (default 1)
#   OWN           0 to leave out Pelican's own rows (the worker, the base
#                 worker and the loops) and the embedded backend, running
#                 only the peers on pelican server and redis-server
#                 (default 1; 0 implies BASE=none)
#   PEER_CONC     their concurrencies (default "16 64")
#   PEER_N        messages for them (default 30000)
#   PEERS_SLOW    1 to measure their recovery with default settings, which
#                 takes minutes (default 1)
#   IDLE_WAIT     seconds to wait for an idle machine (default 20)
#   BASE          commit whose worker to measure too (default 46f0428, the
#                 one before the worker's second edition; none to skip)
#   HOL           1 to run the head-of-line row (default 1): of HOL_N
#                 messages, every HOL_EVERY-th one's handler sleeps for
#                 HOL_SLOW; the worker (batch HOL_BATCH) and the peers with
#                 each of HOL_CONC handlers at once
#   HOL_CONC      (default "4 16")   HOL_N (default 2000)
#   HOL_EVERY     (default 100)      HOL_SLOW (default 200ms)
#   HOL_BATCH     (default 64)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/server.sh
. bench/server.sh

runs=${1:-3}
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}
port=${BENCH_PORT:-16391}
configs=${CONFIGS:-"1x64 4x64 16x256"}
n=${N:-300000}
dlq_config=${DLQ_CONFIG:-4x64}
dlq_n=${DLQ_N:-60000}
peers=${PEERS:-1}
own=${OWN:-1}
peer_conc=${PEER_CONC:-"16 64"}
peer_n=${PEER_N:-30000}
peers_slow=${PEERS_SLOW:-1}
idle_wait=${IDLE_WAIT:-20}
base=${BASE:-46f0428}
hol=${HOL:-1}
hol_conc=${HOL_CONC:-"4 16"}
hol_n=${HOL_N:-2000}
hol_every=${HOL_EVERY:-100}
hol_slow=${HOL_SLOW:-200ms}
hol_batch=${HOL_BATCH:-64}
if [ "$own" != 1 ]; then base=none; fi # the base worker is one of Pelican's own rows
tmp=$(mktemp -d)
mkdir -p bench/results
out=bench/results/library-$(date +%Y%m%d-%H%M%S).csv
base_note=
base_tree=$tmp/base
base_bin=$tmp/libbench-base
base_own=0 # 1: base_bin is the base commit's own libbench
base_hol=0 # 1: base_bin has the hol subcommand

cleanup() {
	kill_server
	if [ -d "$base_tree" ]; then git worktree remove --force "$base_tree" 2>/dev/null || true; fi
	rm -rf "$tmp"
	git worktree prune 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$tmp/pelican" ./cmd/pelican
go build -o "$tmp/libbench" ./bench/libbench
if [ "$peers" = 1 ]; then (cd bench/peers && go build -o "$tmp/peers" .); fi

# The base worker: this checkout's bench/libbench, copied into a package of
# its own in a worktree of the base commit, links the base's library.
if [ "$base" != none ]; then
	if ! base_rev=$(git rev-parse --verify --quiet "$base^{commit}"); then
		echo "library.sh: BASE=$base is not a commit" >&2
		exit 1
	fi
	git worktree add --quiet --detach "$base_tree" "$base_rev"
	mkdir -p "$base_tree/bench/libbench-current"
	cp bench/libbench/*.go "$base_tree/bench/libbench-current/"
	if (cd "$base_tree" && go build -o "$base_bin" ./bench/libbench-current) 2>"$tmp/base-build.log"; then
		base_note="base worker: $base ($base_rev), measured with this checkout's bench/libbench"
	else
		cat "$tmp/base-build.log" >&2
		echo "library.sh: this checkout's bench/libbench does not build against $base; using $base's own" >&2
		(cd "$base_tree" && go build -o "$base_bin" ./bench/libbench)
		base_own=1
		base_note="base worker: $base ($base_rev), measured with its own bench/libbench"
	fi
	if "$base_bin" hol -h >/dev/null 2>&1; then base_hol=1; fi
	if [ "$hol" = 1 ] && [ "$base_hol" = 0 ]; then
		base_note="$base_note; it has no hol subcommand, so the head-of-line row leaves it out"
	fi
	echo "$base_note"
fi
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
	server_started "$1"
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

# lb <binary> <backend> <subcommand> flags...: runs a libbench binary on
# the backend.
lb() {
	local bin=$1 backend=$2 cpus=$client_cpu
	shift 2
	local args=("$@")
	if [ "$backend" = embedded ]; then
		cpus=$server_cpu,$client_cpu
		args+=(-backend embedded)
	else
		args+=(-backend tcp -addr "127.0.0.1:$port" -server-pid "$pid")
	fi
	if [ "$bin" = "$base_bin" ] && [ "$base_own" = 1 ]; then base_flags; fi
	taskset -c "$cpus" "$bin" "${args[@]}"
}

# base_flags leaves out of lb's args (a subcommand, then flags that each
# take a value) the flags that the base's own libbench does not know.
declare -A noted
base_flags() {
	local sub=${args[0]} known kept i
	known=$("$base_bin" "$sub" -h 2>&1 | sed -n 's/^  -\([A-Za-z0-9_-]*\).*/\1/p')
	kept=("$sub")
	for ((i = 1; i < ${#args[@]}; i += 2)); do
		if grep -qx -- "${args[i]#-}" <<<"$known"; then
			kept+=("${args[i]}" "${args[i + 1]}")
		elif [ -z "${noted[$sub${args[i]}]:-}" ]; then
			noted[$sub${args[i]}]=1
			echo "library.sh: the base's libbench $sub has no ${args[i]}; left out" >&2
		fi
	done
	args=("${kept[@]}")
}

# bin_of <impl>: the libbench binary that measures impl (the base's for
# worker-base and pelican-base).
bin_of() {
	case "$1" in
	*-base) echo "$base_bin" ;;
	*) echo "$tmp/libbench" ;;
	esac
}

# reversed <words...>: prints the words in reverse order.
reversed() {
	local i
	for ((i = $#; i > 0; i--)); do echo "${!i}"; done
}

pr() { taskset -c "$client_cpu" "$tmp/peers" "$@"; }

run_backend() { # run_backend <run> <backend>
	local run=$1 backend=$2 c
	local impls=(worker loop) dlq_impls=(worker loop loop-script loop-guarded) rec_impls=(pelican) hol_impls=(worker)
	if [ "$base" != none ]; then
		impls=(worker worker-base loop)
		dlq_impls=(worker worker-base loop loop-script loop-guarded)
		rec_impls=(pelican pelican-base)
		if [ "$base_hol" = 1 ]; then hol_impls=(worker worker-base); fi
	fi
	if [ $((run % 2)) -eq 0 ]; then
		impls=($(reversed "${impls[@]}"))
		dlq_impls=($(reversed "${dlq_impls[@]}"))
		rec_impls=($(reversed "${rec_impls[@]}"))
		hol_impls=($(reversed "${hol_impls[@]}"))
	fi
	case "$backend" in pelican | redis) start "$backend" ;; esac
	if [ "$own" = 1 ]; then run_own "$run" "$backend"; fi
	if [ "$peers" = 1 ] && [ "$hol" = 1 ] && [ "$backend" != embedded ]; then
		for c in $hol_conc; do
			measure "$run" "$backend" hol "c$c" asynq pr asynq-hol -addr "127.0.0.1:$port" -n "$hol_n" -c "$c" -slow-every "$hol_every" -slow "$hol_slow"
			measure "$run" "$backend" hol "c$c" watermill pr watermill-hol -addr "127.0.0.1:$port" -n "$hol_n" -c "$c" -slow-every "$hol_every" -slow "$hol_slow"
		done
	fi
	if [ "$peers" = 1 ] && [ "$backend" != embedded ]; then
		for c in $peer_conc; do
			measure "$run" "$backend" consume "c$c" asynq pr asynq-consume -addr "127.0.0.1:$port" -n "$peer_n" -c "$c" -server-pid "$pid"
			measure "$run" "$backend" consume "c$c" watermill pr watermill-consume -addr "127.0.0.1:$port" -n "$peer_n" -c "$c" -server-pid "$pid"
		done
		measure "$run" "$backend" recover idle1s watermill pr watermill-recover -addr "127.0.0.1:$port" -n 1000 -c 10 -min-idle 1s -claim-interval 250ms -settle 0
		if [ "$peers_slow" = 1 ]; then
			measure "$run" "$backend" recover defaults watermill pr watermill-recover -addr "127.0.0.1:$port" -n 1000 -c 10
			measure "$run" "$backend" recover defaults asynq pr asynq-recover -addr "127.0.0.1:$port" -n 1000 -c 10
		fi
	fi
	[ -n "$pid" ] && stop_server
	return 0
}

# run_own <run> <backend>: Pelican's own rows, on the running backend.
run_own() {
	local run=$1 backend=$2 cfg c b impl
	for cfg in $configs; do
		c=${cfg%x*} b=${cfg#*x}
		for impl in "${impls[@]}"; do
			measure "$run" "$backend" consume "$cfg" "$impl" lb "$(bin_of "$impl")" "$backend" consume -impl "${impl%-base}" -n "$n" -c "$c" -b "$b"
		done
	done
	c=${dlq_config%x*} b=${dlq_config#*x}
	for impl in "${dlq_impls[@]}"; do
		measure "$run" "$backend" deadletter "$dlq_config" "$impl" lb "$(bin_of "$impl")" "$backend" deadletter -impl "${impl%-base}" -n "$dlq_n" -c "$c" -b "$b"
	done
	for impl in "${rec_impls[@]}"; do
		measure "$run" "$backend" recover 10x100 "$impl" lb "$(bin_of "$impl")" "$backend" recover -n 1000 -c 10 -b 100 -min-idle 1s
	done
	if [ "$hol" = 1 ]; then
		for c in $hol_conc; do
			for impl in "${hol_impls[@]}"; do
				measure "$run" "$backend" hol "c$c" "$impl" lb "$(bin_of "$impl")" "$backend" hol -impl "${impl%-base}" \
					-n "$hol_n" -c "$c" -b "$hol_batch" -slow-every "$hol_every" -slow "$hol_slow"
			done
		done
	fi
}

for run in $(seq 1 "$runs"); do
	echo "run $run"
	order=(embedded pelican redis)
	[ $((run % 2)) -eq 0 ] && order=(redis pelican embedded)
	if [ "$own" != 1 ]; then
		order=(pelican redis)
		[ $((run % 2)) -eq 0 ] && order=(redis pelican)
	fi
	for backend in "${order[@]}"; do
		run_backend "$run" "$backend"
	done
done

echo
echo "results: $out"
if [ -n "$base_note" ]; then echo "$base_note"; fi
python3 bench/library_summary.py "$out"
