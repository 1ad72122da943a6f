package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pelicanhq/pelican/internal/streamid"
)

// parseStreamBound reads a position in a stream given on the command
// line, as an ID for XRANGE and XTRIM MINID: "-" or "+", a stream ID
// ("1700000000000-0", or "1700000000000" for its millisecond), a time
// ago ("90s", "1h", "7d") or a moment in RFC 3339 ("2026-05-01T12:00:00Z").
// A time becomes its Unix millisecond, which XRANGE takes as the first ID
// of that millisecond for a start, the last for an end, and XTRIM MINID
// as the first.
func parseStreamBound(s string, now time.Time) (string, error) {
	switch {
	case s == "-" || s == "+":
		return s, nil
	case s == "":
		return "", fmt.Errorf("empty: give a stream ID, a time ago (1h) or an RFC 3339 time")
	}
	if _, ok := streamid.ParseBound(s, 0); ok {
		return s, nil
	}
	if d, err := parseAgo(s); err == nil {
		if d < 0 {
			return "", fmt.Errorf("%q: a time ago cannot be negative", s)
		}
		return idAt(now.Add(-d)), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return idAt(t), nil
	}
	return "", fmt.Errorf("%q is neither a stream ID (1700000000000-0), a time ago (90s, 1h, 7d) nor an RFC 3339 time (2026-05-01T12:00:00Z)", s)
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

// idAt is the millisecond of t as a stream range bound.
func idAt(t time.Time) string {
	return strconv.FormatInt(max(t.UnixMilli(), 0), 10)
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

// shortDuration writes a duration for a table cell: "850ms", "4.2s",
// "3m07s", "5h02m", "3d04h".
func shortDuration(d time.Duration) string {
	if d < 0 {
		return "-" + shortDuration(-d)
	}
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", d/time.Minute, d%time.Minute/time.Second)
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	d = d.Round(time.Hour)
	return fmt.Sprintf("%dd%02dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}
