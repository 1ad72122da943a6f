package pelican_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// TestMiddlewareOrder checks that the first middleware is the outermost,
// as in net/http: each message goes a, b, handler, then back b, a.
func TestMiddlewareOrder(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		var mu sync.Mutex
		trail := map[string][]string{}
		note := func(m *pelican.Message, s string) {
			mu.Lock()
			trail[m.Values["n"]] = append(trail[m.Values["n"]], s)
			mu.Unlock()
		}
		mw := func(name string) pelican.Middleware {
			return func(next pelican.Handler) pelican.Handler {
				return pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
					note(m, name+">")
					err := next.Handle(ctx, m)
					note(m, "<"+name)
					return err
				})
			}
		}
		cfg := fastConfig("orders", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			note(m, "handler")
			return nil
		}))
		cfg.Concurrency = 2
		cfg.Middleware = []pelican.Middleware{mw("a"), mw("b")}
		w, stop := runWorker(t, c, cfg)
		publishN(t, c, "orders", 20)
		await.True(t, "every message is processed", func() bool { return w.Stats().Processed == 20 })
		stop()
		want := []string{"a>", "b>", "handler", "<b", "<a"}
		mu.Lock()
		defer mu.Unlock()
		if len(trail) != 20 {
			t.Errorf("%d messages went through the chain, want 20", len(trail))
		}
		for n, got := range trail {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("message %s (-want +got):\n%s", n, diff)
			}
		}
	})
}

// seenOutcome is what the recording middleware of TestMiddlewareOutcomes
// saw of one delivery.
type seenOutcome struct {
	Kind       string
	Deliveries int64
	Result     string
	Class      string
}

// TestMiddlewareOutcomes checks that a middleware sees the outcome the
// worker applies, for every class: processed, a plain failure retried and
// then dead-lettered at its last attempt, a permanent failure, an
// unavailable dependency (given back), a panic (seen as an error of class
// panic, not as a panic) and a timeout; and that a panicking middleware
// does not bring the worker down.
func TestMiddlewareOutcomes(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		var mu sync.Mutex
		var seen []seenOutcome
		tried := map[string]bool{} // kinds that failed once already
		firstTime := func(kind string) bool {
			mu.Lock()
			defer mu.Unlock()
			first := !tried[kind]
			tried[kind] = true
			return first
		}
		record := func(next pelican.Handler) pelican.Handler {
			return pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
				err := next.Handle(ctx, m) // a handler's panic comes back as an error
				o := pelican.OutcomeOf(ctx, m, err)
				mu.Lock()
				seen = append(seen, seenOutcome{m.Values["kind"], m.Deliveries, o.Result.String(), o.Class})
				mu.Unlock()
				return err
			})
		}
		panicky := func(next pelican.Handler) pelican.Handler {
			return pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
				if m.Values["kind"] == "middleware-panic" && m.Deliveries == 1 {
					panic("the middleware broke")
				}
				return next.Handle(ctx, m)
			})
		}
		cfg := fastConfig("orders", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			switch kind := m.Values["kind"]; kind {
			case "fails":
				return errors.New("no such product")
			case "permanent":
				return pelican.Permanent(errors.New("malformed"))
			case "unavailable":
				if firstTime(kind) {
					return pelican.Unavailable(errors.New("the database is down"))
				}
			case "panic":
				if m.Deliveries == 1 {
					panic("nil map")
				}
			case "timeout":
				if m.Deliveries == 1 {
					<-ctx.Done()
					return ctx.Err()
				}
			}
			return nil
		}))
		cfg.MaxDeliveries = 2
		cfg.HandlerTimeout = 300 * time.Millisecond
		cfg.Concurrency = 3
		cfg.Middleware = []pelican.Middleware{record, panicky}
		w, stop := runWorker(t, c, cfg)
		kinds := []string{"ok", "fails", "permanent", "unavailable", "panic", "timeout", "middleware-panic"}
		for _, k := range kinds {
			if _, err := c.Publish(context.Background(), "orders", map[string]string{"kind": k}, nil); err != nil {
				t.Fatal(err)
			}
		}
		await.True(t, "every message is settled", func() bool {
			s := w.Stats()
			return s.Processed == 5 && s.DeadLettered == 2 && pendingCount(t, c.Redis(), "orders", "g") == 0
		})
		stop()
		mu.Lock()
		got := slices.Clone(seen)
		mu.Unlock()
		slices.SortFunc(got, func(a, b seenOutcome) int {
			if c := strings.Compare(a.Kind, b.Kind); c != 0 {
				return c
			}
			return int(a.Deliveries - b.Deliveries)
		})
		// Given back without spending an attempt, the unavailable message
		// comes back with the same delivery count.
		want := []seenOutcome{
			{"fails", 1, "retry", pelican.ClassHandler},
			{"fails", 2, "dead-letter", pelican.ClassHandler},
			{"middleware-panic", 2, "ack", ""}, // its first delivery never reached the recorder's return
			{"ok", 1, "ack", ""},
			{"panic", 1, "retry", pelican.ClassPanic},
			{"panic", 2, "ack", ""},
			{"permanent", 1, "dead-letter", pelican.ClassPermanent},
			{"timeout", 1, "retry", pelican.ClassTimeout},
			{"timeout", 2, "ack", ""},
			{"unavailable", 1, "give-back", pelican.ClassUnavailable},
			{"unavailable", 1, "ack", ""},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("outcomes seen by the middleware (-want +got):\n%s", diff)
		}
		m := w.Metrics()
		if m.Panics != 2 {
			t.Errorf("Panics = %d, want 2 (the handler's and the middleware's)", m.Panics)
		}
		if m.Retried != 4 {
			t.Errorf("Retried = %d, want 4 (fails, panic, timeout, middleware-panic)", m.Retried)
		}
		if s := w.Stats(); s.GivenBack != 1 {
			t.Errorf("GivenBack = %d, want 1", s.GivenBack)
		}
	})
}

// TestOutcomeOf checks the classification middleware see, without a
// worker.
func TestOutcomeOf(t *testing.T) {
	live := context.Background()
	expired, cancel := context.WithDeadline(live, time.Unix(1, 0))
	defer cancel()
	stopped, stop := context.WithCancel(live)
	stop()
	first := &pelican.Message{Deliveries: 1, MaxDeliveries: 3}
	last := &pelican.Message{Deliveries: 3, MaxDeliveries: 3}
	plain := errors.New("boom")
	tests := []struct {
		name string
		ctx  context.Context
		m    *pelican.Message
		err  error
		want pelican.Outcome
	}{
		{"ok", live, first, nil, pelican.Outcome{Result: pelican.ResultAck}},
		{"failure", live, first, plain, pelican.Outcome{Result: pelican.ResultRetry, Class: pelican.ClassHandler}},
		{"last failure", live, last, plain, pelican.Outcome{Result: pelican.ResultDeadLetter, Class: pelican.ClassHandler}},
		{"permanent", live, first, pelican.Permanent(plain), pelican.Outcome{Result: pelican.ResultDeadLetter, Class: pelican.ClassPermanent}},
		{"unavailable, wrapped", live, last, errorsJoin(pelican.Unavailable(plain)), pelican.Outcome{Result: pelican.ResultGiveBack, Class: pelican.ClassUnavailable}},
		{"timeout", expired, first, plain, pelican.Outcome{Result: pelican.ResultRetry, Class: pelican.ClassTimeout}},
		{"retry after, past the deadline", expired, first, pelican.RetryAfter(time.Second, plain), pelican.Outcome{Result: pelican.ResultRetry, Class: pelican.ClassHandler}},
		{"shutdown", stopped, first, plain, pelican.Outcome{Result: pelican.ResultGiveBack, Class: pelican.ClassShutdown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pelican.OutcomeOf(tt.ctx, tt.m, tt.err); got != tt.want {
				t.Errorf("OutcomeOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func errorsJoin(err error) error { return errors.Join(errors.New("saving the order"), err) }
