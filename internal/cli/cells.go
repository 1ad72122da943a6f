package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// How the commands write figures in their tables and messages, for
// people; --json has the figures as they are (see stats_json.go and
// dlq_json.go).

// cellText writes one table cell: integers with thousands separators,
// anything else as %v prints it.
func cellText(v any) string {
	switch n := v.(type) {
	case string:
		return n
	case int:
		return thousands(int64(n))
	case int64:
		return thousands(n)
	}
	return fmt.Sprint(v)
}

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	digits := strings.TrimPrefix(s, "-")
	var b strings.Builder
	if len(digits) < len(s) {
		b.WriteByte('-')
	}
	for i, r := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// messages is "1 message" or "1,234 messages".
func messages(n int64) string {
	if n == 1 {
		return "1 message"
	}
	return thousands(n) + " messages"
}

// times is "1 time" or "1,234 times".
func times(n int64) string {
	return countWith(n, "time", "times")
}

// countWith writes n and the words that go with it: one for 1, many
// for any other count ("1 time", "0 times", "2 times").
func countWith[N int | int64](n N, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(int64(n)) + " " + many
}

// dash stands in for an empty cell.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// aliveCell is "alive/all" of a group's or stream's consumers.
func aliveCell(alive, all int) string {
	return fmt.Sprintf("%d/%d", alive, all)
}

// lagText shows a lag: "-" where there is none (no groups), "?" when the
// server cannot tell, "N+?" when part of it is unknown.
func lagText(lag int64, unknown, any bool) string {
	switch {
	case !any:
		return "-"
	case unknown && lag == 0:
		return "?"
	case unknown:
		return thousands(lag) + "+?"
	}
	return thousands(lag)
}

// shortDuration writes a duration in its two largest units: "850ms",
// "4.2s", "3m07s", "5h02m", "3d04h". It truncates, so an age never shows
// more than has passed, and a cell is at most six characters wide below
// 100 days.
func shortDuration(d time.Duration) string {
	if d < 0 {
		return "-" + shortDuration(-d)
	}
	switch {
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return fmt.Sprintf("%d.%ds", d/time.Second, d%time.Second/(100*time.Millisecond))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", d/time.Minute, d%time.Minute/time.Second)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dd%02dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

// durationCell is a duration for a table, or "-" when there is none.
func durationCell(d time.Duration, ok bool) string {
	if !ok {
		return "-"
	}
	return shortDuration(d)
}

// idleCell is an idle time for a table: "given back" when negative (the
// message was given back and awaits delivery), "-" when there is none.
func idleCell(d time.Duration, ok bool) string {
	if ok && d < 0 {
		return "given back"
	}
	return durationCell(d, ok)
}

// ago says how long ago something happened, d being the time since:
// "4.2s ago", "3h05m ago". A moment a little ahead of this machine's
// clock (another host's) is "0ms ago".
func ago(d time.Duration) string {
	return shortDuration(max(d, 0)) + " ago"
}

// when writes a time for tables: RFC 3339 in UTC to the second, and how
// long ago; "-" for the zero time.
func when(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339) + " (" + ago(now.Sub(t)) + ")"
}

// clip makes free text (an error) fit a table cell: on one line, runs of
// white space made one space, at most n characters.
func clip(s string, n int) string {
	return cut(strings.Join(strings.Fields(s), " "), n)
}

// valueCell makes a field's value fit a table cell: quoted, with control
// characters escaped (tabs and newlines would break the table), when it
// has any or holds a space or "=" (which would read as the next field);
// at most n characters.
func valueCell(v string, n int) string {
	q := strconv.Quote(v)
	if !strings.ContainsAny(v, " =") && q[1:len(q)-1] == v {
		q = v
	}
	return cut(q, n)
}

// cut shortens s to at most n characters, ending in "…" when it cuts.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
