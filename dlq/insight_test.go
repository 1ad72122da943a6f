package dlq_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// t0 is the time the tests' clock shows: entries are written with IDs
// around it, so that ages are known on every backend.
var t0 = time.UnixMilli(1_800_000_000_000)

// frozenClock always tells the same time.
type frozenClock struct{ t time.Time }

func (c frozenClock) Now() time.Time { return c.t }

// at returns the stream ID of the entry added d after t0 (seq 0).
func at(d time.Duration) string { return strconv.FormatInt(t0.Add(d).UnixMilli(), 10) + "-0" }

// letter describes a dead letter as the worker writes it.
type letter struct {
	id                        string // "" for "*"
	stream, group, class, err string
	deadAt                    time.Time // zero: t0
	redrives                  int
	values                    []string // the message's own fields
}

// fields returns the entry's fields: its own, then the metadata.
func (l letter) fields() []any {
	var f []any
	for _, v := range l.values {
		f = append(f, v)
	}
	deadAt := l.deadAt
	if deadAt.IsZero() {
		deadAt = t0
	}
	ms := deadAt.UnixMilli()
	return append(f,
		pelican.FieldOriginalID, "1-1",
		pelican.FieldOriginalStream, l.stream,
		pelican.FieldGroup, l.group,
		pelican.FieldConsumer, "w1",
		pelican.FieldDeliveries, 3,
		pelican.FieldFirstFailure, ms-1000,
		pelican.FieldLastFailure, ms,
		pelican.FieldError, l.err,
		pelican.FieldErrorClass, l.class,
		pelican.FieldRedrives, l.redrives,
		pelican.FieldDeadAt, ms,
	)
}

// xadd adds an entry with the given fields to key and returns its ID.
func xadd(t *testing.T, c *pelican.Client, key, id string, fields ...any) string {
	t.Helper()
	if id == "" {
		id = "*"
	}
	got, err := c.Redis().XAdd(context.Background(), &redis.XAddArgs{Stream: key, ID: id, Values: fields}).Result()
	if err != nil {
		t.Fatalf("XADD %s %s: %v", key, id, err)
	}
	return got
}

// addLetters adds letters to key and returns their IDs.
func addLetters(t *testing.T, c *pelican.Client, key string, ls ...letter) []string {
	t.Helper()
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = xadd(t, c, key, l.id, l.fields()...)
	}
	return ids
}

// entryIDs returns the IDs of entries.
func entryIDs(es []dlq.Entry) []string {
	ids := make([]string, 0, len(es))
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

// xlen returns the length of a stream.
func xlen(t *testing.T, c *pelican.Client, key string) int64 {
	t.Helper()
	n, err := c.Redis().XLen(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// frozen returns options with the frozen clock at t0.
func frozen() pelican.Options { return pelican.Options{Clock: frozenClock{t0}} }

// mixedDLQ writes a dead-letter stream holding every kind of entry:
// complete ones from two streams and groups, a redriven one, one written
// by hand without metadata and one with malformed metadata. It returns
// the IDs in order.
func mixedDLQ(t *testing.T, c *pelican.Client, key string) []string {
	t.Helper()
	ids := addLetters(t, c, key,
		letter{id: at(0), stream: "orders", group: "billing", class: pelican.ClassHandler, err: "order 88214 not found", values: []string{"order", "88214"}},
		letter{id: at(time.Second), deadAt: t0.Add(time.Second), stream: "orders", group: "billing", class: pelican.ClassMaxDeliveries, err: "order 91007 not found", values: []string{"order", "91007"}},
		letter{id: at(2 * time.Second), deadAt: t0.Add(2 * time.Second), stream: "orders", group: "shipping", class: pelican.ClassPermanent, err: `address "Main St 5" invalid`, redrives: 2},
		letter{id: at(3 * time.Second), deadAt: t0.Add(3 * time.Second), stream: "payments", group: "billing", class: pelican.ClassTimeout, err: "handler timed out after 30s"},
	)
	ids = append(ids, xadd(t, c, key, at(4*time.Second), "order", "1", "note", "written by hand"))
	ids = append(ids, xadd(t, c, key, at(5*time.Second), "order", "2",
		pelican.FieldOriginalStream, "orders", pelican.FieldDeliveries, "many", pelican.FieldDeadAt, "yesterday",
		pelican.FieldError, "order 5 not found"))
	return ids
}

func TestStats(t *testing.T) {
	backendtest.EachWith(t, frozen(), func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")

		empty, err := q.Stats(ctx)
		if err != nil {
			t.Fatalf("Stats of an absent stream: %v", err)
		}
		if empty.Count != 0 || empty.Oldest != nil || empty.Newest != nil || len(empty.ByStream) != 0 {
			t.Errorf("Stats of an absent stream = %+v, want empty", empty)
		}

		ids := mixedDLQ(t, c, "orders:dlq")
		st, err := q.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Oldest == nil || st.Newest == nil {
			t.Fatalf("Stats: Oldest %v, Newest %v", st.Oldest, st.Newest)
		}
		type summary struct {
			Count                      int64
			Oldest, Newest             string
			OldestOrder                string
			ByStream, ByGroup, ByClass map[string]int64
			Malformed, Redriven        int64
		}
		got := summary{st.Count, st.Oldest.ID, st.Newest.ID, st.Oldest.Values["order"], st.ByStream, st.ByGroup, st.ByClass, st.Malformed, st.Redriven}
		want := summary{
			Count: 6, Oldest: ids[0], Newest: ids[5], OldestOrder: "88214",
			ByStream:  map[string]int64{"orders": 4, "payments": 1, "": 1},
			ByGroup:   map[string]int64{"billing": 3, "shipping": 1, "": 2},
			ByClass:   map[string]int64{pelican.ClassHandler: 1, pelican.ClassMaxDeliveries: 1, pelican.ClassPermanent: 1, pelican.ClassTimeout: 1, "": 2},
			Malformed: 2, Redriven: 1,
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("Stats (-got +want):\n%s", diff)
		}
		if n, err := q.Len(ctx); n != 6 || err != nil {
			t.Errorf("Len = %d, %v; want 6", n, err)
		}

		// Browsing never consumes.
		if n := xlen(t, c, "orders:dlq"); n != 6 {
			t.Errorf("XLEN after Stats = %d, want 6", n)
		}

		c.Redis().Set(ctx, "notastream", "x", 0)
		wrong := dlq.Open(c, "notastream")
		if _, err := wrong.Stats(ctx); !errors.Is(err, dlq.ErrWrongType) {
			t.Errorf("Stats of a string: %v, want ErrWrongType", err)
		}
		if _, err := wrong.Len(ctx); !errors.Is(err, dlq.ErrWrongType) {
			t.Errorf("Len of a string: %v, want ErrWrongType", err)
		}
	})
}

func TestList(t *testing.T) {
	backendtest.EachWith(t, frozen(), func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")
		ids := mixedDLQ(t, c, "orders:dlq")

		// pages lists everything sel selects, limit at a time, and returns
		// the pages' IDs.
		pages := func(sel dlq.Selector, opts dlq.ListOptions) [][]string {
			t.Helper()
			var out [][]string
			for range 10 {
				es, next, err := q.List(ctx, sel, opts)
				if err != nil {
					t.Fatalf("List(%+v, %+v): %v", sel, opts, err)
				}
				out = append(out, entryIDs(es))
				if next == "" {
					return out
				}
				opts.After = next
			}
			t.Fatalf("List(%+v) never ends", sel)
			return nil
		}
		all := dlq.Selector{All: true}
		for _, tc := range []struct {
			name string
			sel  dlq.Selector
			opts dlq.ListOptions
			want [][]string
		}{
			{"all by 4", all, dlq.ListOptions{Limit: 4}, [][]string{ids[:4], ids[4:]}},
			{"all by 3, exactly two pages", all, dlq.ListOptions{Limit: 3}, [][]string{ids[:3], ids[3:]}},
			{"default limit", all, dlq.ListOptions{}, [][]string{ids}},
			{"newest first", all, dlq.ListOptions{Limit: 4, Reverse: true}, [][]string{{ids[5], ids[4], ids[3], ids[2]}, {ids[1], ids[0]}}},
			{"by stream", dlq.Selector{Stream: "orders"}, dlq.ListOptions{Limit: 2}, [][]string{{ids[0], ids[1]}, {ids[2], ids[5]}}},
			{"by group, newest first", dlq.Selector{Group: "billing"}, dlq.ListOptions{Limit: 2, Reverse: true}, [][]string{{ids[3], ids[1]}, {ids[0]}}},
			{"by fingerprint", dlq.Selector{Fingerprint: dlq.Fingerprint("order 1 not found")}, dlq.ListOptions{}, [][]string{{ids[0], ids[1], ids[5]}}},
			{"by IDs", dlq.Selector{IDs: []string{ids[4], ids[1], "1-1"}}, dlq.ListOptions{Limit: 1}, [][]string{{ids[1]}, {ids[4]}}},
			{"by IDs, newest first", dlq.Selector{IDs: []string{ids[4], ids[1]}}, dlq.ListOptions{Reverse: true}, [][]string{{ids[4], ids[1]}}},
			{"by IDs, newest first, by 1", dlq.Selector{IDs: []string{ids[4], ids[0], ids[1]}}, dlq.ListOptions{Limit: 1, Reverse: true}, [][]string{{ids[4]}, {ids[1]}, {ids[0]}}},
			{"by ID range, by 2", dlq.Selector{Start: ids[1], End: ids[4]}, dlq.ListOptions{Limit: 2}, [][]string{{ids[1], ids[2]}, {ids[3], ids[4]}}},
			{"by ID range", dlq.Selector{Start: ids[1], End: ids[3]}, dlq.ListOptions{Limit: 2, Reverse: true}, [][]string{{ids[3], ids[2]}, {ids[1]}}},
			{"by time", dlq.Selector{Since: t0.Add(time.Second), Until: t0.Add(3 * time.Second)}, dlq.ListOptions{}, [][]string{{ids[1], ids[2]}}},
			{"nothing matches", dlq.Selector{Class: "no-such-class"}, dlq.ListOptions{}, [][]string{{}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if diff := cmp.Diff(pages(tc.sel, tc.opts), tc.want, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("pages (-got +want):\n%s", diff)
				}
			})
		}

		// The entries come with their fields and metadata, tolerant of
		// what is missing.
		es, _, err := q.List(ctx, all, dlq.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := es[0]; got.Values["order"] != "88214" || got.Stream != "orders" || got.Deliveries != 3 || len(got.Malformed) != 0 || got.Reprocessed != nil {
			t.Errorf("first entry %+v", got)
		}
		if got := es[4]; got.Values["note"] != "written by hand" || len(got.Malformed) == 0 || !got.DeadAt.Equal(t0.Add(4*time.Second)) {
			t.Errorf("hand-written entry %+v: want its values, Malformed set, DeadAt from its ID", got)
		}

		for _, tc := range []struct {
			name string
			sel  dlq.Selector
			opts dlq.ListOptions
			want error
		}{
			{"empty selector", dlq.Selector{}, dlq.ListOptions{}, dlq.ErrEmptySelector},
			{"bad ID", dlq.Selector{IDs: []string{"abc"}}, dlq.ListOptions{}, dlq.ErrBadSelector},
			{"bad range", dlq.Selector{Start: "x-1"}, dlq.ListOptions{}, dlq.ErrBadSelector},
			{"bad time range", dlq.Selector{Since: t0, Until: t0}, dlq.ListOptions{}, dlq.ErrBadSelector},
			{"bad cursor", all, dlq.ListOptions{After: "later"}, dlq.ErrBadSelector},
		} {
			if _, _, err := q.List(ctx, tc.sel, tc.opts); !errors.Is(err, tc.want) {
				t.Errorf("%s: List: %v, want %v", tc.name, err, tc.want)
			}
		}
		if _, _, err := q.List(ctx, all, dlq.ListOptions{Limit: -1}); err == nil {
			t.Error("List with a negative Limit: no error")
		}

		if es, next, err := dlq.Open(c, "absent:dlq").List(ctx, all, dlq.ListOptions{}); len(es) != 0 || next != "" || err != nil {
			t.Errorf("List of an absent stream = %v, %q, %v; want nothing", es, next, err)
		}
		c.Redis().HSet(ctx, "ahash", "f", "v")
		if _, _, err := dlq.Open(c, "ahash").List(ctx, all, dlq.ListOptions{}); !errors.Is(err, dlq.ErrWrongType) {
			t.Errorf("List of a hash: %v, want ErrWrongType", err)
		}
		if _, _, err := dlq.Open(c, "ahash").List(ctx, all, dlq.ListOptions{Reverse: true}); !errors.Is(err, dlq.ErrWrongType) {
			t.Errorf("List of a hash, newest first: %v, want ErrWrongType", err)
		}
		if n := xlen(t, c, "orders:dlq"); n != 6 {
			t.Errorf("XLEN after listing = %d, want 6", n)
		}
	})
}

func TestGet(t *testing.T) {
	backendtest.EachWith(t, frozen(), func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")
		ids := mixedDLQ(t, c, "orders:dlq")

		e, err := q.Get(ctx, ids[2])
		if err != nil {
			t.Fatal(err)
		}
		want := dlq.Entry{
			DeadLetter: pelican.DeadLetter{
				ID: ids[2], Values: map[string]string{}, OriginalID: "1-1", Stream: "orders", Group: "shipping", Consumer: "w1",
				Deliveries: 3, FirstFailure: t0.Add(time.Second), LastFailure: t0.Add(2 * time.Second), DeadAt: t0.Add(2 * time.Second),
				Error: `address "Main St 5" invalid`, Class: pelican.ClassPermanent, Redrives: 2,
			},
			Fingerprint: dlq.Fingerprint(`address "x" invalid`),
		}
		if diff := cmp.Diff(e, want); diff != "" {
			t.Errorf("Get (-got +want):\n%s", diff)
		}
		e, err = q.Get(ctx, ids[5])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(e.Malformed, []string{pelican.FieldOriginalID, pelican.FieldGroup, pelican.FieldConsumer, pelican.FieldDeliveries,
			pelican.FieldFirstFailure, pelican.FieldLastFailure, pelican.FieldErrorClass, pelican.FieldDeadAt}); diff != "" {
			t.Errorf("Malformed of a partial entry (-got +want):\n%s", diff)
		}

		for _, tc := range []struct {
			name, key, id string
			want          error
		}{
			{"missing entry", "orders:dlq", "1-1", dlq.ErrNotFound},
			{"absent stream", "absent:dlq", ids[0], dlq.ErrNotFound},
			{"not an ID", "orders:dlq", "first", dlq.ErrBadSelector},
			{"bare time", "orders:dlq", "1700000000000", dlq.ErrBadSelector},
			{"wrong type", "astring", ids[0], dlq.ErrWrongType},
		} {
			c.Redis().Set(ctx, "astring", "x", 0)
			if _, err := dlq.Open(c, tc.key).Get(ctx, tc.id); !errors.Is(err, tc.want) {
				t.Errorf("%s: Get: %v, want %v", tc.name, err, tc.want)
			}
		}
	})
}

func TestFailures(t *testing.T) {
	backendtest.EachWith(t, frozen(), func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")
		ids := mixedDLQ(t, c, "orders:dlq")
		more := addLetters(t, c, "orders:dlq",
			letter{id: at(6 * time.Second), deadAt: t0.Add(6 * time.Second), stream: "payments", group: "billing", class: pelican.ClassTimeout, err: "handler timed out after 31s"},
			letter{id: at(7 * time.Second), stream: "orders", group: "billing", class: pelican.ClassHandler, err: "order 12 not found", deadAt: t0.Add(-time.Hour)},
		)

		groups, err := q.Failures(ctx, dlq.Selector{All: true})
		if err != nil {
			t.Fatal(err)
		}
		type group struct {
			Text                string
			Count               int64
			FirstSeen, LastSeen time.Time
			Sample              string
			ByClass, ByStream   map[string]int64
		}
		var got []group
		for _, g := range groups {
			if g.Fingerprint != g.Sample.Fingerprint || g.Fingerprint != dlq.Fingerprint(g.Sample.Error) {
				t.Errorf("group %q: fingerprint %s, its sample's %s", g.Text, g.Fingerprint, g.Sample.Fingerprint)
			}
			got = append(got, group{g.Text, g.Count, g.FirstSeen, g.LastSeen, g.Sample.ID, g.ByClass, g.ByStream})
		}
		want := []group{
			// The malformed entry has no dead-at time: its ID's is used.
			{"order <n> not found", 4, t0.Add(-time.Hour), t0.Add(5 * time.Second), ids[5],
				map[string]int64{pelican.ClassHandler: 2, pelican.ClassMaxDeliveries: 1, "": 1}, map[string]int64{"orders": 4}},
			{"handler timed out after <n>s", 2, t0.Add(3 * time.Second), t0.Add(6 * time.Second), more[0],
				map[string]int64{pelican.ClassTimeout: 2}, map[string]int64{"payments": 2}},
			// The hand-written entry (no error text) is seen at its ID's time.
			{"", 1, t0.Add(4 * time.Second), t0.Add(4 * time.Second), ids[4], map[string]int64{"": 1}, map[string]int64{"": 1}},
			{"address <q> invalid", 1, t0.Add(2 * time.Second), t0.Add(2 * time.Second), ids[2], map[string]int64{pelican.ClassPermanent: 1}, map[string]int64{"orders": 1}},
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("Failures (-got +want):\n%s", diff)
		}
		if len(groups) > 0 && groups[0].Sample.Values["order"] != "2" {
			t.Errorf("sample of the largest group has values %v, want order 2", groups[0].Sample.Values)
		}

		// A selector narrows the pass.
		groups, err = q.Failures(ctx, dlq.Selector{Group: "billing", Since: t0})
		if err != nil {
			t.Fatal(err)
		}
		var counts []string
		for _, g := range groups {
			counts = append(counts, fmt.Sprintf("%s: %d", g.Text, g.Count))
		}
		if diff := cmp.Diff(counts, []string{"handler timed out after <n>s: 2", "order <n> not found: 2"}); diff != "" {
			t.Errorf("Failures of billing since t0 (-got +want):\n%s", diff)
		}
		groups, err = q.Failures(ctx, dlq.Selector{IDs: []string{ids[0], more[1]}})
		if err != nil || len(groups) != 1 || groups[0].Count != 2 || groups[0].Sample.ID != ids[0] {
			t.Errorf("Failures by IDs = %+v, %v; want one group of 2 sampled by %s", groups, err, ids[0])
		}

		if _, err := q.Failures(ctx, dlq.Selector{}); !errors.Is(err, dlq.ErrEmptySelector) {
			t.Errorf("Failures with an empty selector: %v", err)
		}
		if _, err := q.Failures(ctx, dlq.Selector{End: "soon"}); !errors.Is(err, dlq.ErrBadSelector) {
			t.Errorf("Failures with a bad selector: %v", err)
		}
		if g, err := dlq.Open(c, "absent:dlq").Failures(ctx, dlq.Selector{All: true}); len(g) != 0 || err != nil {
			t.Errorf("Failures of an absent stream = %v, %v", g, err)
		}
		c.Redis().RPush(ctx, "alist", "x")
		if _, err := dlq.Open(c, "alist").Failures(ctx, dlq.Selector{All: true}); !errors.Is(err, dlq.ErrWrongType) {
			t.Errorf("Failures of a list: %v, want ErrWrongType", err)
		}
	})
}

// TestWorkerDeadLetters reads dead letters a real worker wrote: the
// metadata parses, and failures differing only in numbers group as one.
func TestWorkerDeadLetters(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w, err := c.NewWorker(pelican.WorkerConfig{
			Stream: "orders", Group: "billing", Consumer: "b1", Block: 20 * time.Millisecond,
			Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
				if m.Values["kind"] == "missing" {
					return pelican.Permanent(fmt.Errorf("order %s not found", m.Values["order"]))
				}
				return pelican.Permanent(errors.New("card declined"))
			}),
		})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		for i, order := range []string{"88214", "91007", "5", "77"} {
			kind := "missing"
			if i == 3 {
				kind = "declined"
			}
			if _, err := c.Publish(ctx, "orders", map[string]string{"order": order, "kind": kind}, nil); err != nil {
				t.Fatal(err)
			}
		}
		await.True(t, "four messages are dead-lettered", func() bool { return w.Stats().DeadLettered >= 4 })
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}

		q := dlq.ForStream(c, "orders")
		st, err := q.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Count != 4 || st.Malformed != 0 || st.ByGroup["billing"] != 4 || st.ByClass[pelican.ClassPermanent] != 4 {
			t.Errorf("Stats = %+v", st)
		}
		groups, err := q.Failures(context.Background(), dlq.Selector{All: true})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range groups {
			got = append(got, fmt.Sprintf("%d × %s", g.Count, g.Text))
		}
		want := []string{
			"3 × order <n> not found",
			"1 × card declined",
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("Failures (-got +want):\n%s", diff)
		}
		if s := groups[0].Sample; s.Values["kind"] != "missing" || s.Group != "billing" || s.Stream != "orders" || s.DeadAt.IsZero() {
			t.Errorf("sample %+v", s)
		}
	})
}

// TestListManyPages pages through more entries than one read returns,
// with a selector that skips some, both ways.
func TestListManyPages(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "big:dlq")
		var want []string
		for i := range 1300 {
			class := pelican.ClassHandler
			if i%3 == 0 {
				class = pelican.ClassPermanent
			}
			id := addLetters(t, c, "big:dlq", letter{stream: "s", group: "g", class: class, err: "x"})[0]
			if class == pelican.ClassPermanent {
				want = append(want, id)
			}
		}
		for _, reverse := range []bool{false, true} {
			var got []string
			pages := 0
			opts := dlq.ListOptions{Limit: 150, Reverse: reverse}
			for {
				es, next, err := q.List(ctx, dlq.Selector{Class: pelican.ClassPermanent}, opts)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, entryIDs(es)...)
				pages++
				if next == "" {
					break
				}
				opts.After = next
			}
			w := slices.Clone(want)
			if reverse {
				slices.Reverse(w)
			}
			if diff := cmp.Diff(got, w); diff != "" || pages != 3 {
				t.Errorf("reverse %v: %d pages (want 3), IDs (-got +want):\n%s", reverse, pages, diff)
			}
		}
	})
}
