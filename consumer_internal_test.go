package pelican

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBeatRoundTrip(t *testing.T) {
	b := beat{at: time.UnixMilli(1700000000123), interval: 5 * time.Second, pid: 42, pidNS: "pid:[4026531836]",
		instance: "0123abcd", host: "web-1|odd"}
	got, ok := parseBeat(b.encode())
	if !ok {
		t.Fatalf("parseBeat(%q) failed", b.encode())
	}
	if diff := cmp.Diff(b, got, cmp.AllowUnexported(beat{})); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// Version 1 was the Unix ms alone.
	if got, ok := parseBeat("1700000000123"); !ok || !got.at.Equal(time.UnixMilli(1700000000123)) || got.interval != 0 {
		t.Errorf("parseBeat of a version 1 beat = %+v, %v", got, ok)
	}
	for _, bad := range []string{"", "x", "2|1|2", "3|1|2|3|ns|i|run|h", "2|a|2|3|ns|i|run|h"} {
		if _, ok := parseBeat(bad); ok {
			t.Errorf("parseBeat(%q) accepted a malformed beat", bad)
		}
	}
}

// A beat says its worker is alive while it is fresh; a worker of this
// host and PID namespace whose process is gone is dead at once; a
// stopped worker is dead; a version 1 beat says nothing.
func TestBeatJudge(t *testing.T) {
	self := thisProcess()
	now := time.Now()
	exited := exec.Command("true")
	if err := exited.Run(); err != nil {
		t.Skip("no true(1) to get a dead PID from:", err)
	}
	fresh := beat{at: now.Add(-time.Second), interval: 5 * time.Second, pid: 1, pidNS: "other", instance: "x", host: "elsewhere"}
	tests := []struct {
		name string
		b    beat
		want liveness
	}{
		{"fresh, another host", fresh, alive},
		{"three intervals old, another host", func() beat { b := fresh; b.at = now.Add(-16 * time.Second); return b }(), dead},
		{"stopped", func() beat { b := fresh; b.stopped = true; return b }(), dead},
		{"version 1", beat{at: now}, unknown},
		{"fresh, this host, process alive", beat{at: now, interval: time.Minute, pid: os.Getpid(), pidNS: self.pidNS, instance: "other", host: self.host}, alive},
	}
	if self.pidNS != "" {
		tests = append(tests, struct {
			name string
			b    beat
			want liveness
		}{"fresh, this host, process gone", beat{at: now, interval: time.Minute, pid: exited.Process.Pid, pidNS: self.pidNS, instance: "other", host: self.host}, dead})
	}
	for _, tt := range tests {
		if got := tt.b.judge(now, self); got != tt.want {
			t.Errorf("%s: judge = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStatsCodec(t *testing.T) {
	s := WorkerStats{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	if got, ok := decodeStats(encodeStats(s)); !ok || got != s {
		t.Errorf("round trip = %+v, %v; want %+v", got, ok, s)
	}
	// Counters written by a version with fewer of them.
	if got, ok := decodeStats("1|1|2|3|4|5|6|7|8"); !ok || got != (WorkerStats{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0}) {
		t.Errorf("decodeStats of eight counters = %+v, %v", got, ok)
	}
	for _, bad := range []string{"", "1|1|2", "2|1|2|3|4|5|6|7|8", "1|1|2|3|4|5|6|7|x"} {
		if _, ok := decodeStats(bad); ok {
			t.Errorf("decodeStats(%q) accepted malformed counters", bad)
		}
	}
}
