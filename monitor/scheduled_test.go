package monitor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pelicanhq/pelican"
)

// TestStatsScheduled checks the Scheduled section of a stream's figures
// and its metrics: how many messages wait, how many are due, and the
// earliest due time.
func TestStatsScheduled(t *testing.T) {
	eachWithClock(t, func(t *testing.T, c *pelican.Client, clock *manualClock) {
		ctx := context.Background()
		if _, err := c.Publish(ctx, "s", map[string]string{"now": "1"}, nil); err != nil {
			t.Fatal(err)
		}
		first := clock.Now().Add(time.Minute)
		for _, at := range []time.Time{first, first, first.Add(time.Hour)} {
			if _, err := c.Publish(ctx, "s", map[string]string{"k": "v"}, &pelican.PublishOptions{At: at}); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(2 * time.Minute)
		st, err := Stats(ctx, c, "s", Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := pelican.ScheduledStats{Count: 3, Due: 2, NextDue: first}
		if st.Scheduled != want {
			t.Errorf("Scheduled = %+v, want %+v", st.Scheduled, want)
		}
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(NewCollector(New(c, Options{}), "s"))
		exp := `
# HELP pelican_scheduled_due_messages Scheduled messages already due and not yet moved into the stream (staying above 0: no mover runs).
# TYPE pelican_scheduled_due_messages gauge
pelican_scheduled_due_messages{stream="s"} 2
# HELP pelican_scheduled_messages Messages scheduled for the stream and not yet moved into it.
# TYPE pelican_scheduled_messages gauge
pelican_scheduled_messages{stream="s"} 3
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(exp), "pelican_scheduled_messages", "pelican_scheduled_due_messages"); err != nil {
			t.Error(err)
		}
	})
}
