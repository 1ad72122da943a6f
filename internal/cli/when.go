package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pelicanhq/pelican/internal/streamid"
)

// A bound is a position given on the command line (--from, --to,
// --minid): either a stream ID as XRANGE takes it, or a moment.
type bound struct {
	// id is "-", "+", a stream ID ("1700000000000-0") or a bare
	// millisecond ("1700000000000"); empty when the bound is a time.
	id string
	// at is the moment of a time ago or an RFC 3339 time; zero when the
	// bound is an ID.
	at time.Time
}

// boundHelp says what a bound may be, for flag help and errors.
const boundHelp = "a stream ID (1700000000000-0), a time ago (90s, 2h, 7d) or an RFC 3339 time (2026-05-01T12:00:00Z)"

// parseBound reads a bound: "-" or "+", a stream ID ("1700000000000-0",
// or "1700000000000" for its millisecond), a time ago ("90s", "1h",
// "7d") before now, or an RFC 3339 time ("2026-05-01T12:00:00Z").
func parseBound(s string, now time.Time) (bound, error) {
	switch {
	case s == "-" || s == "+":
		return bound{id: s}, nil
	case s == "":
		return bound{}, fmt.Errorf("empty: give %s", boundHelp)
	}
	if _, ok := streamid.ParseBound(s, 0); ok {
		return bound{id: s}, nil
	}
	if d, err := parseAgo(s); err == nil {
		if d < 0 {
			return bound{}, fmt.Errorf("%q: a time ago cannot be negative", s)
		}
		return bound{at: now.Add(-d)}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return bound{at: t}, nil
	}
	return bound{}, fmt.Errorf("%q is not %s", s, boundHelp)
}

// rangeID is the bound as XRANGE and XTRIM MINID take it: its ID, or the
// Unix millisecond of its time, which XRANGE takes as the first ID of
// that millisecond for a start and the last for an end, and XTRIM MINID
// as the first.
func (b bound) rangeID() string {
	if b.id != "" {
		return b.id
	}
	return strconv.FormatInt(max(b.at.UnixMilli(), 0), 10)
}

// parseAgo reads a Go duration ("1h30m"), or a number of days ("7d").
func parseAgo(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return 0, err
		}
		return time.Duration(days * float64(24*time.Hour)), nil
	}
	return time.ParseDuration(s)
}

// isEntryID reports whether s is a whole stream ID ("1700000000000-0").
func isEntryID(s string) bool {
	_, ok := streamid.Parse(s)
	return ok
}

// timeOfID returns the time in a stream ID, and false for a malformed ID.
func timeOfID(id string) (time.Time, bool) {
	p, ok := streamid.Parse(id)
	if !ok {
		return time.Time{}, false
	}
	return p.Time(), true
}

// ageOfID returns the time since the moment in a stream ID: zero when it
// is malformed or in the future.
func ageOfID(id string, now time.Time) time.Duration {
	t, ok := timeOfID(id)
	if !ok {
		return 0
	}
	return max(now.Sub(t), 0)
}

// millis is a duration in whole milliseconds, the unit of durations in
// the commands' JSON.
func millis(d time.Duration) int64 { return d.Milliseconds() }
