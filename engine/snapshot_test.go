package engine

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pelicanhq/pelican/internal/rdb"
	"github.com/pelicanhq/pelican/stream"
)

// rdbFixture are commands that leave every type the engine has, with and
// without TTLs, and streams with deleted entries, several nodes, groups,
// pending entries, consumers seen and active at different times, entries
// given back with XNACK, and IDMP state and settings.
var rdbFixture = []string{
	"CONFIG SET stream-node-max-entries 3",
	"SET plain v",
	"SET num 12345",
	"SET ttl v PX 100000",
	"RPUSH list a b c 1 2",
	"RPUSH biglist " + strings.Repeat("x ", 300),
	"SADD ints 3 1 2",
	"SADD words x y z",
	"HSET h a 1 b 2",
	"PEXPIRE h 500000",
	"XADD s 1-1 f 1",
	"XADD s 2-1 f 2 g 2",
	"XADD s 3-1 f 3",
	"XADD s 4-1 f 4",
	"XADD s 5-1 f 5",
	"XADD s 6-1 f 6",
	"XADD s 7-1 f 7",
	"XADD s 8-1 f 8",
	"XDEL s 2-1 5-1",
	"XGROUP CREATE s g 0",
	"XGROUP CREATE s idle $",
	"XREADGROUP GROUP g alice COUNT 3 STREAMS s >",
	"+5ms",
	"XREADGROUP GROUP g bob COUNT 2 STREAMS s >",
	"+1s",
	"XREADGROUP GROUP g pelican-nacked COUNT 1 STREAMS s >",
	"XGROUP CREATECONSUMER s g carol",
	"+2s",
	"XREADGROUP GROUP g carol STREAMS s 0",
	"XNACK s g FAIL IDS 1 4-1",
	"XNACK s g SILENT IDS 1 1-1",
	"XNACK s g FATAL IDS 1 6-1",
	"XADD dedup IDMP p1 i1 * n 1",
	"XADD dedup IDMP p1 i1 * n 1",
	"XADD dedup IDMP p2 i2 * n 2",
	"XCFGSET dedup IDMP-DURATION 300 IDMP-MAXSIZE 50",
	"XADD empty MAXLEN 0 * a 1",
	"SELECT 3",
	"SET other db",
	"SELECT 0",
	"+1s",
}

// runFixture runs commands on te; "+d" lines advance the clock.
func runFixture(t *testing.T, te *testEngine, cmds []string) {
	t.Helper()
	for _, s := range cmds {
		if strings.HasPrefix(s, "+") {
			d, err := time.ParseDuration(s[1:])
			if err != nil {
				t.Fatal(err)
			}
			te.now = te.now.Add(d)
			continue
		}
		if got := te.do(s); strings.HasPrefix(got, "-") {
			t.Fatalf("%s: %s", s, got)
		}
	}
}

// saveRDB writes te's keyspace as an RDB file.
func saveRDB(t *testing.T, te *testEngine, aofBase bool) []byte {
	t.Helper()
	te.e.Lock()
	snap := te.e.snapshotLocked()
	te.e.Unlock()
	var buf bytes.Buffer
	if err := snap.writeRDB(&buf, aofBase); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// loadedEngine returns a new engine, at te's time, with the RDB data.
func loadedEngine(t *testing.T, te *testEngine, data []byte, keepExpired bool) (*testEngine, error) {
	t.Helper()
	te2 := newTestEngine(t)
	te2.now = te.now
	te2.e.Lock()
	te2.e.loading = true
	err := te2.e.loadRDB(bytes.NewReader(data), keepExpired)
	te2.e.loading = false
	te2.e.Unlock()
	return te2, err
}

// streamSnapshot returns the snapshot of stream key in DB 0.
func streamSnapshot(te *testEngine, key string) *stream.Snapshot {
	te.e.Lock()
	defer te.e.Unlock()
	return te.e.dbs[0].keys[key].stream.Snapshot()
}

// TestRDBRoundTrip saves every type to an RDB file and loads it into a new
// engine: the states must be equal, and so must each stream's snapshot,
// which holds what XINFO does not show (the NACK order, IDMP records).
func TestRDBRoundTrip(t *testing.T) {
	te := newTestEngine(t)
	runFixture(t, te, rdbFixture)
	data := saveRDB(t, te, false)
	te2, err := loadedEngine(t, te, data, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(te2.state(), te.state()); diff != "" {
		t.Errorf("state after loading (-got +want):\n%s", diff)
	}
	for _, key := range []string{"s", "dedup", "empty"} {
		if diff := cmp.Diff(streamSnapshot(te2, key), streamSnapshot(te, key), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("stream %s after loading (-got +want):\n%s", key, diff)
		}
	}
	// The NACKed entries come first in the claim order, in the order
	// they were given back.
	for _, te := range []*testEngine{te, te2} {
		te.e.Lock()
		var got []string
		te.e.dbs[0].keys["s"].stream.Group([]byte("g")).AscendClaimOrder(func(p *stream.Pending) bool {
			got = append(got, p.ID.String())
			return len(got) < 3
		})
		te.e.Unlock()
		if diff := cmp.Diff(got, []string{"4-1", "1-1", "6-1"}); diff != "" {
			t.Errorf("claim order (-got +want):\n%s", diff)
		}
	}
}

// TestRDBPlaceholderForRedis checks what a Redis that knows nothing of
// pelican-ext sees: the NACKed entries held by the placeholder consumer,
// named so as not to clash with the real consumer "pelican-nacked".
func TestRDBPlaceholderForRedis(t *testing.T) {
	te := newTestEngine(t)
	runFixture(t, te, rdbFixture)
	rd := rdb.NewReader(bytes.NewReader(saveRDB(t, te, false)))
	for {
		ent, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		if string(ent.Key) != "s" {
			continue
		}
		var got []string
		for _, c := range ent.Value.(*rdb.Stream).Groups[0].Consumers {
			got = append(got, string(c.Name)+":"+fmtIDs(c.PEL))
		}
		want := []string{"alice:3-1", "bob:7-1", "carol:", "pelican-nacked:8-1", "pelican-nacked-1:1-1,4-1,6-1"}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("consumers in the RDB (-got +want):\n%s", diff)
		}
		return
	}
}

func fmtIDs(ids []rdb.ID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = stream.ID(id).String()
	}
	return strings.Join(s, ",")
}

// TestRDBExpiry checks which expired keys loading keeps: all of them for
// an append-only file's base, none for dump.rdb.
func TestRDBExpiry(t *testing.T) {
	te := newTestEngine(t)
	runFixture(t, te, []string{"SET keep v", "SET gone v PX 10", "SET later v PX 100000", "+1s"})
	data := saveRDB(t, te, true)
	for _, tc := range []struct {
		name        string
		keepExpired bool
		want        int
	}{
		{"dump.rdb", false, 2},
		{"AOF base", true, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te2, err := loadedEngine(t, te, data, tc.keepExpired)
			if err != nil {
				t.Fatal(err)
			}
			te2.e.Lock()
			got := len(te2.e.dbs[0].keys)
			te2.e.Unlock()
			if got != tc.want {
				t.Errorf("got %d keys, want %d", got, tc.want)
			}
		})
	}
}

// TestRDBUnsupported checks that a hash with field TTLs is refused with an
// error naming the key and its type.
func TestRDBUnsupported(t *testing.T) {
	var buf bytes.Buffer
	w := rdb.NewWriter(&buf, rdb.Options{Version: 12})
	if err := w.WriteEntry(rdb.Entry{Key: []byte("board"), Value: rdb.Hash{{Name: []byte("f"), Value: []byte("v"), ExpireAtMs: 1 << 45}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := loadedEngine(t, newTestEngine(t), buf.Bytes(), false)
	if err == nil || !errors.Is(err, errUnsupportedType) || !strings.Contains(err.Error(), `"board" (type hash)`) {
		t.Errorf("got %v, want an unsupported-type error naming board and hash", err)
	}
}

// TestRDBCorrupt flips, truncates and overwrites bytes of a saved file:
// loading must fail or succeed, never panic, and whatever loads must be
// valid.
func TestRDBCorrupt(t *testing.T) {
	te := newTestEngine(t)
	runFixture(t, te, rdbFixture)
	data := saveRDB(t, te, false)
	for n := 0; n < len(data); n += 7 {
		if _, err := loadedEngine(t, te, data[:n], false); err == nil {
			t.Fatalf("truncated at %d: no error", n)
		}
	}
	// With the checksum zeroed (Redis then skips the check), damage
	// inside values reaches the value checks.
	zeroed := append([]byte(nil), data...)
	copy(zeroed[len(zeroed)-8:], make([]byte, 8))
	if _, err := loadedEngine(t, te, zeroed, false); err != nil {
		t.Fatalf("no checksum: %v", err)
	}
	for i := 9; i < len(zeroed)-9; i++ {
		for _, b := range []byte{0x00, 0x01, 0x7f, 0xff} {
			bad := append([]byte(nil), zeroed...)
			bad[i] = b
			te2, err := loadedEngine(t, te, bad, false)
			if err != nil {
				continue
			}
			te2.e.Lock()
			for _, db := range te2.e.dbs {
				for k, o := range db.keys {
					if o.kind == kindStream {
						if err := o.stream.Validate(); err != nil {
							t.Errorf("byte %d = %#x: stream %q loaded invalid: %v", i, b, k, err)
						}
					}
				}
			}
			te2.e.Unlock()
		}
	}
}
