package trim

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/rediserr"
	"github.com/pelicanhq/pelican/internal/streamid"
)

// ErrNoStream means the stream does not exist. It is pelican.ErrNoStream,
// so errors.Is matches it with the other packages' ErrNoStream.
var ErrNoStream = pelican.ErrNoStream

// ErrWrongType means the key holds something else than a stream. It is
// pelican.ErrWrongType, so errors.Is matches it with the other packages'
// ErrWrongType.
var ErrWrongType = pelican.ErrWrongType

// pageSize is how many entries one XRANGE or XPENDING reads.
const pageSize = 1000

// state is what Run reads of a stream before trimming it.
type state struct {
	length int64
	first  streamid.ID // the first entry's ID; zero when empty
	empty  bool
	groups []groupState
}

// groupState is what a trim needs to know of one consumer group.
type groupState struct {
	name          string
	lastDelivered streamid.ID
	pending       int64
	// pelMin is the smallest pending ID still in the stream (not below
	// its first entry): ghosts need no protection.
	pelMin    streamid.ID
	hasPelMin bool
}

// wrapErr turns Redis's replies for a missing key or a key of another
// type into ErrNoStream and ErrWrongType, and adds the stream and the
// operation to other errors.
func wrapErr(key, op string, err error) error {
	switch {
	case rediserr.IsNoSuchKey(err):
		return fmt.Errorf("%w: %s", ErrNoStream, key)
	case rediserr.IsWrongType(err):
		return fmt.Errorf("%w: %s", ErrWrongType, key)
	}
	return fmt.Errorf("trim %s: %s: %w", key, op, err)
}

// readState reads the stream's length, first entry and groups, and for
// each group the smallest pending ID still in the stream: three commands
// in one round trip, then one XPENDING per group in another.
func readState(ctx context.Context, rdb redis.UniversalClient, key string) (state, error) {
	var st state
	var info *redis.XInfoStreamCmd
	var groups *redis.XInfoGroupsCmd
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		info = p.XInfoStream(ctx, key)
		groups = p.XInfoGroups(ctx, key)
		return nil
	})
	if err := info.Err(); err != nil {
		return st, wrapErr(key, "XINFO STREAM", err)
	}
	if err != nil {
		return st, wrapErr(key, "XINFO GROUPS", err)
	}
	in := info.Val()
	st.length, st.empty = in.Length, in.Length == 0
	if !st.empty {
		if st.first, err = idOf(in.FirstEntry.ID); err != nil {
			return st, err
		}
	}
	for _, g := range groups.Val() {
		ld, err := idOf(g.LastDeliveredID)
		if err != nil {
			return st, err
		}
		st.groups = append(st.groups, groupState{name: g.Name, lastDelivered: ld, pending: g.Pending})
	}
	if st.empty || len(st.groups) == 0 {
		return st, nil
	}
	mins := make([]*redis.XPendingExtCmd, len(st.groups))
	_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, g := range st.groups {
			mins[i] = p.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: key, Group: g.name, Start: st.first.String(), End: "+", Count: 1})
		}
		return nil
	})
	if err != nil {
		return st, wrapErr(key, "XPENDING", err)
	}
	for i, m := range mins {
		if v := m.Val(); len(v) > 0 {
			id, err := idOf(v[0].ID)
			if err != nil {
				return st, err
			}
			st.groups[i].pelMin, st.groups[i].hasPelMin = id, true
		}
	}
	return st, nil
}

// floor returns the smallest ID some group still needs: for each group
// the first pending entry still in the stream and the first ID after its
// last-delivered ID, whichever is smaller; false when there are no
// groups.
func (st state) floor() (streamid.ID, bool) {
	var floor streamid.ID
	found := false
	for _, g := range st.groups {
		need, ok := g.lastDelivered.Next()
		if !ok {
			need = streamid.Max
		}
		if g.hasPelMin && g.pelMin.Less(need) {
			need = g.pelMin
		}
		if !found || need.Less(floor) {
			floor, found = need, true
		}
	}
	return floor, found
}

// minLastDelivered returns the smallest last-delivered ID of the groups:
// every entry after it is still undelivered to some group.
func (st state) minLastDelivered() streamid.ID {
	m := streamid.Max
	for _, g := range st.groups {
		if g.lastDelivered.Less(m) {
			m = g.lastDelivered
		}
	}
	return m
}

// idOf parses an ID from a server reply.
func idOf(s string) (streamid.ID, error) {
	id, ok := streamid.Parse(s)
	if !ok {
		return id, fmt.Errorf("trim: unexpected stream ID %q in a reply", s)
	}
	return id, nil
}

// walk is the head of the stream a plain trim with the policy would
// remove, as far as Run looked.
type walk struct {
	ids []streamid.ID // in order
	// cut is the smallest ID the plain trim keeps: entries with smaller
	// IDs go. Unknown (zero, known false) when the walk was capped.
	cut   streamid.ID
	known bool
	// capped means ScanLimit entries were read before the cut was found.
	capped bool
}

// walkHead reads the stream from its head, in pages, the entries a plain
// exact trim with p would remove at time-derived cut minCut (if hasMin):
// it stops at the first entry that is both within the newest MaxLen and
// not below minCut, or after limit entries.
func walkHead(ctx context.Context, rdb redis.UniversalClient, p Policy, st state, minCut streamid.ID, hasMin bool) (walk, error) {
	var w walk
	drop := int64(0) // how many entries MaxLen alone removes
	if p.MaxLen > 0 {
		drop = max(st.length-p.MaxLen, 0)
	}
	limit := p.scanLimit()
	start := "-"
	for {
		n := min(int64(pageSize), limit-int64(len(w.ids))+1)
		page, err := rdb.XRangeN(ctx, p.Stream, start, "+", n).Result()
		if err != nil {
			return w, wrapErr(p.Stream, "XRANGE", err)
		}
		for _, m := range page {
			id, err := idOf(m.ID)
			if err != nil {
				return w, err
			}
			if int64(len(w.ids)) >= drop && (!hasMin || !id.Less(minCut)) {
				// The first entry kept. Report MinID's cut rather than it
				// when that is what stopped the walk.
				w.cut, w.known = id, true
				if hasMin && (p.MaxLen == 0 || int64(len(w.ids)) > drop) {
					w.cut = minCut
				}
				return w, nil
			}
			if int64(len(w.ids)) == limit {
				w.capped = true
				return w, nil
			}
			w.ids = append(w.ids, id)
		}
		if int64(len(page)) < n {
			// The stream ends before the cut: a plain trim empties it.
			w.known = true
			if len(w.ids) > 0 {
				w.cut, _ = w.ids[len(w.ids)-1].Next()
			}
			if hasMin && w.cut.Less(minCut) {
				w.cut = minCut
			}
			return w, nil
		}
		start = "(" + page[len(page)-1].ID
	}
}

// pendingIn returns the IDs pending in any group between lo and hi
// (inclusive), reading at most limit per group.
func pendingIn(ctx context.Context, rdb redis.UniversalClient, key string, groups []groupState, lo, hi streamid.ID, limit int64) (map[streamid.ID]bool, error) {
	set := map[streamid.ID]bool{}
	for _, g := range groups {
		start, seen := lo.String(), int64(0)
		for seen < limit {
			n := min(int64(pageSize), limit-seen)
			page, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: key, Group: g.name, Start: start, End: hi.String(), Count: n}).Result()
			if err != nil {
				return nil, wrapErr(key, "XPENDING", err)
			}
			for _, pe := range page {
				id, err := idOf(pe.ID)
				if err != nil {
					return nil, err
				}
				set[id] = true
			}
			seen += int64(len(page))
			if int64(len(page)) < n {
				break
			}
			start = "(" + page[len(page)-1].ID
		}
	}
	return set, nil
}

// Ghosts counts, for each group, the pending entries whose IDs are below
// the stream's first entry: entries trimmed while pending, which no
// consumer can process any more. It reads at most limit per group (if
// zero, DefaultScanLimit) and reports whether some group had more. It
// claims nothing. A stream that does not exist gives ErrNoStream.
//
// Pending entries deleted from the middle of the stream (XDEL) are not
// counted: finding them would take reading the whole PEL.
func Ghosts(ctx context.Context, c *pelican.Client, key string, limit int64) (map[string]int64, bool, error) {
	return ghosts(ctx, c.Redis(), key, limit)
}

func ghosts(ctx context.Context, rdb redis.UniversalClient, key string, limit int64) (map[string]int64, bool, error) {
	if limit <= 0 {
		limit = DefaultScanLimit
	}
	var first *redis.XMessageSliceCmd
	var groups *redis.XInfoGroupsCmd
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		groups = p.XInfoGroups(ctx, key)
		first = p.XRangeN(ctx, key, "-", "+", 1)
		return nil
	})
	if err != nil {
		return nil, false, wrapErr(key, "XINFO GROUPS", err)
	}
	out := map[string]int64{}
	capped := false
	if len(first.Val()) == 0 {
		// Empty: everything pending is a ghost, and XINFO GROUPS counts it.
		for _, g := range groups.Val() {
			out[g.Name] = g.Pending
		}
		return out, false, nil
	}
	cmds := make([]*redis.XPendingExtCmd, len(groups.Val()))
	_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, g := range groups.Val() {
			cmds[i] = p.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: key, Group: g.Name, Start: "-", End: "(" + first.Val()[0].ID, Count: limit})
		}
		return nil
	})
	if err != nil {
		return nil, false, wrapErr(key, "XPENDING", err)
	}
	for i, g := range groups.Val() {
		n := int64(len(cmds[i].Val()))
		out[g.Name] = n
		capped = capped || n >= limit
	}
	return out, capped, nil
}
