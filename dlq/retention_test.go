package dlq_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// logRecorder is a slog handler that keeps the records' messages and
// attributes, as "msg k=v k=v" lines.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	line := rec.Level.String() + " " + rec.Message
	rec.Attrs(func(a slog.Attr) bool {
		line += " " + a.Key + "=" + a.Value.String()
		return true
	})
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
	return nil
}

func (r *logRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	lines := r.lines
	r.lines = nil
	return lines
}

// eachWithLog runs f on every backend with the frozen clock and a logger
// that records.
func eachWithLog(t *testing.T, f func(t *testing.T, c *pelican.Client, log *logRecorder)) {
	for _, b := range backendtest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			log := &logRecorder{}
			f(t, b.Open(t, pelican.Options{Clock: frozenClock{t0}, Logger: slog.New(log)}), log)
		})
	}
}

// aged adds n entries to key, one a minute, the newest added at t0.
func aged(t *testing.T, c *pelican.Client, key string, n int) []string {
	t.Helper()
	var ls []letter
	for i := range n {
		d := -time.Duration(n-1-i) * time.Minute
		ls = append(ls, letter{id: at(d), deadAt: t0.Add(d), stream: "orders", group: "g", class: pelican.ClassHandler, err: "x"})
	}
	return addLetters(t, c, key, ls...)
}

func TestEnforce(t *testing.T) {
	eachWithLog(t, func(t *testing.T, c *pelican.Client, log *logRecorder) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")
		ids := aged(t, c, "orders:dlq", 10) // ages 9m .. 0m
		annotate(t, q)
		var alerts []dlq.RetentionAlert
		onAlert := func(_ context.Context, a dlq.RetentionAlert) { alerts = append(alerts, a) }

		steps := []struct {
			name      string
			r         dlq.Retention
			want      dlq.Enforced
			remaining []string
			evictions int64
			logs      []string
		}{
			{"no limits: nothing", dlq.Retention{OnAlert: onAlert}, dlq.Enforced{}, ids, 0, nil},
			{"below every threshold", dlq.Retention{MaxLen: 20, MaxAge: time.Hour, OnAlert: onAlert},
				dlq.Enforced{Len: 10, OldestAge: 9 * time.Minute}, ids, 0, nil},
			{"age: the entries older than 6m go; 5m is 5/6 of it", dlq.Retention{MaxAge: 6 * time.Minute, OnAlert: onAlert},
				dlq.Enforced{EvictedByAge: 3, OldestEvicted: ids[0], Len: 7, OldestAge: 6 * time.Minute, Alerts: []dlq.RetentionAlert{
					{Queue: "orders:dlq", Reason: dlq.ReasonMaxAge, Len: 7, OldestAge: 6 * time.Minute, MaxAge: 6 * time.Minute, Evicted: 3},
				}}, ids[3:], 3,
				[]string{"WARN pelican: dead letters evicted dlq=orders:dlq reason=max-age count=3 oldest_evicted=" + ids[0] + " max_age=6m0s"}},
			{"length: the oldest beyond 5 go; at the cap, an alert", dlq.Retention{MaxLen: 5, OnAlert: onAlert},
				dlq.Enforced{EvictedByLen: 2, OldestEvicted: ids[3], Len: 5, OldestAge: 4 * time.Minute, Alerts: []dlq.RetentionAlert{
					{Queue: "orders:dlq", Reason: dlq.ReasonMaxLen, Len: 5, MaxLen: 5, OldestAge: 4 * time.Minute, Evicted: 2},
				}}, ids[5:], 5,
				[]string{"WARN pelican: dead letters evicted dlq=orders:dlq reason=max-len count=2 oldest_evicted=" + ids[3] + " max_len=5"}},
			{"alert at 4 of 5, before the cap", dlq.Retention{MaxLen: 6, WarnAt: 0.8, OnAlert: onAlert},
				dlq.Enforced{Len: 5, OldestAge: 4 * time.Minute, Alerts: []dlq.RetentionAlert{
					{Queue: "orders:dlq", Reason: dlq.ReasonMaxLen, Len: 5, MaxLen: 6, OldestAge: 4 * time.Minute},
				}}, ids[5:], 5, nil},
			{"no alert below WarnAt", dlq.Retention{MaxLen: 7, MaxAge: 10 * time.Minute, WarnAt: 0.75, OnAlert: onAlert},
				dlq.Enforced{Len: 5, OldestAge: 4 * time.Minute}, ids[5:], 5, nil},
			{"both at once", dlq.Retention{MaxLen: 2, MaxAge: 3*time.Minute + time.Millisecond, WarnAt: 1, OnAlert: onAlert},
				dlq.Enforced{EvictedByAge: 1, EvictedByLen: 2, OldestEvicted: ids[5], Len: 2, OldestAge: time.Minute, Alerts: []dlq.RetentionAlert{
					{Queue: "orders:dlq", Reason: dlq.ReasonMaxLen, Len: 2, MaxLen: 2, OldestAge: time.Minute, MaxAge: 3*time.Minute + time.Millisecond, Evicted: 3},
				}}, ids[8:], 8,
				[]string{
					"WARN pelican: dead letters evicted dlq=orders:dlq reason=max-age count=1 oldest_evicted=" + ids[5] + " max_age=3m0.001s",
					"WARN pelican: dead letters evicted dlq=orders:dlq reason=max-len count=2 oldest_evicted=" + ids[6] + " max_len=2",
				}},
		}
		for _, s := range steps {
			alerts = nil
			got, err := q.Enforce(ctx, s.r)
			if err != nil {
				t.Fatalf("%s: Enforce: %v", s.name, err)
			}
			if diff := cmp.Diff(got, s.want); diff != "" {
				t.Errorf("%s: Enforce (-got +want):\n%s", s.name, diff)
			}
			if diff := cmp.Diff(alerts, s.want.Alerts); diff != "" {
				t.Errorf("%s: OnAlert calls (-got +want):\n%s", s.name, diff)
			}
			if diff := cmp.Diff(remaining(t, q), s.remaining); diff != "" {
				t.Errorf("%s: remaining (-got +want):\n%s", s.name, diff)
			}
			// The notes of evicted entries go with them.
			if diff := cmp.Diff(noteIDs(t, c, "orders:dlq"), s.remaining); diff != "" {
				t.Errorf("%s: notes (-got +want):\n%s", s.name, diff)
			}
			if n, err := q.Evictions(ctx); n != s.evictions || err != nil {
				t.Errorf("%s: Evictions = %d, %v; want %d", s.name, n, err, s.evictions)
			}
			if diff := cmp.Diff(log.take(), s.logs); diff != "" {
				t.Errorf("%s: logs (-got +want):\n%s", s.name, diff)
			}
		}
		counters, err := c.Redis().HGetAll(ctx, "orders:dlq:pelican:retention").Result()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"evicted:max-age": "4", "evicted:max-len": "4", "last-eviction": fmt.Sprint(t0.UnixMilli())}
		if diff := cmp.Diff(counters, want); diff != "" {
			t.Errorf("counters (-got +want):\n%s", diff)
		}
	})
}

func TestEnforceBadInput(t *testing.T) {
	backendtest.EachWith(t, frozen(), func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")
		aged(t, c, "orders:dlq", 3)
		for _, r := range []dlq.Retention{
			{MaxLen: -1},
			{MaxAge: -time.Second},
			{MaxLen: 1, WarnAt: 1.5},
			{MaxLen: 1, WarnAt: -0.1},
			{MaxLen: 1, WarnAt: math.NaN()},
			{MaxAge: time.Microsecond},
		} {
			if _, err := q.Enforce(ctx, r); !errors.Is(err, dlq.ErrBadRetention) {
				t.Errorf("Enforce(%+v): %v, want ErrBadRetention", r, err)
			}
			if err := q.RunRetention(ctx, r, time.Millisecond); !errors.Is(err, dlq.ErrBadRetention) {
				t.Errorf("RunRetention(%+v): %v, want ErrBadRetention", r, err)
			}
		}
		if n := xlen(t, c, "orders:dlq"); n != 3 {
			t.Errorf("bad retentions left %d entries, want 3", n)
		}

		c.Redis().Set(ctx, "astring", "x", 0)
		wrong := dlq.Open(c, "astring")
		if _, err := wrong.Enforce(ctx, dlq.Retention{MaxLen: 1, MaxAge: time.Second}); !errors.Is(err, dlq.ErrWrongType) {
			t.Errorf("Enforce on a string: %v, want ErrWrongType", err)
		}
		if got, _ := c.Redis().Get(ctx, "astring").Result(); got != "x" {
			t.Errorf("the string is %q after Enforce, want x", got)
		}
		if _, err := wrong.Enforce(ctx, dlq.Retention{}); err != nil {
			t.Errorf("zero Retention on a string: %v, want nothing done", err)
		}

		absent := dlq.Open(c, "absent:dlq")
		if got, err := absent.Enforce(ctx, dlq.Retention{MaxLen: 1, MaxAge: time.Second}); err != nil || got.Len != 0 || len(got.Alerts) != 0 {
			t.Errorf("Enforce on an absent stream = %+v, %v", got, err)
		}
		if n, _ := c.Redis().Exists(ctx, "absent:dlq", dlq.CountersKey("absent:dlq")).Result(); n != 0 {
			t.Errorf("Enforce on an absent stream created %d keys", n)
		}
		if n, err := absent.Evictions(ctx); n != 0 || err != nil {
			t.Errorf("Evictions of an absent stream = %d, %v", n, err)
		}
		c.Redis().HSet(ctx, dlq.CountersKey("bad:dlq"), "evicted:max-len", "lots")
		if _, err := dlq.Open(c, "bad:dlq").Evictions(ctx); err == nil {
			t.Error("Evictions with a malformed counter: no error")
		}
	})
}

// TestEnforceConcurrently runs Enforce from several goroutines at once:
// exact trims never evict more than the cap demands, and the shared
// counter counts each eviction once.
func TestEnforceConcurrently(t *testing.T) {
	backendtest.EachWith(t, frozen(), func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")
		aged(t, c, "orders:dlq", 100)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				r := dlq.Retention{MaxLen: int64(60 + 10*i)}
				if _, err := q.Enforce(ctx, r); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := xlen(t, c, "orders:dlq"); n != 60 {
			t.Errorf("XLEN = %d, want 60", n)
		}
		if n, err := q.Evictions(ctx); n != 40 || err != nil {
			t.Errorf("Evictions = %d, %v; want 40", n, err)
		}
	})
}

func TestRunRetention(t *testing.T) {
	backendtest.EachWith(t, frozen(), func(t *testing.T, c *pelican.Client) {
		ctx, cancel := context.WithCancel(context.Background())
		q := dlq.Open(c, "orders:dlq")
		alerted := make(chan dlq.RetentionAlert, 100)
		r := dlq.Retention{MaxLen: 10, OnAlert: func(_ context.Context, a dlq.RetentionAlert) {
			select {
			case alerted <- a:
			default: // one is enough
			}
		}}
		done := make(chan error, 1)
		go func() { done <- q.RunRetention(ctx, r, 5*time.Millisecond) }()

		// Entries arriving while it runs are capped at the next tick,
		// the alert coming first at 8.
		for i := range 25 {
			addLetters(t, c, "orders:dlq", letter{stream: "orders", group: "g", err: fmt.Sprint("failure ", i)})
		}
		await.True(t, "the stream is capped at 10 entries", func() bool { return xlen(t, c, "orders:dlq") == 10 })
		select {
		case a := <-alerted:
			if a.Reason != dlq.ReasonMaxLen || a.Len < 8 {
				t.Errorf("alert %+v", a)
			}
		case <-time.After(10 * time.Second):
			t.Error("no alert")
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunRetention: %v", err)
		}
		if n, _ := q.Evictions(context.Background()); n != 15 {
			t.Errorf("Evictions = %d, want 15", n)
		}
		// With nothing to enforce it returns at once.
		if err := q.RunRetention(context.Background(), dlq.Retention{}, time.Hour); err != nil {
			t.Errorf("RunRetention of the zero Retention: %v", err)
		}
	})
}

func TestCounters(t *testing.T) {
	if got, want := dlq.CountersKey("{orders}:dlq"), "{orders}:dlq:pelican:retention"; got != want {
		t.Errorf("CountersKey = %q, want %q (docs/keys.md)", got, want)
	}
	for _, tt := range []struct {
		name    string
		fields  map[string]string
		want    dlq.Counters
		wantErr bool
	}{
		{"none", map[string]string{}, dlq.Counters{}, false},
		{
			name:   "both reasons",
			fields: map[string]string{"evicted:max-age": "4", "evicted:max-len": "3", "last-eviction": "1700000000000"},
			want: dlq.Counters{Evicted: 7, EvictedBy: map[string]int64{dlq.ReasonMaxAge: 4, dlq.ReasonMaxLen: 3},
				LastEviction: time.UnixMilli(1700000000000)},
		},
		{
			name:   "no reason, and a field it does not know",
			fields: map[string]string{"evicted": "2", "evicted:max-len": "1", "note": "x"},
			want:   dlq.Counters{Evicted: 3, EvictedBy: map[string]int64{"": 2, dlq.ReasonMaxLen: 1}},
		},
		{
			name:    "a count that is not a number",
			fields:  map[string]string{"evicted:max-age": "lots", "evicted:max-len": "3"},
			want:    dlq.Counters{Evicted: 3, EvictedBy: map[string]int64{dlq.ReasonMaxLen: 3}},
			wantErr: true,
		},
		{
			name:   "a last eviction that is not a time",
			fields: map[string]string{"evicted:max-len": "3", "last-eviction": "yesterday"},
			want:   dlq.Counters{Evicted: 3, EvictedBy: map[string]int64{dlq.ReasonMaxLen: 3}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dlq.ParseCounters(tt.fields)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("ParseCounters (-got +want):\n%s", diff)
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("error %v, want one: %v", err, tt.wantErr)
			}
		})
	}
}
