package trim

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/streamid"
)

// Mode says how a trim treated entries that were still unprocessed.
type Mode string

// Modes of a trim.
const (
	// ModePlain trimmed as the policy says (Policy.Safe false).
	ModePlain Mode = "plain"
	// ModeAcked trimmed with XTRIM ... ACKED: the server skipped every
	// entry a group still references.
	ModeAcked Mode = "acked"
	// ModeFloor trimmed with XTRIM MINID at the policy's cut or the safe
	// floor, whichever is smaller (servers without ACKED).
	ModeFloor Mode = "floor"
	// ModeNoGroups: a safe trim of a stream without consumer groups,
	// where no entry waits for anyone, so it trimmed as the policy says.
	ModeNoGroups Mode = "no-groups"
)

// Report says what one trim did and what it avoided.
type Report struct {
	// Stream is the stream trimmed.
	Stream string
	// Mode says how unprocessed entries were treated.
	Mode Mode
	// Removed is how many entries the trim removed.
	Removed int64
	// LengthBefore and LengthAfter are the stream's length around the
	// trim.
	LengthBefore, LengthAfter int64
	// Cut is the smallest ID an exact plain trim with the policy keeps:
	// it removes every entry below. Empty when unknown (Capped, on a
	// MaxLen policy) or when the stream is empty.
	Cut string
	// Floor is the smallest ID some group still needs: its first pending
	// entry still in the stream, or the first ID after its last-delivered
	// ID. Empty when the stream has no groups.
	Floor string
	// Used is the MINID the trim used in ModeFloor (the smaller of Cut and
	// Floor); empty in the other modes, where the server applied the
	// policy itself.
	Used string
	// Unprocessed counts the entries an exact plain trim with the policy
	// would remove (now, or in ModePlain did remove) that some group had
	// not yet been delivered and acknowledged. Counted before the trim,
	// without removing anything. An approximate plain trim removes whole
	// nodes only, so it may remove fewer.
	Unprocessed int64
	// Scanned is how many entries were read to count Unprocessed.
	Scanned int64
	// Capped means the scan stopped at Policy.ScanLimit before reaching
	// the cut: Unprocessed and Lost are lower bounds, and in ModeFloor a
	// MaxLen trim went only as far as the scan (the next run goes on).
	Capped bool
	// Lost counts the unprocessed entries this trim removed: pending
	// entries that became ghosts, and entries a group will never be
	// delivered. Always zero for a safe trim, unless a group was moved
	// back (XGROUP SETID, or a new group from an old ID) while it ran.
	Lost int64
	// Ghosts counts the pending entries, over all groups, whose entries
	// are no longer in the stream (below its first entry), after the
	// trim. GhostsCapped means some group had ScanLimit or more.
	Ghosts       int64
	GhostsCapped bool
}

// Run applies the policy to its stream once and reports what it did. A
// stream that does not exist gives ErrNoStream; a bad policy ErrBadPolicy
// (nothing is read or changed then).
//
// Run adds the trim's figures to the hash CountersKey(p.Stream): removed,
// lost (unprocessed entries removed) and prevented (unprocessed entries a
// plain trim would have removed, kept by a safe one).
func Run(ctx context.Context, c *pelican.Client, p Policy) (Report, error) {
	r := Report{Stream: p.Stream, Mode: ModePlain}
	if err := p.Validate(); err != nil {
		return r, err
	}
	rdb := c.Redis()
	sv, err := survey(ctx, rdb, p, c.Clock().Now())
	if err != nil {
		return r, err
	}
	st, floor, minCut, hasMin, w, unprocessed := sv.st, sv.floor, sv.minCut, sv.hasMin, sv.walk, sv.unprocessed
	r.LengthBefore = st.length
	if sv.hasFloor {
		r.Floor = floor.String()
	}
	r.Scanned, r.Capped = int64(len(w.ids)), w.capped
	if w.known && !w.cut.IsZero() {
		r.Cut = w.cut.String()
	}
	r.Unprocessed = int64(len(unprocessed))

	if p.Safe {
		caps, err := c.Capabilities(ctx)
		if err != nil {
			return r, err
		}
		switch {
		case len(st.groups) == 0:
			r.Mode = ModeNoGroups
		case caps.RefPolicies:
			r.Mode = ModeAcked
		default:
			r.Mode = ModeFloor
		}
	}
	switch r.Mode {
	case ModeFloor:
		used, ok := floorCut(p, w, minCut, hasMin, floor)
		if ok {
			r.Used = used.String()
			r.Removed, err = xtrim(ctx, rdb, p.Stream, "MINID", r.Used, p.Approx, "")
		}
	case ModeAcked:
		r.Removed, err = trimPolicy(ctx, rdb, p, minCut, hasMin, "ACKED")
	default:
		r.Removed, err = trimPolicy(ctx, rdb, p, minCut, hasMin, "")
	}
	if err != nil {
		return r, err
	}
	if err := r.after(ctx, rdb, p, st, unprocessed); err != nil {
		return r, err
	}
	return r, record(ctx, rdb, p.Stream, r)
}

// unprocessedIn returns the IDs among ids that some group still needs:
// not yet delivered to it (after its last-delivered ID) or pending in it.
func unprocessedIn(ctx context.Context, rdb redis.UniversalClient, p Policy, st state, ids []streamid.ID) ([]streamid.ID, error) {
	if len(ids) == 0 || len(st.groups) == 0 {
		return nil, nil
	}
	minLD := st.minLastDelivered()
	var pending map[streamid.ID]bool
	if !minLD.Less(ids[0]) {
		// Entries up to minLD were delivered to every group: only those
		// pending somewhere are unprocessed.
		hi := ids[len(ids)-1]
		if minLD.Less(hi) {
			hi = minLD
		}
		var err error
		if pending, err = pendingIn(ctx, rdb, p.Stream, st.groups, ids[0], hi, p.scanLimit()); err != nil {
			return nil, err
		}
	}
	var out []streamid.ID
	for _, id := range ids {
		if minLD.Less(id) || pending[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// floorCut returns the MINID of a safe trim without ACKED: the policy's
// cut (as far as the walk got) or the floor, whichever is smaller; false
// when there is nothing to trim.
func floorCut(p Policy, w walk, minCut streamid.ID, hasMin bool, floor streamid.ID) (streamid.ID, bool) {
	var cut streamid.ID
	switch {
	case w.known:
		cut = w.cut
	case p.MaxLen == 0 && hasMin:
		cut = minCut
	case len(w.ids) > 0:
		// Capped: as far as the walk got.
		cut, _ = w.ids[len(w.ids)-1].Next()
	default:
		return cut, false
	}
	if floor.Less(cut) {
		cut = floor
	}
	return cut, !cut.IsZero()
}

// trimPolicy trims as the policy says, with the given reference policy
// (empty, or ACKED): XTRIM MAXLEN, then XTRIM MINID if the policy has
// both.
func trimPolicy(ctx context.Context, rdb redis.UniversalClient, p Policy, minCut streamid.ID, hasMin bool, ref string) (int64, error) {
	var removed int64
	if p.MaxLen > 0 {
		n, err := xtrim(ctx, rdb, p.Stream, "MAXLEN", strconv.FormatInt(p.MaxLen, 10), p.Approx, ref)
		if err != nil {
			return removed, err
		}
		removed += n
	}
	if hasMin {
		n, err := xtrim(ctx, rdb, p.Stream, "MINID", minCut.String(), p.Approx, ref)
		if err != nil {
			return removed, err
		}
		removed += n
	}
	return removed, nil
}

// xtrim sends XTRIM key strategy [~] threshold [ref].
func xtrim(ctx context.Context, rdb redis.UniversalClient, key, strategy, threshold string, approx bool, ref string) (int64, error) {
	args := []any{"XTRIM", key, strategy}
	if approx {
		args = append(args, "~")
	}
	args = append(args, threshold)
	if ref != "" {
		args = append(args, ref)
	}
	n, err := rdb.Do(ctx, args...).Int64()
	if err != nil {
		return 0, wrapErr(key, "XTRIM", err)
	}
	return n, nil
}

// after fills in the length, the unprocessed entries lost and the ghosts
// once the trim is done.
func (r *Report) after(ctx context.Context, rdb redis.UniversalClient, p Policy, st state, unprocessed []streamid.ID) error {
	var n *redis.IntCmd
	var first *redis.XMessageSliceCmd
	_, err := rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		n = pl.XLen(ctx, p.Stream)
		first = pl.XRangeN(ctx, p.Stream, "-", "+", 1)
		return nil
	})
	if err != nil {
		return wrapErr(p.Stream, "XLEN", err)
	}
	r.LengthAfter = n.Val()
	if r.Mode != ModeAcked {
		// The trim removed a head of the stream: every unprocessed entry
		// below the new first entry is gone.
		newFirst := streamid.Max
		if v := first.Val(); len(v) > 0 {
			if newFirst, err = idOf(v[0].ID); err != nil {
				return err
			}
		}
		for _, id := range unprocessed {
			if id.Less(newFirst) {
				r.Lost++
			}
		}
	}
	if len(st.groups) == 0 {
		return nil
	}
	g, capped, err := ghosts(ctx, rdb, p.Stream, p.scanLimit())
	if err != nil {
		return err
	}
	for _, n := range g {
		r.Ghosts += n
	}
	r.GhostsCapped = capped
	return nil
}

// CountersKey is the hash where trims keep their running totals: fields
// removed, lost and prevented (see Counters).
func CountersKey(stream string) string { return stream + ":pelican:trim" }

// Counters are the running totals of the trims Run made on a stream.
type Counters struct {
	// Removed counts entries removed.
	Removed int64
	// Lost counts unprocessed entries removed (plain trims).
	Lost int64
	// Prevented counts unprocessed entries plain trims would have removed
	// that safe trims kept.
	Prevented int64
}

// record adds a trim's figures to the stream's counters.
func record(ctx context.Context, rdb redis.UniversalClient, key string, r Report) error {
	prevented := int64(0)
	if r.Mode != ModePlain {
		prevented = max(r.Unprocessed-r.Lost, 0)
	}
	if r.Removed == 0 && r.Lost == 0 && prevented == 0 {
		return nil
	}
	k := CountersKey(key)
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, k, "removed", r.Removed)
		p.HIncrBy(ctx, k, "lost", r.Lost)
		p.HIncrBy(ctx, k, "prevented", prevented)
		return nil
	})
	if err != nil {
		return fmt.Errorf("trim %s: recording the counters in %s: %w", key, k, err)
	}
	return nil
}

// ReadCounters returns the running totals kept in CountersKey(stream);
// zero when no trim ran.
func ReadCounters(ctx context.Context, c *pelican.Client, stream string) (Counters, error) {
	v, err := c.Redis().HMGet(ctx, CountersKey(stream), "removed", "lost", "prevented").Result()
	if err != nil {
		return Counters{}, fmt.Errorf("trim %s: reading the counters: %w", stream, err)
	}
	return ParseCounters(v), nil
}

// ParseCounters reads Counters from the reply of HMGET CountersKey(s)
// removed lost prevented; missing or malformed fields count zero.
func ParseCounters(v []any) Counters {
	var n [3]int64
	for i := range n {
		if i < len(v) {
			if s, ok := v[i].(string); ok {
				n[i], _ = strconv.ParseInt(s, 10, 64)
			}
		}
	}
	return Counters{Removed: n[0], Lost: n[1], Prevented: n[2]}
}
