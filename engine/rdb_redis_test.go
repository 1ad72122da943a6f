package engine

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/internal/redistest"
)

// Differential tests of RDB files and DUMP payloads against redis-server
// 7.0: what Pelican writes, Redis loads, and the other way round.

// startRedisWith starts the reference server with extra options and
// connects to it.
func startRedisWith(t *testing.T, options ...string) *redisConn {
	t.Helper()
	bin, err := redistest.RedisServerPath()
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	r := redistest.StartRedisBinary(t, bin, options...)
	conn, err := net.Dial("tcp", r.Addr)
	if err != nil {
		t.Fatalf("connecting to redis-server: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &redisConn{conn: conn, br: bufio.NewReader(conn)}
}

// doer runs a command and returns its reply.
type doer func(args ...string) reply

func pelicanDoer(te *testEngine) doer {
	return func(args ...string) reply {
		r, _, err := parseReply([]byte(te.run(te.c, args...)))
		if err != nil {
			te.t.Fatalf("%q: %v", args, err)
		}
		return r
	}
}

func redisDoer(t *testing.T, rc *redisConn) doer {
	return func(args ...string) reply { return rc.do(t, args...) }
}

// redisFixture is rdbFixture without what Redis 7.0 has no command for
// and without clock steps.
func redisFixture() []string {
	var out []string
	for _, s := range rdbFixture {
		if strings.HasPrefix(s, "+") || strings.Contains(s, "XNACK") || strings.Contains(s, "IDMP") {
			continue
		}
		out = append(out, s)
	}
	return out
}

// describe renders what Redis 7.0 and Pelican both know of the keys of
// DBs 0 and 3: types, absolute expiries, contents, and of streams their
// metadata, groups, PELs and consumers (seen times, not active times,
// which 7.0 lacks). Entries held by a consumer named nacked are shown as
// ownerless, as Pelican shows them, and that consumer is left out.
func describe(do doer, nacked string) string {
	var b strings.Builder
	for _, db := range []string{"0", "3"} {
		do("SELECT", db)
		var keys []string
		for _, k := range do("KEYS", "*").Elems {
			keys = append(keys, k.Str)
		}
		slices.Sort(keys)
		for _, k := range keys {
			typ := do("TYPE", k).Str
			b.WriteString("db" + db + " " + k + " " + typ + " ttl=" + do("PEXPIRETIME", k).String() + " ")
			switch typ {
			case "string":
				b.WriteString(do("GET", k).String())
			case "list":
				b.WriteString(do("LRANGE", k, "0", "-1").String())
			case "set":
				b.WriteString(sortedStrs(do("SMEMBERS", k)))
			case "hash":
				b.WriteString(sortedStrs(do("HGETALL", k)))
			case "stream":
				b.WriteString(do("XRANGE", k, "-", "+").String())
				b.WriteString(describeStream(do("XINFO", "STREAM", k, "FULL"), nacked))
			}
			b.WriteString("\n")
		}
	}
	do("SELECT", "0")
	return b.String()
}

func sortedStrs(r reply) string {
	var s []string
	for _, e := range r.Elems {
		s = append(s, e.Str)
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

// describeStream picks from XINFO STREAM FULL the fields both versions
// have.
func describeStream(info reply, nacked string) string {
	var b strings.Builder
	for _, f := range []string{"length", "last-generated-id", "max-deleted-entry-id", "entries-added", "recorded-first-entry-id"} {
		v, _ := info.mapGet(f)
		b.WriteString(" " + f + "=" + v.String())
	}
	groups, _ := info.mapGet("groups")
	for _, g := range groups.Elems {
		for _, f := range []string{"name", "last-delivered-id", "entries-read", "pel-count"} {
			v, _ := g.mapGet(f)
			b.WriteString(" " + f + "=" + v.String())
		}
		pending, _ := g.mapGet("pending")
		for _, p := range pending.Elems {
			if p.Elems[1].Str == nacked {
				p.Elems[1].Str = ""
			}
			b.WriteString(" " + p.String())
		}
		cons, _ := g.mapGet("consumers")
		for _, c := range cons.Elems {
			if name, _ := c.mapGet("name"); name.Str == nacked {
				continue
			}
			for _, f := range []string{"name", "seen-time", "pel-count", "pending"} {
				v, _ := c.mapGet(f)
				b.WriteString(" " + f + "=" + v.String())
			}
		}
	}
	return b.String()
}

// realTimeEngine returns a test engine whose clock is the real time, so
// that its TTLs mean the same to a redis-server.
func realTimeEngine(t *testing.T) *testEngine {
	te := newTestEngine(t)
	te.now = time.Now().Truncate(time.Millisecond)
	return te
}

// TestRDBLoadsInRedis writes the fixture as Pelican's RDB file and starts
// redis-server 7.0 on it: it must see the same data, the NACKed entries
// pending under the placeholder consumer.
func TestRDBLoadsInRedis(t *testing.T) {
	te := realTimeEngine(t)
	runFixture(t, te, rdbFixture)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pelican.rdb"), saveRDB(t, te, false), 0o644); err != nil {
		t.Fatal(err)
	}
	rc := startRedisWith(t, "--dir", dir, "--dbfilename", "pelican.rdb")
	got := describe(redisDoer(t, rc), "pelican-nacked-1")
	want := describe(pelicanDoer(te), "")
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("redis-server's view of Pelican's RDB (-redis +pelican):\n%s", diff)
	}
	if r := rc.do(t, "XPENDING", "s", "g", "-", "+", "10", "pelican-nacked-1"); len(r.Elems) != 3 {
		t.Errorf("NACKed entries pending in Redis: %v", r)
	}
}

// TestRedisRDBLoadsInPelican saves the fixture with redis-server and
// loads its dump.rdb into Pelican.
func TestRedisRDBLoadsInPelican(t *testing.T) {
	dir := t.TempDir()
	rc := startRedisWith(t, "--dir", dir, "--dbfilename", "dump.rdb")
	rdo := redisDoer(t, rc)
	for _, s := range redisFixture() {
		if r := rdo(strings.Fields(s)...); r.Kind == '-' {
			t.Fatalf("redis %s: %s", s, r.Str)
		}
	}
	if r := rdo("SAVE"); r.Str != "OK" {
		t.Fatalf("SAVE: %v", r)
	}
	data, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	te, err := loadedEngine(t, realTimeEngine(t), data, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(describe(pelicanDoer(te), ""), describe(rdo, "")); diff != "" {
		t.Errorf("Pelican's view of redis-server's dump.rdb (-pelican +redis):\n%s", diff)
	}
}

// TestDumpRestoreWithRedis moves every key of the fixture both ways with
// DUMP and RESTORE.
func TestDumpRestoreWithRedis(t *testing.T) {
	move := func(t *testing.T, from, to doer) {
		for _, db := range []string{"0", "3"} {
			from("SELECT", db)
			to("SELECT", db)
			for _, k := range from("KEYS", "*").Elems {
				payload := from("DUMP", k.Str)
				ttl := from("PEXPIRETIME", k.Str).Int
				if ttl < 0 {
					ttl = 0
				}
				if r := to("RESTORE", k.Str, itoa(ttl), payload.Str, "ABSTTL"); r.Str != "OK" {
					t.Fatalf("RESTORE %s: %v", k.Str, r)
				}
			}
		}
		from("SELECT", "0")
		to("SELECT", "0")
	}
	t.Run("Pelican to Redis", func(t *testing.T) {
		te := realTimeEngine(t)
		runFixture(t, te, rdbFixture)
		rdo := redisDoer(t, startRedisWith(t))
		move(t, pelicanDoer(te), rdo)
		if diff := cmp.Diff(describe(rdo, "pelican-nacked-1"), describe(pelicanDoer(te), "")); diff != "" {
			t.Errorf("(-redis +pelican):\n%s", diff)
		}
	})
	t.Run("Redis to Pelican", func(t *testing.T) {
		rdo := redisDoer(t, startRedisWith(t))
		for _, s := range redisFixture() {
			rdo(strings.Fields(s)...)
		}
		te := realTimeEngine(t)
		move(t, rdo, pelicanDoer(te))
		if diff := cmp.Diff(describe(pelicanDoer(te), ""), describe(rdo, "")); diff != "" {
			t.Errorf("(-pelican +redis):\n%s", diff)
		}
	})
}

// TestRestoreErrorsMatchRedis sends the same bad RESTOREs to both.
func TestRestoreErrorsMatchRedis(t *testing.T) {
	rdo := redisDoer(t, startRedisWith(t))
	pdo := pelicanDoer(realTimeEngine(t))
	for _, do := range []doer{rdo, pdo} {
		do("SET", "k", "v")
	}
	good := rdo("DUMP", "k").Str
	bad := []byte(good)
	bad[len(bad)-1] ^= 1
	garbage := fixCRC(append([]byte{77}, good[1:]...))
	newer := fixCRC(append([]byte(good[:len(good)-10]), 13, 0, 0, 0, 0, 0, 0, 0, 0, 0))
	cases := [][]string{
		{"RESTORE", "k", "0", good},
		{"RESTORE", "n", "x", good},
		{"RESTORE", "n", "-1", good},
		{"RESTORE", "n", "0", "short"},
		{"RESTORE", "n", "0", ""},
		{"RESTORE", "n", "0", string(bad)},
		{"RESTORE", "n", "0", string(newer)},
		{"RESTORE", "n", "0", string(garbage)},
		{"RESTORE", "n", "0", good, "BOGUS"},
		{"RESTORE", "n", "0", good, "IDLETIME", "-1"},
		{"RESTORE", "n", "0", good, "IDLETIME", "x"},
		{"RESTORE", "n", "0", good, "FREQ", "256"},
		{"RESTORE", "n", "0", good, "IDLETIME", "1", "FREQ", "1"},
		{"RESTORE", "n", "0", good, "FREQ"},
		{"RESTORE", "n", "0"},
		{"DUMP"},
		{"DUMP", "nosuch"},
		{"RESTORE", "k", "0", good, "REPLACE", "FREQ", "3"},
		{"RESTORE", "e", "1", good, "ABSTTL"},
		{"EXISTS", "e"},
	}
	for _, args := range cases {
		got, want := pdo(args...), rdo(args...)
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("%.80q (-pelican +redis):\n%s", args, diff)
		}
	}
}
