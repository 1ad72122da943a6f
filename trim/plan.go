package trim

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/streamid"
)

// Plan is what an exact plain trim with a policy would do now, found
// without trimming anything: the dry run of Run.
type Plan struct {
	// Stream is the stream looked at.
	Stream string
	// Length is the stream's length (XLEN).
	Length int64
	// Remove counts the entries an exact plain trim would remove: every
	// entry below Cut. A lower bound when Capped.
	Remove int64
	// Unprocessed counts those of them some group has not yet been
	// delivered and acknowledged: what a plain trim would lose, and what
	// a safe trim keeps. A lower bound when Capped.
	Unprocessed int64
	// Cut is the smallest ID an exact plain trim keeps; empty when
	// unknown (Capped, on a MaxLen policy) or when the stream is empty.
	Cut string
	// Floor is the smallest ID some group still needs; empty when the
	// stream has no groups.
	Floor string
	// Capped means the scan stopped at Policy.ScanLimit entries before
	// reaching the cut.
	Capped bool
}

// DryRun says what Run with the policy would remove if it trimmed plainly
// now, and how much of that is unprocessed, reading the same bounded head
// of the stream and PELs as Run and changing nothing: no entry is removed
// and the counters are left alone. Policy.Safe and Policy.Approx are not
// considered: the plan is that of an exact plain trim (an approximate one
// removes whole nodes only, so it may remove fewer; a safe one keeps the
// Unprocessed). A stream that does not exist gives ErrNoStream; a bad
// policy ErrBadPolicy.
func DryRun(ctx context.Context, c *pelican.Client, p Policy) (Plan, error) {
	pl := Plan{Stream: p.Stream}
	if err := p.Validate(); err != nil {
		return pl, err
	}
	sv, err := survey(ctx, c.Redis(), p, c.Clock().Now())
	if err != nil {
		return pl, err
	}
	pl.Length = sv.st.length
	if sv.hasFloor {
		pl.Floor = sv.floor.String()
	}
	pl.Remove, pl.Capped = int64(len(sv.walk.ids)), sv.walk.capped
	if sv.walk.known && !sv.walk.cut.IsZero() {
		pl.Cut = sv.walk.cut.String()
	}
	pl.Unprocessed = int64(len(sv.unprocessed))
	return pl, nil
}

// surveyed is what a trim reads before deciding anything: the stream's
// state, its floor, the policy's cut, the head a plain trim would
// remove and which of it is unprocessed.
type surveyed struct {
	st          state
	floor       streamid.ID
	hasFloor    bool
	minCut      streamid.ID
	hasMin      bool
	walk        walk
	unprocessed []streamid.ID
}

// survey reads what Run and DryRun both start from, changing nothing.
func survey(ctx context.Context, rdb redis.UniversalClient, p Policy, now time.Time) (surveyed, error) {
	var sv surveyed
	var err error
	if sv.st, err = readState(ctx, rdb, p.Stream); err != nil {
		return sv, err
	}
	sv.floor, sv.hasFloor = sv.st.floor()
	sv.minCut, sv.hasMin = p.minCut(now)
	if sv.walk, err = walkHead(ctx, rdb, p, sv.st, sv.minCut, sv.hasMin); err != nil {
		return sv, err
	}
	sv.unprocessed, err = unprocessedIn(ctx, rdb, p, sv.st, sv.walk.ids)
	return sv, err
}
