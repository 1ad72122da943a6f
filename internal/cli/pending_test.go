package cli

import (
	"reflect"
	"strings"
	"testing"
)

// pendingOut is pelican pending's JSON.
type pendingOut = pendingListJSON

// ids returns the IDs of the messages.
func (p pendingOut) ids() []string {
	ids := []string{}
	for _, m := range p.Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

func TestPending(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		fx := setUp(t, p)
		rows := tableRows(p.mustRun(t, "pending", "orders", "audit"))
		if got, want := column(t, rows, "ID"), []string{fx.ids[0], fx.ids[1], fx.ids[2], fx.ids[3]}; !reflect.DeepEqual(got, want) {
			t.Errorf("pending IDs %q, want %q (oldest first)", got, want)
		}
		if got, want := column(t, rows, "CONSUMER"), []string{"a1", "a1", "a2", "a1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("consumers %q, want %q", got, want)
		}
		if got, want := column(t, rows, "DELIVERIES"), []string{"1", "1", "1", "2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("deliveries %q, want %q", got, want)
		}

		tests := []struct {
			name string
			args []string
			want []string
			more bool
			// matched is the count of the messages that match, -1 for
			// null (unknown).
			matched int64
		}{
			{"all", nil, []string{fx.ids[0], fx.ids[1], fx.ids[2], fx.ids[3]}, false, 4},
			{"one consumer", []string{"--consumer", "a2"}, []string{fx.ids[2]}, false, 1},
			{"one consumer, count", []string{"--consumer", "a1", "--count", "1"}, []string{fx.ids[0]}, true, 3},
			{"delivered twice", []string{"--min-deliveries", "2"}, []string{fx.ids[3]}, false, 1},
			{"delivered once, count", []string{"--min-deliveries", "1", "--count", "1"}, []string{fx.ids[0]}, true, -1},
			{"idle an hour", []string{"--min-idle", "1h"}, []string{}, false, 0},
			{"idle a moment", []string{"--min-idle", "1ms", "--consumer", "a1"}, []string{fx.ids[0], fx.ids[1], fx.ids[3]}, false, 3},
			{"count", []string{"--count", "2"}, []string{fx.ids[0], fx.ids[1]}, true, 4},
			{"count, all", []string{"--count", "4"}, []string{fx.ids[0], fx.ids[1], fx.ids[2], fx.ids[3]}, false, 4},
		}
		for _, tt := range tests {
			var got pendingOut
			p.mustJSON(t, &got, append([]string{"pending", "orders", "audit"}, tt.args...)...)
			matched := int64(-1)
			if got.Matched != nil {
				matched = *got.Matched
			}
			if !reflect.DeepEqual(got.ids(), tt.want) || got.More != tt.more || got.GroupPending != 4 || matched != tt.matched ||
				got.Stream != "orders" || got.Group != "audit" {
				t.Errorf("%s: %+v (matched %d), want IDs %q, more %v, group_pending 4, matched %d", tt.name, got, matched, tt.want, tt.more, tt.matched)
			}
		}
		var raw map[string]any
		p.mustJSON(t, &raw, "pending", "orders", "audit", "--consumer", "a2")
		if _, ok := raw["total"]; ok || raw["group_pending"] != 4.0 || raw["matched"] != 1.0 {
			t.Errorf("pending --consumer a2 --json: %v", raw)
		}
		if out := p.mustRun(t, "pending", "orders", "audit", "--consumer", "a1", "--count", "1"); !strings.Contains(out, "the oldest 1 shown, of 3 that match") {
			t.Errorf("pending --consumer a1 --count 1:\n%s", out)
		}
		if out := p.mustRun(t, "pending", "orders", "audit", "--consumer", "zz"); !strings.Contains(out, "zz holds none of the 4 pending messages of group audit of orders") {
			t.Errorf("pending of a consumer holding none:\n%s", out)
		}

		var got pendingOut
		p.mustJSON(t, &got, "pending", "orders", "audit", "--consumer", "a1", "--min-deliveries", "2")
		if m := got.Messages; len(m) != 1 || m[0].Consumer != "a1" || m[0].Deliveries != 2 || m[0].AgeMs < 0 || m[0].IdleMs < 0 {
			t.Errorf("pending --json: %+v", got.Messages)
		}

		if out := p.mustRun(t, "pending", "orders", "audit", "--count", "1"); !strings.Contains(out, "the oldest 1 shown, of 4 pending") {
			t.Errorf("pending --count 1 says nothing of the others:\n%s", out)
		}
		if out := p.mustRun(t, "pending", "orders", "audit", "--min-idle", "1h"); !strings.Contains(out, "none of the 4 pending messages of group audit of orders match") {
			t.Errorf("pending selecting nothing:\n%s", out)
		}
		if out := p.mustRun(t, "pending", "orders", "billing"); !strings.Contains(out, "no pending messages in group billing of orders") {
			t.Errorf("pending of a group with none:\n%s", out)
		}
	})
}
