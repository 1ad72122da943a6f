package pelican_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// eachScheduling runs f on every backend, and on redis-server once more
// with ForceFallbacks (the mover's WATCH form), each with a clock of its
// own that the test advances.
func eachScheduling(t *testing.T, f func(t *testing.T, c *pelican.Client, clk *skewClock)) {
	backends := append([]backendtest.Backend{}, backendtest.Backends...)
	for _, b := range backendtest.Backends {
		if b.Name == "redis7" {
			open := b.Open
			backends = append(backends, backendtest.Backend{Name: "redis7-fallbacks", Open: func(t *testing.T, opts pelican.Options) *pelican.Client {
				opts.ForceFallbacks = true
				return open(t, opts)
			}})
		}
	}
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := &skewClock{}
			f(t, b.Open(t, pelican.Options{Clock: clk}), clk)
		})
	}
}

// newScheduler returns a scheduler of streams on c.
func newScheduler(t *testing.T, c *pelican.Client, streams ...string) *pelican.Scheduler {
	t.Helper()
	s, err := c.NewScheduler(pelican.SchedulerConfig{Streams: streams})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// moveDue runs one pass of s and checks how many messages it moved.
func moveDue(t *testing.T, s *pelican.Scheduler, want int) {
	t.Helper()
	n, err := s.MoveDue(context.Background())
	if err != nil {
		t.Fatalf("MoveDue: %v", err)
	}
	if n != want {
		t.Fatalf("MoveDue moved %d messages, want %d", n, want)
	}
}

// streamValues returns the field n of every entry of stream, in order.
func streamValues(t *testing.T, rdb redis.UniversalClient, stream, field string) []string {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i], _ = m.Values[field].(string)
	}
	return out
}

func TestScheduleWithDelayAndAt(t *testing.T) {
	eachScheduling(t, func(t *testing.T, c *pelican.Client, clk *skewClock) {
		ctx := context.Background()
		s := newScheduler(t, c, "s")
		id, err := c.Publish(ctx, "s", map[string]string{"n": "delay"}, &pelican.PublishOptions{Delay: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if !pelican.IsScheduleID(id) {
			t.Fatalf("Publish with a delay returned %q, not a schedule ID", id)
		}
		if _, err := c.Publish(ctx, "s", map[string]string{"n": "at"}, &pelican.PublishOptions{At: clk.Now().Add(90 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		moveDue(t, s, 0)
		if n, _ := c.Redis().XLen(ctx, "s").Result(); n != 0 {
			t.Fatalf("XLEN %d before anything is due", n)
		}
		clk.Advance(59 * time.Minute)
		moveDue(t, s, 0)
		clk.Advance(2 * time.Minute)
		moveDue(t, s, 1)
		if diff := cmp.Diff(streamValues(t, c.Redis(), "s", "n"), []string{"delay"}); diff != "" {
			t.Errorf("after an hour (-got +want):\n%s", diff)
		}
		clk.Advance(30 * time.Minute)
		moveDue(t, s, 1)
		moveDue(t, s, 0)
		if diff := cmp.Diff(streamValues(t, c.Redis(), "s", "n"), []string{"delay", "at"}); diff != "" {
			t.Errorf("after 91 minutes (-got +want):\n%s", diff)
		}
		st, err := c.ScheduledStats(ctx, "s")
		if err != nil || st != (pelican.ScheduledStats{}) {
			t.Errorf("ScheduledStats = %+v, %v; want nothing left", st, err)
		}
		// A time already past is due at once; a batch is scheduled with
		// its trimming applied when it is moved.
		if _, err := c.Publish(ctx, "s", map[string]string{"n": "past"}, &pelican.PublishOptions{At: clk.Now().Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		ids, err := c.PublishBatch(ctx, "s", []map[string]string{{"n": "b1"}, {"n": "b2"}}, &pelican.PublishOptions{Delay: time.Minute, MaxLen: 3})
		if err != nil || len(ids) != 2 || !pelican.IsScheduleID(ids[0]) || ids[0] == ids[1] {
			t.Fatalf("PublishBatch = %v, %v; want two schedule IDs", ids, err)
		}
		moveDue(t, s, 1)
		clk.Advance(time.Minute)
		moveDue(t, s, 2)
		if diff := cmp.Diff(streamValues(t, c.Redis(), "s", "n"), []string{"past", "b1", "b2"}); diff != "" {
			t.Errorf("after the batch, trimmed to 3 (-got +want):\n%s", diff)
		}
	})
}

func TestScheduleRefusesBadOptions(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		v := map[string]string{"a": "b"}
		tests := []struct {
			name string
			opts pelican.PublishOptions
		}{
			{"negative delay", pelican.PublishOptions{Delay: -time.Second}},
			{"delay and at", pelican.PublishOptions{Delay: time.Second, At: time.Now().Add(time.Hour)}},
			{"idempotency key", pelican.PublishOptions{Delay: time.Second, IdempotencyKey: "k"}},
		}
		for _, tt := range tests {
			if _, err := c.Publish(ctx, "s", v, &tt.opts); !errors.Is(err, pelican.ErrInvalidSchedule) {
				t.Errorf("%s: err = %v, want ErrInvalidSchedule", tt.name, err)
			}
		}
		if _, err := c.Cancel(ctx, "s", "1-1"); !errors.Is(err, pelican.ErrInvalidSchedule) {
			t.Errorf("Cancel of a stream ID: err = %v, want ErrInvalidSchedule", err)
		}
		if pelican.IsScheduleID("1700000000000-0") {
			t.Error("a stream ID was taken for a schedule ID")
		}
	})
}

func TestScheduleCancel(t *testing.T) {
	eachScheduling(t, func(t *testing.T, c *pelican.Client, clk *skewClock) {
		ctx := context.Background()
		s := newScheduler(t, c, "s")
		keep, _ := c.Publish(ctx, "s", map[string]string{"n": "keep"}, &pelican.PublishOptions{Delay: time.Minute})
		drop, err := c.Publish(ctx, "s", map[string]string{"n": "drop"}, &pelican.PublishOptions{Delay: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := c.Cancel(ctx, "s", drop); !ok || err != nil {
			t.Fatalf("Cancel before due = %v, %v; want true", ok, err)
		}
		if ok, err := c.Cancel(ctx, "s", drop); ok || err != nil {
			t.Fatalf("Cancel again = %v, %v; want false", ok, err)
		}
		clk.Advance(time.Minute)
		moveDue(t, s, 1)
		if ok, err := c.Cancel(ctx, "s", keep); ok || err != nil {
			t.Fatalf("Cancel after the move = %v, %v; want false", ok, err)
		}
		if diff := cmp.Diff(streamValues(t, c.Redis(), "s", "n"), []string{"keep"}); diff != "" {
			t.Errorf("stream (-got +want):\n%s", diff)
		}
		if n, _ := c.Redis().Exists(ctx, "s:pelican:scheduled", "s:pelican:scheduled:payloads").Result(); n != 0 {
			t.Errorf("%d scheduling keys left behind", n)
		}
	})
}

// TestScheduleWorkerMoves checks that a worker moves its stream's due
// messages by itself, without a Scheduler: one scheduled in this process
// wakes its mover, and one scheduled by another client is seen within
// ScheduleInterval.
func TestScheduleWorkerMoves(t *testing.T) {
	eachScheduling(t, func(t *testing.T, c *pelican.Client, clk *skewClock) {
		ctx := context.Background()
		got := make(chan string, 10)
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			got <- m.Values["n"]
			return nil
		}))
		cfg.ScheduleInterval = time.Hour // only a known due time or a wake moves it
		runWorker(t, c, cfg)
		if _, err := c.Publish(ctx, "s", map[string]string{"n": "soon"}, &pelican.PublishOptions{Delay: 50 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-got:
			if n != "soon" {
				t.Fatalf("got %q", n)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the message scheduled 50ms ahead was not delivered in 10s")
		}
		if _, err := c.Publish(ctx, "s", map[string]string{"n": "later"}, &pelican.PublishOptions{Delay: time.Hour}); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-got:
			t.Fatalf("%q delivered an hour early", n)
		case <-time.After(100 * time.Millisecond):
		}
		clk.Advance(time.Hour)
		// The mover sleeps until the due time it saw, on real time: one
		// more publish, due now, wakes it.
		if _, err := c.Publish(ctx, "s", map[string]string{"n": "now"}, &pelican.PublishOptions{At: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		var rest []string
		for len(rest) < 2 {
			select {
			case n := <-got:
				rest = append(rest, n)
			case <-time.After(10 * time.Second):
				t.Fatalf("got only %v after the hour", rest)
			}
		}
		if diff := cmp.Diff(rest, []string{"later", "now"}); diff != "" {
			t.Errorf("after the hour (-got +want):\n%s", diff)
		}
	})
}

// TestScheduleRacingMovers has eight schedulers and two workers move the
// same due messages at once, and checks that each was added to the
// stream exactly once.
func TestScheduleRacingMovers(t *testing.T) {
	eachScheduling(t, func(t *testing.T, c *pelican.Client, clk *skewClock) {
		ctx := context.Background()
		const n = 3000
		batch := make([]map[string]string, n)
		for i := range batch {
			batch[i] = map[string]string{"n": strconv.Itoa(i)}
		}
		for i := 0; i < n; i += 500 {
			if _, err := c.PublishBatch(ctx, "s", batch[i:i+500], &pelican.PublishOptions{At: clk.Now().Add(time.Duration(i) * time.Millisecond)}); err != nil {
				t.Fatal(err)
			}
		}
		for w := 0; w < 2; w++ {
			cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return nil }))
			cfg.Consumer = fmt.Sprint("w", w)
			cfg.ScheduleInterval = 5 * time.Millisecond
			runWorker(t, c, cfg)
		}
		var wg sync.WaitGroup
		for range 8 {
			s, err := c.NewScheduler(pelican.SchedulerConfig{Streams: []string{"s"}, BatchSize: 37})
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 50 {
					if _, err := s.MoveDue(ctx); err != nil {
						t.Errorf("MoveDue: %v", err)
						return
					}
				}
			}()
		}
		clk.Advance(time.Hour)
		wg.Wait()
		await.True(t, "every message is moved", func() bool {
			st, err := c.ScheduledStats(ctx, "s")
			return err == nil && st.Count == 0
		})
		got := streamValues(t, c.Redis(), "s", "n")
		seen := make(map[string]int, n)
		for _, v := range got {
			seen[v]++
		}
		for i := range n {
			if k := seen[strconv.Itoa(i)]; k != 1 {
				t.Errorf("message %d is %d times in the stream", i, k)
			}
		}
		if len(got) != n {
			t.Errorf("the stream has %d entries, want %d", len(got), n)
		}
	})
}

// TestSchedule100k schedules 100,000 messages, moves them once due and
// checks that all arrived, within a bounded time.
func TestSchedule100k(t *testing.T) {
	if testing.Short() {
		t.Skip("100k messages")
	}
	eachScheduling(t, func(t *testing.T, c *pelican.Client, clk *skewClock) {
		ctx := context.Background()
		const n, per = 100_000, 1000
		start := time.Now()
		base := clk.Now().Add(time.Hour)
		for i := 0; i < n; i += per {
			batch := make([]map[string]string, per)
			for j := range batch {
				batch[j] = map[string]string{"n": strconv.Itoa(i + j)}
			}
			// Due over ten minutes, in the order published.
			if _, err := c.PublishBatch(ctx, "s", batch, &pelican.PublishOptions{At: base.Add(time.Duration(i) * 6 * time.Millisecond)}); err != nil {
				t.Fatal(err)
			}
		}
		scheduled := time.Since(start)
		st, err := c.ScheduledStats(ctx, "s")
		if err != nil || st.Count != n {
			t.Fatalf("ScheduledStats = %+v, %v; want %d scheduled", st, err, n)
		}
		s := newScheduler(t, c, "s")
		clk.Advance(time.Hour + 5*time.Minute)
		half, err := s.MoveDue(ctx)
		// The clock runs on meanwhile: a few more may be due.
		if err != nil || half < n/2 || half > n/2+10*per {
			t.Fatalf("after 5 minutes MoveDue moved %d, %v; want about %d", half, err, n/2)
		}
		clk.Advance(6 * time.Minute)
		moveDue(t, s, n-half)
		moved := time.Since(start) - scheduled
		got := streamValues(t, c.Redis(), "s", "n")
		if len(got) != n {
			t.Fatalf("the stream has %d entries, want %d", len(got), n)
		}
		for i, v := range got {
			if v != strconv.Itoa(i) {
				t.Fatalf("entry %d is message %s: not in due order", i, v)
			}
		}
		t.Logf("scheduled 100k in %v, moved them in %v", scheduled.Round(time.Millisecond), moved.Round(time.Millisecond))
		if scheduled+moved > 60*time.Second {
			t.Errorf("scheduling and moving 100k messages took %v", scheduled+moved)
		}
	})
}

func TestListScheduled(t *testing.T) {
	eachScheduling(t, func(t *testing.T, c *pelican.Client, clk *skewClock) {
		ctx := context.Background()
		base := clk.Now().Add(time.Hour).Truncate(time.Millisecond)
		var want []string // IDs in due order
		// 50 due times, 5 messages each: ties at each millisecond.
		for i := 49; i >= 0; i-- {
			batch := make([]map[string]string, 5)
			for j := range batch {
				batch[j] = map[string]string{"n": strconv.Itoa(i*5 + j)}
			}
			if _, err := c.PublishBatch(ctx, "s", batch, &pelican.PublishOptions{At: base.Add(time.Duration(i) * time.Second)}); err != nil {
				t.Fatal(err)
			}
		}
		all, next, err := c.ListScheduled(ctx, "s", pelican.ListScheduledOptions{Count: 1000})
		if err != nil || next != "" || len(all) != 250 {
			t.Fatalf("ListScheduled = %d messages, next %q, %v; want 250 and no next", len(all), next, err)
		}
		for i, m := range all {
			want = append(want, m.ID)
			if wantDue := base.Add(time.Duration(i/5) * time.Second); !m.Due.Equal(wantDue) {
				t.Fatalf("message %d due %v, want %v", i, m.Due, wantDue)
			}
			if n, _ := strconv.Atoi(m.Values["n"]); n/5 != i/5 {
				t.Fatalf("message %d has values %v", i, m.Values)
			}
		}
		st, err := c.ScheduledStats(ctx, "s")
		if wantSt := (pelican.ScheduledStats{Count: 250, NextDue: base}); err != nil || !st.NextDue.Equal(wantSt.NextDue) || st.Count != wantSt.Count || st.Due != 0 {
			t.Errorf("ScheduledStats = %+v, %v; want %+v", st, err, wantSt)
		}
		// Pages of 7; midway the cursor's message is cancelled, and the
		// next page still starts right after it, ties included.
		var got []string
		cursor := ""
		for page := 0; ; page++ {
			msgs, next, err := c.ListScheduled(ctx, "s", pelican.ListScheduledOptions{After: cursor, Count: 7})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				got = append(got, m.ID)
			}
			if next == "" {
				break
			}
			if page == 1 {
				if ok, err := c.Cancel(ctx, "s", next); !ok || err != nil {
					t.Fatalf("Cancel(%s) = %v, %v", next, ok, err)
				}
			}
			cursor = next
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("paged listing (-got +want):\n%s", diff)
		}
		clk.Advance(time.Hour + 2*time.Second)
		if st, _ := c.ScheduledStats(ctx, "s"); st.Due != 14 {
			t.Errorf("ScheduledStats.Due = %d, want 14 (three due times less the cancelled one)", st.Due)
		}
	})
}
