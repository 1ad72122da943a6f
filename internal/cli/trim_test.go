package cli

import (
	"strings"
	"testing"
)

// TestTrim trims the fixture's orders, whose group audit still needs its
// first four entries (pending) and the last two (not delivered): a dry
// run counts them, a safe trim keeps them, an unsafe one loses them.
func TestTrim(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		fx := setUp(t, p)
		length := func() int64 {
			t.Helper()
			var got struct {
				Streams []streamJSON `json:"streams"`
			}
			p.mustJSON(t, &got, "streams", "orders")
			return got.Streams[0].Length
		}

		out := p.mustRun(t, "trim", "orders", "--maxlen", "2", "--dry-run")
		for _, want := range []string{
			"dry run, nothing trimmed: a plain XTRIM orders MAXLEN 2 would remove 4 of 6 entries",
			"4 of them unprocessed (it would lose them); a safe trim keeps them, --unsafe removes them",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("trim --dry-run lacks %q:\n%s", want, out)
			}
		}
		var plan trimPlanJSON
		p.mustJSON(t, &plan, "trim", "orders", "--minid", fx.ids[1], "--dry-run", "--unsafe")
		want := trimPlanJSON{Stream: "orders", Policy: "orders MINID " + fx.ids[1], DryRun: true, Length: 6, Remove: 1,
			Unprocessed: 1, Cut: fx.ids[1], Floor: fx.ids[0]}
		if plan != want {
			t.Errorf("trim --dry-run --json:\n got %+v\nwant %+v", plan, want)
		}
		if n := length(); n != 6 {
			t.Errorf("after dry runs the stream has %d entries, want 6", n)
		}

		// Safe: nothing audit needs goes, whatever the server's mode.
		var r trimReportJSON
		p.mustJSON(t, &r, "trim", "orders", "--maxlen", "2")
		if r.Removed != 0 || r.LengthAfter != 6 || r.Unprocessed != 4 || r.Lost != 0 || r.DryRun ||
			(r.Mode != "acked" && r.Mode != "floor") || r.Policy != "orders MAXLEN 2 (safe)" {
			t.Errorf("safe trim: %+v", r)
		}
		out = p.mustRun(t, "trim", "orders", "--max-age", "7d", "--dry-run")
		if !strings.Contains(out, "a plain XTRIM orders max age 7d would remove 0 of 6 entries") || strings.Contains(out, "MAXAGE") {
			t.Errorf("trim --max-age 7d --dry-run:\n%s", out)
		}
		out = p.mustRun(t, "trim", "orders", "--max-age", "1ms")
		if !strings.Contains(out, "removed 0 of 6 entries, 6 left") || !strings.Contains(out, "kept 6 unprocessed entries a plain trim would have removed") {
			t.Errorf("safe trim by age:\n%s", out)
		}

		// Unsafe: what audit held becomes ghosts, what it had not read is
		// gone.
		out = p.mustRun(t, "trim", "orders", "--maxlen", "1", "--unsafe")
		for _, want := range []string{
			"trimmed orders MAXLEN 1 (mode plain): removed 5 of 6 entries, 1 left",
			"lost 5 unprocessed entries",
			"4 pending messages have no entry any more (ghosts)",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("unsafe trim lacks %q:\n%s", want, out)
			}
		}
		var got struct {
			Streams []streamJSON `json:"streams"`
		}
		p.mustJSON(t, &got, "streams", "orders")
		if tr := got.Streams[0].Trim; tr.Removed != 5 || tr.Lost != 5 || tr.Prevented != 10 {
			t.Errorf("running totals %+v, want removed 5, lost 5, prevented 4+6", tr)
		}
		if g := groupNamed(t, got.Streams[0].Groups, "audit"); g.GhostPending != 4 {
			t.Errorf("audit has %d ghosts, want 4", g.GhostPending)
		}
	})
}
