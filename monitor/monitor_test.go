package monitor

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/trim"
)

// manualClock is a pelican.Clock the test moves.
type manualClock struct{ ms atomic.Int64 }

func newClock(ms int64) *manualClock {
	c := &manualClock{}
	c.ms.Store(ms)
	return c
}

func (c *manualClock) Now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *manualClock) Advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// start is the tests' clock at the beginning: 1000 s after the epoch.
// Entries have IDs <i*1000>-1, so entry i is 1000-i seconds old.
const start = 1_000_000

func do(t *testing.T, rdb redis.UniversalClient, args ...any) any {
	t.Helper()
	v, err := rdb.Do(context.Background(), args...).Result()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

// build makes stream s: 20 entries; group g1 where alice holds 1..5 (with
// delivery counts 7, 12, 2, 4, 1) and bob 9..12, entries 1 and 2 trimmed
// while pending (ghosts); group g2 that read nothing; alice's heartbeat
// and counters; two dead letters and retention counters.
func build(t *testing.T, c *pelican.Client, clock *manualClock) {
	t.Helper()
	ctx := context.Background()
	rdb := c.Redis()
	for i := 1; i <= 20; i++ {
		do(t, rdb, "XADD", "s", fmt.Sprintf("%d-1", i*1000), "n", i)
	}
	do(t, rdb, "XGROUP", "CREATE", "s", "g1", "0")
	do(t, rdb, "XGROUP", "CREATE", "s", "g2", "0")
	do(t, rdb, "XREADGROUP", "GROUP", "g1", "alice", "COUNT", 8, "STREAMS", "s", ">")
	do(t, rdb, "XACK", "s", "g1", "6000-1", "7000-1", "8000-1")
	do(t, rdb, "XREADGROUP", "GROUP", "g1", "bob", "COUNT", 4, "STREAMS", "s", ">")
	for id, n := range map[string]int{"1000-1": 7, "2000-1": 12, "3000-1": 2, "4000-1": 4} {
		do(t, rdb, "XCLAIM", "s", "g1", "alice", 0, id, "RETRYCOUNT", n, "JUSTID")
	}
	if _, err := trim.Run(ctx, c, trim.Policy{Stream: "s", MinID: "2500"}); err != nil {
		t.Fatal(err)
	}
	do(t, rdb, "HSET", "s:pelican:workers:g1", "alice", clock.Now().Add(-time.Second).UnixMilli())
	do(t, rdb, "HSET", "s:pelican:stats:g1", "alice", "1|10|3|1|0|0|0|0|5")
	do(t, rdb, "XADD", "s:dlq", "*", "n", "x")
	do(t, rdb, "XADD", "s:dlq", "*", "n", "y")
	do(t, rdb, "HSET", dlq.CountersKey("s:dlq"), "evicted:max-len", 4, "evicted", 1, "last-eviction", 123)
}

// ignoreTimes leaves out the figures the server measures with its own
// clock (checked separately).
var ignoreTimes = cmp.Options{
	cmpopts.IgnoreFields(ConsumerStats{}, "Idle", "Inactive", "InactiveKnown"),
	cmpopts.IgnoreFields(GroupStats{}, "OldestPendingIdle"),
	cmpopts.IgnoreFields(DLQStats{}, "OldestID", "NewestID", "OldestAge"),
	cmpopts.IgnoreFields(PendingMessage{}, "Idle"),
	cmpopts.EquateEmpty(),
}

// eachWithClock runs f on every backend with a client whose clock the
// test moves, one clock per backend.
func eachWithClock(t *testing.T, f func(t *testing.T, c *pelican.Client, clock *manualClock)) {
	for _, b := range backendtest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clock := newClock(start)
			f(t, b.Open(t, pelican.Options{Clock: clock}), clock)
		})
	}
}

func TestStats(t *testing.T) {
	eachWithClock(t, func(t *testing.T, c *pelican.Client, clock *manualClock) {
		ctx := context.Background()
		build(t, c, clock)
		m := New(c, Options{})
		got, err := m.Stats(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		now := clock.Now()
		alice := ConsumerStats{Name: "alice", Pending: 5, Worker: true, LastHeartbeat: now.Add(-time.Second), Alive: true,
			Stats: pelican.WorkerStats{Processed: 10, Failed: 3, DeadLettered: 1, Redeliveries: 5}}
		want := StreamStats{
			Stream: "s", At: now, Length: 18, FirstID: "3000-1", LastID: "20000-1", LastGeneratedID: "20000-1", EntriesAdded: 20,
			Groups: []GroupStats{
				{
					Name: "g1", Pending: 9, OldestPendingID: "1000-1", OldestPendingAge: 999 * time.Second,
					Lag: 8, LagKnown: true, LastDeliveredID: "12000-1",
					Consumers: []ConsumerStats{alice, {Name: "bob", Pending: 4, Alive: true}},
					// 1: 5000 and bob's four; 2: 3000; 4 (≤5): 4000;
					// 7 (≤10): 1000; 12: 2000.
					Deliveries: DeliveryHistogram{Counts: [6]int64{5, 1, 0, 1, 1, 1}, Sampled: 9, Sum: 30, Max: 12},
					MostDelivered: []PendingMessage{
						{ID: "2000-1", Consumer: "alice", Deliveries: 12},
						{ID: "1000-1", Consumer: "alice", Deliveries: 7},
						{ID: "4000-1", Consumer: "alice", Deliveries: 4},
						{ID: "3000-1", Consumer: "alice", Deliveries: 2},
					},
					Redeliveries: 5, GhostPending: 2,
				},
				// Not yet delivered: the 18 entries left.
				{Name: "g2", Lag: 18, LagKnown: true, LastDeliveredID: "0-0"},
			},
			DeadLetters: DLQStats{Stream: "s:dlq", Exists: true, Length: 2, EntriesAdded: 2, Evicted: 5, EvictedBy: map[string]int64{"max-len": 4, "": 1}},
			Trim:        trim.Counters{Removed: 2, Lost: 2},
		}
		if diff := cmp.Diff(got, want, ignoreTimes); diff != "" {
			t.Errorf("Stats (-got +want):\n%s", diff)
		}
		for _, g := range got.Groups {
			for _, cs := range g.Consumers {
				if cs.Idle < 0 || cs.Idle > time.Minute || cs.InactiveKnown && cs.Inactive > time.Minute {
					t.Errorf("consumer %s: idle %v, inactive %v (known %v)", cs.Name, cs.Idle, cs.Inactive, cs.InactiveKnown)
				}
			}
		}
		if got.DeadLetters.OldestID == "" || got.DeadLetters.NewestID <= got.DeadLetters.OldestID {
			t.Errorf("dead letters from %q to %q", got.DeadLetters.OldestID, got.DeadLetters.NewestID)
		}

		// Rates, between this sample and the next, two seconds later.
		for range 3 {
			do(t, c.Redis(), "XADD", "s:dlq", "*", "n", "z")
		}
		do(t, c.Redis(), "HSET", "s:pelican:stats:g1", "alice", "1|10|9|1|0|0|0|0|11")
		clock.Advance(2 * time.Second)
		next, err := m.Stats(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		type rates struct {
			SinceLast                  time.Duration
			Inflow, G1Rate, G1Redelivs float64
		}
		gotRates := rates{next.SinceLast, next.DeadLetters.InflowRate, next.Groups[0].RedeliveryRate, float64(next.Groups[0].Redeliveries)}
		if diff := cmp.Diff(gotRates, rates{2 * time.Second, 1.5, 3, 11}); diff != "" {
			t.Errorf("rates (-got +want):\n%s", diff)
		}
		if first := (rates{got.SinceLast, got.DeadLetters.InflowRate, got.Groups[0].RedeliveryRate, 5}); first != (rates{G1Redelivs: 5}) {
			t.Errorf("the first sample has rates %+v, want none", first)
		}

		// One group alone.
		g2, err := m.Group(ctx, "s", "g2")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(g2, want.Groups[1], ignoreTimes); diff != "" {
			t.Errorf("Group(g2) (-got +want):\n%s", diff)
		}
	})
}

// TestStatsSample checks a delivery histogram over part of a PEL, and an
// empty stream whose pending messages are all ghosts.
func TestStatsSample(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		for i := 1; i <= 20; i++ {
			do(t, rdb, "XADD", "s", fmt.Sprintf("%d-1", i), "n", i)
		}
		do(t, rdb, "XGROUP", "CREATE", "s", "g", "0")
		do(t, rdb, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
		do(t, rdb, "XCLAIM", "s", "g", "c", 0, "1-1", "RETRYCOUNT", 3, "JUSTID")
		got, err := Stats(ctx, c, "s", Options{DeliverySample: 4, GhostLimit: 5})
		if err != nil {
			t.Fatal(err)
		}
		want := DeliveryHistogram{Counts: [6]int64{3, 0, 1}, Sampled: 4, Partial: true, Sum: 6, Max: 3}
		if diff := cmp.Diff(got.Groups[0].Deliveries, want); diff != "" {
			t.Errorf("sampled histogram (-got +want):\n%s", diff)
		}

		do(t, rdb, "XTRIM", "s", "MAXLEN", 0)
		got, err = Stats(ctx, c, "s", Options{DeliverySample: -1, GhostLimit: 5})
		if err != nil {
			t.Fatal(err)
		}
		g := got.Groups[0]
		type ghosts struct {
			Ghosts  int64
			Capped  bool
			Oldest  string
			Sampled int64
		}
		if diff := cmp.Diff(ghosts{g.GhostPending, g.GhostsCapped, g.OldestPendingID, g.Deliveries.Sampled}, ghosts{20, false, "1-1", 0}); diff != "" {
			t.Errorf("empty stream (-got +want):\n%s", diff)
		}

		do(t, rdb, "XADD", "s", "100-1", "n", 100)
		got, err = Stats(ctx, c, "s", Options{GhostLimit: 5})
		if err != nil {
			t.Fatal(err)
		}
		g = got.Groups[0]
		if diff := cmp.Diff(ghosts{g.GhostPending, g.GhostsCapped, g.OldestPendingID, g.Deliveries.Sampled}, ghosts{5, true, "1-1", 20}); diff != "" {
			t.Errorf("capped ghosts (-got +want):\n%s", diff)
		}
	})
}

// TestStatsErrors checks the errors for what does not exist.
func TestStatsErrors(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		do(t, rdb, "XADD", "s", "1-1", "n", 1)
		do(t, rdb, "XGROUP", "CREATE", "s", "g", "0")
		do(t, rdb, "SET", "str", "x")
		do(t, rdb, "SET", "bad:dlq", "x")
		do(t, rdb, "XADD", "bad", "1-1", "n", 1)
		m := New(c, Options{})
		tests := []struct {
			name string
			run  func() error
			want error
		}{
			{"unknown stream", func() error { _, err := m.Stats(ctx, "nope"); return err }, ErrNoStream},
			{"not a stream", func() error { _, err := m.Stats(ctx, "str"); return err }, ErrWrongType},
			{"dead-letter key not a stream", func() error { _, err := m.Stats(ctx, "bad"); return err }, ErrWrongType},
			{"unknown group", func() error { _, err := m.Group(ctx, "s", "nope"); return err }, ErrNoGroup},
			{"group of an unknown stream", func() error { _, err := m.Group(ctx, "nope", "g"); return err }, ErrNoStream},
			{"known group", func() error { _, err := m.Group(ctx, "s", "g"); return err }, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.run(); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Errorf("got %v, want %v", err, tt.want)
				}
			})
		}
		if n, _ := rdb.Exists(ctx, "nope", "s:dlq").Result(); n != 0 {
			t.Errorf("reading created %d keys", n)
		}
	})
}

func TestMostDelivered(t *testing.T) {
	var pend []redis.XPendingExt
	for i, n := range []int64{1, 3, 9, 2, 9, 1, 4, 7, 5, 3} {
		pend = append(pend, redis.XPendingExt{ID: fmt.Sprintf("%d-0", i+1), Consumer: "c", RetryCount: n})
	}
	got := mostDelivered(pend)
	want := []PendingMessage{
		{ID: "3-0", Consumer: "c", Deliveries: 9}, {ID: "5-0", Consumer: "c", Deliveries: 9},
		{ID: "8-0", Consumer: "c", Deliveries: 7}, {ID: "9-0", Consumer: "c", Deliveries: 5},
		{ID: "7-0", Consumer: "c", Deliveries: 4},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("mostDelivered (-got +want):\n%s", diff)
	}
	if got := mostDelivered(pend[:1]); got != nil {
		t.Errorf("mostDelivered of one first delivery = %v, want none", got)
	}
}
