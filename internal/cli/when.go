package cli

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

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

// parseAgo reads a duration as every duration flag takes it: a Go
// duration ("90s", "1h30m"), a number of days ("7d", "1.5d"), or days
// and then a Go duration ("1d12h").
func parseAgo(s string) (time.Duration, error) {
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (such as %s)", s, durationHelp)
		}
		return d, nil
	}
	n, err := strconv.ParseFloat(days, 64)
	if err != nil || !daysPattern.MatchString(days) {
		return 0, fmt.Errorf("%q is not a duration (such as %s)", s, durationHelp)
	}
	d := time.Duration(n * float64(24*time.Hour))
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "+") {
			return 0, fmt.Errorf("%q is not a duration (such as %s)", s, durationHelp)
		}
		if n < 0 {
			r = -r
		}
		d += r
	}
	return d, nil
}

// daysPattern matches the days of a duration: "7", "1.5", "-2".
var daysPattern = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// durationHelp shows how durations are written, for flag help and
// errors.
const durationHelp = "90s, 10m, 1h30m, 7d, 1.5d"

// durationText writes a duration exactly and briefly, as parseAgo reads
// it back: "5m", "1h30m", "7d", "1d12h", "1.5s", "250ms". It is for
// durations someone chose (a flag's value); shortDuration is for
// durations measured.
func durationText(d time.Duration) string {
	if d < 0 {
		return "-" + durationText(-d)
	}
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 && d%time.Second == 0 {
		b.WriteString(strconv.FormatInt(int64(days), 10) + "d")
		d -= days * 24 * time.Hour
		if d == 0 {
			return b.String()
		}
	}
	s := d.String() // "1h30m0s", "5m0s", "1.5s", "250ms"
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return b.String() + s
}

// A durationValue is the value of a duration flag (pflag.Value): any
// duration parseAgo reads, days included, so that every duration flag
// of the commands takes the same syntax.
type durationValue struct{ d *time.Duration }

// durationVar adds a duration flag to fs, like fs.DurationVar, taking
// days too; its help says how durations are written.
func durationVar(fs *pflag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var(durationValue{p}, name, usage+"; a duration such as 90s, 1h30m, 7d or 1.5d")
}

// Set reads a flag's value.
func (v durationValue) Set(s string) error {
	d, err := parseAgo(s)
	if err != nil {
		return fmt.Errorf("is not a duration, such as %s", durationHelp)
	}
	*v.d = d
	return nil
}

// String writes the value as the flag takes it; "0" for none, which
// pflag's help leaves out as a default.
func (v durationValue) String() string {
	if v.d == nil || *v.d == 0 {
		return "0"
	}
	return durationText(*v.d)
}

// Type names the kind of value, for help.
func (v durationValue) Type() string { return "duration" }

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
