package engine

import "time"

// wallRefresh is how long wallClock extrapolates the wall clock from the
// monotonic one before it reads the wall clock again.
const wallRefresh = 10 * time.Millisecond

// wallClock tells the time of each command for the price of one clock
// read: time.Now reads two clocks (wall and monotonic), and each command
// reads the time when it starts and again when it ends (INFO
// commandstats). Between refreshes the wall time is the last one read
// plus the monotonic time elapsed since, so a change of the system clock
// shows within wallRefresh, as Redis shows it within its cached time's
// refresh. The engine's lock guards it.
type wallClock struct {
	base time.Time // a time.Now reading, with its monotonic part
}

// now returns the current time, with a monotonic reading.
func (w *wallClock) now() time.Time {
	if !w.base.IsZero() {
		// time.Since reads only the monotonic clock.
		if d := time.Since(w.base); d >= 0 && d < wallRefresh {
			return w.base.Add(d)
		}
	}
	w.base = time.Now()
	return w.base
}
