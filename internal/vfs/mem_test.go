package vfs_test

import (
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pelicanhq/pelican/internal/vfs"
)

func writeFile(t *testing.T, fs vfs.FS, name, data string, sync bool) vfs.File {
	t.Helper()
	f, err := fs.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func readFile(t *testing.T, fs vfs.FS, name string) (string, bool) {
	t.Helper()
	f, err := fs.Open(name)
	if err != nil {
		return "", false
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

func TestMemCrashKeepsSynced(t *testing.T) {
	m := vfs.NewMem()
	if err := m.MkdirAll("/d"); err != nil {
		t.Fatal(err)
	}
	f := writeFile(t, m, "/d/a", "synced", true)
	if err := m.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("-unsynced")); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for seed := uint64(0); seed < 200; seed++ {
		c := m.Crash(rand.New(rand.NewPCG(seed, 0)))
		got, ok := readFile(t, c, "/d/a")
		if !ok {
			t.Fatalf("seed %d: synced file lost", seed)
		}
		if len(got) < len("synced") || got[:6] != "synced" {
			t.Fatalf("seed %d: got %q, want a prefix of synced data kept", seed, got)
		}
		tail := got[6:]
		if tail != "-unsynced"[:len(tail)] && tail != string(make([]byte, len(tail))) {
			t.Fatalf("seed %d: tail %q is neither a prefix of the write nor zeros", seed, tail)
		}
		seen[got] = true
	}
	if !seen["synced"] || !seen["synced-unsynced"] || len(seen) < 5 {
		t.Errorf("crash outcomes %q: want none, all and partial unsynced data among them", keys(seen))
	}
	var zeroed bool
	for s := range seen {
		if len(s) > 6 && s[6] == 0 {
			zeroed = true
		}
	}
	if !zeroed {
		t.Errorf("crash outcomes %q: want a zero-filled tail among them", keys(seen))
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestMemDirEntriesNeedSyncDir(t *testing.T) {
	m := vfs.NewMem()
	if err := m.MkdirAll("/d"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, m, "/d/old", "x", true).Close()
	if err := m.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, m, "/d/new", "y", true).Close()
	if err := m.Rename("/d/old", "/d/renamed"); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	got, err := m.Crash(rng).List("/d")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, []string{"old"}); diff != "" {
		t.Errorf("after crash without SyncDir (-got +want):\n%s", diff)
	}
	if err := m.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	c := m.Crash(rng)
	got, err = c.List("/d")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, []string{"new", "renamed"}); diff != "" {
		t.Errorf("after crash with SyncDir (-got +want):\n%s", diff)
	}
	if data, _ := readFile(t, c, "/d/renamed"); data != "x" {
		t.Errorf("renamed file holds %q, want %q", data, "x")
	}
}

func TestMemTruncateThenCrash(t *testing.T) {
	m := vfs.NewMem()
	f := writeFile(t, m, "/a", "0123456789", true)
	if err := m.SyncDir("/"); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(4); err != nil {
		t.Fatal(err)
	}
	for seed := uint64(0); seed < 50; seed++ {
		got, _ := readFile(t, m.Crash(rand.New(rand.NewPCG(seed, 0))), "/a")
		if got != "0123456789" && got != "0123456789"[:len(got)] {
			t.Fatalf("seed %d: got %q, want the synced content or a cut of the truncated one", seed, got)
		}
	}
}

func TestMemSetCrashAfter(t *testing.T) {
	m := vfs.NewMem()
	f := writeFile(t, m, "/a", "", false) // two ops: create, write
	m.SetCrashAfter(2)
	for i, want := range []error{nil, nil, vfs.ErrCrashed, vfs.ErrCrashed} {
		_, err := f.Write([]byte("x"))
		if !errors.Is(err, want) {
			t.Errorf("write %d: got %v, want %v", i, err, want)
		}
	}
	if got, want := m.Ops(), 6; got != want {
		t.Errorf("Ops() = %d, want %d", got, want)
	}
	if err := m.SyncDir("/"); !errors.Is(err, vfs.ErrCrashed) {
		t.Errorf("SyncDir after crash point: got %v, want ErrCrashed", err)
	}
	if got, _ := readFile(t, m, "/a"); got != "xx" {
		t.Errorf("content %q, want %q: failed writes must change nothing", got, "xx")
	}
	m.SetCrashAfter(-1)
	if _, err := f.Write([]byte("y")); err != nil {
		t.Errorf("write after SetCrashAfter(-1): %v", err)
	}
}

func TestMemLock(t *testing.T) {
	m := vfs.NewMem()
	l, err := m.Lock("/LOCK")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lock("/LOCK"); !errors.Is(err, vfs.ErrLocked) {
		t.Errorf("second Lock: got %v, want ErrLocked", err)
	}
	l.Close()
	l2, err := m.Lock("/LOCK")
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	l2.Close()
}
