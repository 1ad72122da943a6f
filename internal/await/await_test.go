package await

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestTrueReturnsOnceTheConditionHolds(t *testing.T) {
	var polls atomic.Int64
	go func() {
		time.Sleep(20 * time.Millisecond)
		polls.Add(100)
	}()
	True(t, "the other goroutine counts", func() bool { return polls.Add(1) > 100 })
	if got := polls.Load(); got < 101 {
		t.Errorf("returned after %d polls, before the condition held", got)
	}
}

// fatalRecorder is a testing.TB whose Fatalf records the message and ends
// the goroutine, as testing's does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestWithinFailsAfterItsDeadline(t *testing.T) {
	f := &fatalRecorder{TB: t}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		Within(f, 30*time.Millisecond, "never", func() bool { return false })
	}()
	<-done
	if got, want := f.msg, "timed out after 30ms waiting until never"; got != want {
		t.Errorf("failure %q, want %q", got, want)
	}
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Errorf("gave up after %v, before its deadline", took)
	}
}
