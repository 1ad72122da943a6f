// Package await lets a test wait for a condition that another goroutine
// or process brings about, by polling it until it holds or a deadline
// passes, instead of sleeping for a guessed time.
package await

import (
	"testing"
	"time"
)

// Timeout is how long True waits before failing the test: far longer
// than any condition should take, so that a slow machine does not make a
// test flaky.
const Timeout = 10 * time.Second

// maxPoll is the longest pause between two polls: the first come after a
// millisecond, and the pauses double up to it.
const maxPoll = 10 * time.Millisecond

// True polls cond until it returns true, and fails the test with
// t.Fatalf if it has not after Timeout. what says what is awaited, as the
// end of "timed out waiting until ...": "the message is dead-lettered".
// cond runs on the calling goroutine, so it may call t.Fatal itself.
func True(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Within(t, Timeout, what, cond)
}

// Within is True with a deadline of d instead of Timeout.
func Within(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	pause := time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", d, what)
			return
		}
		time.Sleep(pause)
		pause = min(2*pause, maxPoll)
	}
}
