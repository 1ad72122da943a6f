package engine

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// recountMemory measures every key from scratch, as the accounting should
// have kept it, per database.
func recountMemory(e *Engine) (total int64, perDB [NumDatabases]int64) {
	for i, db := range e.dbs {
		for k, o := range db.keys {
			perDB[i] += int64(len(k) + objectSize(o))
		}
		total += perDB[i]
	}
	return total, perDB
}

// TestMemoryAccountingMatchesRecount runs seeded random writes of every
// kind (streams with groups and PELs, strings, lists, hashes, sets,
// expiries, transactions, scripts, flushes) and checks after each that
// the incrementally kept figures equal a recount.
func TestMemoryAccountingMatchesRecount(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	e, clk := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	key := func(prefix string) string { return prefix + strconv.Itoa(rng.IntN(4)) }
	val := func() string { return fmt.Sprintf("%0*d", rng.IntN(300), rng.IntN(1000)) }
	ops := []func() []string{
		func() []string { return []string{"XADD", key("s"), "*", "f", val(), "g", val()} },
		func() []string { return []string{"XADD", key("s"), "MAXLEN", "~", "50", "*", "f", val()} },
		func() []string { return []string{"XGROUP", "CREATE", key("s"), "g", "0", "MKSTREAM"} },
		func() []string { return []string{"XGROUP", "DESTROY", key("s"), "g"} },
		func() []string {
			return []string{"XREADGROUP", "GROUP", "g", "c" + strconv.Itoa(rng.IntN(3)), "COUNT", "5", "STREAMS", key("s"), ">"}
		},
		func() []string { return []string{"XAUTOCLAIM", key("s"), "g", "c9", "0", "0-0", "COUNT", "3"} },
		func() []string {
			return []string{"XGROUP", "DELCONSUMER", key("s"), "g", "c" + strconv.Itoa(rng.IntN(3))}
		},
		func() []string {
			k := key("s")
			ids := c.do(t, "XRANGE", k, "-", "+", "COUNT", "3")
			args := []string{"XACK", k, "g", "0-1"}
			for _, ent := range ids.Elems {
				args = append(args, ent.Elems[0].Str)
			}
			return args
		},
		func() []string {
			k := key("s")
			ids := c.do(t, "XRANGE", k, "-", "+", "COUNT", "2")
			args := []string{"XDEL", k, "0-1"}
			for _, ent := range ids.Elems {
				args = append(args, ent.Elems[0].Str)
			}
			return args
		},
		func() []string { return []string{"XTRIM", key("s"), "MAXLEN", strconv.Itoa(rng.IntN(20))} },
		func() []string { return []string{"SET", key("k"), val()} },
		func() []string { return []string{"APPEND", key("k"), val()} },
		func() []string { return []string{"GETDEL", key("k")} },
		func() []string { return []string{"RPUSH", key("l"), val(), val()} },
		func() []string { return []string{"LPOP", key("l")} },
		func() []string { return []string{"HSET", key("h"), key("f"), val()} },
		func() []string { return []string{"HDEL", key("h"), key("f")} },
		func() []string { return []string{"SADD", key("set"), val()} },
		func() []string { return []string{"SREM", key("set"), val()} },
		func() []string { return []string{"RENAME", key("k"), key("k")} },
		func() []string { return []string{"DEL", key("s"), key("k")} },
		func() []string { return []string{"PEXPIRE", key("k"), strconv.Itoa(1 + rng.IntN(50))} },
		func() []string { return []string{"SELECT", strconv.Itoa(rng.IntN(2))} },
		func() []string {
			return []string{"EVAL", "redis.call('xadd', KEYS[1], '*', 'f', ARGV[1]); return redis.call('set', KEYS[2], ARGV[1])", "2", key("s"), key("k"), val()}
		},
		func() []string {
			if rng.IntN(20) == 0 {
				return []string{"FLUSHDB"}
			}
			return []string{"PING"}
		},
	}
	for i := 0; i < 3000; i++ {
		clk.now = clk.now.Add(time.Duration(rng.IntN(20)) * time.Millisecond)
		if rng.IntN(10) == 0 {
			c.do(t, "MULTI")
			for j := 0; j < 3; j++ {
				c.do(t, ops[rng.IntN(len(ops))]()...)
			}
			c.do(t, "EXEC")
		} else {
			c.do(t, ops[rng.IntN(len(ops))]()...)
		}
		// A read can expire keys too.
		c.do(t, "GET", key("k"))
		total, perDB := recountMemory(e)
		if e.mem.used != total {
			t.Fatalf("step %d: used %d, recount %d", i, e.mem.used, total)
		}
		for d, db := range e.dbs {
			if db.used != perDB[d] {
				t.Fatalf("step %d: DB %d used %d, recount %d", i, d, db.used, perDB[d])
			}
		}
	}
	t.Logf("used %d peak %d keys %d", e.mem.used, e.mem.peak, len(e.dbs[0].keys)+len(e.dbs[1].keys))
	if e.mem.peak < e.mem.used || e.mem.peak == 0 {
		t.Errorf("peak %d, used %d", e.mem.peak, e.mem.used)
	}
}

// TestMaxmemoryBacklogDrains fills a stream until the limit refuses
// XADD, then consumes, acknowledges and deletes until a write fits again:
// the accounting goes down as soon as the consumers delete.
func TestMaxmemoryBacklogDrains(t *testing.T) {
	const limit = 64 << 10
	e, _ := newIntroEngine(t, Config{MaxMemory: limit})
	c := newIntroClient(e, "127.0.0.1:1000")
	if r := c.do(t, "XGROUP", "CREATE", "q", "g", "$", "MKSTREAM"); r.Str != "OK" {
		t.Fatal(r)
	}
	payload := fmt.Sprintf("%0500d", 7)
	added := 0
	for {
		r := c.do(t, "XADD", "q", "*", "body", payload)
		if r.Kind == '-' {
			if r.Str != errOOM {
				t.Fatalf("XADD: %v", r)
			}
			break
		}
		added++
		if added > 1000 {
			t.Fatalf("1000 entries of 500 bytes fit in maxmemory %d; used_memory %d", limit, e.mem.used)
		}
	}
	if used := infoFields(c.do(t, "INFO", "memory").Str)["used_memory"]; used == "" || mustAtoi(t, used) <= limit {
		t.Fatalf("XADD refused with used_memory %s, maxmemory %d", used, limit)
	}
	// Drain: read, acknowledge, delete, a batch at a time.
	processed := 0
	for processed < added {
		r := c.do(t, "XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", "q", ">")
		if r.Kind != '*' {
			t.Fatalf("XREADGROUP while over maxmemory: %v", r)
		}
		args := []string{"XACK", "q", "g"}
		for _, ent := range r.Elems[0].Elems[1].Elems {
			args = append(args, ent.Elems[0].Str)
		}
		if got := c.do(t, args...); got.Int != int64(len(args)-3) {
			t.Fatalf("XACK: %v", got)
		}
		args[0] = "XDEL"
		args = append(args[:2], args[3:]...)
		if got := c.do(t, args...); got.Int != int64(len(args)-2) {
			t.Fatalf("XDEL: %v", got)
		}
		processed += len(args) - 2
	}
	if r := c.do(t, "XADD", "q", "*", "body", payload); r.Kind != '$' {
		t.Fatalf("XADD after the backlog drained: %v (used_memory %d)", r, e.mem.used)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
