package engine

import (
	"testing"
	"time"
)

// TestWallClockFollowsTheClock: the extrapolated time stays within the
// refresh interval of time.Now and carries a monotonic reading.
func TestWallClockFollowsTheClock(t *testing.T) {
	var w wallClock
	for i := 0; i < 2000; i++ {
		before := time.Now()
		got := w.now()
		after := time.Now()
		if got.Before(before.Add(-wallRefresh)) || got.After(after.Add(wallRefresh)) {
			t.Fatalf("wallClock.now() = %v, outside [%v, %v] widened by %v", got, before, after, wallRefresh)
		}
		if got.Round(0) == got {
			t.Fatal("wallClock.now() has no monotonic reading")
		}
		if i%500 == 0 {
			time.Sleep(wallRefresh) // force a refresh now and then
		}
	}
}
