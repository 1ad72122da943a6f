// Package monitor tells an operator how Pelican's streams are doing: per
// stream, consumer group and consumer, the figures that show a backlog,
// a stuck or dead consumer, messages failing over and over, a growing
// dead-letter stream, or messages lost to trimming; alerts on
// thresholds; and a Prometheus collector for the same figures.
//
// A Monitor reads everything with a few pipelined, bounded commands
// (XINFO, XPENDING, HGETALL), so that a scrape stays cheap on a stream of
// millions of entries; the delivery-count histogram and the count of
// ghost entries read at most a configured number of pending entries per
// group. It keeps the previous sample of each stream to compute rates
// (redeliveries, dead-letter inflow) between calls.
//
// A Watcher polls a Monitor and calls hooks when a threshold is crossed
// and when the figure is back under it. A Collector exports the figures as
// Prometheus metrics; a WorkerCollector exports what the workers of this
// process measure of themselves (pelican.Worker.Metrics).
package monitor
