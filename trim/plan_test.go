package trim

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// TestDryRun checks each plan against a brute-force computation and
// against the report of the Run that follows it, and that the dry run
// changed nothing.
func TestDryRun(t *testing.T) {
	backendtest.EachWith(t, pelican.Options{Clock: fixedClock{now}}, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		tests := []struct {
			name   string
			policy Policy
			groups []groupSpec
			want   Plan
		}{
			{"MaxLen", Policy{MaxLen: 50}, scenario,
				Plan{Length: 100, Remove: 50, Unprocessed: 13, Cut: "51-1", Floor: "10-1"}},
			{"safe MinID plans the plain trim", Policy{MinID: "30", Safe: true}, scenario,
				Plan{Length: 100, Remove: 29, Unprocessed: 2, Cut: "30-0", Floor: "10-1"}},
			{"MaxAge", Policy{MaxAge: 975 * time.Millisecond}, scenario,
				Plan{Length: 100, Remove: 24, Unprocessed: 2, Cut: "25-0", Floor: "10-1"}},
			{"capped", Policy{MaxLen: 50, ScanLimit: 15}, scenario,
				Plan{Length: 100, Remove: 15, Unprocessed: 1, Floor: "10-1", Capped: true}},
			{"no groups", Policy{MaxLen: 10}, nil,
				Plan{Length: 100, Remove: 90, Cut: "91-1"}},
			{"nothing to remove", Policy{MaxLen: 500}, scenario,
				Plan{Length: 100, Cut: "1-1", Floor: "10-1"}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				key := fmt.Sprintf("plan%d", i)
				fill(t, c.Redis(), key, 100, tt.groups)
				tt.policy.Stream = key
				before := takeSnapshot(t, c.Redis(), key)
				got, err := DryRun(ctx, c, tt.policy)
				if err != nil {
					t.Fatal(err)
				}
				want := tt.want
				want.Stream = key
				if diff := cmp.Diff(got, want); diff != "" {
					t.Errorf("plan (-got +want):\n%s", diff)
				}
				if plain := int64(len(before.plainRemoved(tt.policy, now))); !got.Capped && got.Remove != plain {
					t.Errorf("Remove = %d, brute force says %d", got.Remove, plain)
				}
				if after := takeSnapshot(t, c.Redis(), key); len(after.ids) != len(before.ids) {
					t.Errorf("the dry run changed the stream: %d entries, was %d", len(after.ids), len(before.ids))
				}
				if n, err := c.Redis().Exists(ctx, CountersKey(key)).Result(); err != nil || n != 0 {
					t.Errorf("EXISTS %s = %d, %v after a dry run, want 0", CountersKey(key), n, err)
				}

				r, err := Run(ctx, c, Policy{Stream: key, MaxLen: tt.policy.MaxLen, MinID: tt.policy.MinID,
					MaxAge: tt.policy.MaxAge, ScanLimit: tt.policy.ScanLimit})
				if err != nil {
					t.Fatal(err)
				}
				fromRun := Plan{Stream: key, Length: r.LengthBefore, Remove: r.Scanned, Unprocessed: r.Unprocessed,
					Cut: r.Cut, Floor: r.Floor, Capped: r.Capped}
				if diff := cmp.Diff(got, fromRun); diff != "" {
					t.Errorf("plan, and what Run then reported (-plan +run):\n%s", diff)
				}
				if !r.Capped && r.Removed != got.Remove {
					t.Errorf("Run removed %d, the plan said %d", r.Removed, got.Remove)
				}
			})
		}

		if _, err := DryRun(ctx, c, Policy{Stream: "missing", MaxLen: 1}); !errors.Is(err, ErrNoStream) {
			t.Errorf("DryRun of a missing stream: %v, want ErrNoStream", err)
		}
		if _, err := DryRun(ctx, c, Policy{Stream: "missing"}); !errors.Is(err, ErrBadPolicy) {
			t.Errorf("DryRun without a limit: %v, want ErrBadPolicy", err)
		}
	})
}
