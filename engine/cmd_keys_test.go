package engine

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestKeyCommands(t *testing.T) {
	runStepCases(t, []stepCase{
		{"del exists unlink touch", []step{
			{cmd: "SET a 1", want: okR},
			{cmd: "SET b 2", want: okR},
			{cmd: "EXISTS a a b c", want: intR(3)},
			{cmd: "TOUCH a b c", want: intR(2)},
			{cmd: "DEL a c", want: intR(1)},
			{cmd: "UNLINK b a", want: intR(1)},
			{cmd: "EXISTS a b", want: intR(0)},
			{cmd: "DEL", want: arityR("del")},
		}},
		{"type", []step{
			{cmd: "SET s v", want: okR},
			{cmd: "RPUSH l a", want: intR(1)},
			{cmd: "SADD st m", want: intR(1)},
			{cmd: "HSET h f v", want: intR(1)},
			{cmd: "XADD x 1-1 f v", want: bulkR("1-1")},
			{cmd: "TYPE s", want: "+string\r\n"},
			{cmd: "TYPE l", want: "+list\r\n"},
			{cmd: "TYPE st", want: "+set\r\n"},
			{cmd: "TYPE h", want: "+hash\r\n"},
			{cmd: "TYPE x", want: "+stream\r\n"},
			{cmd: "TYPE nope", want: "+none\r\n"},
		}},
		{"keys", []step{
			{cmd: "MSET hello 1 hallo 2 hxllo 3 world 4", want: okR},
			{cmd: "KEYS nomatch*", want: emptyArr},
			{cmd: "KEYS w*", want: bulksR("world")},
			{cmd: "KEYS h[^ae]llo", want: bulksR("hxllo")},
			{cmd: "KEYS", want: arityR("keys")},
		}},
		{"rename", []step{
			{cmd: "SET a 1 EX 100", want: okR},
			{cmd: "RENAME a b", want: okR},
			{cmd: "TTL b", want: intR(100)},
			{cmd: "EXISTS a", want: intR(0)},
			{cmd: "RENAME a b", want: errR("ERR no such key")},
			{cmd: "RENAME b b", want: okR},
			{cmd: "RENAME nope nope", want: errR("ERR no such key")},
			{cmd: "RPUSH l x", want: intR(1)},
			{cmd: "RENAME b l", want: okR},
			{cmd: "TYPE l", want: "+string\r\n"},
			{cmd: "TTL l", want: intR(100)},
			{cmd: "SET c 3", want: okR},
			{cmd: "RENAMENX l c", want: intR(0)},
			{cmd: "RENAMENX l l", want: intR(0)},
			{cmd: "RENAMENX l d", want: intR(1)},
			{cmd: "GET d", want: bulkR("1")},
		}},
		{"expire and ttl", []step{
			{cmd: "TTL k", want: intR(-2)},
			{cmd: "SET k v", want: okR},
			{cmd: "TTL k", want: intR(-1)},
			{cmd: "EXPIRE k 10", want: intR(1)},
			{cmd: "PTTL k", want: intR(10000)},
			{advance: 4400 * time.Millisecond},
			{cmd: "TTL k", want: intR(6)},
			{cmd: "PTTL k", want: intR(5600)},
			{advance: 100 * time.Millisecond},
			{cmd: "TTL k", want: intR(6)}, // 5.5 s rounds up
			{cmd: "EXPIRETIME k", want: intR(testEpoch.Unix() + 10)},
			{cmd: "PEXPIRETIME k", want: intR(testEpoch.UnixMilli() + 10000)},
			{advance: 5500 * time.Millisecond},
			{cmd: "GET k", want: nilR},
			{cmd: "TTL k", want: intR(-2)},
		}},
		{"expire conditions", []step{
			{cmd: "SET k v", want: okR},
			{cmd: "EXPIRE k 100 XX", want: intR(0)},
			{cmd: "EXPIRE k 100 GT", want: intR(0)},
			{cmd: "EXPIRE k 100 NX", want: intR(1)},
			{cmd: "EXPIRE k 200 NX", want: intR(0)},
			{cmd: "EXPIRE k 50 GT", want: intR(0)},
			{cmd: "EXPIRE k 200 GT", want: intR(1)},
			{cmd: "EXPIRE k 300 LT", want: intR(0)},
			{cmd: "EXPIRE k 20 lt", want: intR(1)},
			{cmd: "TTL k", want: intR(20)},
			{cmd: "EXPIRE k 30 XX GT", want: intR(1)},
			{cmd: "PERSIST k", want: intR(1)},
			{cmd: "PERSIST k", want: intR(0)},
			{cmd: "EXPIRE k 10 LT", want: intR(1)},
			{cmd: "EXPIRE nope 10", want: intR(0)},
			{cmd: "EXPIRE k 10 NX XX", want: errR("ERR NX and XX, GT or LT options at the same time are not compatible")},
			{cmd: "EXPIRE k 10 GT LT", want: errR("ERR GT and LT options at the same time are not compatible")},
			{cmd: "EXPIRE k 10 FOO", want: errR("ERR Unsupported option FOO")},
			{cmd: "EXPIRE k ten", want: notIntR},
			{cmd: "EXPIRE k 9223372036854775807", want: errR("ERR invalid expire time in 'expire' command")},
			{cmd: "PEXPIRE k 9223372036854775807", want: errR("ERR invalid expire time in 'pexpire' command")},
			{cmd: "EXPIREAT k 9223372036854776", want: errR("ERR invalid expire time in 'expireat' command")},
			{cmd: "PEXPIREAT k 9223372036854775807", want: intR(1)},
			{cmd: "PEXPIRETIME k", want: intR(9223372036854775807)},
		}},
		{"expire in the past deletes", []step{
			{cmd: "SET k v", want: okR},
			{cmd: "EXPIRE k 0", want: intR(1)},
			{cmd: "EXISTS k", want: intR(0)},
			{cmd: "SET k v", want: okR},
			{cmd: "PEXPIREAT k 1", want: intR(1)},
			{cmd: "EXISTS k", want: intR(0)},
			{cmd: "SET k v", want: okR},
			{cmd: "EXPIRE k -10", want: intR(1)},
			{cmd: "DBSIZE", want: intR(0)},
		}},
		{"flush and dbsize", []step{
			{cmd: "SET a 1", want: okR},
			{cmd: "SELECT 1", want: okR},
			{cmd: "MSET b 1 c 2", want: okR},
			{cmd: "DBSIZE", want: intR(2)},
			{cmd: "FLUSHDB", want: okR},
			{cmd: "DBSIZE", want: intR(0)},
			{cmd: "SELECT 0", want: okR},
			{cmd: "DBSIZE", want: intR(1)},
			{cmd: "FLUSHDB NOW", want: syntaxR},
			{cmd: "FLUSHDB ASYNC", want: okR},
			{cmd: "SET a 1", want: okR},
			{cmd: "SELECT 3", want: okR},
			{cmd: "SET z 1", want: okR},
			{cmd: "FLUSHALL sync", want: okR},
			{cmd: "DBSIZE", want: intR(0)},
			{cmd: "SELECT 0", want: okR},
			{cmd: "DBSIZE", want: intR(0)},
			{cmd: "FLUSHALL a b", want: syntaxR},
			{cmd: "DBSIZE x", want: arityR("dbsize")},
		}},
		{"randomkey", []step{
			{cmd: "RANDOMKEY", want: nilR},
			{cmd: "SET only 1 PX 10", want: okR},
			{cmd: "RANDOMKEY", want: bulkR("only")},
			{advance: 10 * time.Millisecond},
			{cmd: "RANDOMKEY", want: nilR},
		}},
		{"scan errors", []step{
			{cmd: "SCAN abc", want: errR("ERR invalid cursor")},
			{args: []string{"SCAN", " 1"}, want: errR("ERR invalid cursor")},
			{cmd: "SCAN 18446744073709551616", want: errR("ERR invalid cursor")},
			{cmd: "SCAN 0 COUNT 0", want: syntaxR},
			{cmd: "SCAN 0 COUNT x", want: notIntR},
			{cmd: "SCAN 0 MATCH", want: syntaxR},
			{cmd: "SCAN 0 BOGUS 1", want: syntaxR},
			{args: []string{"SCAN", ""}, want: arrR(bulkR("0"), emptyArr)},
		}},
	})
}

func TestParseScanCursor(t *testing.T) {
	tests := []struct {
		in     string
		want   uint64
		wantOK bool
	}{
		{"0", 0, true},
		{"", 0, true},
		{"00042", 42, true},
		{"+7", 7, true},
		{"-1", 1<<64 - 1, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551616", 0, false},
		{" 1", 0, false},
		{"1 ", 0, false},
		{"+", 0, false},
		{"0x10", 0, false},
		{"12\x00junk", 12, true},
	}
	for _, tt := range tests {
		got, ok := parseScanCursor([]byte(tt.in))
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseScanCursor(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

// scanReply parses the reply of SCAN into its cursor and keys.
func scanReply(t *testing.T, raw string) (string, []string) {
	t.Helper()
	var cursor string
	var keys []string
	rest := raw
	line := func() string {
		i := len(rest)
		for j := 0; j+1 < len(rest); j++ {
			if rest[j] == '\r' && rest[j+1] == '\n' {
				i = j
				break
			}
		}
		l := rest[:i]
		rest = rest[min(i+2, len(rest)):]
		return l
	}
	if line() != "*2" {
		t.Fatalf("SCAN reply %q is not a pair", raw)
	}
	line() // cursor length
	cursor = line()
	n, err := strconv.Atoi(line()[1:])
	if err != nil {
		t.Fatalf("SCAN reply %q: %v", raw, err)
	}
	for range n {
		line()
		keys = append(keys, line())
	}
	return cursor, keys
}

func TestScanCursorIsNextHash(t *testing.T) {
	te := newTestEngine(t)
	var all []string
	for i := range 25 {
		k := "key" + strconv.Itoa(i)
		all = append(all, k)
		te.do("SET " + k + " v")
	}
	// The expected visiting order: by scan hash.
	order := slices.Clone(all)
	slices.SortFunc(order, func(a, b string) int {
		x, y := scanKey{scanHash(a), a}, scanKey{scanHash(b), b}
		switch {
		case scanKeyLess(x, y):
			return -1
		case scanKeyLess(y, x):
			return 1
		}
		return 0
	})
	cursor := "0"
	var got []string
	for pos := 0; ; pos += 4 {
		next, keys := scanReply(t, te.do("SCAN "+cursor+" COUNT 4"))
		if diff := cmp.Diff(order[pos:min(pos+4, len(order))], keys); diff != "" {
			t.Fatalf("SCAN %s COUNT 4 keys (-want +got):\n%s", cursor, diff)
		}
		got = append(got, keys...)
		wantNext := "0"
		if pos+4 < len(order) {
			wantNext = strconv.FormatUint(scanHash(order[pos+4]), 10)
		}
		if next != wantNext {
			t.Fatalf("SCAN %s cursor = %s, want %s (hash of the next key)", cursor, next, wantNext)
		}
		cursor = next
		if cursor == "0" {
			break
		}
	}
	if diff := cmp.Diff(order, got); diff != "" {
		t.Errorf("full SCAN (-want +got):\n%s", diff)
	}
}

func TestScanKeepsEqualHashesTogether(t *testing.T) {
	te := newTestEngine(t)
	te.do("MSET a 1 b 2 c 3 d 4")
	// Give a, b and c the same scan hash, as colliding names would have.
	db := te.c.db
	db.scanOrder().Clear(false)
	for _, k := range []string{"a", "b", "c"} {
		db.order.ReplaceOrInsert(scanKey{h: 5, key: k})
	}
	db.order.ReplaceOrInsert(scanKey{h: 9, key: "d"})

	tests := []struct {
		cmd        string
		wantCursor string
		wantKeys   []string
	}{
		{"SCAN 0 COUNT 1", "9", []string{"a", "b", "c"}},
		{"SCAN 5 COUNT 3", "9", []string{"a", "b", "c"}},
		{"SCAN 6 COUNT 1", "0", []string{"d"}},
		{"SCAN 9 COUNT 10", "0", []string{"d"}},
		{"SCAN 10", "0", nil},
		{"SCAN 0 COUNT 1 MATCH [bd]", "9", []string{"b"}},
	}
	for _, tt := range tests {
		cursor, keys := scanReply(t, te.do(tt.cmd))
		if cursor != tt.wantCursor {
			t.Errorf("%s: cursor = %s, want %s", tt.cmd, cursor, tt.wantCursor)
		}
		if diff := cmp.Diff(tt.wantKeys, keys); diff != "" {
			t.Errorf("%s: keys (-want +got):\n%s", tt.cmd, diff)
		}
	}
}

func TestScanTypeAndExpiry(t *testing.T) {
	te := newTestEngine(t)
	te.do("MSET s1 a s2 b")
	te.do("RPUSH l x")
	te.do("SET gone v PX 5")
	te.now = te.now.Add(5 * time.Millisecond)
	tests := []struct {
		opts string
		want []string
	}{
		{"", []string{"l", "s1", "s2"}},
		{"TYPE string", []string{"s1", "s2"}},
		{"TYPE LIST", []string{"l"}},
		{"TYPE zset", nil},
		{"MATCH s* TYPE string", []string{"s1", "s2"}},
	}
	for _, tt := range tests {
		cursor, keys := scanReply(t, te.do("SCAN 0 COUNT 100 "+tt.opts))
		slices.Sort(keys)
		if cursor != "0" {
			t.Errorf("SCAN %s: cursor %s, want 0", tt.opts, cursor)
		}
		if diff := cmp.Diff(tt.want, keys); diff != "" {
			t.Errorf("SCAN %s keys (-want +got):\n%s", tt.opts, diff)
		}
	}
	if got := te.do("KEYS *"); !strings.HasPrefix(got, "*3\r\n") {
		t.Errorf("KEYS * = %q, want the three live keys", got)
	}
}

func TestRenameWakesBlockedReaders(t *testing.T) {
	te := newTestEngine(t)
	te.do("XADD src 1-1 f v")
	te.do("XGROUP CREATE src g $")
	reader := te.newClient()
	if got := te.run(reader, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "src", ">"); got != "" {
		t.Fatalf("XREADGROUP replied %q, want it to block", got)
	}
	waiter := te.newClient()
	if got := te.run(waiter, "XREAD", "BLOCK", "0", "STREAMS", "dst", "$"); got != "" {
		t.Fatalf("XREAD replied %q, want it to block", got)
	}
	if got := te.do("RENAME src dst"); got != okR {
		t.Fatalf("RENAME = %q", got)
	}

	te.e.Lock()
	reader.PollBlockLocked()
	waiter.PollBlockLocked()
	readerOut, waiterOut := string(reader.Output()), string(waiter.Output())
	te.e.Unlock()

	wantReader := errR("NOGROUP No such key 'src' or consumer group 'g' in XREADGROUP with GROUP option")
	if readerOut != wantReader {
		t.Errorf("blocked XREADGROUP on the old name got %q, want %q", readerOut, wantReader)
	}
	wantWaiter := arrR(arrR(bulkR("dst"), arrR(arrR(bulkR("1-1"), bulksR("f", "v")))))
	if waiterOut != wantWaiter {
		t.Errorf("blocked XREAD on the new name got %q, want %q", waiterOut, wantWaiter)
	}
}
