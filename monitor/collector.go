package monitor

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exports the figures of streams as Prometheus metrics; see
// docs/monitoring.md for the list. Each scrape reads every stream once,
// concurrently. A stream that cannot be read adds one to
// pelican_scrape_errors_total{stream} and exports nothing else that
// scrape; the error is logged at Warn.
type Collector struct {
	m *Monitor
	// mu guards streams, which SetStreams replaces while scrapes run.
	mu      sync.Mutex
	streams []string
	// Timeout bounds the reads of one scrape. If zero, 10s.
	Timeout time.Duration

	errors *prometheus.CounterVec
}

// NewCollector returns a collector of the streams, reading through m.
// Register it with prometheus.MustRegister (or a registry of your own).
func NewCollector(m *Monitor, streams ...string) *Collector {
	c := &Collector{
		m:       m,
		streams: streams,
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pelican_scrape_errors_total",
			Help: "Scrapes of a stream that failed (the stream's other metrics are missing from those scrapes).",
		}, []string{"stream"}),
	}
	for _, s := range streams {
		c.errors.WithLabelValues(s)
	}
	return c
}

// SetStreams replaces the streams the collector reads, from the next
// scrape on: a program that discovers its streams (pelican server
// --metrics-addr does) calls it when it has looked again. The scrape
// errors of streams no longer read are dropped with them.
func (c *Collector) SetStreams(streams ...string) {
	keep := make(map[string]bool, len(streams))
	for _, s := range streams {
		keep[s] = true
		c.errors.WithLabelValues(s)
	}
	c.mu.Lock()
	old := c.streams
	c.streams = slices.Clone(streams)
	c.mu.Unlock()
	for _, s := range old {
		if !keep[s] {
			c.errors.DeleteLabelValues(s)
		}
	}
}

// Label sets.
var (
	lStream   = []string{"stream"}
	lGroup    = []string{"stream", "group"}
	lConsumer = []string{"stream", "group", "consumer"}
	lDLQ      = []string{"stream", "dlq"}
	lEvict    = []string{"stream", "dlq", "reason"}
)

func desc(name, help string, labels []string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// The metrics' descriptions.
var (
	dStreamLength  = desc("pelican_stream_length", "Entries in the stream (XLEN).", lStream)
	dStreamAdded   = desc("pelican_stream_entries_added_total", "Entries ever added to the stream.", lStream)
	dPending       = desc("pelican_group_pending_messages", "Messages delivered to the group and not yet acknowledged (PEL size).", lGroup)
	dLag           = desc("pelican_group_lag_messages", "Entries not yet delivered to the group (absent when the server cannot tell).", lGroup)
	dOldestAge     = desc("pelican_group_oldest_pending_age_seconds", "Age of the group's oldest pending message, from the time in its ID (0 when none).", lGroup)
	dOldestIdle    = desc("pelican_group_oldest_pending_idle_seconds", "Time since the group's oldest pending message was last delivered (0 when none).", lGroup)
	dConsumers     = desc("pelican_group_consumers", "Consumers of the group.", lGroup)
	dDead          = desc("pelican_group_dead_consumers", "Consumers of the group with neither heartbeat nor read attempt within the alive window.", lGroup)
	dGhosts        = desc("pelican_ghost_pending_messages", "Pending messages whose entries were trimmed from the stream (capped at the monitor's GhostLimit).", lGroup)
	dDeliveries    = desc("pelican_delivery_count", "Delivery counts of the group's oldest pending messages (a sample of at most the monitor's DeliverySample).", lGroup)
	dCPending      = desc("pelican_consumer_pending_messages", "Messages the consumer holds.", lConsumer)
	dCIdle         = desc("pelican_consumer_idle_seconds", "Time since the consumer last tried to read or claim.", lConsumer)
	dCInactive     = desc("pelican_consumer_inactive_seconds", "Time since the consumer last read or claimed something (Redis 7.2 and later).", lConsumer)
	dCAlive        = desc("pelican_consumer_alive", "1 if the consumer is alive (a Pelican worker: by its heartbeats; another consumer: a read attempt within the alive window), else 0.", lConsumer)
	dRedeliveries  = desc("pelican_redeliveries_total", "Messages a Pelican worker handled that had been delivered before (its counter since it started, as of its last heartbeat).", lConsumer)
	dProcessed     = desc("pelican_consumer_processed_total", "Messages a Pelican worker processed successfully (since it started, as of its last heartbeat).", lConsumer)
	dFailed        = desc("pelican_consumer_failed_total", "Failed deliveries at a Pelican worker (since it started, as of its last heartbeat).", lConsumer)
	dDeadLettered  = desc("pelican_consumer_dead_lettered_total", "Messages a Pelican worker moved to the dead-letter stream (since it started, as of its last heartbeat).", lConsumer)
	dLostToTrim    = desc("pelican_consumer_lost_to_trim_total", "Pending messages a Pelican worker found trimmed away (since it started, as of its last heartbeat).", lConsumer)
	dAbandoned     = desc("pelican_consumer_abandoned_handlers_total", "Handlers a Pelican worker abandoned: past their time limit, or running when its shutdown grace ran out (since it started, as of its last heartbeat).", lConsumer)
	dRecovered     = desc("pelican_consumer_recovered_total", "Messages a Pelican worker recovered from a worker that may have died handling them, and ran alone (since it started, as of its last heartbeat).", lConsumer)
	dRecreated     = desc("pelican_consumer_groups_recreated_total", "Times a Pelican worker found its consumer group gone and created it again (since it started, as of its last heartbeat).", lConsumer)
	dOutages       = desc("pelican_consumer_outages_total", "Times a Pelican worker lost its server (since it started, as of its last heartbeat).", lConsumer)
	dDLQLength     = desc("pelican_dlq_length", "Dead letters in the dead-letter stream.", lDLQ)
	dDLQAdded      = desc("pelican_dlq_entries_added_total", "Dead letters ever added to the dead-letter stream.", lDLQ)
	dDLQOldestAge  = desc("pelican_dlq_oldest_age_seconds", "Age of the oldest dead letter, from the time in its ID (0 when none).", lDLQ)
	dDLQEvictions  = desc("pelican_dlq_evictions_total", "Dead letters removed by a retention policy, by reason (unspecified for the hash's plain evicted field).", lEvict)
	dTrimRemoved   = desc("pelican_trim_removed_total", "Entries removed by Pelican's trims of the stream.", lStream)
	dTrimLost      = desc("pelican_trim_lost_total", "Unprocessed entries removed by plain trims of the stream.", lStream)
	dTrimPrevented = desc("pelican_trim_prevented_total", "Unprocessed entries plain trims would have removed that safe trims kept.", lStream)
	dScheduled     = desc("pelican_scheduled_messages", "Messages scheduled for the stream and not yet moved into it.", lStream)
	dScheduledDue  = desc("pelican_scheduled_due_messages", "Scheduled messages already due and not yet moved into the stream (staying above 0: no mover runs).", lStream)
	dScheduledNext = desc("pelican_scheduled_next_due_timestamp_seconds", "Unix time at which the earliest scheduled message is due (absent when none is).", lStream)

	allDescs = []*prometheus.Desc{dStreamLength, dStreamAdded, dPending, dLag, dOldestAge, dOldestIdle, dConsumers, dDead,
		dGhosts, dDeliveries, dCPending, dCIdle, dCInactive, dCAlive, dRedeliveries, dProcessed, dFailed, dDeadLettered,
		dLostToTrim, dAbandoned, dRecovered, dRecreated, dOutages, dDLQLength, dDLQAdded, dDLQOldestAge, dDLQEvictions, dTrimRemoved, dTrimLost, dTrimPrevented,
		dScheduled, dScheduledDue, dScheduledNext}
)

// Describe sends the descriptions of every metric the collector exports.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
	c.errors.Describe(ch)
}

// Collect reads every stream and sends its metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c.mu.Lock()
	streams := c.streams
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range streams {
		wg.Go(func() {
			st, err := c.m.Stats(ctx, s)
			if err != nil {
				c.errors.WithLabelValues(s).Inc()
				c.m.c.Logger().Warn("pelican: scraping a stream failed", "stream", s, "err", err)
				return
			}
			send(ch, st)
		})
	}
	wg.Wait()
	c.errors.Collect(ch)
}

// send sends the metrics of one stream.
func send(ch chan<- prometheus.Metric, st StreamStats) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	s := st.Stream
	gauge(dStreamLength, float64(st.Length), s)
	counter(dStreamAdded, st.EntriesAdded, s)
	for _, g := range st.Groups {
		gauge(dPending, float64(g.Pending), s, g.Name)
		if g.LagKnown {
			gauge(dLag, float64(g.Lag), s, g.Name)
		}
		gauge(dOldestAge, g.OldestPendingAge.Seconds(), s, g.Name)
		gauge(dOldestIdle, max(g.OldestPendingIdle, 0).Seconds(), s, g.Name)
		gauge(dConsumers, float64(len(g.Consumers)), s, g.Name)
		gauge(dDead, float64(g.DeadConsumers), s, g.Name)
		gauge(dGhosts, float64(g.GhostPending), s, g.Name)
		ch <- deliveryHistogram(g, s)
		for _, cs := range g.Consumers {
			gauge(dCPending, float64(cs.Pending), s, g.Name, cs.Name)
			gauge(dCIdle, cs.Idle.Seconds(), s, g.Name, cs.Name)
			if cs.InactiveKnown && cs.Inactive >= 0 {
				gauge(dCInactive, cs.Inactive.Seconds(), s, g.Name, cs.Name)
			}
			alive := 0.0
			if cs.Alive {
				alive = 1
			}
			gauge(dCAlive, alive, s, g.Name, cs.Name)
			if cs.Worker {
				counter(dRedeliveries, cs.Stats.Redeliveries, s, g.Name, cs.Name)
				counter(dProcessed, cs.Stats.Processed, s, g.Name, cs.Name)
				counter(dFailed, cs.Stats.Failed, s, g.Name, cs.Name)
				counter(dDeadLettered, cs.Stats.DeadLettered, s, g.Name, cs.Name)
				counter(dLostToTrim, cs.Stats.LostToTrim, s, g.Name, cs.Name)
				counter(dAbandoned, cs.Stats.Abandoned, s, g.Name, cs.Name)
				counter(dRecovered, cs.Stats.Recovered, s, g.Name, cs.Name)
				counter(dRecreated, cs.Stats.GroupsRecreated, s, g.Name, cs.Name)
				counter(dOutages, cs.Stats.Outages, s, g.Name, cs.Name)
			}
		}
	}
	d := st.DeadLetters
	gauge(dDLQLength, float64(d.Length), s, d.Stream)
	counter(dDLQAdded, d.EntriesAdded, s, d.Stream)
	gauge(dDLQOldestAge, d.OldestAge.Seconds(), s, d.Stream)
	for reason, n := range d.EvictedBy {
		if reason == "" {
			reason = "unspecified"
		}
		counter(dDLQEvictions, n, s, d.Stream, reason)
	}
	counter(dTrimRemoved, st.Trim.Removed, s)
	counter(dTrimLost, st.Trim.Lost, s)
	counter(dTrimPrevented, st.Trim.Prevented, s)
	gauge(dScheduled, float64(st.Scheduled.Count), s)
	gauge(dScheduledDue, float64(st.Scheduled.Due), s)
	if !st.Scheduled.NextDue.IsZero() {
		gauge(dScheduledNext, float64(st.Scheduled.NextDue.UnixMilli())/1000, s)
	}
}

// deliveryHistogram turns a group's delivery counts into a Prometheus
// histogram (cumulative buckets).
func deliveryHistogram(g GroupStats, stream string) prometheus.Metric {
	h := g.Deliveries
	buckets := make(map[float64]uint64, len(DeliveryBuckets))
	var cum uint64
	for i, le := range DeliveryBuckets {
		cum += uint64(h.Counts[i])
		buckets[float64(le)] = cum
	}
	return prometheus.MustNewConstHistogram(dDeliveries, uint64(h.Sampled), float64(h.Sum), buckets, stream, g.Name)
}
