package engine

import (
	"strings"
	"testing"
	"time"
)

// Tests of the stream features newer than Redis 7, following the redis.io
// command pages named in each test, and the examples Redis's own test
// suite uses for them.

// https://redis.io/docs/latest/commands/xackdel/
func TestXAckDel(t *testing.T) {
	c := newTestEngine(t).c
	expectReplies(t, c, [][2]string{
		{"XADD s 1-0 f v", `"1-0"`},
		{"XADD s 2-0 f v", `"2-0"`},
		{"XGROUP CREATE s g1 0", "+OK"},
		{"XGROUP CREATE s g2 0", "+OK"},
		{"XREADGROUP GROUP g1 c COUNT 10 STREAMS s >", `[["s" [["1-0" ["f" "v"]] ["2-0" ["f" "v"]]]]]`},
		{"XREADGROUP GROUP g2 c COUNT 10 STREAMS s >", `[["s" [["1-0" ["f" "v"]] ["2-0" ["f" "v"]]]]]`},
		// g2 still holds the entries: ACKED acknowledges but keeps them.
		{"XACKDEL s g1 ACKED IDS 2 1-0 2-0", "[:2 :2]"},
		{"XLEN s", ":2"},
		{"XACKDEL s g1 ACKED IDS 2 1-0 2-0", "[:-1 :-1]"},
		{"XACKDEL s g2 ACKED IDS 2 1-0 2-0", "[:1 :1]"},
		{"XLEN s", ":0"},
		{"XACKDEL s nogroup IDS 1 1-0", "[:-1]"},
		{"XACKDEL missing g IDS 2 1-0 2-0", "[:-1 :-1]"},
		{"XACKDEL s g1 KEEPREF DELREF IDS 1 1-0", "-ERR syntax error"},
		{"XACKDEL s g1 IDS 0 1-0", "-ERR Number of IDs must be a positive integer"},
		{"XACKDEL s g1 IDS x 1-0", "-ERR Number of IDs must be a positive integer"},
		{"XACKDEL s g1 IDS 3 1-0 2-0", "-ERR The `numids` parameter must match the number of arguments"},
		{"XACKDEL s g1 IDS 1 1-0 2-0", "-ERR syntax error"},
		{"XACKDEL s g1", "-ERR wrong number of arguments for 'xackdel' command"},
	})
}

// https://redis.io/docs/latest/commands/xackdel/ (DELREF and KEEPREF)
func TestXAckDelRefs(t *testing.T) {
	c := newTestEngine(t).c
	expectReplies(t, c, [][2]string{
		{"XADD s 1-0 f v", `"1-0"`},
		{"XADD s 2-0 f v", `"2-0"`},
		{"XGROUP CREATE s g1 0", "+OK"},
		{"XGROUP CREATE s g2 0", "+OK"},
		{"XREADGROUP GROUP g1 c STREAMS s >", `[["s" [["1-0" ["f" "v"]] ["2-0" ["f" "v"]]]]]`},
		{"XREADGROUP GROUP g2 c STREAMS s >", `[["s" [["1-0" ["f" "v"]] ["2-0" ["f" "v"]]]]]`},
		{"XACKDEL s g1 KEEPREF IDS 1 1-0", "[:1]"},
		{"XPENDING s g2", `[:2 "1-0" "2-0" [["c" "2"]]]`},
		{"XACKDEL s g1 DELREF IDS 1 2-0", "[:1]"},
		{"XPENDING s g2", `[:1 "1-0" "1-0" [["c" "1"]]]`},
		{"XLEN s", ":0"},
		// g2 still references 1-0, which KEEPREF deleted: acknowledging
		// it reports 1.
		{"XACKDEL s g2 KEEPREF IDS 1 1-0", "[:1]"},
	})
}

// https://redis.io/docs/latest/commands/xdelex/
func TestXDelEx(t *testing.T) {
	c := newTestEngine(t).c
	expectReplies(t, c, [][2]string{
		{"XADD s 1-0 f v", `"1-0"`},
		{"XADD s 2-0 f v", `"2-0"`},
		{"XADD s 3-0 f v", `"3-0"`},
		{"XGROUP CREATE s g 0", "+OK"},
		{"XREADGROUP GROUP g c COUNT 1 STREAMS s >", `[["s" [["1-0" ["f" "v"]]]]]`},
		// 1-0 is pending, 2-0 and 3-0 undelivered: all referenced.
		{"XDELEX s ACKED IDS 3 1-0 2-0 3-0", "[:2 :2 :2]"},
		{"XACK s g 1-0", ":1"},
		{"XDELEX s ACKED IDS 2 1-0 2-0", "[:1 :2]"},
		{"XDELEX s IDS 2 2-0 9-0", "[:1 :-1]"},
		{"XDELEX missing IDS 1 1-0", "[:-1]"},
	})
	expectReplies(t, c, [][2]string{
		{"XGROUP DESTROY s g", ":1"},
		// Without groups nothing references the entries.
		{"XDELEX s ACKED IDS 1 3-0", "[:1]"},
		{"XDELEX s", "-ERR wrong number of arguments for 'xdelex' command"},
		{"XDELEX s KEEPREF 1-0 2-0", "-ERR syntax error"},
	})
}

// https://redis.io/docs/latest/commands/xtrim/ (ACKED, and the 8.6 fix
// for approximate trimming with ACKED and DELREF)
func TestTrimPolicies(t *testing.T) {
	c := newTestEngine(t).c
	// The scenario of Redis's "XTRIM with approx and ACKED" test: nodes
	// of two entries [1,2] [3,4] [5]; all read; 1, 2 and 4 acknowledged.
	expectReplies(t, c, [][2]string{
		{"XGROUP CREATE s g 0 MKSTREAM", "+OK"},
	})
	c.e.settings.limits.NodeMaxEntries = 2
	for _, id := range []string{"1-0", "2-0", "3-0", "4-0", "5-0"} {
		do(c, "XADD s "+id+" f v")
	}
	expectReplies(t, c, [][2]string{
		{"XREADGROUP GROUP g c STREAMS s >", `[["s" [["1-0" ["f" "v"]] ["2-0" ["f" "v"]] ["3-0" ["f" "v"]] ["4-0" ["f" "v"]] ["5-0" ["f" "v"]]]]]`},
		{"XACK s g 1-0 2-0 4-0", ":3"},
		{"XTRIM s MINID ~ 6-0 ACKED", ":3"},
		{"XRANGE s - +", `[["3-0" ["f" "v"]] ["5-0" ["f" "v"]]]`},
		{"XTRIM s MAXLEN 0 DELREF", ":2"},
		{"XPENDING s g", `[:0 nil nil nil]`},
	})
	// ACKED on XADD: undelivered entries are kept.
	expectReplies(t, c, [][2]string{
		{"XGROUP CREATE t g 0 MKSTREAM", "+OK"},
		{"XADD t 1-0 f v", `"1-0"`},
		{"XADD t 2-0 f v", `"2-0"`},
		{"XADD t MAXLEN = 1 ACKED 3-0 f v", `"3-0"`},
		{"XLEN t", ":3"},
		{"XREADGROUP GROUP g c COUNT 1 STREAMS t >", `[["t" [["1-0" ["f" "v"]]]]]`},
		{"XACK t g 1-0", ":1"},
		{"XADD t MAXLEN = 1 ACKED 4-0 f v", `"4-0"`},
		{"XLEN t", ":3"},
	})
}

// https://redis.io/docs/latest/commands/xnack/
func TestXNack(t *testing.T) {
	te := newTestEngine(t)
	c := te.c
	expectReplies(t, c, [][2]string{
		{"XADD s 1-0 f v", `"1-0"`},
		{"XADD s 2-0 f v", `"2-0"`},
		{"XADD s 3-0 f v", `"3-0"`},
		{"XGROUP CREATE s g 0", "+OK"},
		{"XREADGROUP GROUP g c STREAMS s >", `[["s" [["1-0" ["f" "v"]] ["2-0" ["f" "v"]] ["3-0" ["f" "v"]]]]]`},
		{"XNACK s g SILENT IDS 1 1-0", ":1"},
		{"XNACK s g FAIL IDS 1 2-0", ":1"},
		{"XNACK s g FATAL IDS 2 3-0 9-0", ":1"},
		{"XPENDING s g - + 10", `[["1-0" "" :-1 :0] ["2-0" "" :-1 :1] ["3-0" "" :-1 :9223372036854775807]]`},
		{"XINFO CONSUMERS s g", `[["name" "c" "pending" :0 "idle" :0 "inactive" :0]]`},
		{"XNACK s g FAIL IDS 1 3-0 RETRYCOUNT 5", ":1"},
		{"XNACK s g FAIL IDS 1 9-0 FORCE", ":0"},
		{"XADD s 4-0 f v", `"4-0"`},
		{"XNACK s g FATAL FORCE IDS 1 4-0", ":1"},
		{"XNACK s g MAYBE IDS 1 1-0", "-ERR mode must be SILENT, FAIL, or FATAL"},
		{"XNACK s g FAIL FORCE RETRYCOUNT 5", "-ERR syntax error, expected IDS keyword"},
		{"XNACK s g FAIL IDS 0 1-0", "-ERR numids must be a positive integer"},
		{"XNACK s g FAIL IDS 3 1-0 2-0", "-ERR number of IDs doesn't match numids"},
		{"XNACK s g FAIL IDS 1 1-0 RETRYCOUNT -1", "-ERR Invalid RETRYCOUNT value, must be >= 0"},
		{"XNACK s g FAIL IDS 1 1-0 BOGUS", "-ERR Unrecognized XNACK option 'BOGUS'"},
		{"XNACK s nog FAIL IDS 1 1-0", "-NOGROUP No such key 's' or consumer group 'nog'"},
	})
	te.now = te.now.Add(time.Second)
	// Given-back entries are claimed first, in the order they were given
	// back, whatever the minimum idle time.
	expectReplies(t, c, [][2]string{
		{"XREADGROUP GROUP g d COUNT 2 CLAIM 999999 STREAMS s >", `[["s" [["1-0" ["f" "v"] :1700000001000 :0] ["2-0" ["f" "v"] :1700000001000 :1]]]]`},
		{"XPENDING s g - + 10 d", `[["1-0" "d" :0 :1] ["2-0" "d" :0 :2]]`},
	})
}

// https://redis.io/docs/latest/commands/xreadgroup/ (CLAIM, Redis 8.4)
func TestXReadGroupClaim(t *testing.T) {
	te := newTestEngine(t)
	c := te.c
	expectReplies(t, c, [][2]string{
		{"XADD s 1-0 f v", `"1-0"`},
		{"XGROUP CREATE s g 0", "+OK"},
		{"XREADGROUP GROUP g a STREAMS s >", `[["s" [["1-0" ["f" "v"]]]]]`},
		{"XADD s 2-0 f v", `"2-0"`},
	})
	te.now = te.now.Add(100 * time.Millisecond)
	expectReplies(t, c, [][2]string{
		// Not idle long enough: only the new entry, with 0 and 0.
		{"XREADGROUP GROUP g b CLAIM 500 STREAMS s >", `[["s" [["2-0" ["f" "v"] :0 :0]]]]`},
	})
	te.now = te.now.Add(time.Second)
	expectReplies(t, c, [][2]string{
		{"XADD s 3-0 f v", `"3-0"`},
		// Both pending entries are idle: the oldest delivery first, then
		// the new entry; COUNT covers both kinds.
		{"XREADGROUP GROUP g b COUNT 2 CLAIM 500 STREAMS s >", `[["s" [["1-0" ["f" "v"] :1100 :1] ["2-0" ["f" "v"] :1000 :1]]]]`},
		{"XREADGROUP CLAIM 500 GROUP g b STREAMS s >", `[["s" [["3-0" ["f" "v"] :0 :0]]]]`},
		{"XPENDING s g - + 10", `[["1-0" "b" :0 :2] ["2-0" "b" :0 :2] ["3-0" "b" :0 :1]]`},
		// With an explicit ID, CLAIM is ignored.
		{"XREADGROUP GROUP g b CLAIM 0 STREAMS s 0", `[["s" [["1-0" ["f" "v"]] ["2-0" ["f" "v"]] ["3-0" ["f" "v"]]]]]`},
		{"XREADGROUP GROUP g b CLAIM -1 STREAMS s >", "-ERR min-idle-time must be a positive integer"},
		{"XREADGROUP GROUP g b CLAIM x STREAMS s >", "-ERR min-idle-time is not an integer or out of range"},
		{"XREAD CLAIM 5 STREAMS s 0", "-ERR The CLAIM option is only supported by XREADGROUP. You called XREAD instead."},
	})
}

// https://redis.io/docs/latest/commands/xread/ (MAXCOUNT and MAXSIZE,
// Redis 8.10)
func TestReadCaps(t *testing.T) {
	c := newTestEngine(t).c
	for _, s := range []string{"a", "b", "c"} {
		for i := 1; i <= 3; i++ {
			do(c, "XADD "+s+" "+string(rune('0'+i))+"-0 f v")
		}
	}
	expectReplies(t, c, [][2]string{
		{"XREAD COUNT 2 MAXCOUNT 3 STREAMS a b c 0 0 0", `[["a" [["1-0" ["f" "v"]] ["2-0" ["f" "v"]]]] ["b" [["1-0" ["f" "v"]]]]]`},
		{"XREAD MAXCOUNT 4 STREAMS a b c 0 0 0", `[["a" [["1-0" ["f" "v"]] ["2-0" ["f" "v"]] ["3-0" ["f" "v"]]]] ["b" [["1-0" ["f" "v"]]]]]`},
		// The first entry is always returned, whatever its size.
		{"XREAD MAXSIZE 1 STREAMS a b 0 0", `[["a" [["1-0" ["f" "v"]]]]]`},
		{"XREAD COUNT 5 MAXCOUNT 2 STREAMS a 0", "-ERR MAXCOUNT must be greater than or equal to COUNT"},
		{"XREAD MAXCOUNT 0 STREAMS a 0", "-ERR MAXCOUNT must be a positive integer"},
		{"XREAD MAXSIZE -5 STREAMS a 0", "-ERR MAXSIZE must be a positive integer"},
	})
}

// https://redis.io/docs/latest/commands/xadd/ (IDMP and IDMPAUTO) and
// https://redis.io/docs/latest/commands/xcfgset/
func TestIdempotentAdd(t *testing.T) {
	te := newTestEngine(t)
	c := te.c
	first := do(c, "XADD s IDMP p1 req-1 * f v")
	te.now = te.now.Add(time.Millisecond)
	if again := do(c, "XADD s IDMP p1 req-1 * f other"); again != first {
		t.Fatalf("retried XADD returned %q, want the original %q", again, first)
	}
	if other := do(c, "XADD s IDMP p2 req-1 * f v"); other == first {
		t.Fatalf("another producer's XADD was deduplicated")
	}
	auto := do(c, "XADD s IDMPAUTO p1 * a 1 b 2")
	te.now = te.now.Add(time.Millisecond)
	if again := do(c, "XADD s IDMPAUTO p1 * b 2 a 1"); again != auto {
		t.Fatalf("IDMPAUTO with the same pairs in another order added a new entry")
	}
	expectReplies(t, c, [][2]string{
		{"XLEN s", ":3"},
		{"XADD s IDMP p1 r 1-1 f v", "-ERR IDMP/IDMPAUTO can be used only with auto-generated IDs"},
		{"XADD s IDMP p1 r IDMPAUTO p1 * f v", "-ERR IDMP/IDMPAUTO specified multiple times"},
		{"XADD s IDMP p1 * f v", "-ERR Invalid stream ID specified as stream command argument"},
		{"XADD nokey NOMKSTREAM IDMP p r * f v", "nil"},
	})
	expectReplies(t, c, [][2]string{
		{"XCFGSET s IDMP-MAXSIZE 2", "+OK"},
		{"XCFGSET s", "-ERR At least one parameter must be specified"},
		{"XCFGSET s IDMP-DURATION 0", "-ERR IDMP-DURATION must be between 1 and 86400 seconds"},
		{"XCFGSET s IDMP-MAXSIZE 10001", "-ERR IDMP-MAXSIZE must be between 1 and 10000 entries"},
		{"XCFGSET s IDMP-DURATION x", "-ERR value is not an integer or out of range"},
		{"XCFGSET s BOGUS 1", "-ERR syntax error"},
		{"XCFGSET nokey IDMP-DURATION 5", "-ERR no such key"},
	})
	// Changing the configuration forgot the remembered IDs.
	if again := do(c, "XADD s IDMP p1 req-1 * f v"); again == first {
		t.Fatalf("XCFGSET did not clear the remembered IDs")
	}
	info := compact(do(c, "XINFO STREAM s"))
	for _, want := range []string{`"idmp-duration" :100`, `"idmp-maxsize" :2`, `"pids-tracked" :1`, `"iids-tracked" :1`, `"iids-added" :4`, `"iids-duplicates" :2`} {
		if !strings.Contains(info, want) {
			t.Errorf("XINFO STREAM lacks %s: %s", want, info)
		}
	}
	// Remembered IDs expire after IDMP-DURATION.
	te.now = te.now.Add(101 * time.Second)
	if info := compact(do(c, "XINFO STREAM s")); !strings.Contains(info, `"pids-tracked" :0`) {
		t.Errorf("IDs did not expire: %s", info)
	}
}
