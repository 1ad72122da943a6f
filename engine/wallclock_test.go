package engine

import (
	"fmt"
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

// TestWallClockChain: a top-level command starts when the previous one
// ended, until the chain is broken.
func TestWallClockChain(t *testing.T) {
	var w wallClock
	end := w.chainEnd()
	if got := w.start(); got != end {
		t.Fatalf("start() after chainEnd() = %v, want %v", got, end)
	}
	if w.chained {
		t.Fatal("start() left the chain for another command")
	}
	w.chainEnd()
	w.unchain()
	if w.chained {
		t.Fatal("unchain() left the chain")
	}
}

// TestCommandTimeAfterRelock: a command run in a later hold of the engine
// lock takes the time it starts, not the end of the command before.
func TestCommandTimeAfterRelock(t *testing.T) {
	e := New(Config{})
	defer e.Close()
	c := e.NewClient(ClientInfo{})
	e.Lock()
	c.ExecLocked(benchArgs("XADD", "s", "*", "f", "v"))
	e.Unlock()
	// Wait until the clock is past the first command's millisecond.
	first := time.Now().UnixMilli()
	for time.Now().UnixMilli() < first+5 {
		time.Sleep(time.Millisecond)
	}
	later := time.Now().UnixMilli()
	e.Lock()
	c.ResetOutput()
	c.ExecLocked(benchArgs("XADD", "s", "*", "f", "v"))
	reply := string(c.Output())
	e.Unlock()
	// $15\r\n<ms>-0\r\n
	var ms, seq int64
	var n int
	if _, err := fmt.Sscanf(reply, "$%d\r\n%d-%d\r\n", &n, &ms, &seq); err != nil {
		t.Fatalf("XADD reply %q: %v", reply, err)
	}
	if ms < later {
		t.Fatalf("second XADD got ID time %d, before %d when its hold of the lock began", ms, later)
	}
}
