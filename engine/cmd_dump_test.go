package engine

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/internal/aof"
	"github.com/pelicanhq/pelican/internal/rdb"
)

// dumpOf returns the DUMP payload of key on te.
func dumpOf(t *testing.T, te *testEngine, key string) string {
	t.Helper()
	r, _, err := parseReply([]byte(te.run(te.c, "DUMP", key)))
	if err != nil || r.Kind != '$' {
		t.Fatalf("DUMP %s: %v %v", key, r, err)
	}
	return r.Str
}

// TestDumpRestoreRoundTrip dumps every key of the RDB fixture, without
// what a version 10 payload cannot hold (NACKed entries, IDMP), and
// restores it into a new engine with the same TTL: the states must be
// equal but for consumers' active times, which become their seen times.
func TestDumpRestoreRoundTrip(t *testing.T) {
	te := newTestEngine(t)
	var fixture []string
	for _, s := range rdbFixture {
		if !strings.Contains(s, "XNACK") && !strings.Contains(s, "IDMP") {
			fixture = append(fixture, s)
		}
	}
	runFixture(t, te, fixture)
	te2 := newTestEngine(t)
	te2.now = te.now
	for _, key := range replyStrings(te.do("KEYS *")) {
		payload := dumpOf(t, te, key)
		if v, _ := rdb.DumpVersion([]byte(payload)); v != dumpVersion {
			t.Errorf("DUMP %s: version %d, want %d", key, v, dumpVersion)
		}
		at := strings.TrimPrefix(strings.TrimSpace(te.do("PEXPIRETIME "+key)), ":")
		ttl := "0"
		if at != "-1" {
			ttl = at
		}
		if got := te2.run(te2.c, "RESTORE", key, ttl, payload, "ABSTTL"); got != okR {
			t.Fatalf("RESTORE %s: %s", key, got)
		}
	}
	te.do("SELECT 3")
	te2.run(te2.c, "SELECT", "3")
	if got := te2.run(te2.c, "RESTORE", "other", "0", dumpOf(t, te, "other")); got != okR {
		t.Fatalf("RESTORE other: %s", got)
	}
	te.do("SELECT 0")
	te2.run(te2.c, "SELECT", "0")
	if diff := cmp.Diff(withoutActiveTimes(te2.state()), withoutActiveTimes(te.state())); diff != "" {
		t.Errorf("state after DUMP and RESTORE (-got +want):\n%s", diff)
	}
}

// withoutActiveTimes blanks the values that follow "active-time" in a
// state.
func withoutActiveTimes(s string) string {
	lines := strings.Split(s, "\r\n")
	for i := 1; i < len(lines); i++ {
		if lines[i-1] == "active-time" {
			lines[i] = ":?"
		}
	}
	return strings.Join(lines, "\r\n")
}

// TestRestoreErrors checks RESTORE's replies against Redis's texts and
// order of checks.
func TestRestoreErrors(t *testing.T) {
	te := newTestEngine(t)
	te.do("SET k v")
	good := dumpOf(t, te, "k")
	bad := []byte(good)
	bad[len(bad)-1] ^= 1
	newer := []byte(good)
	newer[len(newer)-10] = 13
	garbage, _ := rdb.DumpPayload(rdb.String("x"), 10)
	garbage[0] = 77 // unknown type; fix the checksum so only the body is wrong
	garbage = fixCRC(garbage)
	ttlHash, err := rdb.DumpPayload(rdb.Hash{{Name: []byte("f"), Value: []byte("v"), ExpireAtMs: 1 << 45}}, 12)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"RESTORE", "k", "0", good}, "-BUSYKEY Target key name already exists.\r\n"},
		{[]string{"RESTORE", "n", "x", good}, notIntR},
		{[]string{"RESTORE", "n", "-1", good}, "-ERR Invalid TTL value, must be >= 0\r\n"},
		{[]string{"RESTORE", "n", "0", "short"}, "-ERR DUMP payload version or checksum are wrong\r\n"},
		{[]string{"RESTORE", "n", "0", string(bad)}, "-ERR DUMP payload version or checksum are wrong\r\n"},
		{[]string{"RESTORE", "n", "0", string(newer)}, "-ERR DUMP payload version or checksum are wrong\r\n"},
		{[]string{"RESTORE", "n", "0", string(garbage)}, "-ERR Bad data format\r\n"},
		{[]string{"RESTORE", "n", "0", string(ttlHash)}, "-ERR Bad data format: Pelican cannot hold a value of type hash\r\n"},
		{[]string{"RESTORE", "n", "0", good, "BOGUS"}, syntaxR},
		{[]string{"RESTORE", "n", "0", good, "IDLETIME", "-1"}, "-ERR Invalid IDLETIME value, must be >= 0\r\n"},
		{[]string{"RESTORE", "n", "0", good, "FREQ", "256"}, "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"},
		{[]string{"RESTORE", "n", "0", good, "IDLETIME", "1", "FREQ", "1"}, syntaxR},
		{[]string{"RESTORE", "n", "0", good, "IDLETIME"}, syntaxR},
		{[]string{"RESTORE", "k", "0", good, "REPLACE", "IDLETIME", "5"}, okR},
		{[]string{"RESTORE", "gone", "1", good, "ABSTTL"}, okR},
		{[]string{"EXISTS", "gone"}, ":0\r\n"},
		{[]string{"RESTORE", "k", "1", good, "ABSTTL", "REPLACE"}, okR},
		{[]string{"EXISTS", "k"}, ":0\r\n"},
		{[]string{"RESTORE", "n", "0", good, "FREQ", "0"}, okR},
		{[]string{"DUMP", "nosuch"}, nilR},
	}
	for _, tc := range cases {
		if got := te.run(te.c, tc.args...); got != tc.want {
			t.Errorf("%.60q: got %q, want %q", tc.args, got, tc.want)
		}
	}
}

// fixCRC recomputes a DUMP payload's CRC64 (Jones, reflected, as Redis
// computes it).
func fixCRC(p []byte) []byte {
	var crc uint64
	for _, b := range p[:len(p)-8] {
		crc ^= uint64(b)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x95AC9329AC4BC9B5
			} else {
				crc >>= 1
			}
		}
	}
	binary.LittleEndian.PutUint64(p[len(p)-8:], crc)
	return p
}

// TestRestoreJournalsAbsoluteTTL checks that RESTORE with a relative TTL
// is journaled with the absolute time and ABSTTL, and that an already
// expired REPLACE is journaled as DEL.
func TestRestoreJournalsAbsoluteTTL(t *testing.T) {
	te := newTestEngine(t)
	te.do("SET k v")
	payload := dumpOf(t, te, "k")
	var j captureJournal
	te.e.Lock()
	te.e.fx.journal = &j
	te.e.fx.db = -1
	te.e.Unlock()
	te.run(te.c, "RESTORE", "a", "5000", payload)
	te.run(te.c, "RESTORE", "b", "0", payload)
	te.run(te.c, "RESTORE", "k", "1", payload, "ABSTTL", "REPLACE")
	at := testEpoch.Add(5 * time.Second).UnixMilli()
	var want []byte
	want = aof.AppendClock(want, testEpoch.UnixMilli())
	want = aof.AppendCommand(want, []byte("SELECT"), []byte("0"))
	want = aof.AppendCommand(want, []byte("RESTORE"), []byte("a"), intArgBytes(at), []byte(payload), []byte("ABSTTL"))
	want = aof.AppendCommand(want, []byte("RESTORE"), []byte("b"), []byte("0"), []byte(payload))
	want = aof.AppendCommand(want, []byte("DEL"), []byte("k"))
	if diff := cmp.Diff(string(j.b), string(want)); diff != "" {
		t.Errorf("journal (-got +want):\n%s", diff)
	}
}

// captureJournal collects journaled bytes.
type captureJournal struct{ b []byte }

func (j *captureJournal) Append(p []byte) { j.b = append(j.b, p...) }
