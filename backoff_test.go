package pelican

import (
	"testing"
	"time"
)

func TestBackoffs(t *testing.T) {
	exp := ExponentialBackoff{Base: time.Second, Max: 10 * time.Second}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 50: 10 * time.Second} {
		if got := exp.Delay(attempt); got != want {
			t.Errorf("exponential Delay(%d) = %v, want %v", attempt, got, want)
		}
	}
	jit := ExponentialBackoff{Base: time.Second, Max: time.Minute, Jitter: 0.5}
	for i := 0; i < 200; i++ {
		if d := jit.Delay(2); d < time.Second || d > 3*time.Second {
			t.Fatalf("jittered Delay(2) = %v, outside 2s ± 50%%", d)
		}
	}
	list := Delays{time.Second, 10 * time.Second, time.Minute}
	for attempt, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: 10 * time.Second, 3: time.Minute, 9: time.Minute} {
		if got := list.Delay(attempt); got != want {
			t.Errorf("Delays.Delay(%d) = %v, want %v", attempt, got, want)
		}
	}
}
