package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/internal/vfs"
)

// diskEngine is a testEngine whose data lives in a directory of fs.
func newDiskEngine(t *testing.T, fs vfs.FS, fsync string, now time.Time) *testEngine {
	t.Helper()
	te := &testEngine{t: t, now: now}
	e, err := Open(Config{
		Clock:       func() time.Time { return te.now },
		Persistence: Persistence{Dir: "/data", FS: fs, AppendFsync: fsync},
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	te.e = e
	t.Cleanup(func() { e.Close() })
	te.c = te.newClient()
	return te
}

// reopen closes te's engine and opens its directory again, at the same
// time.
func (te *testEngine) reopen(fs vfs.FS) *testEngine {
	te.t.Helper()
	if err := te.e.Close(); err != nil {
		te.t.Fatalf("Close: %v", err)
	}
	return newDiskEngine(te.t, fs, "always", te.now)
}

// state describes every key of every database, with its type, absolute
// expiry and whole value (for streams, XINFO STREAM FULL), so that two
// engines with equal states describe them identically.
func (te *testEngine) state() string {
	te.t.Helper()
	var b strings.Builder
	for db := range NumDatabases {
		te.do(fmt.Sprintf("SELECT %d", db))
		keys := replyStrings(te.do("KEYS *"))
		slices.Sort(keys)
		for _, k := range keys {
			typ := te.run(te.c, "TYPE", k)
			fmt.Fprintf(&b, "db%d %q %s ttl=%s", db, k, strings.TrimSpace(typ), strings.TrimSpace(te.run(te.c, "PEXPIRETIME", k)))
			switch strings.TrimSpace(strings.TrimPrefix(typ, "+")) {
			case "string":
				b.WriteString(te.run(te.c, "GET", k))
			case "list":
				b.WriteString(te.run(te.c, "LRANGE", k, "0", "-1"))
			case "set":
				m := replyStrings(te.run(te.c, "SMEMBERS", k))
				slices.Sort(m)
				fmt.Fprint(&b, m)
			case "hash":
				m := replyStrings(te.run(te.c, "HGETALL", k))
				pairs := make([]string, 0, len(m)/2)
				for i := 0; i+1 < len(m); i += 2 {
					pairs = append(pairs, m[i]+"="+m[i+1])
				}
				slices.Sort(pairs)
				fmt.Fprint(&b, pairs)
			case "zset":
				b.WriteString(te.run(te.c, "ZRANGE", k, "0", "-1", "WITHSCORES"))
				b.WriteString(te.run(te.c, "OBJECT", "ENCODING", k))
			case "stream":
				b.WriteString(te.run(te.c, "XINFO", "STREAM", k, "FULL"))
				b.WriteString(te.run(te.c, "XRANGE", k, "-", "+"))
			}
			b.WriteString("\n")
		}
	}
	te.do("SELECT 0")
	return b.String()
}

// replyStrings returns the strings of an array reply.
func replyStrings(raw string) []string {
	r, _, err := parseReply([]byte(raw))
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(r.Elems))
	for _, e := range r.Elems {
		out = append(out, e.Str)
	}
	return out
}

// TestReplayRestoresEveryEffect runs every kind of write whose effect is
// journaled differently from the command (generated IDs, approximate
// trims, deliveries, claims, history reads, relative expiry, floats,
// scripts, transactions, lazy expiry, Pelican-only commands) and checks
// that the engine reopened from its directory has the same state.
func TestReplayRestoresEveryEffect(t *testing.T) {
	fs := vfs.NewMem()
	te := newDiskEngine(t, fs, "always", testEpoch)
	steps := []string{
		"SET plain v",
		"SET ex v EX 100",
		"SET px v PX 100000 NX",
		"SETEX setex 50 v",
		"SET gone v PX 10",
		"INCRBYFLOAT f 1.5",
		"HSET h a 1 b 2",
		"HINCRBYFLOAT h a 0.25",
		"EXPIRE h 1000",
		"RPUSH l a b c",
		"LPOP l",
		"SADD s x y z",
		"SREM s y",
		"XADD orders * n 1",
		"XADD orders * n 2",
		"XGROUP CREATE orders g $ ",
		"XADD orders * n 3",
		"XADD orders * n 4",
		"XADD orders * n 5",
		"XREADGROUP GROUP g alice COUNT 2 STREAMS orders >",
		"+5ms",
		"XREADGROUP GROUP g bob STREAMS orders >",
		"+1s",
		"XREADGROUP GROUP g alice STREAMS orders 0",
		"XREADGROUP GROUP g alice STREAMS orders 0",
		"XCLAIM orders g carol 0 0-1",
		"+2s",
		"XAUTOCLAIM orders g dave 1000 0 COUNT 1",
		"XACK orders g 0-1",
		"XGROUP CREATE orders g2 0 ENTRIESREAD 0",
		"XREADGROUP GROUP g2 erin NOACK COUNT 3 STREAMS orders >",
		"XGROUP CREATECONSUMER orders g2 idle",
		"XADD capped MAXLEN ~ 3 * n 1",
		"XADD capped MAXLEN ~ 3 * n 2",
		"XADD capped MAXLEN 3 * n 3",
		"XADD capped MAXLEN 3 * n 4",
		"XADD capped MAXLEN 3 * n 5",
		"XTRIM capped MAXLEN 2",
		"XADD dedup IDMP p1 i1 * n 1",
		"XADD dedup IDMP p1 i1 * n 1",
		"XCFGSET dedup IDMP-DURATION 30",
		"SELECT 3",
		"SET other db",
		"MULTI",
		"SET t1 1",
		"INCR t1",
		"EXEC",
		"SELECT 0",
		"EVAL \"redis.call('SET','fromlua','1') redis.call('XADD','orders','*','lua','1') return 1\" 0",
		"+1s",
		"GET gone",
	}
	for _, s := range steps {
		if strings.HasPrefix(s, "+") {
			d, err := time.ParseDuration(s[1:])
			if err != nil {
				t.Fatal(err)
			}
			te.now = te.now.Add(d)
			continue
		}
		if strings.HasPrefix(s, "EVAL") {
			te.run(te.c, "EVAL", "redis.call('SET','fromlua','1') redis.call('XADD','orders','*','lua','1') return 1", "0")
			continue
		}
		if got := te.do(s); strings.HasPrefix(got, "-") {
			t.Fatalf("%s: %s", s, got)
		}
	}
	before := te.state()
	after := te.reopen(fs).state()
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("state after reopening differs (-before +after):\n%s", diff)
	}
}

// TestReplayRandomStreamWorkload journals a seeded random mix of stream
// commands and checks the reopened engine's state.
func TestReplayRandomStreamWorkload(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	fs := vfs.NewMem()
	te := newDiskEngine(t, fs, "everysec", testEpoch)
	te.do("XGROUP CREATE s g $ MKSTREAM")
	te.do("XGROUP CREATE s h 0")
	consumers := []string{"c1", "c2", "c3"}
	for range 2000 {
		te.now = te.now.Add(time.Duration(rng.IntN(50)) * time.Millisecond)
		c := consumers[rng.IntN(len(consumers))]
		switch rng.IntN(10) {
		case 0, 1, 2:
			te.do(fmt.Sprintf("XADD s MAXLEN ~ %d * k %d", 50+rng.IntN(100), rng.IntN(1000)))
		case 3:
			te.do(fmt.Sprintf("XREADGROUP GROUP g %s COUNT %d STREAMS s >", c, 1+rng.IntN(5)))
		case 4:
			te.do(fmt.Sprintf("XREADGROUP GROUP h %s COUNT 3 STREAMS s >", c))
		case 5:
			te.do(fmt.Sprintf("XREADGROUP GROUP g %s COUNT 2 STREAMS s 0", c))
		case 6:
			te.do(fmt.Sprintf("XAUTOCLAIM s g %s %d 0 COUNT 2", c, rng.IntN(200)))
		case 7:
			te.do("XACK s g " + firstPendingID(te))
		case 8:
			te.do(fmt.Sprintf("XDEL s %d-0", testEpoch.UnixMilli()+int64(rng.IntN(100000))))
		case 9:
			te.do(fmt.Sprintf("XTRIM s MAXLEN %d", 100+rng.IntN(100)))
		}
	}
	before := te.state()
	after := te.reopen(fs).state()
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("state after reopening differs (-before +after):\n%s", diff)
	}
}

// firstPendingID returns the ID of group g's first pending entry of s, or
// "0-0".
func firstPendingID(te *testEngine) string {
	r, _, err := parseReply([]byte(te.do("XPENDING s g - + 1")))
	if err != nil || len(r.Elems) == 0 || len(r.Elems[0].Elems) == 0 {
		return "0-0"
	}
	return r.Elems[0].Elems[0].Str
}

// TestRewriteKeepsStateAndReplacesFiles writes, rewrites (while writes
// go on), writes more, and reopens: the state is the same, the manifest
// names an RDB base and the incremental files after the switch, and the
// replaced files are gone.
func TestRewriteKeepsStateAndReplacesFiles(t *testing.T) {
	fs := vfs.NewMem()
	te := newDiskEngine(t, fs, "everysec", testEpoch)
	te.do("XGROUP CREATE s g $ MKSTREAM")
	for i := range 300 {
		te.do(fmt.Sprintf("XADD s MAXLEN ~ 200 * n %d", i))
		if i%3 == 0 {
			te.do("XREADGROUP GROUP g c COUNT 2 STREAMS s >")
		}
	}
	te.do("XDEL s " + firstPendingID(te))
	te.do("SET k v PX 100000")
	done := make(chan error, 1)
	te.e.Lock()
	err := te.e.startRewriteLocked(func(err error) { done <- err })
	te.e.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		te.do(fmt.Sprintf("XADD s * after %d", i))
	}
	if err := <-done; err != nil {
		t.Fatalf("rewrite: %v", err)
	}
	te.do("XREADGROUP GROUP g c2 COUNT 5 STREAMS s >")
	if got := te.do("BGREWRITEAOF"); !strings.HasPrefix(got, "+Background append only file rewriting") {
		t.Errorf("BGREWRITEAOF = %q", got)
	}
	waitRewrite(t, te)
	te.do("HSET h a 1")
	before := te.state()
	names, err := fs.List("/data/appendonlydir")
	if err != nil {
		t.Fatal(err)
	}
	after := te.reopen(fs).state()
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("state after rewrite and reopening differs (-before +after):\n%s", diff)
	}
	var bases, incrs int
	for _, n := range names {
		switch {
		case strings.HasSuffix(n, ".base.rdb"):
			bases++
		case strings.HasSuffix(n, ".incr.aof"):
			incrs++
		}
	}
	if bases != 1 || incrs != 1 {
		t.Errorf("files after two rewrites: %v, want one base and one incremental file", names)
	}
}

// waitRewrite waits until no rewrite runs.
func waitRewrite(t *testing.T, te *testEngine) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		te.e.Lock()
		running := te.e.disk.rw.running
		te.e.Unlock()
		if !running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("rewrite did not finish")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestDebugReloadKeepsState sends every kind of value, Pelican-only stream
// state included (NACKed entries, IDMP), through DEBUG RELOAD.
func TestDebugReloadKeepsState(t *testing.T) {
	te := newTestEngine(t)
	for _, cmd := range []string{
		"SET s v PX 100000", "HSET h a 1", "RPUSH l a b", "SADD set x y",
		"XADD st * a 1", "XADD st * a 2", "XADD st * a 3",
		"XGROUP CREATE st g 0", "XREADGROUP GROUP g c STREAMS st >",
		"XADD dd IDMP p i * a 1", "XCFGSET dd IDMP-DURATION 60",
	} {
		if got := te.do(cmd); strings.HasPrefix(got, "-") {
			t.Fatalf("%s: %s", cmd, got)
		}
	}
	if got := te.do("XNACK st g FAIL IDS 1 " + firstPendingIDOf(te, "st")); got != ":1\r\n" {
		t.Fatalf("XNACK = %q", got)
	}
	before := te.state()
	if got := te.do("DEBUG RELOAD"); got != "+OK\r\n" {
		t.Fatalf("DEBUG RELOAD = %q", got)
	}
	if diff := cmp.Diff(before, te.state()); diff != "" {
		t.Errorf("state after DEBUG RELOAD differs (-before +after):\n%s", diff)
	}
}

// firstPendingIDOf returns the first pending ID of group g of key.
func firstPendingIDOf(te *testEngine, key string) string {
	r, _, err := parseReply([]byte(te.run(te.c, "XPENDING", key, "g", "-", "+", "1")))
	if err != nil || len(r.Elems) == 0 || len(r.Elems[0].Elems) == 0 {
		return "0-0"
	}
	return r.Elems[0].Elems[0].Str
}

// TestReplayServedBlockedRead journals a blocked XREADGROUP served by
// another client's XADD: the delivery is the served client's effect.
func TestReplayServedBlockedRead(t *testing.T) {
	fs := vfs.NewMem()
	te := newDiskEngine(t, fs, "always", testEpoch)
	te.do("XGROUP CREATE s g $ MKSTREAM")
	reader := te.newClient()
	if got := te.run(reader, "XREADGROUP", "GROUP", "g", "waiter", "BLOCK", "0", "STREAMS", "s", ">"); got != "" {
		t.Fatalf("XREADGROUP BLOCK replied at once: %q", got)
	}
	te.now = te.now.Add(time.Second)
	te.do("XADD s * k v")
	te.e.Lock()
	blocked, _ := reader.PollBlockLocked()
	te.e.Unlock()
	if blocked {
		t.Fatal("the blocked reader was not served")
	}
	if got := te.do("XPENDING s g"); !strings.Contains(got, "waiter") {
		t.Fatalf("XPENDING after serving = %q", got)
	}
	before := te.state()
	after := te.reopen(fs).state()
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("state after reopening differs (-before +after):\n%s", diff)
	}
}

// TestReplayScriptTime runs a script and a transaction that deliver
// entries on an engine whose clock moves at every reading: their effects
// are replayed at the time they ran, so delivery times come back the
// same.
func TestReplayScriptTime(t *testing.T) {
	fs := vfs.NewMem()
	now := testEpoch
	tick := func() time.Time { now = now.Add(time.Millisecond); return now }
	open := func() *Engine {
		e, err := Open(Config{Clock: tick, Persistence: Persistence{Dir: "/data", FS: fs, AppendFsync: "always"}})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e := open()
	te := &testEngine{t: t, e: e}
	te.c = te.newClient()
	te.do("XADD s * a 1")
	te.do("XGROUP CREATE s g 0")
	te.run(te.c, "EVAL", "return redis.call('XREADGROUP','GROUP','g','lua','STREAMS','s','>')", "0")
	te.do("XADD s * a 2")
	te.do("MULTI")
	te.do("SET x 1")
	te.do("XREADGROUP GROUP g txn STREAMS s >")
	te.do("EXEC")
	before := te.run(te.c, "XPENDING", "s", "g", "-", "+", "10")
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := open()
	defer e2.Close()
	te2 := &testEngine{t: t, e: e2}
	te2.c = te2.newClient()
	// XPENDING's idle time is relative: compare the delivery times.
	if diff := cmp.Diff(deliveryTimes(t, te, "s"), deliveryTimes(t, te2, "s")); diff != "" {
		t.Errorf("delivery times after reopening differ (-before +after):\n%s\n(before: %q)", diff, before)
	}
}

// deliveryTimes returns XINFO STREAM FULL of key with everything but the
// groups' PEL delivery times blanked out.
func deliveryTimes(t *testing.T, te *testEngine, key string) string {
	t.Helper()
	r, _, err := parseReply([]byte(te.run(te.c, "XINFO", "STREAM", key, "FULL")))
	if err != nil {
		t.Fatal(err)
	}
	groups, _ := r.mapGet("groups")
	var out []string
	for _, g := range groups.Elems {
		pel, _ := g.mapGet("pending")
		for _, p := range pel.Elems {
			out = append(out, fmt.Sprint(p.Elems[0].Str, " ", p.Elems[2].Int))
		}
	}
	return strings.Join(out, "\n")
}
