package cli

import (
	"reflect"
	"strings"
	"testing"
)

// pendingOut is pelican pending's JSON.
type pendingOut struct {
	Stream   string        `json:"stream"`
	Group    string        `json:"group"`
	Total    int64         `json:"total"`
	More     bool          `json:"more"`
	Messages []pendingJSON `json:"messages"`
}

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
		}{
			{"all", nil, []string{fx.ids[0], fx.ids[1], fx.ids[2], fx.ids[3]}, false},
			{"one consumer", []string{"--consumer", "a2"}, []string{fx.ids[2]}, false},
			{"delivered twice", []string{"--min-deliveries", "2"}, []string{fx.ids[3]}, false},
			{"idle an hour", []string{"--min-idle", "1h"}, []string{}, false},
			{"idle a moment", []string{"--min-idle", "1ms", "--consumer", "a1"}, []string{fx.ids[0], fx.ids[1], fx.ids[3]}, false},
			{"count", []string{"--count", "2"}, []string{fx.ids[0], fx.ids[1]}, true},
			{"count, all", []string{"--count", "4"}, []string{fx.ids[0], fx.ids[1], fx.ids[2], fx.ids[3]}, false},
		}
		for _, tt := range tests {
			var got pendingOut
			p.mustJSON(t, &got, append([]string{"pending", "orders", "audit"}, tt.args...)...)
			if !reflect.DeepEqual(got.ids(), tt.want) || got.More != tt.more || got.Total != 4 || got.Stream != "orders" || got.Group != "audit" {
				t.Errorf("%s: %+v, want IDs %q, more %v, total 4", tt.name, got, tt.want, tt.more)
			}
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
