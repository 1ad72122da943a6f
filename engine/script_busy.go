package engine

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// A script that runs longer than busy-reply-threshold (lua-time-limit in
// older Redis) makes the engine busy, as in Redis 7: other clients are
// answered BUSY, except for the commands flagged allow_busy (SCRIPT KILL,
// SHUTDOWN NOSAVE, AUTH, HELLO, MULTI, DISCARD, WATCH, UNWATCH, QUIT,
// RESET); SCRIPT KILL stops a script that has not written, SHUTDOWN
// NOSAVE stops any.
//
// Redis answers those clients from inside the script, between Lua
// instructions. Pelican runs the script in the goroutine of its caller,
// which holds the engine lock as any command does, so nobody else could
// answer: at the threshold the lock is lent out instead. A timer unlocks
// it on the script's behalf; from then on the script takes the lock back
// around each redis.call and at its end. Between two calls the script
// touches nothing but its Lua interpreter, so whoever holds the lock sees
// the data between two of the script's commands, never in the middle of
// one, and ExecLocked refuses them every command that could see or change
// it. The engine's own background work (expiry, the journal's sweep, a
// rewrite's snapshot, Close) waits for the script to end instead
// (lockBetweenScripts): it must not see a script's work half done.

// errBusyScript is Redis's reply to a command refused while a script is
// busy.
const errBusyScript = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."

// Why a script was stopped, as the cause of its run's context.
var (
	// errScriptKilled stops a script that has not written: by SCRIPT KILL,
	// or on shutdown. Its caller gets Redis's error.
	errScriptKilled = errors.New("engine: script killed")
	// errScriptShutdown stops a script for SHUTDOWN NOSAVE, or one that
	// has written when the engine shuts down: its caller's connection is
	// closed without a reply, as Redis exits, and what it wrote is not
	// journaled.
	errScriptShutdown = errors.New("engine: script stopped by shutdown")
)

// scriptRun is the state of the script running now, which goroutines that
// do not hold the engine lock share: the timer that notices the threshold,
// SCRIPT KILL and shutdown. Its mutex is taken after the engine lock,
// never before it is waited for.
//
// Invariants: lent implies busy; while lent, the script's goroutine does
// not hold the engine lock and is not in redis.call; inCall implies the
// script's goroutine holds the engine lock.
type scriptRun struct {
	// busy mirrors mu.busy for ExecLocked, which reads it for every
	// command: it is set before the lock is lent, and cleared once the
	// script's goroutine holds the lock again.
	busy atomic.Bool

	mu struct {
		sync.Mutex
		active   bool   // a script runs
		sha      string // its SHA1, for the log
		started  time.Time
		deadline time.Time // when it becomes busy
		busy     bool      // past the threshold: other clients get BUSY
		lent     bool      // the engine lock has been released on its behalf
		inCall   bool      // it is in redis.call, holding the engine lock
		wrote    bool      // it has called a write command
		cancel   context.CancelCauseFunc
		timer    *time.Timer // fires at deadline: lendLock
		// ended, made by whoever waits for the end of a busy script, is
		// closed when the script's goroutine holds the lock again.
		ended chan struct{}
	}
}

// wrote reports whether the running (or last) script called a write
// command.
func (r *scriptRun) wrote() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mu.wrote
}

// busyThreshold returns busy-reply-threshold as a duration.
func (e *Engine) busyThreshold() time.Duration {
	ms := min(e.settings.busyReplyThreshold, math.MaxInt64/int64(time.Millisecond))
	return time.Duration(ms) * time.Millisecond
}

// beginScriptLocked records the start of a script, which cancel stops,
// and arms the timer that makes it busy.
func (e *Engine) beginScriptLocked(sha string, cancel context.CancelCauseFunc) {
	d := e.busyThreshold()
	s := &e.scriptRun.mu
	s.Lock()
	s.active, s.sha, s.wrote, s.cancel = true, sha, false, cancel
	if !e.loading {
		s.started = time.Now()
		s.deadline = s.started.Add(d)
		if s.timer == nil {
			s.timer = time.AfterFunc(d, e.lendLock)
		} else {
			s.timer.Reset(d)
		}
	}
	s.Unlock()
}

// lendLock runs when a script has run for busy-reply-threshold: the engine
// becomes busy and the lock is released for other clients (or, if the
// script is in redis.call, when the call returns).
func (e *Engine) lendLock() {
	r := &e.scriptRun
	s := &r.mu
	s.Lock()
	// A timer that fires as one run ends and the next begins finds the
	// next run's deadline ahead.
	if !s.active || s.busy || time.Now().Before(s.deadline) {
		s.Unlock()
		return
	}
	s.busy = true
	r.busy.Store(true)
	if !s.inCall {
		s.lent = true
		e.mu.Unlock()
	}
	sha, elapsed := s.sha, time.Since(s.started)
	s.Unlock()
	e.logger().Warn("pelican: slow script: still running after busy-reply-threshold; other clients get BUSY until it ends, SCRIPT KILL stops it if it has not written, SHUTDOWN NOSAVE in any case",
		"sha", sha, "elapsed_ms", elapsed.Milliseconds())
}

// enterScriptCall is called by redis.call before it runs a command: it
// takes the engine lock back if it was lent.
func (e *Engine) enterScriptCall(write bool) {
	s := &e.scriptRun.mu
	s.Lock()
	lent := s.lent
	s.lent, s.inCall = false, true
	if write {
		s.wrote = true
	}
	s.Unlock()
	if lent {
		e.mu.Lock()
	}
}

// exitScriptCall is called by redis.call after the command: if the engine
// is busy, the lock is lent out again.
func (e *Engine) exitScriptCall() {
	s := &e.scriptRun.mu
	s.Lock()
	s.inCall = false
	if s.busy {
		s.lent = true
		e.mu.Unlock()
	}
	s.Unlock()
}

// endScript records the end of the script: the timer is stopped and, if
// the lock was lent, taken back. The engine lock is held on return, as
// when the script began.
func (e *Engine) endScript() {
	r := &e.scriptRun
	s := &r.mu
	s.Lock()
	s.active, s.cancel = false, nil
	if s.timer != nil {
		s.timer.Stop()
	}
	// A call that panicked did not return the lock: it is still held.
	lent := s.lent && !s.inCall
	s.Unlock()
	if lent {
		e.mu.Lock()
	}
	s.Lock()
	s.busy, s.lent, s.inCall = false, false, false
	r.busy.Store(false)
	if s.ended != nil {
		close(s.ended)
		s.ended = nil
	}
	s.Unlock()
}

// scriptBusyLocked reports whether a script has lent the engine lock
// (the caller holds it): what the caller sees is a script's work half
// done.
func (e *Engine) scriptBusyLocked() bool { return e.scriptRun.busy.Load() }

// lockBetweenScripts acquires the engine lock when no script is half way
// through: for the engine's own work, which must see a script's work
// whole.
func (e *Engine) lockBetweenScripts() {
	for {
		e.mu.Lock()
		s := &e.scriptRun.mu
		s.Lock()
		if !s.busy {
			s.Unlock()
			return
		}
		if s.ended == nil {
			s.ended = make(chan struct{})
		}
		ended := s.ended
		s.Unlock()
		e.mu.Unlock()
		<-ended
	}
}

// killScript is SCRIPT KILL: it stops the running script unless it has
// written, and returns the reply's error, or "" for OK.
func (e *Engine) killScript() string {
	s := &e.scriptRun.mu
	s.Lock()
	defer s.Unlock()
	switch {
	case !s.active || s.cancel == nil:
		return "NOTBUSY No scripts in execution right now."
	case s.wrote:
		return "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	}
	s.cancel(errScriptKilled)
	return ""
}

// StopScript stops the script running now, if any, so that the engine can
// shut down; it need not hold the engine lock and does not wait. A script
// that has not written is killed, as by SCRIPT KILL. One that has written
// is stopped as by SHUTDOWN NOSAVE: its caller's connection is closed
// without a reply, what it wrote is not journaled nor saved (the engine
// journals nothing more, and Close saves no dump.rdb), so that the files
// never hold half a script; the engine logs what was lost. Close calls it.
func (e *Engine) StopScript() { e.stopScript(nil) }

// stopScript stops the running script, if any, with cause; a nil cause
// is chosen by what the script did, as StopScript says.
func (e *Engine) stopScript(cause error) {
	s := &e.scriptRun.mu
	s.Lock()
	defer s.Unlock()
	if !s.active || s.cancel == nil {
		return
	}
	if cause == nil {
		cause = errScriptKilled
		if s.wrote {
			cause = errScriptShutdown
		}
	}
	s.cancel(cause)
}

// dropScriptWritesLocked is called when a script that has written is
// stopped for shutdown: the unit it belongs to is not journaled, nor is
// anything after it (it would build on writes the files do not have),
// and no snapshot is saved on Close.
func (e *Engine) dropScriptWritesLocked(sha, addr string) {
	fx := &e.fx
	fx.unit, fx.cmds = fx.unit[:0], 0
	clear(fx.touched)
	journaled := fx.recording()
	fx.journal = nil
	e.noSaveOnClose = true
	log := e.logger().With("sha", sha, "addr", addr)
	switch {
	case journaled:
		log.Warn("pelican: a script that had written was stopped by shutdown: its writes, and any after it, are not in the append-only file")
	case e.disk != nil:
		log.Warn("pelican: a script that had written was stopped by shutdown: dump.rdb is not saved, changes since the last save are lost")
	default:
		log.Warn("pelican: a script that had written was stopped by shutdown")
	}
}
