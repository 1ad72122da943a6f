package engine

import (
	"testing"
	"time"
)

// TestWallClockFollowsTheClock: the extrapolated time stays within the
// refresh interval of time.Now, and the monotonic readings do not go
// back.
func TestWallClockFollowsTheClock(t *testing.T) {
	var w wallClock
	var last time.Duration
	for i := 0; i < 2000; i++ {
		before := time.Now()
		m := w.mono()
		got := time.UnixMilli(w.unixMilli(m))
		after := time.Now()
		if got.Before(before.Add(-wallRefresh-time.Millisecond)) || got.After(after.Add(wallRefresh)) {
			t.Fatalf("wallClock.unixMilli(%v) = %v, outside [%v, %v] widened by %v", m, got, before, after, wallRefresh)
		}
		if m < last {
			t.Fatalf("wallClock.mono() = %v after %v", m, last)
		}
		last = m
		if i%500 == 0 {
			time.Sleep(wallRefresh) // force a refresh now and then
		}
	}
}
