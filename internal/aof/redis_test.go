package aof_test

// These tests hold the format to Redis 7.0 itself: redis-server writes
// files that Reader reads and manifests that Marshal reproduces, and it
// loads, as redis-check-aof accepts, what Pelican writes.

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pelicanhq/pelican/internal/aof"
	"github.com/pelicanhq/pelican/internal/redistest"
	"github.com/pelicanhq/pelican/internal/vfs"
)

// startRedis starts redis-server with the AOF on in dir.
func startRedis(t *testing.T, dir string, options ...string) *redistest.Redis {
	t.Helper()
	bin, err := redistest.RedisServerPath()
	if err != nil {
		t.Fatal(err)
	}
	return redistest.StartRedisBinary(t, bin, append([]string{"--appendonly", "yes", "--dir", dir}, options...)...)
}

func do(t *testing.T, c *redistest.Conn, args ...string) string {
	t.Helper()
	rep, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	if rep.IsError() {
		t.Fatalf("%q: %s", args, rep)
	}
	return rep.String()
}

// poll calls cond until it is true, failing after a deadline.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not waiting a fixed time
	}
}

// stopRedis stops the server with SIGTERM, which makes it flush and fsync
// its AOF, and waits until the process is gone.
func stopRedis(t *testing.T, r *redistest.Redis) {
	t.Helper()
	if err := syscall.Kill(r.PID, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	poll(t, "redis-server to exit", func() bool {
		return errors.Is(syscall.Kill(r.PID, 0), syscall.ESRCH)
	})
}

func TestMarshalMatchesRedisManifest(t *testing.T) {
	dir := t.TempDir()
	r := startRedis(t, dir, "--aof-disable-auto-gc", "yes")
	c := redistest.Dial(t, r.Addr)
	do(t, c, "SET", "k", "v")
	manifest := filepath.Join(dir, aof.DefaultDirName, aof.ManifestName(aof.DefaultFileName))
	for _, wantBase := range []string{"seq 2 type b", "seq 3 type b"} {
		do(t, c, "BGREWRITEAOF")
		poll(t, "the rewrite's manifest", func() bool {
			b, _ := os.ReadFile(manifest)
			info := do(t, c, "INFO", "persistence")
			return bytes.Contains(b, []byte(wantBase)) && strings.Contains(info, "aof_rewrite_in_progress:0")
		})
		do(t, c, "SET", "k", "v2")
	}
	data, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := aof.ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.History) == 0 || m.Base == nil || len(m.Incr) == 0 {
		t.Fatalf("manifest %q lacks a base, history or incr file", data)
	}
	if diff := cmp.Diff(string(m.Marshal()), string(data)); diff != "" {
		t.Errorf("Marshal of Redis's manifest (-got +want):\n%s", diff)
	}
	// Pelican's own next rewrite names files as Redis did.
	prev, _ := aof.ParseManifest(data)
	prev.NewBase(aof.DefaultFileName, aof.BaseRDB)
	prev.NextIncr(aof.DefaultFileName)
	prev.RetireIncr(1)
	do(t, c, "BGREWRITEAOF")
	poll(t, "the third rewrite", func() bool {
		b, _ := os.ReadFile(manifest)
		info := do(t, c, "INFO", "persistence")
		return bytes.Contains(b, []byte("seq 4 type b")) && strings.Contains(info, "aof_rewrite_in_progress:0")
	})
	data, _ = os.ReadFile(manifest)
	if diff := cmp.Diff(string(prev.Marshal()), string(data)); diff != "" {
		t.Errorf("NewBase, NextIncr, RetireIncr against Redis's rewrite (-got +want):\n%s", diff)
	}
}

// names returns the command names of items, transactions as [...].
func names(items []aof.Item) []string {
	var out []string
	for _, it := range items {
		switch it.Kind {
		case aof.KindTransaction:
			out = append(out, "["+strings.Join(names(it.Txn), " ")+"]")
		case aof.KindCommand:
			out = append(out, strings.ToUpper(string(it.Args[0])))
		}
	}
	return out
}

func TestReadRedisWrittenAOF(t *testing.T) {
	dir := t.TempDir()
	r := startRedis(t, dir, "--aof-use-rdb-preamble", "no", "--aof-timestamp-enabled", "yes")
	c := redistest.Dial(t, r.Addr)
	do(t, c, "SET", "a", "1")
	do(t, c, "MULTI")
	do(t, c, "SET", "b", strings.Repeat("x", 3000))
	do(t, c, "INCR", "n")
	do(t, c, "EXEC")
	do(t, c, "XADD", "s", "*", "f", "v")
	stopRedis(t, r)

	adir := filepath.Join(dir, aof.DefaultDirName)
	m, err := aof.ReadManifest(vfs.Default, adir, aof.ManifestName(aof.DefaultFileName))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(adir, m.Incr[len(m.Incr)-1].Name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := aof.NewReader(f, m.Incr[0].Name)
	var items []aof.Item
	for {
		it, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	want := []string{"SELECT", "SET", "[SET INCR]", "XADD"}
	if diff := cmp.Diff(names(items), want); diff != "" {
		t.Errorf("commands (-got +want):\n%s", diff)
	}
}

func TestRedisLoadsPelicanFiles(t *testing.T) {
	dir := t.TempDir()
	adir := filepath.Join(dir, aof.DefaultDirName)
	if err := os.MkdirAll(adir, 0o755); err != nil {
		t.Fatal(err)
	}
	base := aof.AppendFrame(nil, aof.AppendCommand(nil, args("SET", "base", "b")...))
	long := strings.Repeat("e", 3000)
	var batch []byte
	batch = aof.AppendClock(batch, 1700000000123)
	batch = aof.AppendCommand(batch, args("SET", "k", "v")...)
	batch = aof.AppendExtension(batch, args("PELICAN.NOTE", long)...)
	batch = aof.AppendCommand(batch, args("XADD", "s", "1-1", "f", "v")...)
	batch = aof.AppendCommand(batch, args("MULTI")...)
	batch = aof.AppendCommand(batch, args("INCR", "n")...)
	batch = aof.AppendCommand(batch, args("EXEC")...)
	incr := aof.AppendFrame(nil, batch)
	incr = aof.AppendFrame(incr, aof.AppendCommand(aof.AppendClock(nil, 1700000000999), args("SET", "k2", "v2")...))

	m := &aof.Manifest{}
	b := m.NewBase(aof.DefaultFileName, aof.BaseAOF)
	i := m.NextIncr(aof.DefaultFileName)
	for name, data := range map[string][]byte{b.Name: base, i.Name: incr} {
		if err := os.WriteFile(filepath.Join(adir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := aof.WriteManifest(vfs.Default, adir, aof.ManifestName(aof.DefaultFileName), m); err != nil {
		t.Fatal(err)
	}

	out, err := exec.Command("redis-check-aof", filepath.Join(adir, aof.ManifestName(aof.DefaultFileName))).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-check-aof: %v\n%s", err, out)
	}

	r := startRedis(t, dir)
	c := redistest.Dial(t, r.Addr)
	got := []string{
		do(t, c, "GET", "base"), do(t, c, "GET", "k"), do(t, c, "GET", "k2"), do(t, c, "GET", "n"),
		do(t, c, "XRANGE", "s", "-", "+"), do(t, c, "DBSIZE"),
	}
	want := []string{`$"b"`, `$"v"`, `$"v2"`, `$"1"`, `*1[*2[$"1-1" *2[$"f" $"v"]]]`, ":5"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("data Redis loaded (-got +want):\n%s\nserver output:\n%s", diff, r.Output())
	}
}
