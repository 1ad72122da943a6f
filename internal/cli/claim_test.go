package cli

import (
	"reflect"
	"strings"
	"testing"
)

func TestClaim(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		fx := setUp(t, p)
		holds := func(consumer string) []string {
			t.Helper()
			var got pendingOut
			p.mustJSON(t, &got, "pending", "orders", "audit", "--consumer", consumer)
			return got.ids()
		}

		// A dry run moves nothing.
		out := p.mustRun(t, "claim", "orders", "audit", "--to", "a3", "--min-idle", "0s", "--count", "2", "--dry-run")
		if !strings.Contains(out, "would claim 2 messages to a3 (dry run") {
			t.Errorf("claim --dry-run:\n%s", out)
		}
		if got := column(t, tableRows(strings.SplitN(out, "\n", 2)[1]), "ID"); !reflect.DeepEqual(got, fx.ids[:2]) {
			t.Errorf("claim --dry-run lists %q, want %q", got, fx.ids[:2])
		}
		if got := holds("a3"); len(got) != 0 {
			t.Errorf("a dry run moved %q to a3", got)
		}

		// The oldest of one consumer, by count.
		var got claimJSON
		p.mustJSON(t, &got, "claim", "orders", "audit", "--from", "a1", "--to", "a2", "--min-idle", "0s", "--count", "1")
		if !reflect.DeepEqual(got.Claimed, fx.ids[:1]) || len(got.Selected) != 1 || got.Selected[0].Consumer != "a1" ||
			len(got.Skipped) != 0 || got.DryRun || got.To != "a2" {
			t.Errorf("claim --from a1 --count 1: %+v", got)
		}
		if got, want := holds("a2"), []string{fx.ids[0], fx.ids[2]}; !reflect.DeepEqual(got, want) {
			t.Errorf("a2 holds %q after the claim, want %q", got, want)
		}
		var pend pendingOut
		p.mustJSON(t, &pend, "pending", "orders", "audit", "--count", "1")
		if pend.Messages[0].Deliveries != 1 {
			t.Errorf("the claim counted a delivery: %+v", pend.Messages[0])
		}

		// By ID: one pending, one not, one already held by the target.
		out = p.mustRun(t, "claim", "orders", "audit", fx.ids[3], fx.ids[4], fx.ids[2], "--to", "a2", "--min-idle", "0s")
		if !strings.Contains(out, "claimed 1 message to a2:") ||
			!strings.Contains(out, "skipped "+fx.ids[4]+": "+skipNotPending) ||
			!strings.Contains(out, "skipped "+fx.ids[2]+": "+skipHeld) {
			t.Errorf("claim by ID:\n%s", out)
		}
		if got, want := holds("a2"), []string{fx.ids[0], fx.ids[2], fx.ids[3]}; !reflect.DeepEqual(got, want) {
			t.Errorf("a2 holds %q after the claim by ID, want %q", got, want)
		}

		// A claim that selects nothing says so and succeeds.
		r := p.run("claim", "orders", "audit", "--to", "a3", "--min-idle", "1h")
		if r.code != 0 || r.stdout != "nothing to claim: none of the pending messages of group audit of orders has been idle for 1h or more\n" {
			t.Errorf("claim selecting nothing: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"--to", "a2", "--min-idle", "90m"}, "none of the pending messages of group audit of orders has been idle for 1h30m or more (leaving out the 3 that a2 holds already)"},
			{[]string{"--from", "a1", "--to", "a3", "--min-idle", "1d"}, "none of the pending messages of a1 (group audit of orders) has been idle for 1d or more"},
			{[]string{"--from", "a3", "--to", "a1", "--min-idle", "0s"}, "a3 holds no pending messages in group audit of orders"},
		} {
			r := p.run(append([]string{"claim", "orders", "audit"}, tt.args...)...)
			if want := "nothing to claim: " + tt.want + "\n"; r.code != 0 || r.stdout != want {
				t.Errorf("claim %s: exit %d\n got %q\nwant %q\n%s", strings.Join(tt.args, " "), r.code, r.stdout, want, r.stderr)
			}
		}
		if out := p.mustRun(t, "claim", "orders", "billing", "--to", "x", "--min-idle", "0s"); out != "nothing to claim: group billing of orders has no pending messages\n" {
			t.Errorf("claim in a group with nothing pending: %q", out)
		}
		p.mustJSON(t, &got, "claim", "orders", "audit", fx.ids[1], "--to", "a3", "--min-idle", "1h")
		if len(got.Claimed) != 0 || len(got.Selected) != 0 || !reflect.DeepEqual(got.Skipped, []skippedJSON{{fx.ids[1], skipRecent}}) {
			t.Errorf("claim by ID of a message not idle long enough: %+v", got)
		}
		if got := holds("a3"); len(got) != 0 {
			t.Errorf("a3 holds %q, want nothing", got)
		}
	})
}
