package pelican

import (
	"context"
	"errors"
	"testing"
	"time"
)

// awaitDone waits up to a second for ctx to end.
func awaitDone(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
		t.Fatal("the context did not end within a second")
	}
}

func TestHandlerContextDeadline(t *testing.T) {
	c := newHandlerContext(context.Background(), 20*time.Millisecond, time.Now())
	defer c.cancel()
	if err := c.Err(); err != nil {
		t.Fatalf("Err of a live context = %v", err)
	}
	if d, ok := c.Deadline(); !ok || time.Until(d) > 20*time.Millisecond {
		t.Fatalf("Deadline = %v, %v", d, ok)
	}
	awaitDone(t, c)
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err after the deadline = %v", err)
	}
	if err := context.Cause(c); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Cause after the deadline = %v", err)
	}
}

func TestHandlerContextDeadlineWithoutDone(t *testing.T) {
	c := newHandlerContext(context.Background(), time.Millisecond, time.Now())
	defer c.cancel()
	deadline, _ := c.Deadline()
	for time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // nothing to await: Done is what this test avoids
	}
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err after the deadline, Done never called = %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done is open although Err reports the context ended")
	}
}

func TestHandlerContextParent(t *testing.T) {
	for _, callDone := range []bool{true, false} {
		type key struct{}
		parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
		c := newHandlerContext(parent, time.Hour, time.Now())
		if c.Value(key{}) != "v" {
			t.Fatal("the parent's values are not visible")
		}
		if callDone {
			c.Done()
		}
		cancelParent()
		awaitDone(t, c)
		if err := c.Err(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Err after the parent ended (Done called first: %v) = %v", callDone, err)
		}
		c.cancel()
	}
}

func TestHandlerContextParentDeadlineIsEarlier(t *testing.T) {
	parent, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	c := newHandlerContext(parent, time.Hour, time.Now())
	defer c.cancel()
	pd, _ := parent.Deadline()
	if d, _ := c.Deadline(); !d.Equal(pd) {
		t.Fatalf("Deadline = %v, want the parent's %v", d, pd)
	}
}

func TestHandlerContextCancelledOnReturn(t *testing.T) {
	for _, callDone := range []bool{true, false} {
		c := newHandlerContext(context.Background(), time.Hour, time.Now())
		if callDone {
			c.Done()
		}
		child, stop := context.WithCancel(c)
		c.cancel()
		awaitDone(t, c)
		awaitDone(t, child)
		stop()
		if err := c.Err(); !errors.Is(err, context.Canceled) {
			t.Fatalf("Err after the handler returned (Done called first: %v) = %v", callDone, err)
		}
	}
}

func TestHandlerContextChildSeesDeadline(t *testing.T) {
	c := newHandlerContext(context.Background(), 20*time.Millisecond, time.Now())
	defer c.cancel()
	child, stop := context.WithCancel(c)
	defer stop()
	awaitDone(t, child)
	if err := child.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a child's Err after the deadline = %v", err)
	}
}
