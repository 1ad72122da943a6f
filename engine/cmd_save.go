package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// SAVE, BGSAVE and LASTSAVE write the keyspace to Dir/DBFilename as an
// RDB file (see snapshot.go).
//
// Both take a snapshot under the engine lock and write it without: BGSAVE
// in the background, replying at once; SAVE the same way, but its client
// waits (as a blocked client does) until the file is written, while the
// others go on, where Redis's SAVE stops the whole server. Either way the
// file holds the keyspace as it was when the command ran. A file is
// written to "temp-<pid>.rdb", fsynced, renamed over the old one, and the
// directory fsynced.

// saveState is the engine's saving state, guarded by the engine lock.
type saveState struct {
	running bool
	// lastSave is the Unix time of the last successful save; zero until
	// then (LASTSAVE then says when the engine started, as Redis does).
	lastSave int64
	lastErr  error
	// For INFO: when the running save started, how long the last one
	// took, and how many succeeded.
	started  time.Time
	duration time.Duration
	count    int64
	// waiter is the SAVE client waiting for the running save, if any,
	// and its block.
	waiter      *Client
	waiterBlock *blockState
	wg          sync.WaitGroup // the running save's goroutine
}

// Replies of the save commands, as Redis words them.
const (
	errSaveInProgress = "ERR Background save already in progress"
	// errSaveFailed is Redis's bare error for a save that could not be
	// done (shared.err).
	errSaveFailed = "ERR"
)

func saveCommands() []*Command {
	return []*Command{
		{Name: "save", Arity: 1, Flags: flagNoMulti, Run: saveCommand},
		{Name: "bgsave", Arity: -1, Run: bgsaveCommand},
		{Name: "lastsave", Arity: 1, Run: lastsaveCommand},
	}
}

// saveCommand is SAVE: the client waits until the file is written.
func saveCommand(c *Client, args [][]byte) {
	e := c.e
	if e.saves.running {
		c.errorReply(errSaveInProgress)
		return
	}
	if !e.startSaveLocked() {
		c.errorReply(errSaveFailed)
		return
	}
	e.blockLocked(c, nil, args, nil, 0, nil)
	e.saves.waiter, e.saves.waiterBlock = c, c.block
}

// bgsaveCommand is BGSAVE [SCHEDULE].
func bgsaveCommand(c *Client, args [][]byte) {
	if len(args) > 2 || (len(args) == 2 && !keyword(args[1], "SCHEDULE")) {
		c.errorReply(errSyntax)
		return
	}
	e := c.e
	switch {
	case e.saves.running:
		c.errorReply(errSaveInProgress)
	case !e.startSaveLocked():
		c.errorReply(errSaveFailed)
	case c.denyBlocking:
		// Inside EXEC Redis defers the save to after the transaction and
		// says so; the snapshot taken now is the same.
		c.out.Simple("Background saving scheduled")
	default:
		c.out.Simple("Background saving started")
	}
}

// lastsaveCommand is LASTSAVE.
func lastsaveCommand(c *Client, args [][]byte) {
	c.out.Int(c.e.lastSaveLocked())
}

// lastSaveLocked returns the Unix time of the last successful save, or
// when the engine started.
func (e *Engine) lastSaveLocked() int64 {
	if e.saves.lastSave != 0 {
		return e.saves.lastSave
	}
	return e.started.Unix()
}

// startSaveLocked takes a snapshot and writes it in the background. It
// returns false when the engine has no data directory.
func (e *Engine) startSaveLocked() bool {
	if e.disk == nil || e.closed {
		return false
	}
	snap := e.snapshotLocked()
	d := e.disk
	e.saves.running = true
	e.saves.started = time.Now()
	e.saves.wg.Add(1)
	go func() {
		defer e.saves.wg.Done()
		err := d.writeDump(snap)
		e.mu.Lock()
		defer e.mu.Unlock()
		e.finishSaveLocked(snap, err)
	}()
	return true
}

// finishSaveLocked records a save's outcome and answers the SAVE client
// waiting for it.
func (e *Engine) finishSaveLocked(snap *snapshot, err error) {
	s := &e.saves
	s.running = false
	s.lastErr = err
	s.duration = time.Since(s.started)
	if err == nil {
		s.count++
		e.dirty -= snap.dirty // the changes made since the snapshot remain
		s.lastSave = snap.ctime / 1000
		e.logger().Info("pelican: DB saved on disk", "keys", snap.keys())
	} else {
		e.logger().Error("pelican: saving the RDB file failed", "err", err)
	}
	c := s.waiter
	s.waiter = nil
	if c == nil || c.block == nil || c.block != s.waiterBlock || !c.block.pending {
		return // the client left
	}
	s.waiterBlock = nil
	e.leaveWaitListsLocked(c)
	c.block = nil
	c.served.Proto = c.main.Proto
	if err == nil {
		c.served.Simple("OK")
	} else {
		c.served.Error(errSaveFailed)
	}
	if c.wake != nil {
		c.wake()
	}
}

// waitSaves waits for a running background save to end. Call it without
// the engine lock.
func (e *Engine) waitSaves() { e.saves.wg.Wait() }

// writeDump writes a snapshot to the data directory's RDB file
// atomically: a temporary file, fsynced, renamed into place, and the
// directory fsynced.
func (d *disk) writeDump(snap *snapshot) error {
	dir := d.cfg.Dir
	tmp := filepath.Join(dir, fmt.Sprintf("temp-%d.rdb", os.Getpid()))
	final := filepath.Join(dir, d.cfg.DBFilename)
	f, err := d.fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("engine: creating %s: %w", tmp, err)
	}
	err = snap.writeRDB(f, false)
	if err == nil {
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("engine: fsync %s: %w", tmp, err)
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("engine: closing %s: %w", tmp, cerr)
	}
	if err == nil {
		if err = d.fs.Rename(tmp, final); err != nil {
			err = fmt.Errorf("engine: renaming %s to %s: %w", tmp, final, err)
		}
	}
	if err != nil {
		if rerr := d.fs.Remove(tmp); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return err
	}
	if err := d.fs.SyncDir(dir); err != nil {
		return fmt.Errorf("engine: fsync %s: %w", dir, err)
	}
	return nil
}
