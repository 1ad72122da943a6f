package cli

import (
	"strings"
	"testing"
	"time"
)

func TestShortDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0ms"},
		{850 * time.Millisecond, "850ms"},
		{4290 * time.Millisecond, "4.2s"},
		{59999 * time.Millisecond, "59.9s"},
		{3*time.Minute + 7*time.Second + 900*time.Millisecond, "3m07s"},
		{5*time.Hour + 2*time.Minute, "5h02m"},
		{47*time.Hour + 59*time.Minute, "47h59m"},
		{76 * time.Hour, "3d04h"},
		{-2 * time.Second, "-2.0s"},
	}
	for _, tt := range tests {
		if got := shortDuration(tt.in); got != tt.want {
			t.Errorf("shortDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := durationCell(time.Hour, false); got != "-" {
		t.Errorf("durationCell of nothing = %q, want -", got)
	}
	if got := idleCell(-time.Second, true); got != "given back" {
		t.Errorf("idleCell of a given-back message = %q", got)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{now.Add(-90 * time.Second), "2026-05-01T11:58:30Z (1m30s ago)"},
		{now.Add(time.Second), "2026-05-01T12:00:01Z (0ms ago)"},
		{time.Time{}, "-"},
	} {
		if got := when(tt.t, now); got != tt.want {
			t.Errorf("when(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestNumberCells(t *testing.T) {
	for _, tt := range []struct {
		in   any
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {int64(1234567), "1,234,567"}, {-1234, "-1,234"},
		{"1234", "1234"}, {2.5, "2.5"},
	} {
		if got := cellText(tt.in); got != tt.want {
			t.Errorf("cellText(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := messages(1); got != "1 message" {
		t.Errorf("messages(1) = %q", got)
	}
	if got := messages(2500); got != "2,500 messages" {
		t.Errorf("messages(2500) = %q", got)
	}
	lags := []struct {
		lag           int64
		unknown, some bool
		want          string
	}{{5, false, true, "5"}, {0, true, true, "?"}, {5000, true, true, "5,000+?"}, {0, false, false, "-"}}
	for _, l := range lags {
		if got := lagText(l.lag, l.unknown, l.some); got != l.want {
			t.Errorf("lagText(%d, %v, %v) = %q, want %q", l.lag, l.unknown, l.some, got, l.want)
		}
	}
}

func TestTextCells(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"two words", `"two words"`},
		{"a=b", `"a=b"`},
		{"line\nbreak\ttab", `"line\nbreak\ttab"`},
		{strings.Repeat("é", 50), strings.Repeat("é", peekValueWidth-1) + "…"},
	}
	for _, tt := range tests {
		if got := valueCell(tt.in, peekValueWidth); got != tt.want {
			t.Errorf("valueCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := clip("order 1\n\tnot  found", 100); got != "order 1 not found" {
		t.Errorf("clip on one line = %q", got)
	}
	if got := clip("abcdef", 4); got != "abc…" {
		t.Errorf("clip to 4 = %q", got)
	}
}
