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
