package aof

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pelicanhq/pelican/internal/vfs"
)

// Policy is when the log fsyncs: Redis's appendfsync.
type Policy int32

// The fsync policies.
const (
	// Everysec fsyncs once a second in the background: a power loss
	// loses at most about a second of writes, a killed process nothing.
	Everysec Policy = iota
	// Always fsyncs before a write is acknowledged; concurrent writers
	// share fsyncs.
	Always
	// No leaves flushing to the operating system.
	No
)

// String returns the policy's configuration name.
func (p Policy) String() string {
	switch p {
	case Always:
		return "always"
	case No:
		return "no"
	}
	return "everysec"
}

// ParsePolicy parses an appendfsync value, in any case.
func ParsePolicy(s string) (Policy, bool) {
	switch lower(s) {
	case "always":
		return Always, true
	case "everysec":
		return Everysec, true
	case "no":
		return No, true
	}
	return 0, false
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Log appends to the incremental files of an append-only directory.
//
// Bytes are appended to a memory buffer (Append, cheap, called under the
// engine's lock) and written to the file by whichever goroutine asks for
// them first (Flush, Sync): a writer takes everything appended so far and
// writes it as one checksummed frame, so concurrent writers share writes
// and fsyncs (group commit). Offsets are logical: the count of bytes ever
// appended, across files.
//
// Lock order: mu may be taken while holding wmu; sc is taken alone.
type Log struct {
	fs     vfs.FS
	policy atomic.Int32

	mu struct {
		sync.Mutex
		buf       []byte     // appended, not yet taken by a writer
		end       int64      // offset after the last appended byte
		rotations []rotation // pending switches to new files
	}

	wmu     sync.Mutex // held while writing: guards f, path and torn
	f       vfs.File
	path    string
	size    atomic.Int64 // the file's size
	written atomic.Int64

	// torn says that bytes of a failed write may follow size in the
	// file (cutting them failed): the next write cuts them first.
	torn bool

	// fsyncing counts fsyncs in flight, which a rotation waits for
	// before closing the file they sync. Added to under wmu.
	fsyncing sync.WaitGroup

	// sc elects the leader of the next fsync: one caller at a time
	// fsyncs, the others wait for done to close and then return if it
	// covered them.
	//
	// Before it fsyncs, a leader gathers: it lets the scheduler run
	// every connection whose request has arrived (schedPass), again while
	// that brings new callers, until as many have joined as took part in
	// the previous round (those its fsync covered and those that arrived
	// while it ran) or gatherLimit has passed. Writers then share one
	// fsync per round as they share one per turn of Redis's event loop,
	// instead of splitting into cohorts that alternate: without it, the
	// first writer back leads at once with only those ahead of it.
	sc struct {
		sync.Mutex
		leading bool
		done    chan struct{} // closed when the led fsync ends
		joined  int           // callers since the led fsync took its data
		covered int           // callers whose data the led fsync took
		expect  int           // callers in the previous round
	}
	pass    *schedPass // the leader's; nil until first needed
	passErr error      // why pass could not be made; then no gathering
	synced  atomic.Int64

	// err is the last write or fsync error, nil once a write succeeds
	// again. While set, the owner refuses writes (MISCONF).
	err     atomic.Pointer[error]
	pending []byte // taken from buf but not yet written, kept for retry
	frame   []byte // scratch for the frame being written

	// fsyncFailed is set by a failed fsync. After one, the kernel may
	// have dropped written data that a later fsync does not report, so
	// the owner rewrites the files from memory (FsyncFailed).
	fsyncFailed atomic.Bool

	stop chan struct{}
	done chan struct{}

	stats struct {
		writes, fsyncs, delayedFsyncs atomic.Int64
	}
}

type rotation struct {
	at   int64
	path string
}

// OpenLog opens path (creating it) to append at its end, with the given
// policy, and starts the background work (the everysec fsync, retries
// after errors).
func OpenLog(fs vfs.FS, path string, p Policy) (*Log, error) {
	f, err := fs.OpenAppend(path)
	if err != nil {
		return nil, fmt.Errorf("aof: open %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("aof: stat %s: %w", path, err)
	}
	l := &Log{fs: fs, f: f, path: path}
	l.size.Store(st.Size())
	l.policy.Store(int32(p))
	l.stop = make(chan struct{})
	l.done = make(chan struct{})
	go l.background()
	return l, nil
}

// SetPolicy changes the fsync policy (CONFIG SET appendfsync).
func (l *Log) SetPolicy(p Policy) { l.policy.Store(int32(p)) }

// Policy returns the fsync policy.
func (l *Log) Policy() Policy { return Policy(l.policy.Load()) }

// Append adds p to the log and returns the offset after it. It copies p
// and does no I/O.
func (l *Log) Append(p []byte) int64 {
	l.mu.Lock()
	l.mu.buf = append(l.mu.buf, p...)
	l.mu.end += int64(len(p))
	end := l.mu.end
	l.mu.Unlock()
	return end
}

// End returns the offset after the last appended byte.
func (l *Log) End() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.end
}

// Rotate makes the bytes appended from now on go to a new file, path,
// which the caller has created (and named in its manifest). Like Append
// it does no I/O: the writer switches files when it reaches this offset.
func (l *Log) Rotate(path string) {
	l.mu.Lock()
	l.mu.rotations = append(l.mu.rotations, rotation{at: l.mu.end, path: path})
	l.mu.Unlock()
}

// Written returns the offset up to which bytes are in the file (in the
// operating system's hands).
func (l *Log) Written() int64 { return l.written.Load() }

// Synced returns the offset up to which bytes are fsynced.
func (l *Log) Synced() int64 { return l.synced.Load() }

// Err returns the error that stops the log from writing, or nil.
func (l *Log) Err() error {
	if p := l.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Flush writes everything appended up to end, unless another writer
// already did.
func (l *Log) Flush(end int64) error {
	if l.written.Load() >= end {
		return nil
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.written.Load() >= end {
		return nil
	}
	return l.writeLocked()
}

// gatherLimit bounds how long a leader gathers.
const gatherLimit = time.Millisecond

// Sync writes and fsyncs everything appended up to end, sharing the fsync
// with concurrent callers.
func (l *Log) Sync(end int64) error {
	return l.sync(end, true)
}

// sync is Sync; gather says whether a leader waits for the previous
// round's writers (not when closing: nobody follows).
func (l *Log) sync(end int64, gather bool) error {
	if l.synced.Load() >= end {
		return nil
	}
	l.join()
	// Wait for the fsync in flight, if any: it may cover end.
	if !l.lead(end) {
		return nil
	}
	defer l.release()
	if gather {
		l.gather()
	}
	// This caller leads the next fsync: everything appended so far is
	// written and fsynced at once, and the callers waiting for it find
	// their bytes covered.
	l.sc.Lock()
	l.sc.covered, l.sc.joined = l.sc.joined, 0
	l.sc.Unlock()
	if err := l.Flush(l.End()); err != nil {
		return err
	}
	return l.fsync()
}

// join counts a caller that needs an fsync.
func (l *Log) join() {
	l.sc.Lock()
	l.sc.joined++
	l.sc.Unlock()
}

func (l *Log) joinedCount() int {
	l.sc.Lock()
	defer l.sc.Unlock()
	return l.sc.joined
}

// gather runs, as the leader, scheduler passes until one brings no new
// caller, as many have joined as took part in the previous round, or
// gatherLimit has passed.
func (l *Log) gather() {
	l.sc.Lock()
	expect := l.sc.expect
	l.sc.Unlock()
	if expect <= 1 {
		return // a lone writer: nobody to wait for
	}
	if l.pass == nil && l.passErr == nil {
		l.pass, l.passErr = newSchedPass()
	}
	if l.passErr != nil {
		return
	}
	start := time.Now()
	n := l.joinedCount()
	for n < expect && time.Since(start) < gatherLimit {
		if l.pass.wait() != nil {
			return
		}
		m := l.joinedCount()
		if m == n {
			return // the pass brought nobody: nobody is coming
		}
		n = m
	}
}

// lead waits until no fsync is led and makes the caller its leader,
// unless synced reaches end meanwhile (then it returns false). An end of
// -1 always leads.
func (l *Log) lead(end int64) bool {
	for {
		l.sc.Lock()
		if end >= 0 && l.synced.Load() >= end {
			l.sc.Unlock()
			return false
		}
		if !l.sc.leading {
			l.sc.leading = true
			l.sc.done = make(chan struct{})
			l.sc.Unlock()
			return true
		}
		done := l.sc.done
		l.sc.Unlock()
		<-done
	}
}

// tryLead makes the caller the leader of an fsync if none is led.
func (l *Log) tryLead() bool {
	l.sc.Lock()
	defer l.sc.Unlock()
	if l.sc.leading {
		return false
	}
	l.sc.leading = true
	l.sc.done = make(chan struct{})
	return true
}

// release ends the caller's leadership and wakes the waiters.
func (l *Log) release() {
	l.sc.Lock()
	l.sc.expect, l.sc.covered = l.sc.covered+l.sc.joined, 0
	l.sc.leading = false
	close(l.sc.done)
	l.sc.Unlock()
}

// Durable waits until end is as safe as the policy promises before a
// reply: fsynced under always, written to the file otherwise.
func (l *Log) Durable(end int64) error {
	if l.Policy() == Always {
		return l.Sync(end)
	}
	return l.Flush(end)
}

// fsync fsyncs the current file and records what it covers. The caller
// leads (lead, tryLead).
func (l *Log) fsync() error {
	l.wmu.Lock()
	f, path, covered := l.f, l.path, l.written.Load()
	l.fsyncing.Add(1)
	l.wmu.Unlock()
	err := f.Sync()
	l.fsyncing.Done()
	if err != nil {
		l.fsyncFailed.Store(true)
		err = fmt.Errorf("aof: fsync %s: %w", path, err)
		l.setErr(err)
		return err
	}
	l.stats.fsyncs.Add(1)
	advance(&l.synced, covered)
	return nil
}

// writeLocked writes what is appended, switching files at rotations.
// wmu is held.
func (l *Log) writeLocked() error {
	for {
		if len(l.pending) == 0 {
			l.takeLocked()
		}
		if len(l.pending) == 0 {
			if err := l.rotateIfDueLocked(); err != nil {
				return err
			}
			return nil
		}
		if err := l.rotateIfDueLocked(); err != nil {
			return err
		}
		if err := l.writeFrameLocked(); err != nil {
			return err
		}
	}
}

// takeLocked moves the appended bytes, up to the next rotation, into
// pending.
func (l *Log) takeLocked() {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.mu.buf)
	if len(l.mu.rotations) > 0 {
		// Bytes before the rotation belong to the current file.
		before := int(l.mu.rotations[0].at - (l.mu.end - int64(len(l.mu.buf))))
		n = max(min(n, before), 0)
	}
	if n == 0 {
		return
	}
	l.pending = append(l.pending[:0], l.mu.buf[:n]...)
	rest := copy(l.mu.buf, l.mu.buf[n:])
	l.mu.buf = l.mu.buf[:rest]
	if cap(l.mu.buf) > 4<<20 && rest < 1<<20 {
		l.mu.buf = append([]byte(nil), l.mu.buf...)
	}
}

// rotateIfDueLocked switches to the next file when everything before the
// rotation point is written.
func (l *Log) rotateIfDueLocked() error {
	l.mu.Lock()
	if len(l.mu.rotations) == 0 || l.mu.rotations[0].at > l.written.Load() {
		l.mu.Unlock()
		return nil
	}
	r := l.mu.rotations[0]
	l.mu.Unlock()
	// The old file is complete: make it durable before the manifest
	// stops listing it as the one being written.
	if err := l.f.Sync(); err != nil {
		err = fmt.Errorf("aof: fsync %s: %w", l.path, err)
		l.setErr(err)
		return err
	}
	// The owner created the file and named it in its manifest before
	// asking for the rotation (a crash must never leave a manifest naming
	// a file that does not exist).
	f, err := l.fs.OpenAppend(r.path)
	if err != nil {
		err = fmt.Errorf("aof: open %s: %w", r.path, err)
		l.setErr(err)
		return err
	}
	old := l.f
	l.f, l.path = f, r.path
	l.size.Store(0)
	advance(&l.synced, l.written.Load())
	l.fsyncing.Wait() // no new fsync can start: they start under wmu
	old.Close()
	l.mu.Lock()
	l.mu.rotations = l.mu.rotations[1:]
	l.mu.Unlock()
	return nil
}

// writeFrameLocked writes pending as one frame. After a short or failed
// write the file is cut back to its previous size and pending is kept,
// so that a retry writes the frame whole.
func (l *Log) writeFrameLocked() error {
	if l.torn {
		if err := l.f.Truncate(l.size.Load()); err != nil {
			err = fmt.Errorf("aof: cutting a partial write from %s: %w", l.path, err)
			l.setErr(err)
			return err
		}
		l.torn = false
	}
	p := l.pending
	frame := AppendFrame(l.frame[:0], p)
	l.frame = frame
	n, err := l.f.Write(frame)
	if err == nil && n < len(frame) {
		err = errors.New("short write")
	}
	if err != nil {
		err = fmt.Errorf("aof: write %s: %w", l.path, err)
		if n > 0 {
			if terr := l.f.Truncate(l.size.Load()); terr != nil {
				// The torn frame stays until a retry can cut it; a
				// restart drops it as a torn tail at worst.
				l.torn = true
				err = fmt.Errorf("%w (and cutting the partial write failed: %v)", err, terr)
			}
		}
		l.setErr(err)
		return err
	}
	l.size.Add(int64(n))
	l.stats.writes.Add(1)
	l.written.Add(int64(len(p)))
	l.pending = l.pending[:0]
	if cap(l.pending) > 4<<20 {
		l.pending, l.frame = nil, nil
	}
	if l.err.Load() != nil {
		l.err.Store(nil)
	}
	return nil
}

func (l *Log) setErr(err error) { l.err.Store(&err) }

// advance raises a to v if v is larger.
func advance(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// background fsyncs once a second under everysec and retries writing
// after an error, so that writes resume once the disk has room.
func (l *Log) background() {
	defer close(l.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		end := l.End()
		if l.Err() != nil || l.written.Load() < end {
			_ = l.Flush(end)
		}
		if p := l.err.Load(); p != nil && l.written.Load() >= end {
			// Nothing is left to write, so the error came from an
			// fsync: retry it, and clear the error unless another took
			// its place meanwhile.
			l.lead(-1)
			if l.fsync() == nil {
				l.err.CompareAndSwap(p, nil)
			}
			l.release()
		}
		if l.Policy() == Everysec && l.synced.Load() < l.written.Load() {
			if l.tryLead() {
				_ = l.fsync()
				l.release()
			} else {
				l.stats.delayedFsyncs.Add(1)
			}
		}
	}
}

// FsyncFailed reports, once, that an fsync failed since it was last
// asked and the log has since recovered: the files may lack data a later
// fsync did not report lost, and should be rewritten from memory.
func (l *Log) FsyncFailed() bool {
	if l.Err() != nil {
		return false // not recovered yet
	}
	return l.fsyncFailed.Swap(false)
}

// Close writes and fsyncs everything appended, stops the background work
// and closes the file.
func (l *Log) Close() error {
	err := l.sync(l.End(), false)
	close(l.stop)
	<-l.done
	l.lead(-1) // the pass belongs to leaders
	if l.pass != nil {
		l.pass.close()
		l.pass = nil
	}
	l.release()
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if cerr := l.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("aof: close %s: %w", l.path, cerr)
	}
	return err
}

// Stats are counters for INFO persistence.
type Stats struct {
	Writes, Fsyncs, DelayedFsyncs int64
	// Size is the current file's size in bytes.
	Size int64
	// Buffered is the number of bytes appended and not yet written.
	Buffered int64
}

// Stats returns the log's counters. It does not wait for a write or an
// fsync in progress.
func (l *Log) Stats() Stats {
	return Stats{
		Writes:        l.stats.writes.Load(),
		Fsyncs:        l.stats.fsyncs.Load(),
		DelayedFsyncs: l.stats.delayedFsyncs.Load(),
		Size:          l.size.Load(),
		Buffered:      l.bufferedLen(),
	}
}

func (l *Log) bufferedLen() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.mu.buf))
}

// Settle writes what is appended and switches files at any rotation that
// is due, even when nothing was appended after it.
func (l *Log) Settle() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	return l.writeLocked()
}
