# Sourced by the benchmark scripts, which run one server at a time: their
# start() launches it in the background, sets pid and calls
# server_started; stop_server ends it, and kill_server (for the scripts'
# EXIT traps) ends it if one is running. $port is the script's.

pid=

# server_started NAME waits until the server just launched ($pid) answers
# PING with PONG (not an error, such as LOADING), for up to a minute; the
# script exits if it does not, or if the process ended.
server_started() {
	for _ in $(seq 1 6000); do
		redis-cli -p "$port" PING 2>/dev/null | grep -q PONG && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	echo "$(basename "$0"): $1 did not start" >&2
	exit 1
}

# stop_server ends the running server and waits for it.
stop_server() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

# kill_server ends the server if one is running.
kill_server() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=
	fi
}
