package engine

import "time"

// wallRefresh is how long wallClock extrapolates the wall clock from the
// monotonic one before it reads the wall clock again.
const wallRefresh = 10 * time.Millisecond

// wallClock tells the time of each command for the price of one clock
// read: time.Now reads two clocks (wall and monotonic), and each command
// reads the time when it starts and again when it ends (INFO
// commandstats). A command's readings are monotonic ones, durations since
// the clock's origin, so that measuring it is a subtraction of integers;
// its wall time is the wall time last read plus the monotonic time
// elapsed since. The wall clock is read again after wallRefresh, so a
// change of the system clock shows within wallRefresh, as Redis shows it
// within its cached time's refresh. The engine's lock guards it; its zero
// value is ready to use.
//
// Commands that run back to back also share a reading: the end of one is
// the start of the next (see chainEnd), so that a pipeline of n commands
// costs n+1 clock reads instead of 2n. Between them the transport does
// nothing but parse the next command from its buffer, under the same hold
// of the engine lock. Engine.Lock and Engine.Unlock break the chain, so a
// command that starts in another hold of the lock reads the clock afresh;
// the engine's own holds of the lock (its background work) run no
// top-level commands, and replaying the data files does not chain.
type wallClock struct {
	origin time.Time // a time.Now reading, with its monotonic part
	// baseMono and baseWall are a time.Now reading taken at most
	// wallRefresh ago: its monotonic part (since origin) and its wall
	// time in Unix nanoseconds.
	baseMono time.Duration
	baseWall int64
	// last is the reading at the end of the last top-level command, valid
	// while chained is set.
	last    time.Duration
	chained bool
}

// start returns the monotonic reading at which a top-level command (not
// one inside a transaction or a script) starts: the end of the previous
// one if the chain is unbroken, else a clock read.
func (w *wallClock) start() time.Duration {
	if w.chained {
		w.chained = false
		return w.last
	}
	return w.mono()
}

// chainEnd returns the monotonic reading at which a top-level command
// ends, which the next one takes as its start unless unchain is called
// first.
func (w *wallClock) chainEnd() time.Duration {
	w.last, w.chained = w.mono(), true
	return w.last
}

// unchain makes the next command read the clock.
func (w *wallClock) unchain() { w.chained = false }

// mono returns the monotonic time since the clock's origin: one clock
// read.
func (w *wallClock) mono() time.Duration {
	if w.origin.IsZero() {
		w.origin = time.Now()
		w.baseMono, w.baseWall = 0, w.origin.UnixNano()
	}
	return time.Since(w.origin) // reads only the monotonic clock
}

// unixMilli returns the wall time, in Unix milliseconds, at the monotonic
// reading m, which mono returned.
func (w *wallClock) unixMilli(m time.Duration) int64 {
	if d := m - w.baseMono; d < 0 || d >= wallRefresh {
		now := time.Now()
		w.baseMono, w.baseWall = now.Sub(w.origin), now.UnixNano()
	}
	return (w.baseWall + int64(m-w.baseMono)) / int64(time.Millisecond)
}
