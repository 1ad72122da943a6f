//go:build linux

package cputime

import (
	"os"
	"testing"
	"time"
)

// Spinning until Self has grown by 200 ms, /proc sees the same growth
// within its coarse tick.
func TestSelfAndOfAgree(t *testing.T) {
	s0, p0 := Self(), Of(os.Getpid())
	if s0 <= 0 || p0 < 0 {
		t.Fatalf("Self() = %v, Of(self) = %v", s0, p0)
	}
	for deadline := time.Now().Add(10 * time.Second); Self()-s0 < 200*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatalf("Self grew by only %v in 10 s of spinning", Self()-s0)
		}
	}
	ds, dp := Self()-s0, Of(os.Getpid())-p0
	if diff := ds - dp; diff > 50*time.Millisecond || diff < -50*time.Millisecond {
		t.Errorf("Self grew by %v, Of by %v", ds, dp)
	}
	if Of(0) != 0 {
		t.Errorf("Of(0) = %v, want 0", Of(0))
	}
}
