#!/usr/bin/env bash
# Serving N blocked readers one entry each: Pelican vs redis-server.
#
#   bench/blocked.sh [N ...]     (default 500 1000 2000 4000 8000)
#
# For each N, each server is started fresh, pinned to CPU 0; loadgen,
# pinned to CPU 1, parks N clients in XREADGROUP COUNT 1 BLOCK 0 on one
# group, adds N entries in pipelines of 100 XADDs, and times from the
# first XADD to the last reader served, while another client PINGs. The
# two servers alternate which goes first. The script prints, per N, both
# times, the ratio Redis time / Pelican time (above 1: Pelican serves them
# faster) and the slowest PING each server answered meanwhile.
#
# PELICAN_BIN names a pelican binary to measure instead of building this
# tree's (to compare commits).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/server.sh
. bench/server.sh

sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(500 1000 2000 4000 8000)
server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}
port=${BENCH_PORT:-16391}
tmp=$(mktemp -d)

cleanup() {
	kill_server
	rm -rf "$tmp"
}
trap cleanup EXIT

# Each reader is a connection: N for loadgen, N for the server.
ulimit -n "$(ulimit -Hn)"

if [ -n "${PELICAN_BIN:-}" ]; then
	cp "$PELICAN_BIN" "$tmp/pelican"
else
	go build -o "$tmp/pelican" ./cmd/pelican
fi
go build -o "$tmp/loadgen" ./bench/loadgen

start() { # start <pelican|redis>
	case "$1" in
	pelican) taskset -c "$server_cpu" "$tmp/pelican" server --addr "127.0.0.1:$port" >/dev/null 2>&1 & ;;
	redis) taskset -c "$server_cpu" redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --maxclients 20000 >/dev/null 2>&1 & ;;
	esac
	pid=$!
	server_started "$1"
}

run() { # run <pelican|redis> <n>: prints "seconds slowest-ping-ms"
	start "$1"
	taskset -c "$client_cpu" "$tmp/loadgen" blocked -addr "127.0.0.1:$port" -n "$2"
	stop_server
}

printf '%6s  %12s  %12s  %14s  %16s  %14s\n' N pelican_s redis_s 'ratio(r/p)' pelican_ping_ms redis_ping_ms
i=0
for n in "${sizes[@]}"; do
	if [ $((i % 2)) -eq 0 ]; then
		read -r ps pp <<<"$(run pelican "$n")"
		read -r rs rp <<<"$(run redis "$n")"
	else
		read -r rs rp <<<"$(run redis "$n")"
		read -r ps pp <<<"$(run pelican "$n")"
	fi
	i=$((i + 1))
	if [ -z "${ps:-}" ] || [ -z "${rs:-}" ]; then
		echo "blocked.sh: a run at N=$n failed" >&2
		exit 1
	fi
	printf '%6d  %12s  %12s  %14.2f  %16s  %14s\n' "$n" "$ps" "$rs" "$(awk -v r="$rs" -v p="$ps" 'BEGIN { print r / p }')" "$pp" "$rp"
done
