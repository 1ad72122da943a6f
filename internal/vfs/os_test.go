package vfs_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pelicanhq/pelican/internal/vfs"
)

func TestOSLockConflicts(t *testing.T) {
	name := filepath.Join(t.TempDir(), "LOCK")
	l, err := vfs.Default.Lock(name)
	if err != nil {
		t.Fatal(err)
	}
	_, err = vfs.Default.Lock(name)
	if !errors.Is(err, vfs.ErrLocked) || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second Lock: got %v, want an error saying the file is locked", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2, err := vfs.Default.Lock(name)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	l2.Close()
}

func TestOSFileOps(t *testing.T) {
	dir := t.TempDir()
	fs := vfs.Default
	name := filepath.Join(dir, "a")
	f := writeFile(t, fs, name, "hello", true)
	f.Close()
	a, err := fs.OpenAppend(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte(" world")); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if err := fs.Rename(name, filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	if err := fs.SyncDir(dir); err != nil {
		t.Fatal(err)
	}
	got, _ := readFile(t, fs, filepath.Join(dir, "b"))
	if got != "hello world" {
		t.Errorf("content %q, want %q", got, "hello world")
	}
	names, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(names, []string{"b"}); diff != "" {
		t.Errorf("List (-got +want):\n%s", diff)
	}
}
