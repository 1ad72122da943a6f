package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/internal/vfs"
)

// zsetWorkload leaves sorted sets of both encodings, with every kind of
// score, after commands of every kind that write them.
func zsetWorkload(t *testing.T, te *testEngine) {
	t.Helper()
	cmds := []string{
		"ZADD small 1 a 2.5 b 0.1 c -inf d +inf e 1e20 f 123456789012345678 g",
		"ZADD small GT CH 3 a 1 b", "ZINCRBY small 0.25 c", "ZADD small INCR -1 h",
		"ZREM small e", "ZPOPMIN small", "ZPOPMAX small 1",
		"ZADD skip -0 negzero", "ZRANGESTORE copy small 0 -1", "ZRANGESTORE gone nokey 0 -1",
		"ZADD ttl 1 a", "EXPIRE ttl 5000",
	}
	var big strings.Builder
	big.WriteString("ZADD big")
	for i := range 300 {
		fmt.Fprintf(&big, " %d.%d m%d", i%41, i, i)
	}
	cmds = append(cmds, big.String(), "ZREMRANGEBYSCORE big (3 5", "ZREMRANGEBYRANK big 0 9",
		"ZADD long 1 "+strings.Repeat("x", 100), "ZADD long -0 z")
	for _, c := range cmds {
		if got := te.do(c); strings.HasPrefix(got, "-") {
			t.Fatalf("%s: %s", c, got)
		}
	}
}

func TestZsetReplayAndRewriteKeepState(t *testing.T) {
	fs := vfs.NewMem()
	te := newDiskEngine(t, fs, "always", testEpoch)
	zsetWorkload(t, te)
	before := te.state()
	if !strings.Contains(before, "skiplist") || !strings.Contains(before, "listpack") {
		t.Fatalf("the workload should leave both encodings:\n%s", before)
	}
	te = te.reopen(fs)
	if diff := cmp.Diff(before, te.state()); diff != "" {
		t.Fatalf("state after replay differs (-before +after):\n%s", diff)
	}
	te.do("BGREWRITEAOF")
	waitRewrite(t, te)
	te = te.reopen(fs)
	if diff := cmp.Diff(before, te.state()); diff != "" {
		t.Errorf("state after rewrite differs (-before +after):\n%s", diff)
	}
	if got := te.do("DEBUG RELOAD"); got != "+OK\r\n" {
		t.Fatalf("DEBUG RELOAD = %q", got)
	}
	if diff := cmp.Diff(before, te.state()); diff != "" {
		t.Errorf("state after DEBUG RELOAD differs (-before +after):\n%s", diff)
	}
}

func TestZsetDumpRestore(t *testing.T) {
	te := newTestEngine(t)
	zsetWorkload(t, te)
	for _, key := range []string{"small", "big", "long"} {
		payload := dumpOf(t, te, key)
		want := te.run(te.c, "ZRANGE", key, "0", "-1", "WITHSCORES") + te.run(te.c, "OBJECT", "ENCODING", key)
		if got := te.run(te.c, "RESTORE", key+":copy", "0", payload); got != okR {
			t.Fatalf("RESTORE %s: %q", key, got)
		}
		got := te.run(te.c, "ZRANGE", key+":copy", "0", "-1", "WITHSCORES") + te.run(te.c, "OBJECT", "ENCODING", key+":copy")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s restored differs (-dumped +restored):\n%s", key, diff)
		}
	}
}

func TestZsetMemoryUsageFollowsSize(t *testing.T) {
	te := newTestEngine(t)
	te.do("ZADD z 1 a")
	small := te.do("MEMORY USAGE z")
	for i := range 100 {
		te.do(fmt.Sprintf("ZADD z %d member-%d", i, i))
	}
	large := te.do("MEMORY USAGE z")
	var s, l int
	fmt.Sscanf(small, ":%d", &s)
	fmt.Sscanf(large, ":%d", &l)
	if s <= 0 || l < s+100*len("member-00") {
		t.Errorf("MEMORY USAGE = %d with one member, %d with 101", s, l)
	}
	te.do("CONFIG SET maxmemory 1")
	if got := te.do("ZADD z 1 more"); !strings.HasPrefix(got, "-OOM") {
		t.Errorf("ZADD over maxmemory = %q, want OOM", got)
	}
	if got := te.do("ZREM z a"); got != ":1\r\n" {
		t.Errorf("ZREM over maxmemory = %q, want :1", got)
	}
	te.do("CONFIG SET maxmemory 0")
	te.do("DEL z")
	te.e.Lock()
	used := te.e.mem.used
	te.e.Unlock()
	if used != 0 {
		t.Errorf("used memory %d after deleting every key, want 0", used)
	}
}

// TestZset8Replies checks what sorted sets reply as Redis 7.2 and later
// do; the conformance scripts compare them with Redis 7.0 as declared
// differences.
func TestZset8Replies(t *testing.T) {
	runStepCases(t, []stepCase{
		// The shortest form that reads back the same (7.2), integers up to
		// 2^62 as integers.
		{"score formatting", []step{
			{cmd: "ZADD z 0.1 a 1e20 b 123456789012345678 c 1e-7 d", want: intR(4)},
			{cmd: "ZSCORE z a", want: bulkR("0.1")},
			{cmd: "ZINCRBY z 0.2 a", want: bulkR("0.30000000000000004")},
			{cmd: "ZMSCORE z b c d", want: bulksR("1e+20", "123456789012345680", "1e-7")},
			{cmd: "ZSCAN z 0 MATCH d", want: arrR(bulkR("0"), bulksR("d", "1e-7"))},
		}},
		// ZRANK and ZREVRANK WITHSCORE (7.2).
		{"zrank withscore", []step{
			{cmd: "ZADD z 1 a 2.5 b", want: intR(2)},
			{cmd: "ZRANK z b WITHSCORE", want: arrR(intR(1), bulkR("2.5"))},
			{cmd: "ZREVRANK z b withscore", want: arrR(intR(0), bulkR("2.5"))},
			{cmd: "ZRANK z nosuch WITHSCORE", want: nilArrR},
			{cmd: "ZRANK nokey a WITHSCORE", want: nilArrR},
			{cmd: "ZRANK z a", want: intR(0)},
			{cmd: "ZRANK z a WITHSCORES", want: errR("ERR syntax error")},
			{cmd: "ZREVRANK z a WITHSCORE x", want: arityR("zrevrank")},
		}},
		// A ZADD naming more members than zset-max-listpack-entries makes
		// a skiplist, even when they are not new (7.2).
		{"zadd encoding hint", []step{
			{cmd: "CONFIG SET zset-max-listpack-entries 2", want: okR},
			{cmd: "ZADD z 1 a 1 a 1 a", want: intR(1)},
			{cmd: "OBJECT ENCODING z", want: bulkR("skiplist")},
			{cmd: "ZADD y 1 a 2 b", want: intR(2)},
			{cmd: "OBJECT ENCODING y", want: bulkR("listpack")},
			{cmd: "ZADD y XX 1 a 2 b 3 c", want: intR(0)},
			{cmd: "OBJECT ENCODING y", want: bulkR("skiplist")},
		}},
	})
}
