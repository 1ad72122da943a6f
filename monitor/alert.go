package monitor

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Thresholds say when alerts fire: each when its figure exceeds the
// threshold. A zero threshold turns its alert off.
type Thresholds struct {
	// Pending: a group's PEL size (the seeds' "monitor PEL size").
	Pending int64
	// OldestPendingAge: the age of a group's oldest pending message.
	OldestPendingAge time.Duration
	// Lag: the entries not yet delivered to a group.
	Lag int64
	// Deliveries: the largest delivery count among a group's sampled
	// pending messages (a message failing over and over).
	Deliveries int64
	// DeadConsumers: a group's consumers not alive.
	DeadConsumers int
	// GhostPending: a group's pending messages lost to trimming.
	GhostPending int64
	// DLQLength: the number of dead letters.
	DLQLength int64
	// DLQInflowRate: dead letters added per second, between two polls.
	DLQInflowRate float64
}

// Alert names, in Alert.Name.
const (
	AlertPending          = "pending"
	AlertOldestPendingAge = "oldest_pending_age"
	AlertLag              = "lag"
	AlertDeliveries       = "deliveries"
	AlertDeadConsumers    = "dead_consumers"
	AlertGhostPending     = "ghost_pending"
	AlertDLQLength        = "dlq_length"
	AlertDLQInflowRate    = "dlq_inflow_rate"
)

// Alert is a threshold crossed.
type Alert struct {
	// Name says which threshold (AlertPending, ...).
	Name string
	// Stream is the stream; Group the group, empty for the dead-letter
	// alerts.
	Stream, Group string
	// Value is the figure at the last poll and Threshold the threshold
	// it exceeded, in the figure's unit (seconds for ages, per second for
	// rates).
	Value, Threshold float64
	// Since is when the alert started firing (the poll that saw it).
	Since time.Time
	// Firing is true while it fires; false in OnResolve.
	Firing bool
	// Deliveries and MostDelivered are the group's delivery counts at the
	// last poll (empty for the dead-letter alerts).
	Deliveries    DeliveryHistogram
	MostDelivered []PendingMessage
}

// key identifies an alert across polls.
func (a Alert) key() string { return a.Name + "\x00" + a.Stream + "\x00" + a.Group }

// Watcher polls streams and calls hooks when an alert starts firing and
// when it resolves: once each, however many polls it fires for. It logs
// both, with the group's delivery counts.
type Watcher struct {
	// Monitor reads the figures (required). Give the Watcher its own, so
	// that the dead-letter inflow rate covers the Watcher's interval.
	Monitor *Monitor
	// Streams are the streams watched.
	Streams []string
	// Thresholds say when alerts fire.
	Thresholds Thresholds
	// Interval is the time between polls. If zero, 15s.
	Interval time.Duration
	// OnFire is called when an alert starts firing, and OnResolve when
	// its figure is back at or under the threshold (or its group is gone).
	// Either may be nil. They are called from the polling goroutine, one
	// at a time.
	OnFire, OnResolve func(Alert)
	// Logger receives a Warn line per alert fired and an Info line per
	// alert resolved. If nil, the client's logger.
	Logger *slog.Logger

	mu     sync.Mutex
	firing map[string]Alert
}

// Run polls every Interval until ctx ends, and returns nil then. Errors
// reading a stream are logged and leave that stream's alerts as they
// were.
func (w *Watcher) Run(ctx context.Context) error {
	if w.Monitor == nil {
		return errors.New("monitor: Watcher without a Monitor")
	}
	interval := w.Interval
	if interval <= 0 {
		interval = 15 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := w.Check(ctx); err != nil && ctx.Err() == nil {
			w.logger().Warn("pelican: alert check failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (w *Watcher) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return w.Monitor.c.Logger()
}

// Check polls every stream once, calls the hooks for the alerts that
// started firing or resolved, and returns the alerts firing now (by
// stream, group and name). A stream
// that cannot be read is reported in the error (joined), and the others
// are checked all the same.
func (w *Watcher) Check(ctx context.Context) ([]Alert, error) {
	if w.Monitor == nil {
		return nil, errors.New("monitor: Watcher without a Monitor")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.firing == nil {
		w.firing = map[string]Alert{}
	}
	var errs []error
	for _, s := range w.Streams {
		st, err := w.Monitor.Stats(ctx, s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		w.update(s, st)
	}
	out := make([]Alert, 0, len(w.firing))
	for _, a := range w.firing {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Alert) int {
		return cmp.Or(strings.Compare(a.Stream, b.Stream), strings.Compare(a.Group, b.Group), strings.Compare(a.Name, b.Name))
	})
	return out, errors.Join(errs...)
}

// update compares one stream's figures with the thresholds and the
// alerts firing.
func (w *Watcher) update(stream string, st StreamStats) {
	now := st.At
	seen := map[string]bool{}
	for _, a := range w.evaluate(st) {
		k := a.key()
		seen[k] = true
		if prev, ok := w.firing[k]; ok {
			a.Since = prev.Since
			w.firing[k] = a
			continue
		}
		a.Since = now
		w.firing[k] = a
		w.fire(a)
	}
	for k, a := range w.firing {
		if a.Stream != stream || seen[k] {
			continue
		}
		delete(w.firing, k)
		a.Firing = false
		if a.Group == "" {
			a.Value = dlqFigure(a.Name, st.DeadLetters)
		} else if g, ok := st.Group(a.Group); ok {
			a.Value = figure(a.Name, g)
			a.Deliveries, a.MostDelivered = g.Deliveries, g.MostDelivered
		}
		w.resolve(a)
	}
}

// evaluate lists the alerts st's figures fire.
func (w *Watcher) evaluate(st StreamStats) []Alert {
	th := w.Thresholds
	var out []Alert
	check := func(name, group string, value, threshold float64, g *GroupStats) {
		if threshold <= 0 || value <= threshold {
			return
		}
		a := Alert{Name: name, Stream: st.Stream, Group: group, Value: value, Threshold: threshold, Firing: true}
		if g != nil {
			a.Deliveries, a.MostDelivered = g.Deliveries, g.MostDelivered
		}
		out = append(out, a)
	}
	for i := range st.Groups {
		g := &st.Groups[i]
		check(AlertPending, g.Name, figure(AlertPending, *g), float64(th.Pending), g)
		check(AlertOldestPendingAge, g.Name, figure(AlertOldestPendingAge, *g), th.OldestPendingAge.Seconds(), g)
		if g.LagKnown {
			check(AlertLag, g.Name, figure(AlertLag, *g), float64(th.Lag), g)
		}
		check(AlertDeliveries, g.Name, figure(AlertDeliveries, *g), float64(th.Deliveries), g)
		check(AlertDeadConsumers, g.Name, figure(AlertDeadConsumers, *g), float64(th.DeadConsumers), g)
		check(AlertGhostPending, g.Name, figure(AlertGhostPending, *g), float64(th.GhostPending), g)
	}
	check(AlertDLQLength, "", dlqFigure(AlertDLQLength, st.DeadLetters), float64(th.DLQLength), nil)
	check(AlertDLQInflowRate, "", dlqFigure(AlertDLQInflowRate, st.DeadLetters), th.DLQInflowRate, nil)
	return out
}

// figure returns the group figure an alert watches.
func figure(name string, g GroupStats) float64 {
	switch name {
	case AlertPending:
		return float64(g.Pending)
	case AlertOldestPendingAge:
		return g.OldestPendingAge.Seconds()
	case AlertLag:
		return float64(g.Lag)
	case AlertDeliveries:
		return float64(g.Deliveries.Max)
	case AlertDeadConsumers:
		return float64(g.DeadConsumers)
	case AlertGhostPending:
		return float64(g.GhostPending)
	}
	return 0
}

// dlqFigure returns the dead-letter figure an alert watches.
func dlqFigure(name string, d DLQStats) float64 {
	if name == AlertDLQInflowRate {
		return d.InflowRate
	}
	return float64(d.Length)
}

func (w *Watcher) fire(a Alert) {
	w.logger().Warn("pelican: alert firing", a.attrs()...)
	if w.OnFire != nil {
		w.OnFire(a)
	}
}

func (w *Watcher) resolve(a Alert) {
	w.logger().Info("pelican: alert resolved", a.attrs()...)
	if w.OnResolve != nil {
		w.OnResolve(a)
	}
}

// attrs are the alert's log attributes: what fired, where, and the
// group's delivery counts with the messages delivered the most.
func (a Alert) attrs() []any {
	attrs := []any{"alert", a.Name, "stream", a.Stream}
	if a.Group != "" {
		attrs = append(attrs, "group", a.Group)
	}
	attrs = append(attrs, "value", a.Value, "threshold", a.Threshold, "since", a.Since)
	if a.Group == "" || a.Deliveries.Sampled == 0 {
		return attrs
	}
	h := a.Deliveries
	buckets := make([]any, 0, len(h.Counts)+3)
	for i, n := range h.Counts {
		le := "+Inf"
		if i < len(DeliveryBuckets) {
			le = strconv.FormatInt(DeliveryBuckets[i], 10)
		}
		buckets = append(buckets, slog.Int64("le_"+le, n))
	}
	buckets = append(buckets, slog.Int64("max", h.Max), slog.Int64("sampled", h.Sampled), slog.Bool("partial", h.Partial))
	attrs = append(attrs, slog.Group("deliveries", buckets...))
	if len(a.MostDelivered) > 0 {
		top := make([]string, len(a.MostDelivered))
		for i, m := range a.MostDelivered {
			top[i] = m.ID + "×" + strconv.FormatInt(m.Deliveries, 10) + "@" + m.Consumer
		}
		attrs = append(attrs, "most_delivered", top)
	}
	return attrs
}
