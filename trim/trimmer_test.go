package trim

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// TestTrimmer runs two policies periodically, one on a stream that does
// not exist yet, and checks the reports and the log.
func TestTrimmer(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		fill(t, c.Redis(), "s", 100, scenario)
		var logs syncbuf.Buffer
		var mu sync.Mutex
		var reports []Report
		var errs []error
		tr := &Trimmer{
			Client:   c,
			Policies: []Policy{{Stream: "s", MaxLen: 50, Safe: true}, {Stream: "later", MaxLen: 1}},
			Interval: 5 * time.Millisecond,
			Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
			OnReport: func(r Report, err error) {
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				} else {
					reports = append(reports, r)
				}
			},
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- tr.Run(ctx) }()
		await.True(t, "three reports and three errors", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(reports) >= 3 && len(errs) >= 3
		})
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run returned %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if r := reports[0]; r.Stream != "s" || r.Removed == 0 || r.Unprocessed != 13 {
			t.Errorf("first report %+v, want a trim of s keeping 13 unprocessed", r)
		}
		if r := reports[len(reports)-1]; r.Removed != 0 {
			t.Errorf("a later run removed %d, want 0 (the first did it all)", r.Removed)
		}
		for _, err := range errs {
			if !errors.Is(err, ErrNoStream) {
				t.Errorf("error %v, want ErrNoStream", err)
			}
		}
		log := logs.String()
		if n := strings.Count(log, "no such stream"); n != 1 {
			t.Errorf("the missing stream was logged %d times, want once:\n%s", n, log)
		}
		if !strings.Contains(log, "trim kept 13 unprocessed entries") {
			t.Errorf("the log does not say what the safe trim kept:\n%s", log)
		}
	})
}

// TestEveryBadPolicy checks that a bad policy stops Every at once.
func TestEveryBadPolicy(t *testing.T) {
	c, err := embedded.New(pelican.Options{Logger: backendtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = Every(context.Background(), c, time.Second, Policy{Stream: "s", MaxLen: 1}, Policy{Stream: "s"})
	if !errors.Is(err, ErrBadPolicy) {
		t.Errorf("Every = %v, want ErrBadPolicy", err)
	}
}
