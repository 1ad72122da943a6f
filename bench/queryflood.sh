#!/usr/bin/env bash
# Clients that send huge arguments and never finish them: the server's
# memory, Pelican vs redis-server.
#
#   bench/queryflood.sh [rounds] [clients] [MB]     (default 3 rounds, 5 clients, 200 MB)
#
# Each round starts each server fresh (the order flips every round);
# loadgen queryflood opens the clients, each sending all but the last byte
# of one ECHO argument of the given size, then disconnects them. Printed
# per server: its peak RSS while they send, its RSS once they have all
# sent, and its RSS after they left (awaited up to 10 s), in MB.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/server.sh
. bench/server.sh

rounds=${1:-3}
clients=${2:-5}
mb=${3:-200}
port=${BENCH_PORT:-16392}
tmp=$(mktemp -d)

cleanup() {
	kill_server
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/pelican" ./cmd/pelican
go build -o "$tmp/loadgen" ./bench/loadgen

start() { # start <pelican|redis>
	case "$1" in
	pelican) "$tmp/pelican" server --addr "127.0.0.1:$port" >/dev/null 2>&1 & ;;
	redis) redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 & ;;
	esac
	pid=$!
	server_started "$1"
}

for r in $(seq 1 "$rounds"); do
	order=(pelican redis)
	[ $((r % 2)) -eq 0 ] && order=(redis pelican)
	for s in "${order[@]}"; do
		start "$s"
		printf 'round %d %-8s %s\n' "$r" "$s" "$("$tmp/loadgen" queryflood -addr "127.0.0.1:$port" -pid "$pid" -clients "$clients" -size "$mb")"
		stop_server
	done
done
