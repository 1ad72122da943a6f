package monitor

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pelicanhq/pelican"
)

// WorkerCollector exports the figures the workers of this process measure
// of themselves (pelican.Worker.Metrics) as Prometheus metrics; see
// docs/monitoring.md for the list. Where Collector reads streams from the
// server, WorkerCollector reads the workers' memory: no round trip, and
// figures no heartbeat carries (deliveries, claims, handler durations,
// handlers running).
//
// Metrics are labelled by stream and group only: the workers of one
// stream and group in the process add up. Counters count from each
// worker's creation; a worker that stopped keeps its last figures.
type WorkerCollector struct {
	mu      sync.Mutex // guards workers
	workers []*pelican.Worker
}

// NewWorkerCollector returns a collector of the workers. Register it with
// prometheus.MustRegister (or a registry of your own); add workers made
// later with Add.
func NewWorkerCollector(workers ...*pelican.Worker) *WorkerCollector {
	return &WorkerCollector{workers: workers}
}

// Add adds workers to those collected.
func (c *WorkerCollector) Add(workers ...*pelican.Worker) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.workers = append(c.workers, workers...)
}

// The worker metrics' descriptions.
var (
	dWDeliveries     = desc("pelican_worker_deliveries_total", "Messages the workers took up to handle: read, retried, claimed or recovered.", lGroup)
	dWProcessed      = desc("pelican_worker_processed_total", "Messages the workers processed successfully.", lGroup)
	dWFailed         = desc("pelican_worker_failed_total", "Failed deliveries at the workers (an attempt spent; retried, or dead-lettered if it was the last).", lGroup)
	dWDeadLettered   = desc("pelican_worker_dead_lettered_total", "Messages the workers moved to the dead-letter stream.", lGroup)
	dWGivenBack      = desc("pelican_worker_given_back_total", "Messages the workers gave back to the group without spending an attempt.", lGroup)
	dWClaimed        = desc("pelican_worker_claimed_total", "Messages the workers took over from other consumers of the group.", lGroup)
	dWRetried        = desc("pelican_worker_retried_total", "Failed deliveries the workers scheduled for another attempt.", lGroup)
	dWPanics         = desc("pelican_worker_panics_total", "Handlers (or middleware) that panicked at the workers; each is also a failed delivery.", lGroup)
	dWRedeliveries   = desc("pelican_worker_redeliveries_total", "Messages the workers handled that had been delivered before.", lGroup)
	dWLostToTrim     = desc("pelican_worker_lost_to_trim_total", "Pending messages the workers found deleted or trimmed from the stream.", lGroup)
	dWDuplicates     = desc("pelican_worker_duplicates_total", "Redeliveries exactly-once workers recognised as processed already.", lGroup)
	dWNotOurs        = desc("pelican_worker_not_ours_total", "Redriven messages meant for another group, acknowledged without running the handler.", lGroup)
	dWAbandoned      = desc("pelican_worker_abandoned_handlers_total", "Handlers the workers abandoned: past their time limit, or running when the shutdown grace ran out.", lGroup)
	dWRecovered      = desc("pelican_worker_recovered_total", "Messages the workers recovered from a worker that may have died handling them, and ran alone.", lGroup)
	dWRecreated      = desc("pelican_worker_groups_recreated_total", "Times the workers found their consumer group gone and created it again.", lGroup)
	dWOutages        = desc("pelican_worker_outages_total", "Times the workers lost their server.", lGroup)
	dWRunning        = desc("pelican_worker_handlers_running", "Handlers running now.", lGroup)
	dWHeld           = desc("pelican_worker_messages_held", "Messages the workers hold now: read or claimed and not yet settled, those waiting for a lane included.", lGroup)
	dWHandlerSeconds = desc("pelican_worker_handler_duration_seconds", "Run time of the handlers (those abandoned left out).", lGroup)

	workerDescs = []*prometheus.Desc{dWDeliveries, dWProcessed, dWFailed, dWDeadLettered, dWGivenBack, dWClaimed,
		dWRetried, dWPanics, dWRedeliveries, dWLostToTrim, dWDuplicates, dWNotOurs, dWAbandoned, dWRecovered, dWRecreated, dWOutages,
		dWRunning, dWHeld, dWHandlerSeconds}
)

// Describe sends the descriptions of every metric the collector exports.
func (c *WorkerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range workerDescs {
		ch <- d
	}
}

// groupKey is a stream and group, the labels of the worker metrics.
type groupKey struct{ stream, group string }

// workerSums adds up the metrics of a group's workers.
type workerSums struct {
	pelican.WorkerMetrics
	counts []uint64 // the handler-duration buckets' counts
}

// Collect reads every worker's metrics and sends them, added up per
// stream and group.
func (c *WorkerCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	workers := append([]*pelican.Worker(nil), c.workers...)
	c.mu.Unlock()
	sums := map[groupKey]*workerSums{}
	var order []groupKey
	for _, w := range workers {
		m := w.Metrics()
		k := groupKey{m.Stream, m.Group}
		s := sums[k]
		if s == nil {
			s = &workerSums{counts: make([]uint64, len(m.HandlerDurations.Counts))}
			s.HandlerDurations.Bounds = m.HandlerDurations.Bounds
			sums[k] = s
			order = append(order, k)
		}
		s.add(m)
	}
	for _, k := range order {
		sums[k].send(ch, k)
	}
}

// add adds m.
func (s *workerSums) add(m pelican.WorkerMetrics) {
	a, b := &s.Stats, m.Stats
	a.Processed += b.Processed
	a.Failed += b.Failed
	a.DeadLettered += b.DeadLettered
	a.GivenBack += b.GivenBack
	a.LostToTrim += b.LostToTrim
	a.Duplicates += b.Duplicates
	a.NotOurs += b.NotOurs
	a.Redeliveries += b.Redeliveries
	a.Abandoned += b.Abandoned
	a.Recovered += b.Recovered
	a.GroupsRecreated += b.GroupsRecreated
	a.Outages += b.Outages
	s.Deliveries += m.Deliveries
	s.Claimed += m.Claimed
	s.Retried += m.Retried
	s.Panics += m.Panics
	s.HandlersRunning += m.HandlersRunning
	s.Held += m.Held
	s.HandlerDurations.Sum += m.HandlerDurations.Sum
	for i, n := range m.HandlerDurations.Counts {
		s.counts[i] += n
	}
}

// send sends the metrics of one stream and group.
func (s *workerSums) send(ch chan<- prometheus.Metric, k groupKey) {
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), k.stream, k.group)
	}
	gauge := func(d *prometheus.Desc, v int) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), k.stream, k.group)
	}
	st := s.Stats
	counter(dWDeliveries, s.Deliveries)
	counter(dWProcessed, st.Processed)
	counter(dWFailed, st.Failed)
	counter(dWDeadLettered, st.DeadLettered)
	counter(dWGivenBack, st.GivenBack)
	counter(dWClaimed, s.Claimed)
	counter(dWRetried, s.Retried)
	counter(dWPanics, s.Panics)
	counter(dWRedeliveries, st.Redeliveries)
	counter(dWLostToTrim, st.LostToTrim)
	counter(dWDuplicates, st.Duplicates)
	counter(dWNotOurs, st.NotOurs)
	counter(dWAbandoned, st.Abandoned)
	counter(dWRecovered, st.Recovered)
	counter(dWRecreated, st.GroupsRecreated)
	counter(dWOutages, st.Outages)
	gauge(dWRunning, s.HandlersRunning)
	gauge(dWHeld, s.Held)
	h := s.HandlerDurations
	buckets := make(map[float64]uint64, len(h.Bounds))
	var cum uint64
	for i, le := range h.Bounds {
		cum += s.counts[i]
		buckets[le.Seconds()] = cum
	}
	cum += s.counts[len(h.Bounds)]
	ch <- prometheus.MustNewConstHistogram(dWHandlerSeconds, cum, h.Sum.Seconds(), buckets, k.stream, k.group)
}
