package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/pelicanhq/pelican/internal/aof"
)

// Rewriting the append-only files (BGREWRITEAOF, and automatically when
// they grow): as Redis 7 does, the log switches to a new incremental file
// and a new base is written holding the data as it was at that switch;
// once the base is durable, a new manifest names it and the incremental
// files from the switch on, and the files it replaced are deleted.
//
// Go has no fork: the base is written from a snapshot taken under the
// engine lock at the switch, which shares the streams' nodes with the live
// data (they are copied on write) so that taking it stops writers only
// briefly; the base is written outside the lock.

// rewriteState is the state of rewrites, guarded by the engine lock
// except where noted.
type rewriteState struct {
	running   bool
	scheduled bool // BGREWRITEAOF asked while a save ran
	started   time.Time
	// Of the last finished rewrite.
	lastOK       bool
	lastDuration time.Duration
	lastStall    time.Duration // how long the snapshot held the lock
	count        int64
	failures     int64 // consecutive
	// baseSize is the size of the files right after the last rewrite (or
	// at open), which automatic rewrites measure growth against.
	baseSize int64
	// closedSize is the size of the files other than the one being
	// written; updated outside the engine lock.
	closedSize atomic.Int64
}

// errRewriteRunning is BGREWRITEAOF's reply while a rewrite runs.
const errRewriteRunning = "ERR Background append only file rewriting already in progress"

// startRewriteLocked starts a rewrite in the background: it creates the
// new incremental file and names it in the manifest, then, under the
// engine lock, switches the log to it and takes a snapshot, and writes
// the new base from the snapshot. done, if not nil, is called with the
// outcome. A rewrite that fails leaves the log writing where it was.
func (e *Engine) startRewriteLocked(done func(error)) error {
	d := e.disk
	if d == nil || d.log == nil {
		return fmt.Errorf("engine: no append-only file to rewrite")
	}
	if d.rw.running {
		return fmt.Errorf("engine: a rewrite is already running")
	}
	begin := time.Now()
	d.rw.running, d.rw.scheduled, d.rw.started = true, false, begin
	d.bg.Add(1)
	go func() {
		defer d.bg.Done()
		stall, err := e.rewrite(d)
		e.mu.Lock()
		d.rw.running = false
		d.rw.lastOK = err == nil
		d.rw.lastDuration = time.Since(begin)
		if err == nil {
			d.rw.count++
			d.rw.failures = 0
			d.rw.lastStall = stall
			d.rw.baseSize = d.rw.closedSize.Load() + d.log.Stats().Size
		} else {
			d.rw.failures++
		}
		e.mu.Unlock()
		if err == nil {
			e.logger().Info("pelican: append-only files rewritten", "dir", d.aofDir,
				"seconds", fmt.Sprintf("%.3f", time.Since(begin).Seconds()),
				"stall_ms", fmt.Sprintf("%.3f", float64(stall.Microseconds())/1000))
		} else {
			e.logger().Error("pelican: rewriting the append-only files failed; writing goes on in the current files", "err", err)
		}
		if done != nil {
			done(err)
		}
	}()
	return nil
}

// rewrite runs a rewrite and returns how long it held the engine lock.
func (e *Engine) rewrite(d *disk) (time.Duration, error) {
	next, err := d.newIncr()
	if err != nil {
		return 0, err
	}
	e.lockBetweenScripts()
	begin := time.Now()
	d.log.Rotate(filepath.Join(d.aofDir, next.Name))
	e.resetJournalLocked()
	snap := e.snapshotLocked()
	stall := time.Since(begin)
	e.mu.Unlock()
	return stall, e.finishRewrite(d, snap, next)
}

// newIncr creates the next incremental file, empty, and names it in the
// manifest, before the log switches to it: if the disk refuses, the
// rewrite fails and nothing else changes (the log goes on writing its
// current file), and a crash leaves a manifest naming files that exist.
func (d *disk) newIncr() (aof.FileInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.manifest.Clone()
	next := m.NextIncr(d.cfg.AppendFilename)
	path := filepath.Join(d.aofDir, next.Name)
	f, err := d.fs.Create(path)
	if err == nil {
		err = f.Close()
	}
	if err == nil {
		err = aof.WriteManifest(d.fs, d.aofDir, aof.ManifestName(d.cfg.AppendFilename), m)
	}
	if err != nil {
		d.fs.Remove(path)
		return next, fmt.Errorf("engine: starting a new incremental file: %w", err)
	}
	d.manifest = m
	return next, nil
}

// finishRewrite writes the base from snap, makes the manifest name it and
// the incremental files from next on, and deletes the files it replaced.
// It runs without the engine lock.
func (e *Engine) finishRewrite(d *disk, snap *snapshot, next aof.FileInfo) error {
	tmp := filepath.Join(d.aofDir, fmt.Sprintf("temp-rewriteaof-bg-%d.aof", os.Getpid()))
	if err := writeBase(d, tmp, snap); err != nil {
		return err
	}
	// The log must have switched to next before the manifest drops the
	// files before it.
	if err := d.log.Settle(); err != nil {
		d.fs.Remove(tmp)
		return err
	}
	d.mu.Lock()
	m := d.manifest.Clone()
	base := m.NewBase(d.cfg.AppendFilename, aof.BaseRDB)
	keep := 0
	for i, fi := range m.Incr {
		if fi.Seq >= next.Seq {
			keep = len(m.Incr) - i
			break
		}
	}
	m.RetireIncr(keep)
	err := d.fs.Rename(tmp, filepath.Join(d.aofDir, base.Name))
	if err == nil {
		err = aof.WriteManifest(d.fs, d.aofDir, aof.ManifestName(d.cfg.AppendFilename), m)
	}
	if err != nil {
		d.mu.Unlock()
		d.fs.Remove(tmp)
		return fmt.Errorf("engine: installing the new base: %w", err)
	}
	history := m.History
	m.History = nil
	d.manifest = m
	d.mu.Unlock()
	// The replaced files go; the manifest stops listing them once they
	// are gone, as Redis does.
	for _, fi := range history {
		if err := d.fs.Remove(filepath.Join(d.aofDir, fi.Name)); err != nil && !os.IsNotExist(err) {
			e.logger().Warn("pelican: could not delete a replaced append-only file", "file", fi.Name, "err", err)
		}
	}
	d.mu.Lock()
	err = aof.WriteManifest(d.fs, d.aofDir, aof.ManifestName(d.cfg.AppendFilename), d.manifest)
	d.mu.Unlock()
	d.updateClosedSize()
	return err
}

// writeBase writes snap as an RDB base file at path and fsyncs it.
func writeBase(d *disk, path string, snap *snapshot) error {
	f, err := d.fs.Create(path)
	if err != nil {
		return fmt.Errorf("engine: creating %s: %w", path, err)
	}
	err = snap.writeRDB(f, true)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		d.fs.Remove(path)
		return fmt.Errorf("engine: writing %s: %w", path, err)
	}
	return nil
}

// updateClosedSize records the size of the files other than the one the
// log writes. It stats files: call it without the engine lock.
func (d *disk) updateClosedSize() {
	d.mu.Lock()
	var names []string
	if d.manifest.Base != nil {
		names = append(names, d.manifest.Base.Name)
	}
	for i, fi := range d.manifest.Incr {
		if i < len(d.manifest.Incr)-1 {
			names = append(names, fi.Name)
		}
	}
	d.mu.Unlock()
	var total int64
	for _, n := range names {
		if st, err := d.fs.Stat(filepath.Join(d.aofDir, n)); err == nil {
			total += st.Size()
		}
	}
	d.rw.closedSize.Store(total)
}

// aofSize is INFO's aof_current_size: the size of all the files.
func (d *disk) aofSize() int64 {
	return d.rw.closedSize.Load() + d.log.Stats().Size
}

// maybeAutoRewriteLocked starts a rewrite when the files have grown past
// auto-aof-rewrite-min-size and by auto-aof-rewrite-percentage since the
// last one, as Redis's serverCron does.
func (e *Engine) maybeAutoRewriteLocked() {
	d := e.disk
	if d == nil || d.log == nil || d.rw.running {
		return
	}
	if d.log.FsyncFailed() {
		// After a failed fsync the kernel may have dropped written pages
		// without a later fsync saying so: write the data again, whole.
		e.logger().Warn("pelican: rewriting the append-only files from memory after an fsync failure")
		d.rw.scheduled = true
	}
	if d.rw.scheduled {
		_ = e.startRewriteLocked(nil)
		return
	}
	if e.settings.autoRewritePercentage == 0 {
		return
	}
	size := d.aofSize()
	if size < e.settings.autoRewriteMinSize {
		return
	}
	base := max(d.rw.baseSize, 1)
	growth := (size*100)/base - 100
	if growth >= e.settings.autoRewritePercentage {
		e.logger().Info("pelican: starting an automatic rewrite of the append-only files",
			"size", size, "growth_percent", growth)
		_ = e.startRewriteLocked(nil)
	}
}

// bgrewriteaofCommand is BGREWRITEAOF.
func bgrewriteaofCommand(c *Client, args [][]byte) {
	e := c.e
	d := e.disk
	switch {
	case d == nil || d.log == nil:
		// Redis writes a new AOF even when appendonly is off; Pelican
		// has no file to write without a data directory.
		c.errorReply("ERR Pelican keeps no append-only file: start it with a data directory (--dir) and appendonly yes")
	case d.rw.running:
		c.errorReply(errRewriteRunning)
	default:
		if err := e.startRewriteLocked(nil); err != nil {
			c.errorReply("ERR " + err.Error())
			return
		}
		c.out.Simple("Background append only file rewriting started")
	}
}
