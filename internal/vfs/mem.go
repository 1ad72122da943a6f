package vfs

// Mem's crash model, which is what tests of the durability code rely on:
//
//   - A file's content is durable up to its last Sync. Data written (or a
//     truncation made) since then is "unsynced".
//   - Directory entries (a file's creation, a rename, a removal) are durable
//     only after SyncDir of the directory that holds them. A rename not
//     followed by SyncDir of both directories may be undone by a crash; a
//     file created and synced but whose directory was not synced vanishes.
//   - Directories made by MkdirAll are durable at once (Pelican makes its
//     directory once, before anything that needs care).
//   - Crash returns the state after a power loss. Each directory's entries
//     are those of its last SyncDir (or of its creation, empty, if it was
//     never synced). Each file keeps its synced content, then: if only
//     appends followed the last Sync, a random prefix of the appended data
//     (none, some or all of it), which with probability 1/4 is zero bytes
//     instead of the data written, as a filesystem that extended the size
//     but never wrote the blocks leaves it; if the file was truncated or
//     overwritten since, either its synced content or the current content
//     cut at a random length at or beyond where the two first differ.
//   - Entries keep pointing at their file ("inode"), so a file reachable
//     by two names after a crash (renamed, both directories synced at
//     different times) is one file, as a hard link would be.
//
// SetCrashAfter makes the mutating calls after the n-th fail with
// ErrCrashed, so a test can stop a writer at every step in turn and then
// look at Crash's result.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// ErrCrashed is returned by every mutating call of a Mem once the number
// of mutating calls set by SetCrashAfter has been made.
var ErrCrashed = errors.New("vfs: simulated crash")

// Mem is an in-memory FS that can simulate a power loss; see Crash. It is
// safe for concurrent use.
type Mem struct {
	mu struct {
		sync.Mutex
		// dirs holds every directory; a directory's current entries map a
		// base name to its file.
		dirs map[string]*memDir
		// ops counts mutating calls made.
		ops int
		// crashAt, if not negative, is the number of mutating calls that
		// succeed; later ones fail with ErrCrashed.
		crashAt int
		// locks holds the names locked and not yet released.
		locks map[string]bool
	}
}

// memDir is a directory: its current entries and those as of its last
// SyncDir.
type memDir struct {
	entries map[string]*inode
	durable map[string]*inode
}

// inode is a file's content: data is what reads see now; synced is the
// content as of the last Sync.
type inode struct {
	data   []byte
	synced []byte
}

// NewMem returns an empty in-memory filesystem with one directory, the
// root "/" (and "." for relative names).
func NewMem() *Mem {
	m := &Mem{}
	m.mu.dirs = map[string]*memDir{}
	m.mu.crashAt = -1
	m.mu.locks = map[string]bool{}
	m.mu.dirs["/"] = newMemDir()
	m.mu.dirs["."] = newMemDir()
	return m
}

func newMemDir() *memDir {
	return &memDir{entries: map[string]*inode{}, durable: map[string]*inode{}}
}

// SetCrashAfter lets n more mutating calls (Create, OpenAppend of a new
// file, Write, Sync, Truncate, Remove, Rename, MkdirAll, SyncDir) succeed;
// the ones after fail with ErrCrashed and change nothing. A negative n
// removes the limit.
func (m *Mem) SetCrashAfter(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n < 0 {
		m.mu.crashAt = -1
		return
	}
	m.mu.crashAt = m.mu.ops + n
}

// Ops returns the number of mutating calls made so far, counting those
// that failed with ErrCrashed.
func (m *Mem) Ops() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mu.ops
}

// mutateLocked counts one mutating call and reports ErrCrashed if it is
// past the crash point.
func (m *Mem) mutateLocked() error {
	m.mu.ops++
	if m.mu.crashAt >= 0 && m.mu.ops > m.mu.crashAt {
		return ErrCrashed
	}
	return nil
}

// Crash returns a new filesystem holding what a power loss at this moment
// could have left on disk, choosing among the possible outcomes with rng.
// The receiver is unchanged and files open on it stay open on it.
func (m *Mem) Crash(rng *rand.Rand) *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := NewMem()
	crashed := map[*inode]*inode{}
	dirNames := make([]string, 0, len(m.mu.dirs))
	for name := range m.mu.dirs {
		dirNames = append(dirNames, name)
	}
	sort.Strings(dirNames) // rng draws in a fixed order, so a seed replays
	for _, name := range dirNames {
		d := m.mu.dirs[name]
		nd := newMemDir()
		names := make([]string, 0, len(d.durable))
		for n := range d.durable {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			in := d.durable[n]
			c, ok := crashed[in]
			if !ok {
				c = in.crash(rng)
				crashed[in] = c
			}
			nd.entries[n] = c
			nd.durable[n] = c
		}
		out.mu.dirs[name] = nd
	}
	return out
}

// crash returns the content a power loss may leave of the file.
func (in *inode) crash(rng *rand.Rand) *inode {
	s, d := in.synced, in.data
	var kept []byte
	switch {
	case bytes.HasPrefix(d, s):
		tail := d[len(s):]
		n := 0
		if len(tail) > 0 {
			n = rng.IntN(len(tail) + 1)
		}
		kept = append(bytes.Clone(s), tail[:n]...)
		if n > 0 && rng.IntN(4) == 0 {
			clear(kept[len(s):])
		}
	case rng.IntN(2) == 0:
		kept = bytes.Clone(s)
	default:
		p := 0
		for p < len(s) && p < len(d) && s[p] == d[p] {
			p++
		}
		kept = bytes.Clone(d[:p+rng.IntN(len(d)-p+1)])
	}
	return &inode{data: kept, synced: bytes.Clone(kept)}
}

// split cleans name and returns its directory and base name.
func split(name string) (dir, base string) {
	name = filepath.Clean(name)
	return filepath.Dir(name), filepath.Base(name)
}

// dirLocked returns the directory holding name and its base name, or an
// error if the directory is missing.
func (m *Mem) dirLocked(op, name string) (*memDir, string, error) {
	dir, base := split(name)
	d, ok := m.mu.dirs[dir]
	if !ok {
		return nil, "", &os.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return d, base, nil
}

// Create implements FS.
func (m *Mem) Create(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.dirLocked("create", name)
	if err != nil {
		return nil, err
	}
	if err := m.mutateLocked(); err != nil {
		return nil, &os.PathError{Op: "create", Path: name, Err: err}
	}
	in, ok := d.entries[base]
	if ok {
		in.data = in.data[:0:0]
	} else {
		in = &inode{}
		d.entries[base] = in
	}
	return &memFile{m: m, in: in, name: name}, nil
}

// OpenAppend implements FS.
func (m *Mem) OpenAppend(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.dirLocked("open", name)
	if err != nil {
		return nil, err
	}
	in, ok := d.entries[base]
	if !ok {
		if err := m.mutateLocked(); err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		in = &inode{}
		d.entries[base] = in
	}
	return &memFile{m: m, in: in, name: name, appending: true}, nil
}

// Open implements FS.
func (m *Mem) Open(name string) (File, error) {
	return m.open("open", name, true)
}

// OpenReadWrite implements FS.
func (m *Mem) OpenReadWrite(name string) (File, error) {
	return m.open("open", name, false)
}

func (m *Mem) open(op, name string, readOnly bool) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.dirLocked(op, name)
	if err != nil {
		return nil, err
	}
	in, ok := d.entries[base]
	if !ok {
		return nil, &os.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{m: m, in: in, name: name, readOnly: readOnly}, nil
}

// Remove implements FS.
func (m *Mem) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, base, err := m.dirLocked("remove", name)
	if err != nil {
		return err
	}
	if _, ok := d.entries[base]; !ok {
		return &os.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	if err := m.mutateLocked(); err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: err}
	}
	delete(d.entries, base)
	return nil
}

// Rename implements FS.
func (m *Mem) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	od, obase, err := m.dirLocked("rename", oldname)
	if err != nil {
		return err
	}
	nd, nbase, err := m.dirLocked("rename", newname)
	if err != nil {
		return err
	}
	in, ok := od.entries[obase]
	if !ok {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrNotExist}
	}
	if err := m.mutateLocked(); err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	delete(od.entries, obase)
	nd.entries[nbase] = in
	return nil
}

// MkdirAll implements FS.
func (m *Mem) MkdirAll(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.mutateLocked(); err != nil {
		return &os.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, ok := m.mu.dirs[d]; !ok {
			m.mu.dirs[d] = newMemDir()
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// List implements FS: the files and subdirectories of dir, sorted.
func (m *Mem) List(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir = filepath.Clean(dir)
	d, ok := m.mu.dirs[dir]
	if !ok {
		return nil, &os.PathError{Op: "open", Path: dir, Err: fs.ErrNotExist}
	}
	var names []string
	for n := range d.entries {
		names = append(names, n)
	}
	for sub := range m.mu.dirs {
		if sub != dir && filepath.Dir(sub) == dir {
			names = append(names, filepath.Base(sub))
		}
	}
	sort.Strings(names)
	return names, nil
}

// Stat implements FS.
func (m *Mem) Stat(name string) (os.FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.mu.dirs[filepath.Clean(name)]; ok {
		return memInfo{name: filepath.Base(name), dir: true}, nil
	}
	d, base, err := m.dirLocked("stat", name)
	if err != nil {
		return nil, err
	}
	in, ok := d.entries[base]
	if !ok {
		return nil, &os.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return memInfo{name: base, size: int64(len(in.data))}, nil
}

// SyncDir implements FS: the directory's current entries become durable.
func (m *Mem) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.mu.dirs[filepath.Clean(dir)]
	if !ok {
		return &os.PathError{Op: "sync", Path: dir, Err: fs.ErrNotExist}
	}
	if err := m.mutateLocked(); err != nil {
		return &os.PathError{Op: "sync", Path: dir, Err: err}
	}
	d.durable = make(map[string]*inode, len(d.entries))
	for n, in := range d.entries {
		d.durable[n] = in
	}
	return nil
}

// Lock implements FS. The lock file is created (a mutating call) if it
// does not exist; a second Lock of the same name fails until the first
// is closed.
func (m *Mem) Lock(name string) (io.Closer, error) {
	f, err := m.OpenAppend(name)
	if err != nil {
		return nil, fmt.Errorf("vfs: lock: %w", err)
	}
	f.Close()
	name = filepath.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mu.locks[name] {
		return nil, fmt.Errorf("vfs: lock %s: %w", name, ErrLocked)
	}
	m.mu.locks[name] = true
	return &memLock{m: m, name: name}, nil
}

type memLock struct {
	m    *Mem
	name string
	once sync.Once
}

func (l *memLock) Close() error {
	l.once.Do(func() {
		l.m.mu.Lock()
		delete(l.m.mu.locks, l.name)
		l.m.mu.Unlock()
	})
	return nil
}

// memFile is an open file of a Mem. Its offset is guarded by the Mem's
// lock like everything else.
type memFile struct {
	m         *Mem
	in        *inode
	name      string
	off       int64
	appending bool
	readOnly  bool
	closed    bool
}

func (f *memFile) Read(p []byte) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return 0, os.ErrClosed
	}
	if f.off >= int64(len(f.in.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.in.data[f.off:])
	f.off += int64(n)
	return n, nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return 0, os.ErrClosed
	}
	if off < 0 {
		return 0, &os.PathError{Op: "readat", Path: f.name, Err: fs.ErrInvalid}
	}
	if off >= int64(len(f.in.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.in.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return 0, os.ErrClosed
	}
	if f.readOnly {
		return 0, &os.PathError{Op: "write", Path: f.name, Err: fs.ErrPermission}
	}
	if err := f.m.mutateLocked(); err != nil {
		return 0, &os.PathError{Op: "write", Path: f.name, Err: err}
	}
	if f.appending {
		f.off = int64(len(f.in.data))
	}
	end := f.off + int64(len(p))
	if grow := end - int64(len(f.in.data)); grow > 0 {
		f.in.data = append(f.in.data, make([]byte, grow)...)
	}
	copy(f.in.data[f.off:], p)
	f.off = end
	return len(p), nil
}

func (f *memFile) Sync() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return os.ErrClosed
	}
	if err := f.m.mutateLocked(); err != nil {
		return &os.PathError{Op: "sync", Path: f.name, Err: err}
	}
	f.in.synced = bytes.Clone(f.in.data)
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return os.ErrClosed
	}
	if f.readOnly || size < 0 {
		return &os.PathError{Op: "truncate", Path: f.name, Err: fs.ErrInvalid}
	}
	if err := f.m.mutateLocked(); err != nil {
		return &os.PathError{Op: "truncate", Path: f.name, Err: err}
	}
	if size <= int64(len(f.in.data)) {
		// A copy, so the bytes cut are not revived by a later append
		// sharing the synced slice's array.
		f.in.data = bytes.Clone(f.in.data[:size])
	} else {
		f.in.data = append(f.in.data, make([]byte, size-int64(len(f.in.data)))...)
	}
	return nil
}

func (f *memFile) Stat() (os.FileInfo, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return nil, os.ErrClosed
	}
	return memInfo{name: filepath.Base(f.name), size: int64(len(f.in.data))}, nil
}

func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return os.ErrClosed
	}
	f.closed = true
	return nil
}

// memInfo is the os.FileInfo of a Mem file or directory.
type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }

func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
