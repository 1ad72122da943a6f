package monitor

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// alertID is what the tests compare of an alert.
type alertID struct {
	Name, Group string
	Value       float64
	Firing      bool
}

func ids(as []Alert) []alertID {
	out := make([]alertID, len(as))
	for i, a := range as {
		out[i] = alertID{a.Name, a.Group, a.Value, a.Firing}
	}
	return out
}

// TestWatcher polls the stream build makes while it changes, and checks
// which alerts fire and resolve, once each, and what is logged.
func TestWatcher(t *testing.T) {
	eachWithClock(t, func(t *testing.T, c *pelican.Client, clock *manualClock) {
		ctx := context.Background()
		rdb := c.Redis()
		build(t, c, clock)
		var logs syncbuf.Buffer
		var fired, resolved []Alert
		w := &Watcher{
			Monitor: New(c, Options{}),
			Streams: []string{"s", "nope"},
			Thresholds: Thresholds{Pending: 8, OldestPendingAge: 10 * time.Minute, Lag: 10, Deliveries: 10,
				DeadConsumers: 0, GhostPending: 1, DLQLength: 1, DLQInflowRate: 1},
			OnFire:    func(a Alert) { fired = append(fired, a) },
			OnResolve: func(a Alert) { resolved = append(resolved, a) },
			Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
		}
		steps := []struct {
			name           string
			change         func()
			fired, resolve []alertID
			firing         []alertID
		}{
			{
				name: "first poll",
				fired: []alertID{
					{AlertPending, "g1", 9, true}, {AlertOldestPendingAge, "g1", 999, true}, {AlertDeliveries, "g1", 12, true},
					{AlertGhostPending, "g1", 2, true}, {AlertLag, "g2", 18, true}, {AlertDLQLength, "", 2, true},
				},
				firing: []alertID{
					{AlertDLQLength, "", 2, true}, {AlertDeliveries, "g1", 12, true}, {AlertGhostPending, "g1", 2, true},
					{AlertOldestPendingAge, "g1", 999, true}, {AlertPending, "g1", 9, true}, {AlertLag, "g2", 18, true},
				},
			},
			{
				name:   "nothing changed: no repeats",
				change: func() { clock.Advance(time.Second) },
				firing: []alertID{
					{AlertDLQLength, "", 2, true}, {AlertDeliveries, "g1", 12, true}, {AlertGhostPending, "g1", 2, true},
					{AlertOldestPendingAge, "g1", 1000, true}, {AlertPending, "g1", 9, true}, {AlertLag, "g2", 18, true},
				},
			},
			{
				name: "bob acknowledges, dead letters pour in",
				change: func() {
					do(t, rdb, "XACK", "s", "g1", "9000-1", "10000-1", "11000-1", "12000-1")
					for range 3 {
						do(t, rdb, "XADD", "s:dlq", "*", "n", "z")
					}
					clock.Advance(2 * time.Second)
				},
				fired:   []alertID{{AlertDLQInflowRate, "", 1.5, true}},
				resolve: []alertID{{AlertPending, "g1", 5, false}},
				firing: []alertID{
					{AlertDLQInflowRate, "", 1.5, true}, {AlertDLQLength, "", 5, true}, {AlertDeliveries, "g1", 12, true},
					{AlertGhostPending, "g1", 2, true}, {AlertOldestPendingAge, "g1", 1002, true}, {AlertLag, "g2", 18, true},
				},
			},
			{
				name: "the inflow stops, g2 is deleted",
				change: func() {
					do(t, rdb, "XGROUP", "DESTROY", "s", "g2")
					clock.Advance(2 * time.Second)
				},
				resolve: []alertID{{AlertDLQInflowRate, "", 0, false}, {AlertLag, "g2", 18, false}},
				firing: []alertID{
					{AlertDLQLength, "", 5, true}, {AlertDeliveries, "g1", 12, true},
					{AlertGhostPending, "g1", 2, true}, {AlertOldestPendingAge, "g1", 1004, true},
				},
			},
		}
		for _, s := range steps {
			fired, resolved = nil, nil
			if s.change != nil {
				s.change()
			}
			firing, err := w.Check(ctx)
			if !errors.Is(err, ErrNoStream) {
				t.Errorf("%s: Check error %v, want ErrNoStream for the stream nope", s.name, err)
			}
			sortAlerts(fired)
			sortAlerts(resolved)
			sortIDs(s.fired)
			sortIDs(s.resolve)
			if diff := cmp.Diff(ids(fired), s.fired, cmpEmpty); diff != "" {
				t.Errorf("%s: fired (-got +want):\n%s", s.name, diff)
			}
			if diff := cmp.Diff(ids(resolved), s.resolve, cmpEmpty); diff != "" {
				t.Errorf("%s: resolved (-got +want):\n%s", s.name, diff)
			}
			if diff := cmp.Diff(ids(firing), s.firing, cmpEmpty); diff != "" {
				t.Errorf("%s: firing (-got +want):\n%s", s.name, diff)
			}
		}
		log := logs.String()
		for _, want := range []string{
			`msg="pelican: alert firing" alert=deliveries stream=s group=g1 value=12 threshold=10`,
			`deliveries.le_1=5 deliveries.le_2=1 deliveries.le_3=0 deliveries.le_5=1 deliveries.le_10=1 deliveries.le_+Inf=1 deliveries.max=12`,
			`most_delivered="[2000-1×12@alice 1000-1×7@alice 4000-1×4@alice 3000-1×2@alice]"`,
			`msg="pelican: alert resolved" alert=pending stream=s group=g1 value=5 threshold=8`,
		} {
			if !strings.Contains(log, want) {
				t.Errorf("the log lacks %s:\n%s", want, log)
			}
		}
		if n := strings.Count(log, "alert firing"); n != 7 {
			t.Errorf("%d alerts fired in the log, want 7", n)
		}
	})
}

var cmpEmpty = cmpopts.EquateEmpty()

func sortAlerts(as []Alert) {
	slices.SortFunc(as, func(a, b Alert) int { return strings.Compare(a.Group+a.Name, b.Group+b.Name) })
}

func sortIDs(as []alertID) {
	slices.SortFunc(as, func(a, b alertID) int { return strings.Compare(a.Group+a.Name, b.Group+b.Name) })
}
