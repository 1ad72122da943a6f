// Package clienttest proves that real Redis clients work against Pelican
// unchanged. Its tests start a Pelican server in the test process on a free
// loopback port and drive it with go-redis, redis-cli, redis-py and ioredis;
// where it adds value they run the same scenario against a private
// redis-server 7 as well, to show that the scenario's expectations are
// Redis's own.
//
// A missing client tool makes its tests skip with a message telling how to
// install it, unless PELICAN_REQUIRE_CLIENTS=1 (set by test.sh and CI), in
// which case they fail. The non-Go parts live in subdirectories: rediscli
// (redis-cli scripts), python (redis-py scenarios) and node (ioredis).
package clienttest
