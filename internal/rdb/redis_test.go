package rdb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/internal/redistest"
)

// These tests hold the codec against a real redis-server: what it dumps
// and saves must decode to what it holds, and what the codec writes it
// must restore and load to the same content.

func items(n int, f func(i int) string) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(f(i))
	}
	return out
}

func strs(b [][]byte) []string {
	out := make([]string, len(b))
	for i, s := range b {
		out[i] = string(s)
	}
	return out
}

func fields(n int, name, value func(i int) string) Hash {
	h := make(Hash, n)
	for i := range h {
		h[i] = Field{Name: []byte(name(i)), Value: []byte(value(i))}
	}
	return h
}

// commandsFor returns commands that make key hold v.
func commandsFor(key string, v Value) [][]string {
	switch v := v.(type) {
	case String:
		return [][]string{{"SET", key, string(v)}}
	case List:
		return [][]string{append([]string{"RPUSH", key}, strs(v)...)}
	case Set:
		return [][]string{append([]string{"SADD", key}, strs(v)...)}
	case Hash:
		cmd := []string{"HSET", key}
		for _, f := range v {
			cmd = append(cmd, string(f.Name), string(f.Value))
		}
		return [][]string{cmd}
	case ZSet:
		cmd := []string{"ZADD", key}
		for _, m := range v {
			cmd = append(cmd, strconv.FormatFloat(m.Score, 'g', -1, 64), string(m.Member))
		}
		return [][]string{cmd}
	}
	panic(fmt.Sprintf("no commands for %T", v))
}

// valueCases are values of every type in each encoding Redis 7.0 gives
// them. same marks those whose DUMP, without compression, is byte for
// byte what DumpPayload writes.
var valueCases = []struct {
	name string
	v    Value
	same bool
}{
	{"empty string", String(""), true},
	{"string", String("hello, pelican"), true},
	{"int8 string", String("-12"), true},
	{"int16 string", String("30000"), true},
	{"int32 string", String("-2000000000"), true},
	{"int64 string", String("9000000000"), true},
	{"non-canonical int string", String("007"), true},
	{"compressible string", String(strings.Repeat("pelican ", 200)), true},
	{"long string", String(strings.Repeat("x", 70000)), true},
	{"small list", List(items(5, func(i int) string { return []string{"a", "1", "-300", "bcd", "70000"}[i] })), true},
	{"long list", List(items(5000, func(i int) string { return fmt.Sprintf("item:%d", i) })), false},
	{"list with a large element", List([][]byte{[]byte("a"), bytes.Repeat([]byte("y"), 20000), []byte("b")}), false},
	{"intset", Set(items(5, func(i int) string { return []string{"1", "2", "3", "-4", "100"}[i] })), true},
	{"intset int32", Set(items(3, func(i int) string { return []string{"1", "70000", "-3"}[i] })), true},
	{"intset int64", Set(items(3, func(i int) string { return []string{"1", "-9000000000", "3"}[i] })), true},
	{"large integer set", Set(items(600, func(i int) string { return strconv.Itoa(i * 7) })), true},
	{"string set", Set(items(20, func(i int) string { return fmt.Sprintf("m%d", i) })), true},
	{"small hash", fields(3, func(i int) string { return fmt.Sprint("f", i) }, func(i int) string { return []string{"v", "12", "-5000000000"}[i] }), true},
	{"large hash", fields(200, func(i int) string { return fmt.Sprint("field:", i) }, func(i int) string { return fmt.Sprint(i * i) }), false}, // one HSET leaves it a listpack in Redis 7.0
	{"hash with a long value", Hash{{Name: []byte("f"), Value: bytes.Repeat([]byte("z"), 100)}, {Name: []byte("g"), Value: []byte("1")}}, true},
	{"small sorted set", ZSet{{[]byte("a"), 1.5}, {[]byte("b"), -2}, {[]byte("c"), math.Inf(1)}, {[]byte("d"), math.Inf(-1)}}, false},
	{"large sorted set", ZSet(func() ZSet {
		z := ZSet{}
		for i := 0; i < 200; i++ {
			z = append(z, ZMember{[]byte(fmt.Sprint("m", i)), float64(i) / 3})
		}
		return z
	}()), true},
}

func TestParseDumpOfRedisValues(t *testing.T) {
	r := redistest.StartRedis(t)
	c := redistest.Dial(t, r.Addr)
	for _, compression := range []string{"yes", "no"} {
		mustDo(t, c, "CONFIG", "SET", "rdbcompression", compression)
		for _, tc := range valueCases {
			t.Run(tc.name+"/rdbcompression="+compression, func(t *testing.T) {
				mustDo(t, c, "DEL", "k")
				for _, cmd := range commandsFor("k", tc.v) {
					mustDo(t, c, cmd...)
				}
				payload := []byte(mustDo(t, c, "DUMP", "k").Str)
				got, err := ParseDump(payload)
				if err != nil {
					t.Fatalf("ParseDump: %v", err)
				}
				if d := valueDiff(got, tc.v); d != "" {
					t.Errorf("ParseDump (-got +want):\n%s", d)
				}
				if compression == "no" && tc.same {
					ours, err := DumpPayload(got, 0)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(ours, payload) {
						t.Errorf("DumpPayload differs from Redis's DUMP:\n got %q\nwant %q", head(ours), head(payload))
					}
				}
			})
		}
	}
}

func head(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

func TestListCompressedNodesFromRedis(t *testing.T) {
	r := redistest.StartRedis(t)
	c := redistest.Dial(t, r.Addr)
	mustDo(t, c, "CONFIG", "SET", "list-compress-depth", "1")
	want := List(items(3000, func(i int) string { return fmt.Sprintf("compressible-item-%d", i%10) }))
	for _, cmd := range commandsFor("k", want) {
		mustDo(t, c, cmd...)
	}
	got, err := ParseDump([]byte(mustDo(t, c, "DUMP", "k").Str))
	if err != nil {
		t.Fatal(err)
	}
	if d := valueDiff(got, want); d != "" {
		t.Errorf("ParseDump (-got +want):\n%s", d)
	}
}

func TestRestoreOfDumpPayload(t *testing.T) {
	r := redistest.StartRedis(t)
	c := redistest.Dial(t, r.Addr)
	for _, tc := range valueCases {
		t.Run(tc.name, func(t *testing.T) {
			payload, err := DumpPayload(tc.v, 0)
			if err != nil {
				t.Fatal(err)
			}
			mustDo(t, c, "RESTORE", "k", "0", string(payload), "REPLACE")
			if d := valueDiff(readBack(t, c, "k"), tc.v); d != "" {
				t.Errorf("restored value (-got +want):\n%s", d)
			}
		})
	}
	t.Run("version 11 refused by Redis 7.0", func(t *testing.T) {
		payload, err := DumpPayload(String("x"), 11)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.MustDo(t, "RESTORE", "v11", "0", string(payload)); !got.IsError() {
			t.Errorf("RESTORE of a version 11 payload = %s, want an error", got)
		}
		if v, ok := DumpVersion(payload); !ok || v != 11 {
			t.Errorf("DumpVersion = %d, %v; want 11, true", v, ok)
		}
	})
}

// buildStream makes key a stream with several nodes, deleted entries
// (the first among them), entries of differing fields, two groups, and
// pending entries held by consumers, some claimed more than once.
func buildStream(t testing.TB, c *redistest.Conn, key string) {
	t.Helper()
	for i := 1; i <= 250; i++ {
		args := []string{"XADD", key, fmt.Sprintf("%d-%d", 1000+i/3, i%3), "f", strconv.Itoa(i), "g", "v"}
		if i%7 == 0 {
			args = append(args[:5], "other", "field", "x", strconv.Itoa(i*i))
		}
		mustDo(t, c, args...)
	}
	mustDo(t, c, "XDEL", key, "1000-1", "1010-0", "1050-2")
	mustDo(t, c, "XGROUP", "CREATE", key, "g1", "0")
	mustDo(t, c, "XREADGROUP", "GROUP", "g1", "alice", "COUNT", "10", "STREAMS", key, ">")
	mustDo(t, c, "XREADGROUP", "GROUP", "g1", "bob", "COUNT", "5", "STREAMS", key, ">")
	mustDo(t, c, "XACK", key, "g1", "1000-2", "1001-0")
	mustDo(t, c, "XCLAIM", key, "g1", "bob", "0", "1002-0", "1002-1")
	mustDo(t, c, "XGROUP", "CREATE", key, "g2", "$")
	mustDo(t, c, "XGROUP", "CREATECONSUMER", key, "g2", "carol")
}

func TestStreamThroughRedis(t *testing.T) {
	r := redistest.StartRedis(t)
	c := redistest.Dial(t, r.Addr)
	buildStream(t, c, "s")
	mustDo(t, c, "XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM")
	for _, key := range []string{"s", "empty"} {
		t.Run(key, func(t *testing.T) {
			want := xinfoFull(t, c, key)
			v, err := ParseDump([]byte(mustDo(t, c, "DUMP", key).Str))
			if err != nil {
				t.Fatal(err)
			}
			s := v.(*Stream)
			if d := cmp.Diff(infoOf(t, s), want); d != "" {
				t.Fatalf("ParseDump of Redis's DUMP (-got +want):\n%s", d)
			}
			payload, err := DumpPayload(s, 0)
			if err != nil {
				t.Fatal(err)
			}
			mustDo(t, c, "RESTORE", key+"-copy", "0", string(payload))
			if d := cmp.Diff(xinfoFull(t, c, key+"-copy"), want); d != "" {
				t.Errorf("RESTORE of DumpPayload (-got +want):\n%s", d)
			}
			mustDo(t, c, "CONFIG", "SET", "rdbcompression", "no")
			defer mustDo(t, c, "CONFIG", "SET", "rdbcompression", "yes")
			if redis := []byte(mustDo(t, c, "DUMP", key).Str); !bytes.Equal(payload, redis) {
				t.Errorf("DumpPayload differs from Redis's uncompressed DUMP:\n got %q\nwant %q", head(payload), head(redis))
			}
		})
	}
}

// startWithRDB starts a redis-server loading dir/name.
func startWithRDB(t *testing.T, dir, name string) *redistest.Redis {
	bin, err := redistest.RedisServerPath()
	if err != nil {
		t.Fatal(err)
	}
	return redistest.StartRedisBinary(t, bin, "--dir", dir, "--dbfilename", name)
}

func TestRedisLoadsWrittenFile(t *testing.T) {
	// A stream with groups, taken from a first server.
	src := redistest.StartRedis(t)
	sc := redistest.Dial(t, src.Addr)
	buildStream(t, sc, "s")
	streamInfoWant := xinfoFull(t, sc, "s")
	sv, err := ParseDump([]byte(mustDo(t, sc, "DUMP", "s").Str))
	if err != nil {
		t.Fatal(err)
	}

	expireAt := time.Now().Add(time.Hour).UnixMilli()
	var entries []Entry
	for i, tc := range valueCases {
		e := Entry{DB: 0, Key: []byte(tc.name), Value: tc.v}
		if i%3 == 0 {
			e.ExpireAtMs = expireAt + int64(i)
		}
		if i%4 == 1 {
			e.DB = 3
		}
		entries = append(entries, e)
	}
	entries = append(entries, Entry{DB: 3, Key: []byte("stream"), Value: sv, ExpireAtMs: expireAt})

	dir := t.TempDir()
	var buf bytes.Buffer
	w := NewWriter(&buf, Options{})
	for _, db := range []int{0, 3} {
		var keys, expires uint64
		for _, e := range entries {
			if e.DB == db {
				keys++
				if e.ExpireAtMs != 0 {
					expires++
				}
			}
		}
		if err := w.SelectDB(db, keys, expires); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.DB == db {
				if err := w.WriteEntry(e); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "pelican.rdb")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("redis-check-rdb", path).CombinedOutput(); err != nil {
		t.Fatalf("redis-check-rdb: %v\n%s", err, out)
	}

	r := startWithRDB(t, dir, "pelican.rdb")
	c := redistest.Dial(t, r.Addr)
	for _, e := range entries {
		mustDo(t, c, "SELECT", strconv.Itoa(e.DB))
		key := string(e.Key)
		want := int64(-1)
		if e.ExpireAtMs != 0 {
			want = e.ExpireAtMs
		}
		if got := mustDo(t, c, "PEXPIRETIME", key).Int; got != want {
			t.Errorf("PEXPIRETIME %q = %d, want %d", key, got, want)
		}
		if s, ok := e.Value.(*Stream); ok {
			if d := cmp.Diff(xinfoFull(t, c, key), streamInfoWant); d != "" {
				t.Errorf("stream loaded (-got +want):\n%s", d)
			}
			if d := cmp.Diff(infoOf(t, s), streamInfoWant); d != "" {
				t.Errorf("stream written (-got +want):\n%s", d)
			}
			continue
		}
		if d := valueDiff(readBack(t, c, key), e.Value); d != "" {
			t.Errorf("key %q loaded (-got +want):\n%s", key, d)
		}
	}
	mustDo(t, c, "SELECT", "0")
	if got, want := mustDo(t, c, "DBSIZE").Int, int64(countDB(entries, 0)); got != want {
		t.Errorf("DBSIZE of DB 0 = %d, want %d", got, want)
	}
}

func countDB(entries []Entry, db int) int {
	n := 0
	for _, e := range entries {
		if e.DB == db {
			n++
		}
	}
	return n
}

func TestReaderReadsRedisSave(t *testing.T) {
	dir := t.TempDir()
	r := startWithRDB(t, dir, "dump.rdb")
	c := redistest.Dial(t, r.Addr)
	expireAt := time.Now().Add(time.Hour).UnixMilli()
	want := map[string]Entry{}
	for i, tc := range valueCases {
		db := i % 2 * 2
		mustDo(t, c, "SELECT", strconv.Itoa(db))
		for _, cmd := range commandsFor(tc.name, tc.v) {
			mustDo(t, c, cmd...)
		}
		e := Entry{DB: db, Key: []byte(tc.name), Value: tc.v}
		if i%3 == 0 {
			e.ExpireAtMs = expireAt + int64(i)
			mustDo(t, c, "PEXPIREAT", tc.name, strconv.FormatInt(e.ExpireAtMs, 10))
		}
		want[fmt.Sprint(db, tc.name)] = e
	}
	mustDo(t, c, "SELECT", "1")
	buildStream(t, c, "s")
	streamWant := xinfoFull(t, c, "s")
	mustDo(t, c, "SAVE")

	f, err := os.Open(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := NewReader(f)
	streams := 0
	for {
		e, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := e.Value.(*Stream); ok {
			streams++
			if d := cmp.Diff(infoOf(t, s), streamWant); d != "" || e.DB != 1 {
				t.Errorf("stream in DB %d (-got +want):\n%s", e.DB, d)
			}
			continue
		}
		k := fmt.Sprint(e.DB, string(e.Key))
		w, ok := want[k]
		if !ok {
			t.Errorf("unexpected key %q in DB %d", e.Key, e.DB)
			continue
		}
		delete(want, k)
		if e.ExpireAtMs != w.ExpireAtMs {
			t.Errorf("key %q expires at %d, want %d", e.Key, e.ExpireAtMs, w.ExpireAtMs)
		}
		if d := valueDiff(e.Value, w.Value); d != "" {
			t.Errorf("key %q (-got +want):\n%s", e.Key, d)
		}
	}
	if len(want) != 0 || streams != 1 {
		t.Errorf("keys not read: %v; streams read: %d", len(want), streams)
	}
	aux := map[string]string{}
	for _, a := range rd.Aux() {
		aux[a.Key] = a.Value
	}
	if aux["redis-ver"] != r.Version || aux["aof-base"] != "0" || rd.Version() != 10 {
		t.Errorf("version %d, aux %v; want 10, redis-ver %s and aof-base 0", rd.Version(), aux, r.Version)
	}
}

func TestReaderRefusesFunctions(t *testing.T) {
	dir := t.TempDir()
	r := startWithRDB(t, dir, "dump.rdb")
	c := redistest.Dial(t, r.Addr)
	mustDo(t, c, "SET", "k", "v")
	mustDo(t, c, "FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)")
	mustDo(t, c, "SAVE")
	f, err := os.Open(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := NewReader(f)
	for {
		_, err = rd.Next()
		if err != nil {
			break
		}
	}
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "function") {
		t.Errorf("reading a file with a function library: %v, want ErrUnsupported naming functions", err)
	}
}

func TestReaderReadsAOFBase(t *testing.T) {
	dir := t.TempDir()
	bin, err := redistest.RedisServerPath()
	if err != nil {
		t.Fatal(err)
	}
	r := redistest.StartRedisBinary(t, bin, "--dir", dir, "--appendonly", "yes", "--aof-use-rdb-preamble", "yes")
	c := redistest.Dial(t, r.Addr)
	mustDo(t, c, "SET", "k", "v")
	mustDo(t, c, "BGREWRITEAOF")
	deadline := time.Now().Add(10 * time.Second)
	var base string
	for base == "" {
		if info := mustDo(t, c, "INFO", "persistence").Str; strings.Contains(info, "aof_rewrite_in_progress:0") &&
			strings.Contains(info, "aof_rewrite_scheduled:0") {
			m, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.base.rdb"))
			if len(m) == 1 {
				if b, err := os.ReadFile(m[0]); err == nil && bytes.Contains(b, []byte("k")) {
					base = m[0]
				}
			}
		}
		if base == "" && time.Now().After(deadline) {
			t.Fatal("no AOF base file holding the key appeared")
		}
		if base == "" {
			time.Sleep(10 * time.Millisecond) // polling for the rewrite to finish
		}
	}
	f, err := os.Open(base)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := NewReader(f)
	e, err := rd.Next()
	if err != nil || string(e.Key) != "k" || valueDiff(e.Value, String("v")) != "" {
		t.Fatalf("first entry %+v, %v; want k = v", e, err)
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("after the only key: %v, want io.EOF", err)
	}
	for _, a := range rd.Aux() {
		if a.Key == "aof-base" && a.Value != "1" {
			t.Errorf("aof-base = %q, want 1", a.Value)
		}
	}
}
