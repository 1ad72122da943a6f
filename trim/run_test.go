package trim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// now is the tests' clock. Entries have IDs <i>-1 with i from 1, so a
// MaxAge of 1000-i ms cuts at i-0.
var now = time.UnixMilli(1000)

// safeModeOf returns the mode a safe trim of a stream with groups uses on
// c's server.
func safeModeOf(t *testing.T, c *pelican.Client) Mode {
	t.Helper()
	caps, err := c.Capabilities(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if caps.RefPolicies {
		return ModeAcked
	}
	return ModeFloor
}

// scenario is 100 entries read by a group that is ahead (it read all;
// 10-1 and 20-1 pending) and one that is behind (it read 40; 35-1
// pending): 10, 20, 35 and 41 to 100 are unprocessed, and the floor is
// 10-1.
var scenario = []groupSpec{{"ahead", 100, []int{10, 20}}, {"behind", 40, []int{35}}}

// TestRunScenario trims the scenario with each kind of policy and checks
// the reports to the entry.
func TestRunScenario(t *testing.T) {
	backendtest.EachWith(t, pelican.Options{Clock: fixedClock{now}}, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		safe := safeModeOf(t, c)
		tests := []struct {
			name   string
			policy Policy
			groups []groupSpec
			// want is the report; Mode, Removed, Used and LengthAfter
			// depend on the backend for safe trims: the Floor and Acked
			// values below replace them.
			want                       Report
			removedFloor, removedAcked int64
		}{
			{
				name:   "safe MaxLen keeps every unprocessed entry",
				policy: Policy{MaxLen: 50, Safe: true},
				groups: scenario,
				// Floor: MINID 10-1 removes 1..9. ACKED: the 37
				// processed entries among 1..40 (41.. are all needed).
				want:         Report{Cut: "51-1", Floor: "10-1", Unprocessed: 13, Scanned: 50, LengthBefore: 100},
				removedFloor: 9, removedAcked: 37,
			},
			{
				name:   "plain MaxLen removes and reports the unprocessed",
				policy: Policy{MaxLen: 50},
				groups: scenario,
				want: Report{Mode: ModePlain, Removed: 50, LengthBefore: 100, LengthAfter: 50, Cut: "51-1", Floor: "10-1",
					Unprocessed: 13, Lost: 13, Scanned: 50, Ghosts: 3},
			},
			{
				name:   "safe MinID",
				policy: Policy{MinID: "30", Safe: true},
				groups: scenario,
				want:   Report{Cut: "30-0", Floor: "10-1", Unprocessed: 2, Scanned: 29, LengthBefore: 100},
				// ACKED: 1..29 but 10 and 20.
				removedFloor: 9, removedAcked: 27,
			},
			{
				name:   "safe MaxAge",
				policy: Policy{MaxAge: 975 * time.Millisecond, Safe: true},
				groups: scenario,
				want:   Report{Cut: "25-0", Floor: "10-1", Unprocessed: 2, Scanned: 24, LengthBefore: 100},
				// ACKED: 1..24 but 10 and 20.
				removedFloor: 9, removedAcked: 22,
			},
			{
				name:   "plain MaxLen and MinID: the larger cut wins",
				policy: Policy{MaxLen: 80, MinID: "30-0"},
				groups: scenario,
				want: Report{Mode: ModePlain, Removed: 29, LengthBefore: 100, LengthAfter: 71, Cut: "30-0", Floor: "10-1",
					Unprocessed: 2, Lost: 2, Scanned: 29, Ghosts: 2},
			},
			{
				name:   "safe trim without groups trims plainly",
				policy: Policy{MaxLen: 10, Safe: true},
				want: Report{Mode: ModeNoGroups, Removed: 90, LengthBefore: 100, LengthAfter: 10, Cut: "91-1",
					Scanned: 90},
			},
			{
				name:   "safe trim with nothing to remove",
				policy: Policy{MaxLen: 500, Safe: true},
				groups: scenario,
				want:   Report{Cut: "1-1", Floor: "10-1", LengthBefore: 100},
			},
			{
				name:   "safe trim when every group is done",
				policy: Policy{MaxLen: 10, Safe: true},
				groups: []groupSpec{{"done", 100, nil}},
				want:   Report{Cut: "91-1", Floor: "100-2", Scanned: 90, LengthBefore: 100},
				// The floor is past the cut: the policy's cut binds.
				removedFloor: 90, removedAcked: 90,
			},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				key := fmt.Sprintf("s%d", i)
				fill(t, c.Redis(), key, 100, tt.groups)
				tt.policy.Stream = key
				before := takeSnapshot(t, c.Redis(), key)
				got, err := Run(ctx, c, tt.policy)
				if err != nil {
					t.Fatal(err)
				}
				want := tt.want
				want.Stream = key
				if want.Mode == "" {
					want.Mode, want.Removed = safe, tt.removedAcked
					if safe == ModeFloor {
						want.Removed = tt.removedFloor
						cut, floor := mustID(t, want.Cut), mustID(t, want.Floor)
						want.Used = cut.String()
						if floor.Less(cut) {
							want.Used = floor.String()
						}
					}
					want.LengthAfter = want.LengthBefore - want.Removed
				}
				if diff := cmp.Diff(got, want); diff != "" {
					t.Errorf("report (-got +want):\n%s", diff)
				}
				checkAgainstModel(t, c, tt.policy, before, got)
			})
		}
	})
}

// checkAgainstModel checks a report and the stream after the trim against
// a brute-force computation over the snapshot taken before.
func checkAgainstModel(t *testing.T, c *pelican.Client, p Policy, before snapshot, r Report) {
	t.Helper()
	after := takeSnapshot(t, c.Redis(), p.Stream)
	plain := before.plainRemoved(p, now)
	var unprocessed int64
	for _, id := range plain {
		if before.referenced(id) {
			unprocessed++
		}
	}
	if !r.Capped && r.Unprocessed != unprocessed {
		t.Errorf("Unprocessed = %d, brute force says %d", r.Unprocessed, unprocessed)
	}
	if r.Capped && r.Unprocessed > unprocessed {
		t.Errorf("capped Unprocessed = %d, more than the %d brute force counts", r.Unprocessed, unprocessed)
	}
	if got := int64(len(before.ids) - len(after.ids)); got != r.Removed {
		t.Errorf("Removed = %d, but the stream lost %d entries", r.Removed, got)
	}
	if got := after.ghosts(); got != r.Ghosts && !(r.GhostsCapped && r.Ghosts < got) {
		t.Errorf("Ghosts = %d (capped %v), brute force counts %d", r.Ghosts, r.GhostsCapped, got)
	}
	if floor, ok := before.floor(); ok && floor.String() != r.Floor {
		t.Errorf("Floor = %s, brute force says %s", r.Floor, floor)
	}
	switch r.Mode {
	case ModePlain, ModeNoGroups:
		if !p.Approx && !r.Capped && int64(len(plain)) != r.Removed {
			t.Errorf("plain trim removed %d, want %d", r.Removed, len(plain))
		}
		var lost int64
		for _, id := range before.ids {
			if before.referenced(id) && !after.has(id) {
				lost++
			}
		}
		if r.Lost != lost && !(r.Capped && r.Lost < lost) {
			t.Errorf("Lost = %d (capped %v), but %d unprocessed entries are gone", r.Lost, r.Capped, lost)
		}
	case ModeAcked, ModeFloor:
		for _, id := range before.ids {
			if before.referenced(id) && !after.has(id) {
				t.Errorf("safe trim removed %s, which a group still needed", id)
			}
		}
		if r.Lost != 0 {
			t.Errorf("safe trim reports %d lost", r.Lost)
		}
		want := int64(len(before.ackedRemoved(p, now)))
		if r.Mode == ModeFloor {
			want = 0
			if r.Used != "" {
				used := mustID(t, r.Used)
				for _, id := range before.ids {
					if id.Less(used) {
						want++
					}
				}
				if floor, _ := before.floor(); floor.Less(used) {
					t.Errorf("Used %s is past the floor %s", used, floor)
				}
			}
		}
		if !p.Approx && !r.Capped && r.Removed != want {
			t.Errorf("safe trim removed %d, brute force says %d", r.Removed, want)
		}
		if p.Approx && r.Removed > want {
			t.Errorf("approximate safe trim removed %d, more than the exact %d", r.Removed, want)
		}
	}
}

// TestRunRandom trims random streams with random groups and policies and
// checks every report against brute force. It prints its seed.
func TestRunRandom(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	backendtest.EachWith(t, pelican.Options{Clock: fixedClock{now}}, func(t *testing.T, c *pelican.Client) {
		rng := rand.New(rand.NewPCG(seed, 7))
		for i := range 40 {
			key := fmt.Sprintf("r%d", i)
			n := 1 + rng.IntN(300)
			var groups []groupSpec
			for g := range rng.IntN(4) {
				read := rng.IntN(n + 1)
				var pending []int
				for j := 1; j <= read; j++ {
					if rng.IntN(10) == 0 {
						pending = append(pending, j)
					}
				}
				groups = append(groups, groupSpec{fmt.Sprintf("g%d", g), read, pending})
			}
			fill(t, c.Redis(), key, n, groups)
			if rng.IntN(3) == 0 {
				// Earlier plain trims left ghosts.
				if err := c.Redis().XTrimMaxLen(context.Background(), key, int64(rng.IntN(n+1))).Err(); err != nil {
					t.Fatal(err)
				}
			}
			p := Policy{Stream: key, Safe: rng.IntN(2) == 0, Approx: rng.IntN(4) == 0}
			switch rng.IntN(3) {
			case 0:
				p.MaxLen = 1 + rng.Int64N(int64(n))
			case 1:
				p.MinID = fmt.Sprintf("%d-%d", rng.IntN(n+2), rng.IntN(3))
			default:
				p.MaxLen = 1 + rng.Int64N(int64(n))
				p.MaxAge = time.Duration(1000-rng.IntN(n+2)) * time.Millisecond
			}
			if rng.IntN(5) == 0 {
				p.ScanLimit = 1 + rng.Int64N(50)
			}
			before := takeSnapshot(t, c.Redis(), key)
			r, err := Run(context.Background(), c, p)
			if err != nil {
				t.Fatalf("%v: %v", p, err)
			}
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Logf("%v: %+v", p, r)
				checkAgainstModel(t, c, p, before, r)
			})
		}
	})
}

// TestRunBadInput checks that what cannot be trimmed is refused with a
// clear error and that nothing changes.
func TestRunBadInput(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		fill(t, c.Redis(), "s", 10, scenario)
		if err := c.Redis().Set(ctx, "str", "x", 0).Err(); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			policy Policy
			want   error
		}{
			{"unknown stream", Policy{Stream: "nope", MaxLen: 1, Safe: true}, ErrNoStream},
			{"unknown stream, plain", Policy{Stream: "nope", MaxLen: 1}, ErrNoStream},
			{"not a stream", Policy{Stream: "str", MaxLen: 1}, ErrWrongType},
			{"no limit", Policy{Stream: "s", Safe: true}, ErrBadPolicy},
			{"no stream", Policy{MaxLen: 1}, ErrBadPolicy},
			{"negative MaxLen", Policy{Stream: "s", MaxLen: -1}, ErrBadPolicy},
			{"negative MaxAge", Policy{Stream: "s", MaxAge: -time.Second}, ErrBadPolicy},
			{"bad MinID", Policy{Stream: "s", MinID: "yesterday"}, ErrBadPolicy},
			{"MaxAge and MinID", Policy{Stream: "s", MaxAge: time.Hour, MinID: "1-0"}, ErrBadPolicy},
			{"negative ScanLimit", Policy{Stream: "s", MaxLen: 1, ScanLimit: -1}, ErrBadPolicy},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := takeSnapshot(t, c.Redis(), "s")
				_, err := Run(ctx, c, tt.policy)
				if !errors.Is(err, tt.want) {
					t.Fatalf("Run(%+v) = %v, want %v", tt.policy, err, tt.want)
				}
				after := takeSnapshot(t, c.Redis(), "s")
				if diff := cmp.Diff(after, before, cmp.AllowUnexported(snapshot{}, snapGroup{})); diff != "" {
					t.Errorf("the stream changed (-after +before):\n%s", diff)
				}
				if n, _ := c.Redis().Exists(ctx, "nope").Result(); n != 0 {
					t.Errorf("Run created the unknown stream")
				}
			})
		}
	})
}

// TestCounters checks the running totals a plain and a safe trim leave.
func TestCounters(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		fill(t, c.Redis(), "a", 100, scenario)
		fill(t, c.Redis(), "b", 100, scenario)
		safe, err := Run(ctx, c, Policy{Stream: "a", MaxLen: 50, Safe: true})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := Run(ctx, c, Policy{Stream: "a", MaxLen: 50})
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadCounters(ctx, c, "a")
		if err != nil {
			t.Fatal(err)
		}
		want := Counters{Removed: safe.Removed + plain.Removed, Lost: plain.Lost, Prevented: 13}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("counters (-got +want):\n%s", diff)
		}
		if plain.Lost == 0 {
			t.Errorf("the plain trim after the safe one lost nothing: %+v", plain)
		}
		none, err := ReadCounters(ctx, c, "b")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(none, Counters{}); diff != "" {
			t.Errorf("counters of an untrimmed stream (-got +want):\n%s", diff)
		}
	})
}

// TestRunCapped checks that a scan limit bounds the work and says so.
func TestRunCapped(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		fill(t, c.Redis(), "s", 100, []groupSpec{{"done", 100, nil}})
		r, err := Run(ctx, c, Policy{Stream: "s", MaxLen: 10, Safe: true, ScanLimit: 25})
		if err != nil {
			t.Fatal(err)
		}
		want := Report{Stream: "s", Mode: safeModeOf(t, c), LengthBefore: 100, Floor: "100-2", Scanned: 25, Capped: true}
		switch want.Mode {
		case ModeFloor:
			// The trim goes as far as the scan did.
			want.Used, want.Removed = "25-2", 25
		case ModeAcked:
			want.Removed = 90
		}
		want.LengthAfter = 100 - want.Removed
		if diff := cmp.Diff(r, want); diff != "" {
			t.Errorf("report (-got +want):\n%s", diff)
		}
	})
}
