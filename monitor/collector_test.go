package monitor

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/pelicanhq/pelican"
)

// collected are the metrics TestCollector compares: all but those the
// server measures with its own clock (idle and inactive times).
var collected = []string{
	"pelican_stream_length", "pelican_stream_entries_added_total",
	"pelican_group_pending_messages", "pelican_group_lag_messages", "pelican_group_oldest_pending_age_seconds",
	"pelican_group_consumers", "pelican_group_dead_consumers", "pelican_ghost_pending_messages", "pelican_delivery_count",
	"pelican_consumer_pending_messages", "pelican_consumer_alive", "pelican_redeliveries_total",
	"pelican_consumer_processed_total", "pelican_consumer_failed_total", "pelican_consumer_dead_lettered_total",
	"pelican_consumer_lost_to_trim_total",
	"pelican_dlq_length", "pelican_dlq_entries_added_total", "pelican_dlq_evictions_total",
	"pelican_trim_removed_total", "pelican_trim_lost_total", "pelican_trim_prevented_total",
	"pelican_scrape_errors_total",
}

const wantMetrics = `
# HELP pelican_consumer_alive 1 if the consumer is alive (a Pelican worker: by its heartbeats; another consumer: a read attempt within the alive window), else 0.
# TYPE pelican_consumer_alive gauge
pelican_consumer_alive{consumer="alice",group="g1",stream="s"} 1
pelican_consumer_alive{consumer="bob",group="g1",stream="s"} 1
# HELP pelican_consumer_dead_lettered_total Messages a Pelican worker moved to the dead-letter stream (since it started, as of its last heartbeat).
# TYPE pelican_consumer_dead_lettered_total counter
pelican_consumer_dead_lettered_total{consumer="alice",group="g1",stream="s"} 1
# HELP pelican_consumer_failed_total Failed deliveries at a Pelican worker (since it started, as of its last heartbeat).
# TYPE pelican_consumer_failed_total counter
pelican_consumer_failed_total{consumer="alice",group="g1",stream="s"} 3
# HELP pelican_consumer_lost_to_trim_total Pending messages a Pelican worker found trimmed away (since it started, as of its last heartbeat).
# TYPE pelican_consumer_lost_to_trim_total counter
pelican_consumer_lost_to_trim_total{consumer="alice",group="g1",stream="s"} 0
# HELP pelican_consumer_pending_messages Messages the consumer holds.
# TYPE pelican_consumer_pending_messages gauge
pelican_consumer_pending_messages{consumer="alice",group="g1",stream="s"} 5
pelican_consumer_pending_messages{consumer="bob",group="g1",stream="s"} 4
# HELP pelican_consumer_processed_total Messages a Pelican worker processed successfully (since it started, as of its last heartbeat).
# TYPE pelican_consumer_processed_total counter
pelican_consumer_processed_total{consumer="alice",group="g1",stream="s"} 10
# HELP pelican_delivery_count Delivery counts of the group's oldest pending messages (a sample of at most the monitor's DeliverySample).
# TYPE pelican_delivery_count histogram
pelican_delivery_count_bucket{group="g1",stream="s",le="1"} 5
pelican_delivery_count_bucket{group="g1",stream="s",le="2"} 6
pelican_delivery_count_bucket{group="g1",stream="s",le="3"} 6
pelican_delivery_count_bucket{group="g1",stream="s",le="5"} 7
pelican_delivery_count_bucket{group="g1",stream="s",le="10"} 8
pelican_delivery_count_bucket{group="g1",stream="s",le="+Inf"} 9
pelican_delivery_count_sum{group="g1",stream="s"} 30
pelican_delivery_count_count{group="g1",stream="s"} 9
pelican_delivery_count_bucket{group="g2",stream="s",le="1"} 0
pelican_delivery_count_bucket{group="g2",stream="s",le="2"} 0
pelican_delivery_count_bucket{group="g2",stream="s",le="3"} 0
pelican_delivery_count_bucket{group="g2",stream="s",le="5"} 0
pelican_delivery_count_bucket{group="g2",stream="s",le="10"} 0
pelican_delivery_count_bucket{group="g2",stream="s",le="+Inf"} 0
pelican_delivery_count_sum{group="g2",stream="s"} 0
pelican_delivery_count_count{group="g2",stream="s"} 0
# HELP pelican_dlq_entries_added_total Dead letters ever added to the dead-letter stream.
# TYPE pelican_dlq_entries_added_total counter
pelican_dlq_entries_added_total{dlq="s:dlq",stream="s"} 2
# HELP pelican_dlq_evictions_total Dead letters removed by a retention policy, by reason (unspecified for the hash's plain evicted field).
# TYPE pelican_dlq_evictions_total counter
pelican_dlq_evictions_total{dlq="s:dlq",reason="max-len",stream="s"} 4
pelican_dlq_evictions_total{dlq="s:dlq",reason="unspecified",stream="s"} 1
# HELP pelican_dlq_length Dead letters in the dead-letter stream.
# TYPE pelican_dlq_length gauge
pelican_dlq_length{dlq="s:dlq",stream="s"} 2
# HELP pelican_ghost_pending_messages Pending messages whose entries were trimmed from the stream (capped at the monitor's GhostLimit).
# TYPE pelican_ghost_pending_messages gauge
pelican_ghost_pending_messages{group="g1",stream="s"} 2
pelican_ghost_pending_messages{group="g2",stream="s"} 0
# HELP pelican_group_consumers Consumers of the group.
# TYPE pelican_group_consumers gauge
pelican_group_consumers{group="g1",stream="s"} 2
pelican_group_consumers{group="g2",stream="s"} 0
# HELP pelican_group_dead_consumers Consumers of the group with neither heartbeat nor read attempt within the alive window.
# TYPE pelican_group_dead_consumers gauge
pelican_group_dead_consumers{group="g1",stream="s"} 0
pelican_group_dead_consumers{group="g2",stream="s"} 0
# HELP pelican_group_lag_messages Entries not yet delivered to the group (absent when the server cannot tell).
# TYPE pelican_group_lag_messages gauge
pelican_group_lag_messages{group="g1",stream="s"} 8
pelican_group_lag_messages{group="g2",stream="s"} 18
# HELP pelican_group_oldest_pending_age_seconds Age of the group's oldest pending message, from the time in its ID (0 when none).
# TYPE pelican_group_oldest_pending_age_seconds gauge
pelican_group_oldest_pending_age_seconds{group="g1",stream="s"} 999
pelican_group_oldest_pending_age_seconds{group="g2",stream="s"} 0
# HELP pelican_group_pending_messages Messages delivered to the group and not yet acknowledged (PEL size).
# TYPE pelican_group_pending_messages gauge
pelican_group_pending_messages{group="g1",stream="s"} 9
pelican_group_pending_messages{group="g2",stream="s"} 0
# HELP pelican_redeliveries_total Messages a Pelican worker handled that had been delivered before (its counter since it started, as of its last heartbeat).
# TYPE pelican_redeliveries_total counter
pelican_redeliveries_total{consumer="alice",group="g1",stream="s"} 5
# HELP pelican_scrape_errors_total Scrapes of a stream that failed (the stream's other metrics are missing from those scrapes).
# TYPE pelican_scrape_errors_total counter
pelican_scrape_errors_total{stream="nope"} 1
pelican_scrape_errors_total{stream="s"} 0
# HELP pelican_stream_entries_added_total Entries ever added to the stream.
# TYPE pelican_stream_entries_added_total counter
pelican_stream_entries_added_total{stream="s"} 20
# HELP pelican_stream_length Entries in the stream (XLEN).
# TYPE pelican_stream_length gauge
pelican_stream_length{stream="s"} 18
# HELP pelican_trim_lost_total Unprocessed entries removed by plain trims of the stream.
# TYPE pelican_trim_lost_total counter
pelican_trim_lost_total{stream="s"} 2
# HELP pelican_trim_prevented_total Unprocessed entries plain trims would have removed that safe trims kept.
# TYPE pelican_trim_prevented_total counter
pelican_trim_prevented_total{stream="s"} 0
# HELP pelican_trim_removed_total Entries removed by Pelican's trims of the stream.
# TYPE pelican_trim_removed_total counter
pelican_trim_removed_total{stream="s"} 2
`

// TestCollector scrapes the stream build makes, and one that does not
// exist, and compares the exposition text.
func TestCollector(t *testing.T) {
	eachWithClock(t, func(t *testing.T, c *pelican.Client, clock *manualClock) {
		build(t, c, clock)
		col := NewCollector(New(c, Options{}), "s", "nope")
		reg := prometheus.NewPedanticRegistry()
		if err := reg.Register(col); err != nil {
			t.Fatal(err)
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(wantMetrics), collected...); err != nil {
			t.Error(err)
		}
		problems, err := testutil.GatherAndLint(reg)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
		// Every metric family the collector describes is exported for a
		// stream with groups, consumers and workers.
		n, err := testutil.GatherAndCount(reg)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Error("no metrics")
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		want := len(allDescs) + 1
		st, err := Stats(context.Background(), c, "s", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !st.Groups[0].Consumers[0].InactiveKnown {
			want-- // Redis before 7.2: no pelican_consumer_inactive_seconds
		}
		if st.Scheduled.NextDue.IsZero() {
			want-- // nothing scheduled: no pelican_scheduled_next_due_timestamp_seconds
		}
		if len(mfs) != want {
			var names []string
			for _, mf := range mfs {
				names = append(names, mf.GetName())
			}
			t.Errorf("%d metric families, want %d: %v", len(mfs), want, names)
		}
	})
}

// TestCollectorSetStreams replaces the streams of a collector: the next
// scrape reads the new ones, and the scrape errors of a stream left out
// go with it.
func TestCollectorSetStreams(t *testing.T) {
	eachWithClock(t, func(t *testing.T, c *pelican.Client, clock *manualClock) {
		build(t, c, clock)
		col := NewCollector(New(c, Options{}), "nope")
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(col)
		const before = `
# HELP pelican_scrape_errors_total Scrapes of a stream that failed (the stream's other metrics are missing from those scrapes).
# TYPE pelican_scrape_errors_total counter
pelican_scrape_errors_total{stream="nope"} 1
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(before), "pelican_scrape_errors_total", "pelican_stream_length"); err != nil {
			t.Error(err)
		}
		col.SetStreams("s")
		const after = `
# HELP pelican_scrape_errors_total Scrapes of a stream that failed (the stream's other metrics are missing from those scrapes).
# TYPE pelican_scrape_errors_total counter
pelican_scrape_errors_total{stream="s"} 0
# HELP pelican_stream_length Entries in the stream (XLEN).
# TYPE pelican_stream_length gauge
pelican_stream_length{stream="s"} 18
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(after), "pelican_scrape_errors_total", "pelican_stream_length"); err != nil {
			t.Error(err)
		}
	})
}
