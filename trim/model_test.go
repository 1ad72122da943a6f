package trim

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/streamid"
)

// fixedClock is a pelican.Clock that always tells the same time.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// snapshot is everything a brute-force model of a trim needs: the whole
// stream and every group's state, read without limits.
type snapshot struct {
	ids    []streamid.ID
	groups []snapGroup
}

type snapGroup struct {
	name    string
	ld      streamid.ID
	pending []streamid.ID
}

func takeSnapshot(t *testing.T, rdb redis.UniversalClient, key string) snapshot {
	t.Helper()
	ctx := context.Background()
	var s snapshot
	msgs, err := rdb.XRange(ctx, key, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		s.ids = append(s.ids, mustID(t, m.ID))
	}
	groups, err := rdb.XInfoGroups(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		sg := snapGroup{name: g.Name, ld: mustID(t, g.LastDeliveredID)}
		pend, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: key, Group: g.Name, Start: "-", End: "+", Count: 1 << 30}).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pend {
			sg.pending = append(sg.pending, mustID(t, p.ID))
		}
		s.groups = append(s.groups, sg)
	}
	return s
}

func mustID(t *testing.T, s string) streamid.ID {
	t.Helper()
	id, ok := streamid.Parse(s)
	if !ok {
		t.Fatalf("bad ID %q", s)
	}
	return id
}

// referenced reports whether some group still needs id.
func (s snapshot) referenced(id streamid.ID) bool {
	for _, g := range s.groups {
		if g.ld.Less(id) || slices.Contains(g.pending, id) {
			return true
		}
	}
	return false
}

// plainRemoved lists what an exact plain trim with p removes at now.
func (s snapshot) plainRemoved(p Policy, now time.Time) []streamid.ID {
	minCut, hasMin := p.minCut(now)
	drop := 0
	if p.MaxLen > 0 {
		drop = max(len(s.ids)-int(p.MaxLen), 0)
	}
	var out []streamid.ID
	for i, id := range s.ids {
		if i >= drop && (!hasMin || !id.Less(minCut)) {
			break
		}
		out = append(out, id)
	}
	return out
}

// floor is the smallest ID some group needs, by definition.
func (s snapshot) floor() (streamid.ID, bool) {
	found := false
	var f streamid.ID
	for _, id := range s.ids {
		if s.referenced(id) {
			f, found = id, true
			break
		}
	}
	// Entries not yet added are needed too: the floor is at most the
	// first ID after the smallest last-delivered ID.
	for _, g := range s.groups {
		next, _ := g.ld.Next()
		if !found || next.Less(f) {
			f, found = next, true
		}
	}
	return f, found
}

// ackedRemoved lists what XTRIM ... ACKED removes: from the head, skipping
// referenced entries, until the length reaches MaxLen, then until MinID.
func (s snapshot) ackedRemoved(p Policy, now time.Time) []streamid.ID {
	var out []streamid.ID
	gone := map[streamid.ID]bool{}
	if p.MaxLen > 0 {
		length := len(s.ids)
		for _, id := range s.ids {
			if length <= int(p.MaxLen) {
				break
			}
			if s.referenced(id) {
				continue
			}
			out = append(out, id)
			gone[id] = true
			length--
		}
	}
	if minCut, ok := p.minCut(now); ok {
		for _, id := range s.ids {
			if !id.Less(minCut) {
				break
			}
			if !gone[id] && !s.referenced(id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// ghosts counts the pending entries, over all groups, below the first
// entry (all of them when the stream is empty).
func (s snapshot) ghosts() int64 {
	var n int64
	for _, g := range s.groups {
		for _, id := range g.pending {
			if len(s.ids) == 0 || id.Less(s.ids[0]) {
				n++
			}
		}
	}
	return n
}

func (s snapshot) has(id streamid.ID) bool {
	_, found := slices.BinarySearchFunc(s.ids, id, func(a, b streamid.ID) int { return a.Compare(b) })
	return found
}

// groupSpec describes a group fill makes: it read the first read entries
// and acknowledged all but the ones at the 1-based positions in pending.
type groupSpec struct {
	name    string
	read    int
	pending []int
}

// fill builds a stream of n entries with IDs <i>-1 for i in 1..n, and the
// groups.
func fill(t *testing.T, rdb redis.UniversalClient, key string, n int, groups []groupSpec) {
	t.Helper()
	ctx := context.Background()
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 1; i <= n; i++ {
			p.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: fmt.Sprintf("%d-1", i), Values: []any{"n", i}})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if err := rdb.XGroupCreate(ctx, key, g.name, "0").Err(); err != nil {
			t.Fatal(err)
		}
		if g.read == 0 {
			continue
		}
		if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: g.name, Consumer: "c-" + g.name, Streams: []string{key, ">"}, Count: int64(g.read)}).Err(); err != nil {
			t.Fatal(err)
		}
		var acks []string
		for i := 1; i <= g.read; i++ {
			if !slices.Contains(g.pending, i) {
				acks = append(acks, fmt.Sprintf("%d-1", i))
			}
		}
		if len(acks) > 0 {
			if err := rdb.XAck(ctx, key, g.name, acks...).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
