package engine

import (
	"bufio"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/internal/redistest"
)

// maxmemoryStep is one command of a differential script, run by one of
// three clients: 'm' (the main one), 'a' and 'b'.
type maxmemoryStep struct {
	client byte
	args   []string
}

// maxmemoryScript fills a stream and a string, opens two transactions,
// sets maxmemory far below what the data uses, and then tries what a
// queue's producers and consumers do: writes that add data are refused
// with the OOM error, reads, acknowledgements, claims and deletions run;
// then transactions and scripts under the limit, and the limit lifted.
var maxmemoryScript = []maxmemoryStep{
	{'m', []string{"XADD", "s", "1-1", "f", "v"}},
	{'m', []string{"XGROUP", "CREATE", "s", "g", "0"}},
	{'m', []string{"XADD", "s", "2-1", "f", "v"}},
	{'m', []string{"XADD", "s", "3-1", "f", "v"}},
	{'m', []string{"SET", "k", "v"}},
	{'m', []string{"RPUSH", "l", "x"}},
	// Transactions queued before the limit is reached.
	{'a', []string{"MULTI"}},
	{'a', []string{"XADD", "s", "4-1", "f", "v"}},
	{'b', []string{"MULTI"}},
	{'b', []string{"XLEN", "s"}},

	{'m', []string{"CONFIG", "SET", "maxmemory", "1"}},
	{'m', []string{"CONFIG", "GET", "maxmemory"}},
	{'a', []string{"EXEC"}},
	{'b', []string{"EXEC"}},

	// Commands that may add data.
	{'m', []string{"XADD", "s", "5-1", "f", "v"}},
	{'m', []string{"XADD", "s", "NOMKSTREAM", "*", "f", "v"}},
	{'m', []string{"XADD", "s"}},
	{'m', []string{"SET", "k", "v2"}},
	{'m', []string{"SET", "k2", "v"}},
	{'m', []string{"INCR", "n"}},
	{'m', []string{"RPUSH", "l", "y"}},
	{'m', []string{"HSET", "h", "f", "v"}},
	{'m', []string{"SADD", "set", "x"}},
	{'m', []string{"XGROUP", "CREATE", "s", "g2", "0"}},
	{'m', []string{"XGROUP", "CREATECONSUMER", "s", "g", "c9"}},
	{'m', []string{"XSETID", "s", "10-0"}},
	{'m', []string{"RESTORE", "r", "0", "x"}},

	// What consumers do, and deletions.
	{'m', []string{"XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">"}},
	{'m', []string{"XACK", "s", "g", "1-1"}},
	{'m', []string{"XPENDING", "s", "g"}},
	{'m', []string{"XCLAIM", "s", "g", "c2", "0", "2-1"}},
	{'m', []string{"XAUTOCLAIM", "s", "g", "c3", "0", "0-0", "COUNT", "1"}},
	{'m', []string{"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0"}},
	{'m', []string{"XDEL", "s", "1-1"}},
	{'m', []string{"XTRIM", "s", "MAXLEN", "1"}},
	{'m', []string{"XLEN", "s"}},
	{'m', []string{"XRANGE", "s", "-", "+"}},
	{'m', []string{"XGROUP", "SETID", "s", "g", "0"}},
	{'m', []string{"XGROUP", "DELCONSUMER", "s", "g", "c3"}},
	{'m', []string{"GET", "k"}},
	{'m', []string{"EXPIRE", "k", "100"}},
	{'m', []string{"PERSIST", "k"}},
	{'m', []string{"LPOP", "l"}},
	{'m', []string{"DEL", "k"}},
	{'m', []string{"PING"}},

	// Transactions: inside MULTI every command is refused, reads too,
	// and EXEC then fails; DISCARD and an empty EXEC are not refused.
	{'m', []string{"MULTI"}},
	{'m', []string{"XLEN", "s"}},
	{'m', []string{"XADD", "s", "6-1", "f", "v"}},
	{'m', []string{"WATCH", "s"}},
	{'m', []string{"EXEC"}},
	{'m', []string{"MULTI"}},
	{'m', []string{"DISCARD"}},
	{'m', []string{"MULTI"}},
	{'m', []string{"EXEC"}},
	{'m', []string{"WATCH", "s"}},
	{'m', []string{"UNWATCH"}},

	// Scripts: a denyoom command is refused until the script wrote.
	{'m', []string{"EVAL", "return redis.call('xadd', KEYS[1], '7-1', 'f', 'v')", "1", "s"}},
	{'m', []string{"EVAL", "return redis.pcall('set', 'k3', 'v')", "0"}},
	{'m', []string{"EVAL", "return redis.call('xlen', KEYS[1])", "1", "s"}},
	{'m', []string{"EVAL", "redis.call('del', 'nokey'); return redis.call('set', 'k4', 'v')", "0"}},
	{'m', []string{"GET", "k4"}},

	// The settings.
	{'m', []string{"CONFIG", "SET", "maxmemory-policy", "NOEVICTION"}},
	{'m', []string{"CONFIG", "SET", "maxmemory-policy", "lru"}},
	{'m', []string{"CONFIG", "GET", "maxmemory-policy"}},
	{'m', []string{"CONFIG", "SET", "maxmemory", "100mb"}},
	{'m', []string{"CONFIG", "GET", "maxmemory"}},
	{'m', []string{"CONFIG", "SET", "maxmemory", "18446744073709551615"}},
	{'m', []string{"CONFIG", "GET", "maxmemory"}},
	{'m', []string{"CONFIG", "SET", "maxmemory", "1gb"}},
	{'m', []string{"CONFIG", "GET", "maxmemory"}},
	{'m', []string{"CONFIG", "SET", "maxmemory", "0"}},
	{'m', []string{"XADD", "s", "8-1", "f", "v"}},
	{'m', []string{"SET", "k", "v"}},
	{'m', []string{"XRANGE", "s", "-", "+"}},
}

// TestMaxmemoryMatchesRedis runs maxmemoryScript on the engine and on the
// reference server and compares every reply.
func TestMaxmemoryMatchesRedis(t *testing.T) {
	r := redistest.StartRedis(t)
	redis := map[byte]*redisConn{}
	for _, name := range []byte("mab") {
		conn, err := net.Dial("tcp", r.Addr)
		if err != nil {
			t.Fatalf("connecting to redis-server: %v", err)
		}
		t.Cleanup(func() { conn.Close() })
		redis[name] = &redisConn{conn: conn, br: bufio.NewReader(conn)}
	}
	e, _ := newIntroEngine(t, Config{})
	pelican := map[byte]*introClient{}
	for _, name := range []byte("mab") {
		pelican[name] = newIntroClient(e, "127.0.0.1:100"+string(name))
	}
	for i, st := range maxmemoryScript {
		want := redis[st.client].do(t, st.args...)
		got := pelican[st.client].do(t, st.args...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("step %d, client %c: %q (-redis +pelican):\n%s", i, st.client, st.args, diff)
		}
	}
}

// TestMaxmemoryInfoMatchesRedis checks that INFO memory reports the limit
// as Redis does, and that the figures maxmemory is checked against are
// there.
func TestMaxmemoryInfoMatchesRedis(t *testing.T) {
	rc := startRedis(t)
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	for _, limit := range []string{"0", "100mb", "1536", "3g"} {
		for _, do := range []func(...string) reply{
			func(a ...string) reply { return rc.do(t, a...) },
			func(a ...string) reply { return c.do(t, a...) },
		} {
			if r := do("CONFIG", "SET", "maxmemory", limit); r.Str != "OK" {
				t.Fatalf("CONFIG SET maxmemory %s: %v", limit, r)
			}
		}
		want, got := infoFields(rc.do(t, "INFO", "memory").Str), infoFields(c.do(t, "INFO", "memory").Str)
		for _, f := range []string{"used_memory", "used_memory_human", "used_memory_peak", "used_memory_dataset"} {
			if _, ok := got[f]; !ok {
				t.Errorf("maxmemory %s: INFO memory has no %s", limit, f)
			}
		}
		for _, f := range []string{"maxmemory", "maxmemory_human", "maxmemory_policy"} {
			if got[f] != want[f] {
				t.Errorf("maxmemory %s: INFO %s = %q, Redis says %q", limit, f, got[f], want[f])
			}
		}
	}
	rc.do(t, "CONFIG", "SET", "maxmemory", "0")
}
