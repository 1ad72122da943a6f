package cli

import (
	"strings"
	"testing"
	"time"
)

func TestParseBound(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000).UTC()
	tests := []struct {
		in string
		// want is the bound; rangeID what XRANGE is given for it.
		want    bound
		rangeID string
		// err is part of the error, "" when it parses.
		err string
	}{
		{in: "-", want: bound{id: "-"}, rangeID: "-"},
		{in: "+", want: bound{id: "+"}, rangeID: "+"},
		{in: "1690000000000-5", want: bound{id: "1690000000000-5"}, rangeID: "1690000000000-5"},
		{in: "1690000000000", want: bound{id: "1690000000000"}, rangeID: "1690000000000"},
		{in: "90s", want: bound{at: now.Add(-90 * time.Second)}, rangeID: "1699999910000"},
		{in: "0s", want: bound{at: now}, rangeID: "1700000000000"},
		{in: "1h", want: bound{at: now.Add(-time.Hour)}, rangeID: "1699996400000"},
		{in: "2d", want: bound{at: now.Add(-48 * time.Hour)}, rangeID: "1699827200000"},
		{in: "1.5d", want: bound{at: now.Add(-36 * time.Hour)}, rangeID: "1699870400000"},
		{in: "2023-11-14T22:13:20Z", want: bound{at: now}, rangeID: "1700000000000"},
		{in: "2023-11-14T23:13:20.5+01:00", want: bound{at: now.Add(500 * time.Millisecond)}, rangeID: "1700000000500"},
		{in: "1969-01-01T00:00:00Z", want: bound{at: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)}, rangeID: "0"},
		{in: "-1h", err: "a time ago cannot be negative"},
		{in: "yesterday", err: `"yesterday" is not a stream ID (1700000000000-0), a time ago (90s, 2h, 7d) or an RFC 3339 time`},
		{in: "", err: "empty: give a stream ID"},
		{in: "1-2-3", err: "is not a stream ID"},
		{in: "3x", err: "is not a stream ID"},
	}
	for _, tt := range tests {
		got, err := parseBound(tt.in, now)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseBound(%q) = %+v, %v; want an error with %q", tt.in, got, err, tt.err)
			}
		case err != nil:
			t.Errorf("parseBound(%q): %v", tt.in, err)
		case got.id != tt.want.id || !got.at.Equal(tt.want.at):
			t.Errorf("parseBound(%q) = %+v, want %+v", tt.in, got, tt.want)
		case got.rangeID() != tt.rangeID:
			t.Errorf("parseBound(%q).rangeID() = %q, want %q", tt.in, got.rangeID(), tt.rangeID)
		}
	}
}

func TestParseAgo(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"90s", 90 * time.Second, true},
		{"1h30m", 90 * time.Minute, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"-1h", -time.Hour, true},
		{"0", 0, true},
		{"d", 0, false},
		{"1e2d", 0, false},
		{"infd", 0, false},
		{"1d-2h", 0, false},
		{"1dd", 0, false},
		{"3x", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := parseAgo(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseAgo(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestDurationText(t *testing.T) {
	for _, tt := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{250 * time.Millisecond, "250ms"},
		{1500 * time.Millisecond, "1.5s"},
		{5 * time.Minute, "5m"},
		{90 * time.Second, "1m30s"},
		{2 * time.Hour, "2h"},
		{90 * time.Minute, "1h30m"},
		{7 * 24 * time.Hour, "7d"},
		{36 * time.Hour, "1d12h"},
		{-5 * time.Minute, "-5m"},
	} {
		got := durationText(tt.in)
		if got != tt.want {
			t.Errorf("durationText(%v) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := parseAgo(got); err != nil || back != tt.in {
			t.Errorf("parseAgo(durationText(%v)) = %v, %v", tt.in, back, err)
		}
	}
}

// TestDurationFlagsTakeDays gives every duration flag a number of days:
// each is read (the command goes on to find no data directory, exit 1),
// where a Go duration flag would refuse it (exit 2).
func TestDurationFlagsTakeDays(t *testing.T) {
	missing := t.TempDir() + "/missing"
	for _, args := range [][]string{
		{"pending", "orders", "g", "--min-idle", "1d"},
		{"claim", "orders", "g", "--to", "c", "--min-idle", "1.5d"},
		{"streams", "--timeout", "1d"},
		{"trim", "orders", "--max-age", "7d"},
		{"top", "--once", "--interval", "1d"},
		{"dlq", "reprocess", "orders", "--all", "--yes", "--exec", "true", "--command-timeout", "1d"},
	} {
		r := runCLI(append(args, "--dir", missing)...)
		if r.code != 1 || !strings.Contains(r.stderr, "no data directory") {
			t.Errorf("pelican %s: exit %d, want 1 (no data directory)\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	r := runCLI("pending", "orders", "g", "--min-idle", "1x", "--dir", missing)
	if r.code != 2 || !strings.Contains(r.stderr, `--min-idle: "1x" is not a duration, such as 90s, 10m, 1h30m, 7d, 1.5d`) {
		t.Errorf("--min-idle 1x: exit %d\n%s", r.code, r.stderr)
	}
	r = runCLI("claim", "--help")
	if !strings.Contains(r.stdout, "--min-idle duration") || !strings.Contains(r.stdout, "a duration such as 90s, 1h30m, 7d") {
		t.Errorf("claim --help does not say how to write --min-idle:\n%s", r.stdout)
	}
}
