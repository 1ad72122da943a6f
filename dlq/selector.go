package dlq

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/pelicanhq/pelican/internal/streamid"
)

// Selector picks entries of a dead-letter stream. Its criteria combine:
// an entry is selected when it meets every one that is set. The zero
// Selector selects nothing and is refused, so that no operation touches a
// whole dead-letter stream by mistake: set All for that.
type Selector struct {
	// All selects every entry (with the other criteria, those that meet
	// them).
	All bool
	// IDs selects these entries (IDs in the dead-letter stream).
	IDs []string
	// Start and End bound the entries' IDs in the dead-letter stream,
	// inclusive, as XRANGE takes them ("-", "+", "1700000000000",
	// "1700000000000-5"); empty means unbounded.
	Start, End string
	// Since and Until bound when the entries were dead-lettered
	// (inclusive, exclusive); zero means unbounded.
	Since, Until time.Time
	// Fingerprint selects the entries whose error has it (see
	// Fingerprint).
	Fingerprint string
	// Stream, Group and Class select by the original stream, the group
	// that gave up and the error class.
	Stream, Group, Class string
}

// ErrEmptySelector means a Selector sets no criterion.
var ErrEmptySelector = errors.New("dlq: the selector selects nothing: set All, IDs, a range, a time range, a fingerprint, a stream, a group or a class")

// ErrBadSelector means a Selector's criterion is malformed.
var ErrBadSelector = errors.New("dlq: bad selector")

func (s Selector) validate() error {
	if !s.All && len(s.IDs) == 0 && s.Start == "" && s.End == "" && s.Since.IsZero() && s.Until.IsZero() &&
		s.Fingerprint == "" && s.Stream == "" && s.Group == "" && s.Class == "" {
		return ErrEmptySelector
	}
	for _, id := range s.IDs {
		if !validID(id) {
			return errors.Join(ErrBadSelector, errors.New("dlq: not a stream ID: "+strconv.Quote(id)))
		}
	}
	for _, b := range []string{s.Start, s.End} {
		if b != "" && b != "-" && b != "+" && !validBound(b) {
			return errors.Join(ErrBadSelector, errors.New("dlq: not a range bound: "+strconv.Quote(b)))
		}
	}
	if !s.Since.IsZero() && !s.Until.IsZero() && !s.Since.Before(s.Until) {
		return errors.Join(ErrBadSelector, errors.New("dlq: Since is not before Until"))
	}
	return nil
}

// bounds returns the XRANGE bounds of the selector's ID range. The time
// range is not used to narrow them: IDs come from the server's clock and
// dead-at times from the client's, so matches applies it instead.
func (s Selector) bounds() (start, end string) {
	start, end = "-", "+"
	if s.Start != "" {
		start = s.Start
	}
	if s.End != "" {
		end = s.End
	}
	return start, end
}

// matches reports whether e meets the selector's criteria other than the
// ID range, which the scan applies.
func (s Selector) matches(e Entry) bool {
	if !s.Since.IsZero() && e.DeadAt.Before(s.Since) {
		return false
	}
	if !s.Until.IsZero() && !e.DeadAt.Before(s.Until) {
		return false
	}
	if s.Fingerprint != "" && e.Fingerprint != s.Fingerprint {
		return false
	}
	if s.Stream != "" && e.Stream != s.Stream {
		return false
	}
	if s.Group != "" && e.Group != s.Group {
		return false
	}
	if s.Class != "" && e.Class != s.Class {
		return false
	}
	if len(s.IDs) > 0 && !slices.Contains(s.IDs, e.ID) {
		return false
	}
	if (s.Start != "" || s.End != "") && !inRange(e.ID, s.Start, s.End) {
		return false
	}
	return true
}

// sortedIDs returns the selector's IDs in stream order, without
// duplicates.
func (s Selector) sortedIDs() []string {
	ids := slices.Clone(s.IDs)
	slices.SortFunc(ids, streamid.Compare)
	return slices.Compact(ids)
}

// validID reports whether id is an entry ID, "<ms>-<seq>".
func validID(id string) bool {
	_, ok := streamid.Parse(id)
	return ok
}

// validBound reports whether b is an ID or a bare time, as XRANGE takes
// them (not "-" or "+").
func validBound(b string) bool {
	_, ok := streamid.ParseBound(b, 0)
	return ok
}

// inRange reports whether id lies within the XRANGE bounds start and end
// (inclusive; "", "-" and "+" unbounded; a bare time covers all of its
// sequence numbers).
func inRange(id, start, end string) bool {
	i, _ := streamid.Parse(id)
	if start != "" && start != "-" {
		if s, _ := streamid.ParseBound(start, 0); i.Less(s) {
			return false
		}
	}
	if end != "" && end != "+" {
		if e, _ := streamid.ParseBound(end, math.MaxUint64); e.Less(i) {
			return false
		}
	}
	return true
}
