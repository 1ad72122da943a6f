package vfs

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// Op names an FS or File operation for Faulty.Inject.
type Op int

// The operations a Faulty can fail.
const (
	OpCreate Op = iota
	OpOpenAppend
	OpOpen
	OpOpenReadWrite
	OpRemove
	OpRename
	OpMkdirAll
	OpList
	OpStat
	OpSyncDir
	OpLock
	OpRead
	OpWrite
	OpSync
	OpTruncate
	OpClose
	numOps
)

var opNames = [numOps]string{"create", "openappend", "open", "openreadwrite", "remove",
	"rename", "mkdirall", "list", "stat", "syncdir", "lock", "read", "write", "sync",
	"truncate", "close"}

// String returns the operation's lower-case name.
func (op Op) String() string {
	if op < 0 || op >= numOps {
		return fmt.Sprintf("op(%d)", int(op))
	}
	return opNames[op]
}

// Faulty wraps an FS and fails chosen operations with chosen errors, such
// as syscall.ENOSPC from Write or syscall.EIO from Sync. Errors are
// returned inside an *os.PathError, so errors.Is finds the injected one.
// It is safe for concurrent use.
type Faulty struct {
	fs FS
	mu struct {
		sync.Mutex
		faults [numOps]fault
		calls  [numOps]int
	}
}

// fault is what is injected into one operation.
type fault struct {
	err error
	// left is how many more calls fail; negative means all of them.
	left int
	// keep, for OpWrite, is how many bytes of a failing write are
	// written first (a short write).
	keep int
}

// NewFaulty returns fs with no faults injected yet.
func NewFaulty(fs FS) *Faulty { return &Faulty{fs: fs} }

// Inject makes the next n calls of op fail with err without doing
// anything; n < 0 makes every call fail until Clear. It replaces what was
// injected into op before.
func (f *Faulty) Inject(op Op, err error, n int) {
	f.InjectShortWrite(op, err, n, 0)
}

// InjectShortWrite is Inject for OpWrite that first writes up to keep
// bytes of each failing write, as a disk that fills up in the middle of
// a write does; the write reports how many it wrote. For other
// operations keep is ignored.
func (f *Faulty) InjectShortWrite(op Op, err error, n, keep int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mu.faults[op] = fault{err: err, left: n, keep: keep}
}

// Clear removes every injected fault.
func (f *Faulty) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mu.faults = [numOps]fault{}
}

// Calls returns how many calls of op were made, failed or not.
func (f *Faulty) Calls(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mu.calls[op]
}

// check counts a call of op and returns the fault to apply, if any.
func (f *Faulty) check(op Op) (fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mu.calls[op]++
	ft := &f.mu.faults[op]
	if ft.err == nil || ft.left == 0 {
		return fault{}, false
	}
	if ft.left > 0 {
		ft.left--
	}
	return *ft, true
}

func (f *Faulty) fail(op Op, name string) error {
	if ft, ok := f.check(op); ok {
		return &os.PathError{Op: op.String(), Path: name, Err: ft.err}
	}
	return nil
}

func (f *Faulty) wrap(file File, err error, name string) (File, error) {
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, f: f, name: name}, nil
}

// Create implements FS.
func (f *Faulty) Create(name string) (File, error) {
	if err := f.fail(OpCreate, name); err != nil {
		return nil, err
	}
	file, err := f.fs.Create(name)
	return f.wrap(file, err, name)
}

// OpenAppend implements FS.
func (f *Faulty) OpenAppend(name string) (File, error) {
	if err := f.fail(OpOpenAppend, name); err != nil {
		return nil, err
	}
	file, err := f.fs.OpenAppend(name)
	return f.wrap(file, err, name)
}

// Open implements FS.
func (f *Faulty) Open(name string) (File, error) {
	if err := f.fail(OpOpen, name); err != nil {
		return nil, err
	}
	file, err := f.fs.Open(name)
	return f.wrap(file, err, name)
}

// OpenReadWrite implements FS.
func (f *Faulty) OpenReadWrite(name string) (File, error) {
	if err := f.fail(OpOpenReadWrite, name); err != nil {
		return nil, err
	}
	file, err := f.fs.OpenReadWrite(name)
	return f.wrap(file, err, name)
}

// Remove implements FS.
func (f *Faulty) Remove(name string) error {
	if err := f.fail(OpRemove, name); err != nil {
		return err
	}
	return f.fs.Remove(name)
}

// Rename implements FS.
func (f *Faulty) Rename(oldname, newname string) error {
	if err := f.fail(OpRename, oldname); err != nil {
		return err
	}
	return f.fs.Rename(oldname, newname)
}

// MkdirAll implements FS.
func (f *Faulty) MkdirAll(dir string) error {
	if err := f.fail(OpMkdirAll, dir); err != nil {
		return err
	}
	return f.fs.MkdirAll(dir)
}

// List implements FS.
func (f *Faulty) List(dir string) ([]string, error) {
	if err := f.fail(OpList, dir); err != nil {
		return nil, err
	}
	return f.fs.List(dir)
}

// Stat implements FS.
func (f *Faulty) Stat(name string) (os.FileInfo, error) {
	if err := f.fail(OpStat, name); err != nil {
		return nil, err
	}
	return f.fs.Stat(name)
}

// SyncDir implements FS.
func (f *Faulty) SyncDir(dir string) error {
	if err := f.fail(OpSyncDir, dir); err != nil {
		return err
	}
	return f.fs.SyncDir(dir)
}

// Lock implements FS.
func (f *Faulty) Lock(name string) (io.Closer, error) {
	if err := f.fail(OpLock, name); err != nil {
		return nil, err
	}
	return f.fs.Lock(name)
}

// faultyFile is a File of a Faulty.
type faultyFile struct {
	File
	f    *Faulty
	name string
}

func (ff *faultyFile) Read(p []byte) (int, error) {
	if err := ff.f.fail(OpRead, ff.name); err != nil {
		return 0, err
	}
	return ff.File.Read(p)
}

func (ff *faultyFile) ReadAt(p []byte, off int64) (int, error) {
	if err := ff.f.fail(OpRead, ff.name); err != nil {
		return 0, err
	}
	return ff.File.ReadAt(p, off)
}

func (ff *faultyFile) Write(p []byte) (int, error) {
	ft, ok := ff.f.check(OpWrite)
	if !ok {
		return ff.File.Write(p)
	}
	n := 0
	if keep := min(ft.keep, len(p)); keep > 0 {
		var err error
		if n, err = ff.File.Write(p[:keep]); err != nil {
			return n, err
		}
	}
	return n, &os.PathError{Op: OpWrite.String(), Path: ff.name, Err: ft.err}
}

func (ff *faultyFile) Sync() error {
	if err := ff.f.fail(OpSync, ff.name); err != nil {
		return err
	}
	return ff.File.Sync()
}

func (ff *faultyFile) Truncate(size int64) error {
	if err := ff.f.fail(OpTruncate, ff.name); err != nil {
		return err
	}
	return ff.File.Truncate(size)
}

func (ff *faultyFile) Close() error {
	if err := ff.f.fail(OpClose, ff.name); err != nil {
		ff.File.Close() // the descriptor is gone either way, as with close(2)
		return err
	}
	return ff.File.Close()
}
