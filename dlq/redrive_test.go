package dlq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// rdDead describes a dead-letter entry written by hand, as a worker would
// write it unless a field says otherwise.
type rdDead struct {
	n             int
	stream, group string // "" leaves the field out
	redrives      string // "" leaves the field out (never redriven)
	err           string // "" is "order <n> not found"
}

// rdAddDead adds d to the dead-letter stream dlq and returns its ID.
func rdAddDead(t testing.TB, rdb redis.UniversalClient, dlq string, d rdDead) string {
	t.Helper()
	if d.err == "" {
		d.err = fmt.Sprintf("order %d not found", d.n)
	}
	f := []any{"n", d.n, "payload", "p" + strconv.Itoa(d.n)}
	if d.stream != "" {
		f = append(f, pelican.FieldOriginalStream, d.stream)
	}
	if d.group != "" {
		f = append(f, pelican.FieldGroup, d.group)
	}
	if d.redrives != "" {
		f = append(f, pelican.FieldRedrives, d.redrives)
	}
	f = append(f, pelican.FieldOriginalID, "1-"+strconv.Itoa(d.n), pelican.FieldConsumer, "w1",
		pelican.FieldDeliveries, 3, pelican.FieldFirstFailure, 1700000000000, pelican.FieldLastFailure, 1700000000001,
		pelican.FieldError, d.err, pelican.FieldErrorClass, pelican.ClassHandler, pelican.FieldDeadAt, 1700000000002)
	id, err := rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: dlq, Values: f}).Result()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// rdAddDeadN adds n entries of stream and group, numbered from 0.
func rdAddDeadN(t testing.TB, rdb redis.UniversalClient, dlq, stream, group string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = rdAddDead(t, rdb, dlq, rdDead{n: i, stream: stream, group: group})
	}
	return ids
}

// rdCreateGroup creates group on stream, creating the stream.
func rdCreateGroup(t testing.TB, rdb redis.UniversalClient, stream, group string) {
	t.Helper()
	if err := rdb.XGroupCreateMkStream(context.Background(), stream, group, "$").Err(); err != nil {
		t.Fatal(err)
	}
}

// rdNumbers returns the field "n" of every entry of stream, in order.
func rdNumbers(t testing.TB, rdb redis.UniversalClient, stream string) []string {
	t.Helper()
	msgs, err := rdb.XRange(context.Background(), stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i], _ = m.Values["n"].(string)
	}
	return out
}

func rdSeq(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

// rdWait waits for the job with a time limit.
func rdWait(t testing.TB, j *Job) (Progress, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := j.Wait(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("job %s did not end: %+v", j.ID(), p)
	}
	return p, err
}

func rdLen(t testing.TB, rdb redis.UniversalClient, key string) int64 {
	t.Helper()
	n, err := rdb.XLen(context.Background(), key).Result()
	if err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	return n
}

// A redrive sends the selected entries back with their own fields, the
// group and the redrive count; parks those at the limit; leaves those it
// cannot redrive; and records all of it in its checkpoint.
func TestRedriveMovesParksAndSkips(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		rdCreateGroup(t, rdb, "orders", "billing")
		q := ForStream(c, "orders")
		// Parked and skipped entries among those redriven, so that every
		// batch mixes them.
		for i := range 15 {
			d := rdDead{n: i, stream: "orders", group: "billing", redrives: strconv.Itoa(i % 3)}
			switch i {
			case 2:
				d.redrives = "3"
			case 6:
				d.redrives = "7"
			case 9:
				d.stream = ""
			case 12:
				d.group = ""
			case 13:
				d.redrives = "x"
			}
			rdAddDead(t, rdb, q.Name(), d)
		}

		j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{BatchSize: 4, JobID: "job-1"})
		if err != nil {
			t.Fatal(err)
		}
		if j.ID() != "job-1" {
			t.Errorf("ID() = %q", j.ID())
		}
		p, err := rdWait(t, j)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(Progress{Total: 15, Moved: 10, Parked: 2, Skipped: 3, Done: true}, p); diff != "" {
			t.Errorf("progress (-want +got):\n%s", diff)
		}
		msgs, err := rdb.XRange(ctx, "orders", "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		moved := []int{0, 1, 3, 4, 5, 7, 8, 10, 11, 14}
		if len(msgs) != len(moved) {
			t.Fatalf("orders holds %d messages, want %d", len(msgs), len(moved))
		}
		for k, m := range msgs {
			i := moved[k]
			want := map[string]any{"n": strconv.Itoa(i), "payload": "p" + strconv.Itoa(i),
				pelican.FieldRedriveGroup: "billing", pelican.FieldRedrives: strconv.Itoa(i%3 + 1)}
			if diff := cmp.Diff(want, m.Values); diff != "" {
				t.Errorf("redriven message %d (-want +got):\n%s", i, diff)
			}
		}
		if got, want := rdNumbers(t, rdb, q.Name()), []string{"9", "12", "13"}; !slices.Equal(got, want) {
			t.Errorf("left in the dead-letter stream: %v, want %v", got, want)
		}
		parked, err := rdb.XRange(ctx, q.Parked().Name(), "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(parked) != 2 {
			t.Fatalf("parked %d, want 2", len(parked))
		}
		for k, m := range parked {
			i := []int{2, 6}[k]
			if m.Values["n"] != strconv.Itoa(i) || m.Values[pelican.FieldError] != fmt.Sprintf("order %d not found", i) ||
				m.Values[FieldParkedAt] == nil || m.Values[pelican.FieldOriginalStream] != "orders" {
				t.Errorf("parked entry %d: %v", i, m.Values)
			}
		}
		info, err := q.RedriveJob(ctx, "job-1")
		if err != nil {
			t.Fatal(err)
		}
		got := []any{info.State, info.Total, info.Moved, info.Parked, info.Skipped, info.Counted, info.Error, info.RedriveLimit, info.BatchSize}
		if diff := cmp.Diff([]any{StateDone, int64(15), int64(10), int64(2), int64(3), true, "", 3, 4}, got); diff != "" {
			t.Errorf("checkpoint (-want +got):\n%s", diff)
		}
		if ttl := rdb.TTL(ctx, q.jobKey("job-1")).Val(); ttl <= 0 || ttl > FinishedJobTTL {
			t.Errorf("finished checkpoint's TTL %v, want up to %v", ttl, FinishedJobTTL)
		}
		jobs, err := q.RedriveJobs(ctx)
		if err != nil || len(jobs) != 1 || jobs[0].ID != "job-1" || !jobs[0].Selector.All {
			t.Errorf("RedriveJobs = %+v, %v", jobs, err)
		}
	})
}

// The whole loop with real workers: a message dead-lettered by one group
// is redriven; the other group's worker on the same stream skips it; if it
// fails again it comes back with its redrive count; past the limit it is
// parked; once fixed, redriven from the parked stream, it is processed.
func TestRedriveLoopWithWorkers(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		var fixed atomic.Bool
		var billingRuns, shippingRuns atomic.Int64
		var redrivesSeen sync.Map // n -> last FieldRedrives billing saw
		billing := rdRunWorker(t, c, "billing", func(ctx context.Context, m *pelican.Message) error {
			billingRuns.Add(1)
			redrivesSeen.Store(m.Values["n"], m.Values[pelican.FieldRedrives])
			if m.Values["bad"] == "1" && !fixed.Load() {
				return pelican.Permanent(fmt.Errorf("product %s not found", m.Values["n"]))
			}
			return nil
		})
		shipping := rdRunWorker(t, c, "shipping", func(ctx context.Context, m *pelican.Message) error {
			shippingRuns.Add(1)
			return nil
		})
		for i := range 3 {
			v := map[string]string{"n": strconv.Itoa(i)}
			if i < 2 {
				v["bad"] = "1"
			}
			if _, err := c.Publish(ctx, "orders", v, nil); err != nil {
				t.Fatal(err)
			}
		}
		q := ForStream(c, "orders")
		await.True(t, "two dead letters and three shipped", func() bool {
			return rdLen(t, rdb, q.Name()) == 2 && shipping.Stats().Processed == 3
		})

		// Not fixed: redriven, they fail again and come back with their
		// count; shipping acknowledges them without its handler.
		redrive := func(q *Queue, opts RedriveOptions) Progress {
			t.Helper()
			j, err := q.Redrive(ctx, Selector{All: true}, opts)
			if err != nil {
				t.Fatal(err)
			}
			p, err := rdWait(t, j)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		if p := redrive(q, RedriveOptions{}); p.Moved != 2 {
			t.Fatalf("first redrive: %+v", p)
		}
		await.True(t, "both back in the dead-letter stream", func() bool {
			return rdLen(t, rdb, q.Name()) == 2 && shipping.Stats().NotOurs == 2
		})
		entries := rdEntries(t, q)
		for _, e := range entries {
			if e.Redrives != 1 || e.Group != "billing" || e.Stream != "orders" || len(e.Malformed) != 0 {
				t.Errorf("dead again: %+v", e)
			}
		}

		// At the limit they are parked, and nothing is sent.
		if p := redrive(q, RedriveOptions{RedriveLimit: 1}); p.Parked != 2 || p.Moved != 0 {
			t.Fatalf("parking redrive: %+v", p)
		}
		if n := rdLen(t, rdb, q.Parked().Name()); n != 2 || rdLen(t, rdb, q.Name()) != 0 {
			t.Fatalf("parked %d, left %d", n, rdLen(t, rdb, q.Name()))
		}

		// Fixed, and redriven from the parked stream with a higher limit:
		// billing processes them, shipping skips them again.
		fixed.Store(true)
		if p := redrive(q.Parked(), RedriveOptions{RedriveLimit: 5}); p.Moved != 2 {
			t.Fatalf("redrive from parked: %+v", p)
		}
		await.True(t, "billing processes both", func() bool {
			return billing.Stats().Processed == 3 && shipping.Stats().NotOurs == 4
		})
		if n := shippingRuns.Load(); n != 3 {
			t.Errorf("shipping's handler ran %d times, want 3", n)
		}
		if n := billingRuns.Load(); n != 7 {
			t.Errorf("billing's handler ran %d times, want 7 (3, then 2 failed redrives, then 2)", n)
		}
		for _, n := range []string{"0", "1"} {
			if v, _ := redrivesSeen.Load(n); v != "2" {
				t.Errorf("message %s last seen with redrives %v, want 2", n, v)
			}
		}
		if rdLen(t, rdb, q.Name()) != 0 || rdLen(t, rdb, q.Parked().Name()) != 0 {
			t.Errorf("dead-letter stream %d, parked %d; want both empty", rdLen(t, rdb, q.Name()), rdLen(t, rdb, q.Parked().Name()))
		}
	})
}

// rdRunWorker runs a worker of group on "orders" until the test ends.
func rdRunWorker(t *testing.T, c *pelican.Client, group string, h pelican.HandlerFunc) *pelican.Worker {
	t.Helper()
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: "orders", Group: group, Consumer: group + "-1", Handler: h,
		Block: 20 * time.Millisecond, Backoff: pelican.Delays{20 * time.Millisecond},
		RetryInterval: 20 * time.Millisecond, ClaimMinIdle: time.Second, HeartbeatInterval: 100 * time.Millisecond,
		ShutdownGrace: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker %s: %v", group, err)
		}
	})
	// Wait until its group exists, so that nothing published is missed.
	await.True(t, "group "+group+" exists", func() bool {
		groups, err := c.Redis().XInfoGroups(context.Background(), "orders").Result()
		return err == nil && slices.ContainsFunc(groups, func(g redis.XInfoGroup) bool { return g.Name == group })
	})
	return w
}

// rdEntries returns every entry of q.
func rdEntries(t testing.TB, q *Queue) []Entry {
	t.Helper()
	var out []Entry
	err := q.scan(context.Background(), Selector{All: true}, "", func(e Entry) (bool, error) {
		out = append(out, e)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The dry run counts what would happen, by target and reason, and
// changes nothing.
func TestPlanRedrive(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		rdCreateGroup(t, rdb, "orders", "billing")
		rdCreateGroup(t, rdb, "orders", "shipping")
		rdCreateGroup(t, rdb, "refunds", "other")
		q := Open(c, "shared:dlq")
		for i := range 3 {
			rdAddDead(t, rdb, q.Name(), rdDead{n: i, stream: "orders", group: "billing"})
		}
		for i := 3; i < 5; i++ {
			rdAddDead(t, rdb, q.Name(), rdDead{n: i, stream: "orders", group: "shipping", err: "timeout after 30s"})
		}
		rdAddDead(t, rdb, q.Name(), rdDead{n: 5, stream: "payments", group: "billing"})
		rdAddDead(t, rdb, q.Name(), rdDead{n: 6, stream: "refunds", group: "billing"})
		rdAddDead(t, rdb, q.Name(), rdDead{n: 7, stream: "orders", group: "billing", redrives: "3"})
		rdAddDead(t, rdb, q.Name(), rdDead{n: 8, group: "billing"})
		rdAddDead(t, rdb, q.Name(), rdDead{n: 9, stream: "orders"})
		rdAddDead(t, rdb, q.Name(), rdDead{n: 10, stream: "orders", group: "billing", redrives: "many"})
		before, err := rdb.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}

		plan, err := q.PlanRedrive(ctx, Selector{All: true}, RedriveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := Plan{
			Selected: 11, Redrive: 7, Park: 1, Skip: 3,
			Targets: []PlanTarget{
				{Stream: "orders", Group: "billing", Count: 3},
				{Stream: "orders", Group: "shipping", Count: 2},
				{Stream: "payments", Group: "billing", Count: 1, Problem: `stream "payments" does not exist`},
				{Stream: "refunds", Group: "billing", Count: 1, Problem: `stream "refunds" has no group "billing"`},
			},
			SkipReasons: map[SkipReason]int64{SkipNoStream: 1, SkipNoGroup: 1, SkipBadRedrives: 1},
		}
		if diff := cmp.Diff(want, plan, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Samples" }, cmp.Ignore())); diff != "" {
			t.Errorf("plan (-want +got):\n%s", diff)
		}
		var samples []string
		for _, e := range plan.Samples {
			samples = append(samples, e.Values["n"])
		}
		if diff := cmp.Diff(rdSeq(0, PlanSamples), samples); diff != "" {
			t.Errorf("samples (-want +got):\n%s", diff)
		}

		// By fingerprint: only the timeouts.
		plan, err = q.PlanRedrive(ctx, Selector{Fingerprint: Fingerprint("timeout after 5s")}, RedriveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Selected != 2 || len(plan.Targets) != 1 || plan.Targets[0].Group != "shipping" {
			t.Errorf("plan by fingerprint: %+v", plan)
		}

		after, err := rdb.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if after != before || rdLen(t, rdb, q.Name()) != 11 {
			t.Errorf("the dry run changed something: %d keys before, %d after; %d entries", before, after, rdLen(t, rdb, q.Name()))
		}
		if _, err := q.PlanRedrive(ctx, Selector{}, RedriveOptions{}); !errors.Is(err, ErrEmptySelector) {
			t.Errorf("empty selector: %v", err)
		}
		plan, err = Open(c, "nothing:dlq").PlanRedrive(ctx, Selector{All: true}, RedriveOptions{})
		if err != nil || plan.Selected != 0 {
			t.Errorf("plan of an absent stream: %+v, %v", plan, err)
		}
	})
}

// Each kind of selector redrives exactly what it selects.
func TestRedriveSelectors(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		for _, tc := range []struct {
			name string
			sel  func(ids []string) Selector
			want []string // numbers moved
		}{
			{"ids", func(ids []string) Selector { return Selector{IDs: []string{ids[7], ids[2], "1-1", ids[2]}} }, []string{"2", "7"}},
			{"sparse ids", func(ids []string) Selector { return Selector{IDs: []string{ids[0], ids[5], ids[9]}} }, []string{"0", "5", "9"}},
			{"range", func(ids []string) Selector { return Selector{Start: ids[3], End: ids[5]} }, rdSeq(3, 6)},
			{"fingerprint", func([]string) Selector { return Selector{Fingerprint: Fingerprint("card 1234 declined")} }, []string{"8", "9"}},
			{"group", func([]string) Selector { return Selector{Group: "shipping"} }, []string{"1"}},
			{"ids and fingerprint", func(ids []string) Selector {
				return Selector{IDs: []string{ids[0], ids[8]}, Fingerprint: Fingerprint("card 1 declined")}
			}, []string{"8"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				stream := "orders-" + tc.name
				rdCreateGroup(t, rdb, stream, "billing")
				rdCreateGroup(t, rdb, stream, "shipping")
				q := ForStream(c, stream)
				var ids []string
				for i := range 10 {
					d := rdDead{n: i, stream: stream, group: "billing"}
					if i == 1 {
						d.group = "shipping"
					}
					if i >= 8 {
						d.err = fmt.Sprintf("card %d declined", 4000+i)
					}
					ids = append(ids, rdAddDead(t, rdb, q.Name(), d))
				}
				j, err := q.Redrive(ctx, tc.sel(ids), RedriveOptions{BatchSize: 3})
				if err != nil {
					t.Fatal(err)
				}
				p, err := rdWait(t, j)
				if err != nil {
					t.Fatal(err)
				}
				if got := rdNumbers(t, rdb, stream); !slices.Equal(got, tc.want) {
					t.Errorf("moved %v, want %v", got, tc.want)
				}
				if p.Total != int64(len(tc.want)) || p.Moved != int64(len(tc.want)) {
					t.Errorf("progress %+v, want %d moved of %d", p, len(tc.want), len(tc.want))
				}
				if n := rdLen(t, rdb, q.Name()); n != int64(10-len(tc.want)) {
					t.Errorf("%d left in the dead-letter stream, want %d", n, 10-len(tc.want))
				}
			})
		}
	})
}

// Bad input gives a clear error and leaves the data as it was.
func TestRedriveBadInput(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		t.Run("refused", func(t *testing.T) {
			q := ForStream(c, "refused")
			for _, tc := range []struct {
				sel  Selector
				opts RedriveOptions
				want error
			}{
				{Selector{}, RedriveOptions{}, ErrEmptySelector},
				{Selector{IDs: []string{"nope"}}, RedriveOptions{}, ErrBadSelector},
				{Selector{All: true}, RedriveOptions{Rate: -1}, ErrBadOptions},
				{Selector{All: true}, RedriveOptions{BatchSize: -1}, ErrBadOptions},
				{Selector{All: true}, RedriveOptions{JobID: "has space"}, ErrBadOptions},
			} {
				if _, err := q.Redrive(ctx, tc.sel, tc.opts); !errors.Is(err, tc.want) {
					t.Errorf("Redrive(%+v, %+v) = %v, want %v", tc.sel, tc.opts, err, tc.want)
				}
			}
			if _, err := q.ResumeRedrive(ctx, "no-such-job", RedriveOptions{}); !errors.Is(err, ErrUnknownJob) {
				t.Errorf("ResumeRedrive of an unknown job: %v", err)
			}
			if _, err := q.RedriveJob(ctx, "no-such-job"); !errors.Is(err, ErrUnknownJob) {
				t.Errorf("RedriveJob of an unknown job: %v", err)
			}
			if err := q.CancelRedrive(ctx, "no-such-job"); !errors.Is(err, ErrUnknownJob) {
				t.Errorf("CancelRedrive of an unknown job: %v", err)
			}
		})
		t.Run("absent dead-letter stream", func(t *testing.T) {
			q := ForStream(c, "absent")
			j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := rdWait(t, j)
			if err != nil || p != (Progress{Done: true}) {
				t.Errorf("job on an absent stream: %+v, %v", p, err)
			}
			if info, err := q.RedriveJob(ctx, j.ID()); err != nil || info.State != StateDone {
				t.Errorf("its checkpoint: %+v, %v", info, err)
			}
		})
		t.Run("not a stream", func(t *testing.T) {
			rdb.Set(ctx, "string:dlq", "x", 0)
			if _, err := Open(c, "string:dlq").Redrive(ctx, Selector{All: true}, RedriveOptions{}); !errors.Is(err, ErrWrongType) {
				t.Errorf("Redrive of a string: %v", err)
			}
		})
		t.Run("job ID taken", func(t *testing.T) {
			q := ForStream(c, "taken")
			for i, want := range []error{nil, ErrJobExists} {
				j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{JobID: "same"})
				if !errors.Is(err, want) {
					t.Fatalf("Redrive %d: %v, want %v", i, err, want)
				}
				if j != nil {
					rdWait(t, j)
				}
			}
		})
		for _, tc := range []struct {
			name    string
			prepare func(stream string)
			problem string
		}{
			{"stream missing", func(string) {}, "does not exist"},
			{"group missing", func(s string) { rdCreateGroup(t, rdb, s, "someone-else") }, `has no group "billing"`},
			{"not a stream", func(s string) { rdb.Set(ctx, s, "x", 0) }, "is not a stream"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				stream := "target-" + tc.name
				tc.prepare(stream)
				q := ForStream(c, stream)
				rdAddDeadN(t, rdb, q.Name(), stream, "billing", 5)
				typ := rdb.Type(ctx, stream).Val()
				j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{})
				if err != nil {
					t.Fatal(err)
				}
				p, err := rdWait(t, j)
				if !errors.Is(err, ErrTargetGone) || !rdContains(err, tc.problem) {
					t.Errorf("job error %v, want ErrTargetGone saying %q", err, tc.problem)
				}
				if p.Moved != 0 || p.Total != 5 {
					t.Errorf("progress %+v", p)
				}
				if n := rdLen(t, rdb, q.Name()); n != 5 {
					t.Errorf("%d entries left, want all 5", n)
				}
				if got := rdb.Type(ctx, stream).Val(); got != typ {
					t.Errorf("target's type went from %s to %s", typ, got)
				}
				if typ == "stream" && rdLen(t, rdb, stream) != 0 {
					t.Errorf("something was sent to %s", stream)
				}
				if info, _ := q.RedriveJob(ctx, j.ID()); info.State != StateFailed || !rdContains(errors.New(info.Error), tc.problem) {
					t.Errorf("checkpoint %+v", info)
				}
			})
		}
		t.Run("malformed entries", func(t *testing.T) {
			rdCreateGroup(t, rdb, "malformed", "billing")
			q := ForStream(c, "malformed")
			rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.Name(), Values: []any{"n", "0"}})
			rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.Name(), Values: []any{"n", "1", pelican.FieldOriginalStream, "malformed"}})
			rdAddDead(t, rdb, q.Name(), rdDead{n: 2, stream: "malformed", group: "billing"})
			j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			p, err := rdWait(t, j)
			if err != nil || p.Moved != 1 || p.Skipped != 2 {
				t.Errorf("progress %+v, %v; want 1 moved, 2 skipped", p, err)
			}
			if got := rdNumbers(t, rdb, q.Name()); !slices.Equal(got, []string{"0", "1"}) {
				t.Errorf("left %v, want the two malformed entries", got)
			}
		})
	})
}

func rdContains(err error, text string) bool {
	return err != nil && text != "" && strings.Contains(err.Error(), text)
}

// A target stream deleted mid-job stops the job before the next batch;
// the rest stays, and the job resumes once the stream is back.
func TestRedriveTargetDeletedMidJob(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		rdCreateGroup(t, rdb, "orders", "billing")
		q := ForStream(c, "orders")
		rdAddDeadN(t, rdb, q.Name(), "orders", "billing", 20)
		var once sync.Once
		j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{BatchSize: 5, OnProgress: func(p Progress) {
			once.Do(func() { rdb.Del(ctx, "orders") })
		}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := rdWait(t, j)
		if !errors.Is(err, ErrTargetGone) || p.Moved != 5 {
			t.Fatalf("progress %+v, %v; want 5 moved and ErrTargetGone", p, err)
		}
		if got := rdNumbers(t, rdb, q.Name()); !slices.Equal(got, rdSeq(5, 20)) {
			t.Errorf("left %v, want 5..19", got)
		}
		if rdb.Exists(ctx, "orders").Val() != 0 {
			t.Errorf("the deleted stream was created again")
		}
		rdCreateGroup(t, rdb, "orders", "billing")
		j, err = q.ResumeRedrive(ctx, j.ID(), RedriveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p, err = rdWait(t, j)
		if err != nil || p.Moved != 20 || p.Total != 20 {
			t.Errorf("resumed: %+v, %v", p, err)
		}
		if got := rdNumbers(t, rdb, "orders"); !slices.Equal(got, rdSeq(5, 20)) {
			t.Errorf("orders holds %v, want 5..19", got)
		}
	})
}

// A group deleted between a batch's check and its transaction is noticed
// by the transaction itself: what it sent there goes back to the
// dead-letter stream.
func TestRedriveGroupDeletedDuringTransaction(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		rdCreateGroup(t, rdb, "orders", "billing")
		rdCreateGroup(t, rdb, "orders", "shipping")
		q := ForStream(c, "orders")
		rdAddDeadN(t, rdb, q.Name(), "orders", "billing", 6)
		q.hooks.beforeExec = func() { rdb.XGroupDestroy(ctx, "orders", "billing") }
		j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{BatchSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		p, err := rdWait(t, j)
		if !errors.Is(err, ErrTargetGone) || p.Moved != 0 {
			t.Fatalf("progress %+v, %v; want nothing moved and ErrTargetGone", p, err)
		}
		if n := rdLen(t, rdb, "orders"); n != 0 {
			t.Errorf("orders holds %d messages that no group reads", n)
		}
		got := rdNumbers(t, rdb, q.Name())
		slices.Sort(got)
		if !slices.Equal(got, rdSeq(0, 6)) {
			t.Errorf("dead-letter stream holds %v, want 0..5", got)
		}
		if info, _ := q.RedriveJob(ctx, j.ID()); info.Moved != 0 || info.State != StateFailed {
			t.Errorf("checkpoint %+v", info)
		}
	})
}

// When the reply of a batch's transaction is lost, the job learns from its
// checkpoint what was applied and sends nothing twice.
func TestRedriveLostReply(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		rdCreateGroup(t, rdb, "orders", "billing")
		q := ForStream(c, "orders")
		rdAddDeadN(t, rdb, q.Name(), "orders", "billing", 30)
		var batches atomic.Int64
		q.hooks.afterExec = func() error {
			if batches.Add(1)%2 == 1 {
				return errors.New("connection reset (simulated)")
			}
			return nil
		}
		j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{BatchSize: 7})
		if err != nil {
			t.Fatal(err)
		}
		p, err := rdWait(t, j)
		if err != nil || p.Moved != 30 {
			t.Fatalf("progress %+v, %v", p, err)
		}
		if got := rdNumbers(t, rdb, "orders"); !slices.Equal(got, rdSeq(0, 30)) {
			t.Errorf("orders holds %v, want 0..29 once each", got)
		}
	})
}

// Two jobs racing on the same entries move each once.
func TestRedriveConcurrentJobs(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		rdCreateGroup(t, rdb, "orders", "billing")
		q := ForStream(c, "orders")
		const n = 300
		rdAddDeadN(t, rdb, q.Name(), "orders", "billing", n)
		var jobs []*Job
		for _, size := range []int{7, 11, 13} {
			j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{BatchSize: size})
			if err != nil {
				t.Fatal(err)
			}
			jobs = append(jobs, j)
		}
		var moved int64
		for _, j := range jobs {
			p, err := rdWait(t, j)
			if err != nil {
				t.Errorf("job %s: %v", j.ID(), err)
			}
			// A job started after another moved some selects fewer.
			if p.Total > n || p.Moved+p.Gone != p.Total {
				t.Errorf("job %s: %+v; want what it did not move counted as gone", j.ID(), p)
			}
			moved += p.Moved
		}
		got := rdNumbers(t, rdb, "orders")
		slices.SortFunc(got, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
		if !slices.Equal(got, rdSeq(0, n)) {
			t.Errorf("orders holds %d messages, want 0..%d once each", len(got), n-1)
		}
		if moved != n || rdLen(t, rdb, q.Name()) != 0 {
			t.Errorf("the jobs moved %d in all, %d left; want %d, 0", moved, rdLen(t, rdb, q.Name()), n)
		}
	})
}

// Cancel stops a job after its batch; resuming finishes it; the rate
// limit holds while it runs.
func TestRedriveCancelAndResume(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		rdCreateGroup(t, rdb, "orders", "billing")
		q := ForStream(c, "orders")
		rdAddDeadN(t, rdb, q.Name(), "orders", "billing", 100)
		var j *Job
		ready := make(chan struct{})
		start := time.Now()
		j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{Rate: 200, OnProgress: func(p Progress) {
			<-ready
			if p.Moved >= 20 {
				j.Cancel()
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		close(ready)
		p, err := rdWait(t, j)
		elapsed := time.Since(start)
		if !errors.Is(err, ErrCancelled) || p.Moved < 20 || p.Moved >= 100 {
			t.Fatalf("cancelled: %+v, %v", p, err)
		}
		// At 200 per second, 20 messages take at least 100ms.
		if min := time.Duration(p.Moved) * time.Second / 200; elapsed < min*9/10 {
			t.Errorf("moved %d in %v: faster than the rate allows (%v)", p.Moved, elapsed, min)
		}
		if n := rdLen(t, rdb, q.Name()); n != 100-p.Moved {
			t.Errorf("%d left, want %d", n, 100-p.Moved)
		}
		if info, _ := q.RedriveJob(ctx, j.ID()); info.State != StateCancelled || info.Moved != p.Moved {
			t.Errorf("checkpoint %+v", info)
		}
		j2, err := q.ResumeRedrive(ctx, j.ID(), RedriveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p, err := rdWait(t, j2); err != nil || p.Moved != 100 || p.Total != 100 {
			t.Errorf("resumed: %+v, %v", p, err)
		}
		if got := rdNumbers(t, rdb, "orders"); !slices.Equal(got, rdSeq(0, 100)) {
			t.Errorf("orders holds %v, want 0..99 once each", got)
		}
		// Resuming a finished job is a job already done.
		j3, err := q.ResumeRedrive(ctx, j.ID(), RedriveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p, err := rdWait(t, j3); err != nil || !p.Done || p.Moved != 100 {
			t.Errorf("resumed again: %+v, %v", p, err)
		}
	})
}

// Ending the job's context cancels it too.
func TestRedriveContextEnds(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		rdb := c.Redis()
		rdCreateGroup(t, rdb, "orders", "billing")
		q := ForStream(c, "orders")
		rdAddDeadN(t, rdb, q.Name(), "orders", "billing", 50)
		ctx, cancel := context.WithCancel(context.Background())
		j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{Rate: 100, OnProgress: func(p Progress) {
			if p.Moved >= 5 {
				cancel()
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := rdWait(t, j)
		if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want ErrCancelled and context.Canceled", err)
		}
		if n := rdLen(t, rdb, q.Name()); n != 50-p.Moved || rdLen(t, rdb, "orders") != p.Moved {
			t.Errorf("%d left and %d moved; progress %+v", n, rdLen(t, rdb, "orders"), p)
		}
	})
}

// CancelRedrive stops a job from anywhere; ResumeRedrive takes a job over
// from the process running it, which stops without touching anything.
func TestRedriveCancelAndTakeOverFromElsewhere(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		rdCreateGroup(t, rdb, "orders", "billing")
		q := ForStream(c, "orders")
		rdAddDeadN(t, rdb, q.Name(), "orders", "billing", 200)
		j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{Rate: 200})
		if err != nil {
			t.Fatal(err)
		}
		elsewhere := ForStream(c, "orders") // as another process would
		await.True(t, "progress", func() bool { return j.Progress().Moved > 0 })
		if err := elsewhere.CancelRedrive(ctx, j.ID()); err != nil {
			t.Fatal(err)
		}
		if _, err := rdWait(t, j); !errors.Is(err, ErrCancelled) {
			t.Fatalf("after CancelRedrive: %v", err)
		}
		if err := elsewhere.CancelRedrive(ctx, j.ID()); err != nil {
			t.Errorf("cancelling a cancelled job: %v", err)
		}

		first, err := elsewhere.ResumeRedrive(ctx, j.ID(), RedriveOptions{Rate: 200})
		if err != nil {
			t.Fatal(err)
		}
		await.True(t, "progress", func() bool { return first.Progress().Moved > j.Progress().Moved })
		second, err := q.ResumeRedrive(ctx, j.ID(), RedriveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rdWait(t, first); !errors.Is(err, ErrJobTaken) {
			t.Errorf("the job taken over ended with %v, want ErrJobTaken", err)
		}
		p, err := rdWait(t, second)
		if err != nil || p.Moved != 200 {
			t.Errorf("the job that took over: %+v, %v", p, err)
		}
		if got := rdNumbers(t, rdb, "orders"); !slices.Equal(got, rdSeq(0, 200)) {
			t.Errorf("orders holds %d messages, want 0..199 once each", len(got))
		}
		if info, _ := q.RedriveJob(ctx, j.ID()); info.State != StateDone || info.CancelRequested {
			t.Errorf("checkpoint %+v", info)
		}
	})
}

// Messages that fail again during a job return after the job's last
// entry, and the job does not redrive them a second time.
func TestRedriveStopsAtEntriesPresentAtStart(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		rdCreateGroup(t, rdb, "orders", "billing")
		q := ForStream(c, "orders")
		rdAddDeadN(t, rdb, q.Name(), "orders", "billing", 10)
		j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{BatchSize: 2, OnProgress: func(p Progress) {
			if !p.Done {
				rdAddDead(t, rdb, q.Name(), rdDead{n: 100 + int(p.Moved), stream: "orders", group: "billing", redrives: "1"})
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := rdWait(t, j)
		if err != nil || p.Moved != 10 || p.Total != 10 {
			t.Errorf("progress %+v, %v", p, err)
		}
		if n := rdLen(t, rdb, q.Name()); n != 5 {
			t.Errorf("%d entries left, want the 5 added during the job", n)
		}
	})
}

// RedriveJobs lists the jobs oldest first and forgets those whose
// checkpoints expired.
func TestRedriveJobs(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		q := ForStream(c, "orders")
		for _, id := range []string{"b", "a", "c"} {
			j, err := q.Redrive(ctx, Selector{All: true}, RedriveOptions{JobID: id})
			if err != nil {
				t.Fatal(err)
			}
			rdWait(t, j)
		}
		rdb.Del(ctx, q.jobKey("a"))
		jobs, err := q.RedriveJobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, j := range jobs {
			ids = append(ids, j.ID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, []string{"b", "c"}) {
			t.Errorf("jobs %v, want b and c", ids)
		}
		if rdb.SIsMember(ctx, q.jobsKey(), "a").Val() {
			t.Errorf("the expired job is still in the set")
		}
		rdb.HSet(ctx, q.jobKey("b"), "v", "99")
		if _, err := q.RedriveJobs(ctx); !errors.Is(err, ErrBadCheckpoint) {
			t.Errorf("a malformed checkpoint: %v", err)
		}
	})
}
