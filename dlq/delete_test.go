package dlq_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/streamid"
)

// annotate gives every entry of q a note by failing to reprocess it.
func annotate(t *testing.T, q *dlq.Queue) {
	t.Helper()
	_, err := q.Reprocess(context.Background(), dlq.Selector{All: true}, func(context.Context, dlq.Entry) error {
		return errors.New("still failing")
	}, dlq.ReprocessOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// remaining returns the IDs left in q.
func remaining(t *testing.T, q *dlq.Queue) []string {
	t.Helper()
	es, _, err := q.List(context.Background(), dlq.Selector{All: true}, dlq.ListOptions{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 {
		return nil
	}
	return entryIDs(es)
}

// noteIDs returns the IDs of the entries with notes.
func noteIDs(t *testing.T, c *pelican.Client, key string) []string {
	t.Helper()
	ids, err := c.Redis().HKeys(context.Background(), key+":pelican:notes").Result()
	if err != nil {
		t.Fatal(err)
	}
	return sortIDs(ids)
}

func TestDelete(t *testing.T) {
	backendtest.EachWith(t, frozen(), func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")
		ids := mixedDLQ(t, c, "orders:dlq")
		annotate(t, q)

		for _, tc := range []struct {
			name string
			sel  dlq.Selector
			want error
		}{
			{"empty selector", dlq.Selector{}, dlq.ErrEmptySelector},
			{"bad ID", dlq.Selector{IDs: []string{ids[0], "oops"}}, dlq.ErrBadSelector},
			{"bad range", dlq.Selector{Start: "-", End: "1-2-3"}, dlq.ErrBadSelector},
			{"inverted times", dlq.Selector{Since: t0.Add(time.Second), Until: t0}, dlq.ErrBadSelector},
		} {
			if n, err := q.Delete(ctx, tc.sel); !errors.Is(err, tc.want) || n != 0 {
				t.Errorf("%s: Delete = %d, %v; want 0, %v", tc.name, n, err, tc.want)
			}
			if n, err := q.Purge(ctx, tc.sel); !errors.Is(err, tc.want) || n != 0 {
				t.Errorf("%s: Purge = %d, %v; want 0, %v", tc.name, n, err, tc.want)
			}
		}
		if diff := cmp.Diff(remaining(t, q), ids); diff != "" {
			t.Fatalf("bad selectors deleted something (-got +want):\n%s", diff)
		}

		steps := []struct {
			name      string
			sel       dlq.Selector
			deleted   int64
			remaining []string
		}{
			{"by fingerprint", dlq.Selector{Fingerprint: dlq.Fingerprint("order 1 not found")}, 3, []string{ids[2], ids[3], ids[4]}},
			{"nothing selected", dlq.Selector{Class: "none"}, 0, []string{ids[2], ids[3], ids[4]}},
			{"gone already", dlq.Selector{IDs: []string{ids[0]}}, 0, []string{ids[2], ids[3], ids[4]}},
			// The hand-written entry without metadata.
			{"by ID", dlq.Selector{IDs: []string{ids[4]}}, 1, []string{ids[2], ids[3]}},
			{"by time", dlq.Selector{Until: t0.Add(3 * time.Second)}, 1, []string{ids[3]}},
			{"all", dlq.Selector{All: true}, 1, nil},
		}
		for _, s := range steps {
			n, err := q.Delete(ctx, s.sel)
			if err != nil || n != s.deleted {
				t.Errorf("%s: Delete = %d, %v; want %d", s.name, n, err, s.deleted)
			}
			if diff := cmp.Diff(remaining(t, q), s.remaining); diff != "" {
				t.Errorf("%s: remaining (-got +want):\n%s", s.name, diff)
			}
			if diff := cmp.Diff(noteIDs(t, c, "orders:dlq"), s.remaining); diff != "" {
				t.Errorf("%s: notes (-got +want):\n%s", s.name, diff)
			}
		}
		// Delete keeps the emptied stream.
		if typ, _ := c.Redis().Type(ctx, "orders:dlq").Result(); typ != "stream" {
			t.Errorf("after Delete of everything the key is a %q, want an empty stream", typ)
		}

		if n, err := dlq.Open(c, "absent:dlq").Delete(ctx, dlq.Selector{All: true}); n != 0 || err != nil {
			t.Errorf("Delete in an absent stream = %d, %v", n, err)
		}
		c.Redis().SAdd(ctx, "aset", "x")
		if _, err := dlq.Open(c, "aset").Delete(ctx, dlq.Selector{All: true}); !errors.Is(err, dlq.ErrWrongType) {
			t.Errorf("Delete in a set: %v, want ErrWrongType", err)
		}
		if _, err := dlq.Open(c, "aset").Purge(ctx, dlq.Selector{All: true}); !errors.Is(err, dlq.ErrWrongType) {
			t.Errorf("Purge of a set: %v, want ErrWrongType", err)
		}
		if n, _ := c.Redis().SCard(ctx, "aset").Result(); n != 1 {
			t.Errorf("the set has %d members after Delete and Purge, want 1", n)
		}
	})
}

// TestDeleteInBatches deletes more entries than one XDEL takes, selected
// by a criterion that skips some.
func TestDeleteInBatches(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "big:dlq")
		for i := range 1300 {
			class := pelican.ClassHandler
			if i%3 == 0 {
				class = pelican.ClassPermanent
			}
			addLetters(t, c, "big:dlq", letter{stream: "s", group: "g", class: class, err: "x"})
		}
		n, err := q.Delete(ctx, dlq.Selector{Class: pelican.ClassHandler})
		if err != nil || n != 866 {
			t.Errorf("Delete = %d, %v; want 866", n, err)
		}
		if got := xlen(t, c, "big:dlq"); got != 434 {
			t.Errorf("XLEN = %d, want 434", got)
		}
	})
}

func TestPurge(t *testing.T) {
	backendtest.EachWith(t, frozen(), func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		q := dlq.Open(c, "orders:dlq")
		ids := mixedDLQ(t, c, "orders:dlq")
		annotate(t, q)
		if _, err := q.Enforce(ctx, dlq.Retention{MaxLen: 5}); err != nil {
			t.Fatal(err)
		}

		// A purge that leaves entries keeps the key.
		n, err := q.Purge(ctx, dlq.Selector{Stream: "orders"})
		if err != nil || n != 3 {
			t.Errorf("Purge by stream = %d, %v; want 3", n, err)
		}
		if diff := cmp.Diff(remaining(t, q), []string{ids[3], ids[4]}); diff != "" {
			t.Errorf("remaining (-got +want):\n%s", diff)
		}
		// One that empties the stream removes it and its notes, and keeps
		// the eviction counter.
		n, err = q.Purge(ctx, dlq.Selector{All: true})
		if err != nil || n != 2 {
			t.Errorf("Purge of all = %d, %v; want 2", n, err)
		}
		if n, _ := c.Redis().Exists(ctx, "orders:dlq", "orders:dlq:pelican:notes").Result(); n != 0 {
			t.Errorf("%d of the stream and its notes left after Purge", n)
		}
		if ev, err := q.Evictions(ctx); ev != 1 || err != nil {
			t.Errorf("Evictions after Purge = %d, %v; want 1", ev, err)
		}
		if n, err := q.Purge(ctx, dlq.Selector{All: true}); n != 0 || err != nil {
			t.Errorf("Purge of an absent stream = %d, %v", n, err)
		}

		// A stream a group reads is emptied but kept, with its group.
		g := dlq.Open(c, "read:dlq")
		addLetters(t, c, "read:dlq", letter{stream: "s", group: "g", err: "x"})
		if err := c.Redis().XGroupCreate(ctx, "read:dlq", "auditors", "0").Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := g.Purge(ctx, dlq.Selector{All: true}); n != 1 || err != nil {
			t.Errorf("Purge of a stream with a group = %d, %v; want 1", n, err)
		}
		groups, err := c.Redis().XInfoGroups(ctx, "read:dlq").Result()
		if err != nil || len(groups) != 1 {
			t.Errorf("groups after Purge: %v, %v; want auditors kept", groups, err)
		}
	})
}

// sortIDs sorts stream IDs in stream order.
func sortIDs(ids []string) []string {
	slices.SortFunc(ids, streamid.Compare)
	if len(ids) == 0 {
		return nil
	}
	return ids
}
