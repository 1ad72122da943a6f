package engine

import (
	"strings"
	"testing"
)

// TestWritesInvalidateWatch checks which commands count as a change of a
// watched key: a write that changes the key makes the watcher's EXEC fail,
// and one that changes nothing does not, as in Redis.
func TestWritesInvalidateWatch(t *testing.T) {
	tests := []struct {
		setup   string // run before WATCH
		cmd     string // run by another client after WATCH
		touches bool
	}{
		{"", "SET k v", true},
		{"SET k v", "SET k w NX", false},
		{"", "SET k w XX", false},
		{"", "SETNX k v", true},
		{"", "SETEX k 10 v", true},
		{"", "MSET a 1 k 2", true},
		{"SET k 1", "MSETNX k 2", false},
		{"", "INCR k", true},
		{"SET k 1", "INCRBY k 0", true},
		{"", "INCRBYFLOAT k 1.5", true},
		{"", "APPEND k x", true},
		{"SET k v", "GETDEL k", true},
		{"SET k v", "GETSET k w", true},
		{"SET k v", "GETEX k EX 10", true},
		{"SET k v", "GETEX k", false},
		{"SET k v", "GETEX k PERSIST", false},
		{"SET k v", "DEL k", true},
		{"", "DEL k", false},
		{"SET k v", "UNLINK k", true},
		{"SET k v", "EXPIRE k 10", true},
		{"", "EXPIRE k 10", false},
		{"SET k v", "EXPIRE k 10 XX", false},
		{"SET k v", "EXPIRE k -1", true},
		{"SET k v EX 10", "PERSIST k", true},
		{"SET k v", "PERSIST k", false},
		{"SET k v", "RENAME k other", true},
		{"SET src v", "RENAME src k", true},
		{"SET k v", "RENAME k k", false},
		{"SET k v", "FLUSHDB", true},
		{"", "FLUSHALL", false},
		{"", "RPUSH k a", true},
		{"", "LPUSHX k a", false},
		{"RPUSH k a b", "LPOP k", true},
		{"RPUSH k a b", "RPOP k 0", false},
		{"", "LPOP k", false},
		{"", "HSET k f v", true},
		{"HSET k f v", "HSETNX k f w", false},
		{"HSET k f v", "HDEL k f", true},
		{"HSET k f v", "HDEL k g", false},
		{"", "HINCRBY k f 1", true},
		{"", "SADD k m", true},
		{"SADD k m", "SADD k m", false},
		{"SADD k m", "SREM k m", true},
		{"SADD k m", "SREM k x", false},
		{"SET k v", "GET k", false},
		{"SET other v", "SET other w", false},
	}
	for _, tt := range tests {
		t.Run(tt.setup+"/"+tt.cmd, func(t *testing.T) {
			te := newTestEngine(t)
			if tt.setup != "" {
				te.do(tt.setup)
			}
			te.do("WATCH k")
			other := te.newClient()
			te.run(other, strings.Fields(tt.cmd)...)
			te.do("MULTI")
			te.do("PING")
			got := te.do("EXEC")
			want := arrR("+PONG\r\n")
			if tt.touches {
				want = nilArrR
			}
			if got != want {
				t.Errorf("EXEC after %q = %q, want %q (touches %v)", tt.cmd, got, want, tt.touches)
			}
		})
	}
}
