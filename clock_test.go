package pelican_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// skewClock is the real clock plus an offset the test moves forward: the
// engine and the library both read it, so an hour-long backoff passes in
// an instant while timeouts keep running on real time.
type skewClock struct{ offset atomic.Int64 }

func (c *skewClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *skewClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// TestLongBackoffWithoutSleeping fails a message with a one-hour backoff
// and a ClaimMinIdle of two hours, advances the clock, and checks that the
// retry happens then, not before, and is delivered as the second attempt.
func TestLongBackoffWithoutSleeping(t *testing.T) {
	clk := &skewClock{}
	c, err := embedded.New(pelican.Options{Clock: clk, Logger: backendtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var calls atomic.Int64
	cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
		if calls.Add(1) == 1 {
			return errors.New("try again later")
		}
		if m.Deliveries != 2 {
			t.Errorf("the retry is delivery %d, want 2", m.Deliveries)
		}
		return nil
	}))
	cfg.Backoff = pelican.Delays{time.Hour}
	cfg.ClaimMinIdle = 2 * time.Hour
	cfg.HeartbeatInterval = time.Minute
	w, stop := runWorker(t, c, cfg)
	defer stop()
	publishN(t, c, "s", 1)
	await.True(t, "the first attempt fails", func() bool { return w.Stats().Failed == 1 })

	clk.Advance(59 * time.Minute)
	// Several retry scans run meanwhile (every 20ms of real time); none
	// may retry early.
	time.Sleep(100 * time.Millisecond)
	if calls.Load() != 1 {
		t.Fatalf("retried %d times before the backoff elapsed", calls.Load()-1)
	}
	clk.Advance(2 * time.Minute)
	await.True(t, "the retry succeeds", func() bool { return w.Stats().Processed == 1 })
}

// TestBackoffIsCappedAtTheClaimThreshold states how backoff and the claim
// threshold interact: a message idle for ClaimMinIdle may be claimed by
// any worker, so a longer delay would not hold; it is shortened to
// ClaimMinIdle.
func TestBackoffIsCappedAtTheClaimThreshold(t *testing.T) {
	clk := &skewClock{}
	c, err := embedded.New(pelican.Options{Clock: clk, Logger: backendtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var calls atomic.Int64
	cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
		if calls.Add(1) == 1 {
			return pelican.RetryAfter(24*time.Hour, errors.New("not today"))
		}
		return nil
	}))
	cfg.ClaimMinIdle = time.Hour
	cfg.HeartbeatInterval = time.Minute
	w, stop := runWorker(t, c, cfg)
	defer stop()
	publishN(t, c, "s", 1)
	await.True(t, "the first attempt fails", func() bool { return w.Stats().Failed == 1 })
	clk.Advance(time.Hour + time.Second)
	await.True(t, "the message is retried after ClaimMinIdle, not 24h", func() bool { return w.Stats().Processed == 1 })
}
