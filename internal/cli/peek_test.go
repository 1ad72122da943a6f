package cli

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// peekOut is pelican peek's JSON.
type peekOut struct {
	Stream  string      `json:"stream"`
	Entries []entryJSON `json:"entries"`
}

func (p peekOut) ids() []string {
	ids := []string{}
	for _, e := range p.Entries {
		ids = append(ids, e.ID)
	}
	return ids
}

func TestPeek(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		fx := setUp(t, p)
		out := p.mustRun(t, "peek", "orders", "--count", "2")
		rows := tableRows(out)
		if got := column(t, rows, "ID"); !reflect.DeepEqual(got, fx.ids[:2]) {
			t.Errorf("peek IDs %q, want %q", got, fx.ids[:2])
		}
		fields := column(t, rows, "FIELDS")
		if want := "note=" + strings.Repeat("x", peekValueWidth-1) + "… order=1"; fields[0] != want {
			t.Errorf("first entry's fields %q, want %q", fields[0], want)
		}
		if fields[1] != "order=2" {
			t.Errorf("second entry's fields %q", fields[1])
		}

		tests := []struct {
			name string
			args []string
			want []string
		}{
			{"default count", nil, fx.ids},
			{"reverse", []string{"--reverse", "--count", "2"}, []string{fx.ids[5], fx.ids[4]}},
			{"from an ID", []string{"--from", fx.ids[4]}, fx.ids[4:]},
			{"to an ID", []string{"--to", fx.ids[1]}, fx.ids[:2]},
			{"reverse between IDs", []string{"--from", fx.ids[1], "--to", fx.ids[3], "--reverse"}, []string{fx.ids[3], fx.ids[2], fx.ids[1]}},
			{"from an hour ago", []string{"--from", "1h"}, fx.ids},
			{"up to an hour ago", []string{"--to", "1h"}, []string{}},
			{"in 2001", []string{"--from", "2001-01-01T00:00:00Z", "--to", "2001-12-31T23:59:59Z"}, []string{}},
			{"from 2001 in RFC 3339", []string{"--from", "2001-01-01T00:00:00+02:00", "--count", "1"}, fx.ids[:1]},
		}
		for _, tt := range tests {
			var got peekOut
			p.mustJSON(t, &got, append([]string{"peek", "orders"}, tt.args...)...)
			if !reflect.DeepEqual(got.ids(), tt.want) || got.Stream != "orders" {
				t.Errorf("%s: %q, want %q", tt.name, got.ids(), tt.want)
			}
		}

		var got peekOut
		p.mustJSON(t, &got, "peek", "orders", "--count", "1")
		e := got.Entries[0]
		if e.Fields["note"] != longNote || e.Fields["order"] != "1" || time.Since(e.Time) > time.Hour || time.Since(e.Time) < 0 {
			t.Errorf("peek --json: %+v", e)
		}
		if out := p.mustRun(t, "peek", "orders", "--to", "1h"); !strings.HasPrefix(out, "no entries in orders between - and ") {
			t.Errorf("peek of an empty range: %q", out)
		}

		// The dead letter, with the fields Pelican adds.
		p.mustJSON(t, &got, "peek", "orders:dlq")
		if len(got.Entries) != 1 || got.Entries[0].Fields["order"] != "bad" || len(got.Entries[0].Fields) < 3 {
			t.Errorf("peek orders:dlq: %+v", got.Entries)
		}

		// Peeking does not consume: the groups are as they were.
		var pend pendingOut
		p.mustJSON(t, &pend, "pending", "orders", "audit")
		if pend.GroupPending != 4 {
			t.Errorf("after peeks, audit has %d pending, want 4", pend.GroupPending)
		}
	})
}
