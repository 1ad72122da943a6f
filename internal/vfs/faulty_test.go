package vfs_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/pelicanhq/pelican/internal/vfs"
)

func TestFaultyFiresAndClears(t *testing.T) {
	fs := vfs.NewFaulty(vfs.NewMem())
	fs.Inject(vfs.OpSync, syscall.EIO, 1)
	fs.Inject(vfs.OpRename, syscall.EIO, -1)
	f, err := fs.Create("/a")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); !errors.Is(err, syscall.EIO) {
		t.Errorf("first Sync: got %v, want EIO", err)
	}
	if err := f.Sync(); err != nil {
		t.Errorf("second Sync: %v, want the one-shot fault spent", err)
	}
	for i := 0; i < 3; i++ {
		if err := fs.Rename("/a", "/b"); !errors.Is(err, syscall.EIO) {
			t.Errorf("Rename %d: got %v, want EIO until Clear", i, err)
		}
	}
	fs.Clear()
	if err := fs.Rename("/a", "/b"); err != nil {
		t.Errorf("Rename after Clear: %v", err)
	}
	if got, want := fs.Calls(vfs.OpRename), 4; got != want {
		t.Errorf("Calls(OpRename) = %d, want %d", got, want)
	}
}

func TestFaultyShortWrite(t *testing.T) {
	m := vfs.NewMem()
	fs := vfs.NewFaulty(m)
	f, err := fs.Create("/a")
	if err != nil {
		t.Fatal(err)
	}
	fs.InjectShortWrite(vfs.OpWrite, syscall.ENOSPC, 1, 3)
	n, err := f.Write([]byte("abcdef"))
	if !errors.Is(err, syscall.ENOSPC) || n != 3 {
		t.Errorf("Write = %d, %v; want 3, ENOSPC", n, err)
	}
	if _, err := f.Write([]byte("!")); err != nil {
		t.Fatal(err)
	}
	if got, _ := readFile(t, m, "/a"); got != "abc!" {
		t.Errorf("content %q, want %q", got, "abc!")
	}
}
