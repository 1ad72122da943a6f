package engine

import (
	"strconv"

	"github.com/pelicanhq/pelican/internal/aof"
)

// Effects: what the engine hands to its journal (the append-only file).
//
// Every change is journaled as its deterministic effect, as Redis
// propagates commands: a command that can be replayed as it was given is
// journaled as it was given; one whose outcome depends on the clock, on
// chance or on state that replay would not see (XADD *, approximate trims,
// XREADGROUP, EXPIRE, SPOP, a blocking pop) journals the commands that
// reproduce its outcome instead. A command that failed journals nothing.
//
// The effects of one top-level command (a command, an EXEC, a script, a
// blocked command being served, one expired key) form a unit, written as
// one MULTI/EXEC transaction when it has more than one command, so that
// replay never applies half of it. A unit starts with a #T clock
// annotation when the time changed, so that Pelican replays it at the time
// it first ran (consumers' seen and active times, IDMP expiry); Redis skips
// the annotation.
//
// Effects Redis 7 has no command for go into extension annotations that
// only Pelican reads (#X, see package aof): a native command, followed by
// a #S:n marker and the n standard commands that give Redis as much of the
// effect as it can hold. Pelican replays the native command and skips the
// n; Redis skips the annotations and applies the n.

// Journal receives the engine's effects as append-only-file bytes, in
// order. Append is called with the engine lock held: it must copy p and
// return without doing I/O.
type Journal interface {
	Append(p []byte)
}

// effects is the engine's journaling state, guarded by the engine lock.
type effects struct {
	journal Journal // nil: nothing is journaled
	depth   int     // nesting of Client.call

	unit  []byte // the current unit's commands
	cmds  int    // standard commands in unit, for MULTI/EXEC wrapping
	db    int    // the database the journal has selected; -1 if unknown
	clock int64  // the time of the last #T annotation written
	at    int64  // the time of the current unit
	out   []byte // scratch for assembling a unit

	// touched lists the consumers whose times changed since they were
	// last journaled (see consumerTouched).
	touched map[consumerRef]struct{}
}

// recording reports whether effects are being journaled.
func (fx *effects) recording() bool { return fx.journal != nil }

// beginCall marks the start of a command; the outermost starts a unit at
// time now (Unix ms).
func (e *Engine) beginCall(now int64) {
	fx := &e.fx
	if fx.depth == 0 {
		fx.at = now
	}
	fx.depth++
}

// endCall marks the end of a command; the outermost ends the unit and
// hands it to the journal.
func (e *Engine) endCall() {
	fx := &e.fx
	fx.depth--
	if fx.depth == 0 {
		e.flushUnitLocked()
	}
}

// flushUnitLocked writes the current unit to the journal.
func (e *Engine) flushUnitLocked() {
	fx := &e.fx
	if len(fx.unit) == 0 {
		return
	}
	if len(fx.touched) > 0 {
		e.consumerTimesLocked()
	}
	out := fx.out[:0]
	if fx.at != fx.clock {
		out = aof.AppendClock(out, fx.at)
		fx.clock = fx.at
	}
	if fx.cmds > 1 {
		out = aof.AppendCommand(out, []byte("MULTI"))
		out = append(out, fx.unit...)
		out = aof.AppendCommand(out, []byte("EXEC"))
	} else {
		out = append(out, fx.unit...)
	}
	fx.journal.Append(out)
	if cap(out) > 1<<20 {
		out = nil
	}
	fx.out = out[:0]
	if cap(fx.unit) > 1<<20 {
		fx.unit = nil
	}
	fx.unit = fx.unit[:0]
	fx.cmds = 0
}

// selectLocked makes the journal's selected database db.
func (e *Engine) selectLocked(db int) {
	fx := &e.fx
	if fx.db == db {
		return
	}
	// SELECT does not count towards wrapping the unit in MULTI/EXEC: it
	// changes nothing a reader could see half done.
	fx.unit = aof.AppendCommand(fx.unit, []byte("SELECT"), []byte(strconv.Itoa(db)))
	fx.db = db
}

// propagateLocked journals a command run in database db.
func (e *Engine) propagateLocked(db int, args ...[]byte) {
	fx := &e.fx
	if !fx.recording() {
		return
	}
	e.selectLocked(db)
	fx.unit = aof.AppendCommand(fx.unit, args...)
	fx.cmds++
	if fx.depth == 0 {
		// An effect outside any command, such as active expiry.
		fx.at = e.nowMs()
		e.flushUnitLocked()
	}
}

// propagateNativeLocked journals a command only Pelican understands,
// followed by the standard commands that give Redis what it can hold of
// its effect (possibly none).
func (e *Engine) propagateNativeLocked(db int, native [][]byte, standard ...[][]byte) {
	fx := &e.fx
	if !fx.recording() {
		return
	}
	e.appendNativeLocked(db, native, standard...)
	if fx.depth == 0 {
		fx.at = e.nowMs()
		e.flushUnitLocked()
	}
}

// appendNativeLocked adds an extension, and the standard commands that
// stand in for it, to the current unit.
func (e *Engine) appendNativeLocked(db int, native [][]byte, standard ...[][]byte) {
	fx := &e.fx
	e.selectLocked(db)
	fx.unit = aof.AppendExtension(fx.unit, native...)
	if len(standard) > 0 {
		fx.unit = aof.AppendSkip(fx.unit, len(standard))
	}
	for _, args := range standard {
		fx.unit = aof.AppendCommand(fx.unit, args...)
		fx.cmds++
	}
}

// sweepJournalLocked journals what waits for no command: the times of
// consumers that only read. The journal's background loop calls it.
func (e *Engine) sweepJournalLocked() {
	fx := &e.fx
	if !fx.recording() || fx.depth != 0 || len(fx.touched) == 0 {
		return
	}
	fx.at = e.nowMs()
	e.consumerTimesLocked()
	e.flushUnitLocked()
}

// resetJournalLocked forgets what the journal has selected and the time it
// last saw, so that a new file starts self-contained.
func (e *Engine) resetJournalLocked() {
	e.fx.db = -1
	e.fx.clock = 0
}

// propagate journals a command as this client's effect, in its database,
// and marks the command as having journaled its own effects (the verbatim
// default is then skipped).
func (c *Client) propagate(args ...[]byte) {
	c.fxCustom = true
	c.e.propagateLocked(c.db.id, args...)
}

// propagateNative journals a Pelican-only effect with its standard
// approximation (see propagateNativeLocked).
func (c *Client) propagateNative(native [][]byte, standard ...[][]byte) {
	c.fxCustom = true
	c.e.propagateNativeLocked(c.db.id, native, standard...)
}

// propagateNothing marks the command as having no effect to journal,
// although it is a write command that succeeded (a no-op).
func (c *Client) propagateNothing() { c.fxCustom = true }

// journaling reports whether this client's effects are being recorded;
// commands check it before building custom effects.
func (c *Client) journaling() bool { return c.e.fx.recording() }

// intArgBytes formats an integer argument.
func intArgBytes(n int64) []byte { return strconv.AppendInt(nil, n, 10) }

// uintArgBytes formats an unsigned integer argument.
func uintArgBytes(n uint64) []byte { return strconv.AppendUint(nil, n, 10) }
