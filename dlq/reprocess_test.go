package dlq_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// reprocessResult is what a test compares of a ReprocessResult: the
// failures as "id: error" texts.
func reprocessResult(r dlq.ReprocessResult) (succeeded, failed int, failures []string) {
	for _, f := range r.Failures {
		failures = append(failures, f.ID+": "+f.Err.Error())
	}
	return r.Succeeded, r.Failed, failures
}

func TestReprocess(t *testing.T) {
	backendtest.EachWith(t, frozen(), func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")
		ids := mixedDLQ(t, c, "orders:dlq")

		// The handler sees each entry's own fields, and its metadata.
		var seen []string
		h := func(ctx context.Context, e dlq.Entry) error {
			seen = append(seen, e.ID)
			for k := range e.Values {
				if strings.HasPrefix(k, pelican.ReservedPrefix) {
					t.Errorf("entry %s handed over with metadata field %s in Values", e.ID, k)
				}
			}
			switch e.Values["order"] {
			case "88214", "2":
				return nil // the hand-made entry with malformed metadata too
			case "91007":
				return errors.New("order 91007 still not found")
			case "1":
				panic("boom")
			}
			return errors.New("not today")
		}
		res, err := q.Reprocess(ctx, dlq.Selector{All: true}, h, dlq.ReprocessOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s, f, failures := reprocessResult(res)
		if diff := cmp.Diff(seen, ids); diff != "" {
			t.Errorf("handled (-got +want):\n%s", diff)
		}
		if s != 2 || f != 4 {
			t.Errorf("Reprocess: %d succeeded, %d failed; want 2, 4", s, f)
		}
		if diff := cmp.Diff(failures, []string{
			ids[1] + ": order 91007 still not found", ids[2] + ": not today", ids[3] + ": not today",
			ids[4] + ": dlq: reprocess handler panic: boom",
		}); diff != "" {
			t.Errorf("failures (-got +want):\n%s", diff)
		}
		left, _, err := q.List(ctx, dlq.Selector{All: true}, dlq.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(entryIDs(left), []string{ids[1], ids[2], ids[3], ids[4]}); diff != "" {
			t.Errorf("left after Reprocess (-got +want):\n%s", diff)
		}
		for _, e := range left {
			want := &dlq.Note{Attempts: 1, LastAttempt: t0, LastError: "not today"}
			switch e.ID {
			case ids[1]:
				want.LastError = "order 91007 still not found"
			case ids[4]:
				want.LastError = "dlq: reprocess handler panic: boom"
			}
			if diff := cmp.Diff(e.Reprocessed, want); diff != "" {
				t.Errorf("note of %s (-got +want):\n%s", e.ID, diff)
			}
		}

		// Again, by fingerprint and with a limit: the note counts the
		// attempts; the handler sees the earlier ones.
		var notes []int64
		res, err = q.Reprocess(ctx, dlq.Selector{Stream: "orders"}, func(ctx context.Context, e dlq.Entry) error {
			notes = append(notes, e.Reprocessed.Attempts)
			return errors.New("still failing: " + e.ID)
		}, dlq.ReprocessOptions{Limit: 1})
		if err != nil || res.Failed != 1 || res.Succeeded != 0 {
			t.Fatalf("Reprocess with Limit 1 = %+v, %v", res, err)
		}
		e, err := q.Get(ctx, ids[1])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(notes, []int64{1}); diff != "" {
			t.Errorf("attempts seen by the handler (-got +want):\n%s", diff)
		}
		if e.Reprocessed == nil || e.Reprocessed.Attempts != 2 || e.Reprocessed.LastError != "still failing: "+ids[1] {
			t.Errorf("note after the second attempt: %+v", e.Reprocessed)
		}

		// Success deletes the entry and its note.
		res, err = q.Reprocess(ctx, dlq.Selector{IDs: []string{ids[1]}}, func(context.Context, dlq.Entry) error { return nil }, dlq.ReprocessOptions{})
		if err != nil || res.Succeeded != 1 {
			t.Fatalf("Reprocess of %s = %+v, %v", ids[1], res, err)
		}
		if _, err := q.Get(ctx, ids[1]); !errors.Is(err, dlq.ErrNotFound) {
			t.Errorf("Get of a reprocessed entry: %v, want ErrNotFound", err)
		}
		if ok, _ := c.Redis().HExists(ctx, "orders:dlq:pelican:notes", ids[1]).Result(); ok {
			t.Errorf("the note of reprocessed entry %s is left", ids[1])
		}
		if n, _ := c.Redis().HLen(ctx, "orders:dlq:pelican:notes").Result(); n != 3 {
			t.Errorf("%d notes, want 3 (one per entry still failing)", n)
		}
	})
}

func TestReprocessBadInput(t *testing.T) {
	backendtest.EachWith(t, frozen(), func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")
		mixedDLQ(t, c, "orders:dlq")
		calls := 0
		h := func(context.Context, dlq.Entry) error { calls++; return nil }
		c.Redis().Set(ctx, "astring", "x", 0)
		for _, tc := range []struct {
			name string
			q    *dlq.Queue
			sel  dlq.Selector
			h    func(context.Context, dlq.Entry) error
			opts dlq.ReprocessOptions
			want error // nil: any error
		}{
			{"empty selector", q, dlq.Selector{}, h, dlq.ReprocessOptions{}, dlq.ErrEmptySelector},
			{"bad selector", q, dlq.Selector{IDs: []string{"1-x"}}, h, dlq.ReprocessOptions{}, dlq.ErrBadSelector},
			{"wrong type", dlq.Open(c, "astring"), dlq.Selector{All: true}, h, dlq.ReprocessOptions{}, dlq.ErrWrongType},
			{"no handler", q, dlq.Selector{All: true}, nil, dlq.ReprocessOptions{}, nil},
			{"negative limit", q, dlq.Selector{All: true}, h, dlq.ReprocessOptions{Limit: -1}, nil},
		} {
			_, err := tc.q.Reprocess(ctx, tc.sel, tc.h, tc.opts)
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%s: Reprocess: %v, want %v", tc.name, err, tc.want)
			}
		}
		if calls != 0 || xlen(t, c, "orders:dlq") != 6 {
			t.Errorf("bad input ran the handler %d times and left %d entries; want 0 and 6", calls, xlen(t, c, "orders:dlq"))
		}
		if res, err := dlq.Open(c, "absent:dlq").Reprocess(ctx, dlq.Selector{All: true}, h, dlq.ReprocessOptions{}); err != nil || res.Succeeded+res.Failed != 0 {
			t.Errorf("Reprocess of an absent stream = %+v, %v; want nothing done", res, err)
		}
		if n, _ := c.Redis().Exists(ctx, "absent:dlq", "absent:dlq:pelican:notes").Result(); n != 0 {
			t.Errorf("Reprocess of an absent stream created %d keys", n)
		}

		// A cancelled context stops between entries: what was not handled
		// stays, unannotated.
		cctx, cancel := context.WithCancel(ctx)
		res, err := q.Reprocess(cctx, dlq.Selector{All: true}, func(context.Context, dlq.Entry) error {
			cancel()
			return errors.New("failing")
		}, dlq.ReprocessOptions{})
		if !errors.Is(err, context.Canceled) || res.Failed != 1 {
			t.Errorf("cancelled Reprocess = %+v, %v; want one failure and context.Canceled", res, err)
		}
		if n, _ := c.Redis().HLen(ctx, "orders:dlq:pelican:notes").Result(); n != 1 || xlen(t, c, "orders:dlq") != 6 {
			t.Errorf("after a cancelled Reprocess: %d notes, %d entries; want 1, 6", n, xlen(t, c, "orders:dlq"))
		}
	})
}

// TestReprocessManyPages runs Reprocess over more entries than it reads at
// once, with a limit that ends mid-page.
func TestReprocessManyPages(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "big:dlq")
		for i := range 250 {
			xadd(t, c, "big:dlq", "", "n", i)
		}
		n := 0
		res, err := q.Reprocess(ctx, dlq.Selector{All: true}, func(context.Context, dlq.Entry) error {
			n++
			if n%2 == 0 {
				return errors.New("even")
			}
			return nil
		}, dlq.ReprocessOptions{Limit: 230})
		if err != nil || res.Succeeded != 115 || res.Failed != 115 {
			t.Fatalf("Reprocess = %d succeeded, %d failed, %v; want 115, 115", res.Succeeded, res.Failed, err)
		}
		if got := xlen(t, c, "big:dlq"); got != 135 {
			t.Errorf("XLEN = %d, want 135", got)
		}
	})
}

func TestNoteFormat(t *testing.T) {
	// The note is written as 1|attempts|unix ms|error; anything else
	// found in its place is shown as its error text.
	backendtest.EachWith(t, frozen(), func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")
		ids := mixedDLQ(t, c, "orders:dlq")
		if _, err := q.Reprocess(ctx, dlq.Selector{IDs: ids[:1]}, func(context.Context, dlq.Entry) error {
			return errors.New("a|b")
		}, dlq.ReprocessOptions{}); err != nil {
			t.Fatal(err)
		}
		raw, err := c.Redis().HGet(ctx, "orders:dlq:pelican:notes", ids[0]).Result()
		if want := "1|1|1800000000000|a|b"; raw != want || err != nil {
			t.Errorf("note = %q, %v; want %q", raw, err, want)
		}
		c.Redis().HSet(ctx, "orders:dlq:pelican:notes", ids[1], "garbage")
		e, err := q.Get(ctx, ids[1])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(e.Reprocessed, &dlq.Note{LastError: "garbage"}); diff != "" {
			t.Errorf("a malformed note (-got +want):\n%s", diff)
		}
	})
}

// TestReprocessOnlyWhatWasThere checks that entries added while Reprocess
// runs wait for the next call: a handler whose messages come straight
// back does not keep it going.
func TestReprocessOnlyWhatWasThere(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")
		addLetters(t, c, "orders:dlq", letter{stream: "orders", group: "g", err: "x"}, letter{stream: "orders", group: "g", err: "x"})
		res, err := q.Reprocess(ctx, dlq.Selector{Stream: "orders"}, func(ctx context.Context, e dlq.Entry) error {
			addLetters(t, c, "orders:dlq", letter{stream: "orders", group: "g", err: "back again"})
			return nil
		}, dlq.ReprocessOptions{})
		if err != nil || res.Succeeded != 2 {
			t.Errorf("Reprocess = %+v, %v; want the 2 entries there at the start", res, err)
		}
		if n := xlen(t, c, "orders:dlq"); n != 2 {
			t.Errorf("XLEN = %d, want the 2 added meanwhile", n)
		}
	})
}
