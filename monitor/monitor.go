package monitor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/internal/rediserr"
	"github.com/pelicanhq/pelican/internal/streamid"
	"github.com/pelicanhq/pelican/trim"
)

// Options configure a Monitor. The zero value works.
type Options struct {
	// DeadLetterStream names the dead-letter stream of a stream. If nil,
	// pelican.DeadLetterStreamOf.
	DeadLetterStream func(stream string) string
	// AliveWithin is how recently a consumer that is not a Pelican worker
	// (or runs a version whose beats do not say how often they come) must
	// have tried to read to count as alive; Pelican workers are judged by
	// their beats. If zero, DefaultAliveWithin.
	AliveWithin time.Duration
	// DeliverySample is how many pending messages per group, the oldest,
	// the delivery-count histogram counts. If zero, DefaultDeliverySample;
	// negative turns the histogram off.
	DeliverySample int64
	// GhostLimit is how many ghost pending messages per group are counted
	// at most. If zero, DefaultGhostLimit.
	GhostLimit int64
}

// Defaults of Options.
const (
	// DefaultAliveWithin is the default ClaimMinIdle of pelican workers,
	// whose heartbeats come every quarter of it.
	DefaultAliveWithin = 5 * time.Minute
	// DefaultDeliverySample keeps a scrape of a group with 100k pending
	// messages within a few milliseconds (see docs/monitoring.md).
	DefaultDeliverySample = 10_000
	// DefaultGhostLimit bounds the ghost count.
	DefaultGhostLimit = 10_000
)

// Errors of the monitor.
var (
	// ErrNoStream means the stream does not exist. It is
	// pelican.ErrNoStream, so errors.Is matches it with the other
	// packages' ErrNoStream.
	ErrNoStream = pelican.ErrNoStream
	// ErrNoGroup means the stream has no consumer group of that name.
	ErrNoGroup = errors.New("monitor: no such consumer group")
	// ErrWrongType means a key holds something else than a stream. It is
	// pelican.ErrWrongType, so errors.Is matches it with the other
	// packages' ErrWrongType.
	ErrWrongType = pelican.ErrWrongType
)

// Monitor reads the figures of streams. It keeps the previous sample of
// each stream and group to compute rates; give each independent poller
// (a Watcher, a Collector) its own Monitor so that their rates cover
// their own intervals. It is safe for concurrent use.
type Monitor struct {
	c    *pelican.Client
	opts Options

	mu   sync.Mutex
	prev map[string]prevSample // by stream, and by stream "\x00" group
}

// prevSample is what the rates are computed from.
type prevSample struct {
	at       time.Time
	added    int64            // dead letters added (per stream)
	counters map[string]int64 // redeliveries by consumer (per group)
}

// New returns a Monitor of the streams c reaches.
func New(c *pelican.Client, opts Options) *Monitor {
	if opts.DeadLetterStream == nil {
		opts.DeadLetterStream = pelican.DeadLetterStreamOf
	}
	if opts.AliveWithin <= 0 {
		opts.AliveWithin = DefaultAliveWithin
	}
	if opts.DeliverySample == 0 {
		opts.DeliverySample = DefaultDeliverySample
	}
	if opts.GhostLimit <= 0 {
		opts.GhostLimit = DefaultGhostLimit
	}
	return &Monitor{c: c, opts: opts, prev: map[string]prevSample{}}
}

// Stats reads a stream's figures once with a new Monitor: the rates are
// zero. Keep a Monitor to get them.
func Stats(ctx context.Context, c *pelican.Client, stream string, opts Options) (StreamStats, error) {
	return New(c, opts).Stats(ctx, stream)
}

// Stats returns the figures of a stream, its groups and consumers, and
// its dead-letter stream. A stream that does not exist gives ErrNoStream.
func (m *Monitor) Stats(ctx context.Context, stream string) (StreamStats, error) {
	return m.read(ctx, stream, "")
}

// Group returns the figures of one consumer group of a stream; ErrNoStream
// or ErrNoGroup when either does not exist.
func (m *Monitor) Group(ctx context.Context, stream, group string) (GroupStats, error) {
	st, err := m.read(ctx, stream, group)
	if err != nil {
		return GroupStats{}, err
	}
	return st.Groups[0], nil
}

// wrapErr turns Redis's replies for a missing key or a key of another
// type into ErrNoStream and ErrWrongType.
func wrapErr(key, op string, err error) error {
	switch {
	case rediserr.IsNoSuchKey(err):
		return fmt.Errorf("%w: %s", ErrNoStream, key)
	case rediserr.IsWrongType(err):
		return fmt.Errorf("%w: %s", ErrWrongType, key)
	case rediserr.IsNoGroup(err):
		return fmt.Errorf("%w: %s: %v", ErrNoGroup, key, err)
	}
	return fmt.Errorf("monitor %s: %s: %w", key, op, err)
}

// streamReplies are the replies of the first round trip.
type streamReplies struct {
	info, dlq  *redis.XInfoStreamCmd
	groups     *redis.XInfoGroupsCmd
	retention  *redis.MapStringStringCmd
	trimCounts *redis.SliceCmd
}

// read reads the figures in three pipelined round trips (the stream, its
// groups, the dead-letter stream and counters; its scheduled messages;
// then per group its consumers and the oldest pending messages), with the
// workers' heartbeats read alongside. With only set it reads that group alone and
// not the dead-letter stream.
func (m *Monitor) read(ctx context.Context, key, only string) (StreamStats, error) {
	rdb := m.c.Redis()
	now := m.c.Clock().Now()
	st := StreamStats{Stream: key, At: now}
	st.DeadLetters.Stream = m.opts.DeadLetterStream(key)
	var r streamReplies
	_, _ = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		r.info = p.XInfoStream(ctx, key)
		r.groups = p.XInfoGroups(ctx, key)
		if only == "" {
			r.dlq = p.XInfoStream(ctx, st.DeadLetters.Stream)
			r.retention = p.HGetAll(ctx, dlq.CountersKey(st.DeadLetters.Stream))
			r.trimCounts = p.HMGet(ctx, trim.CountersKey(key), "removed", "lost", "prevented")
		}
		return nil
	})
	if err := r.info.Err(); err != nil {
		return st, wrapErr(key, "XINFO STREAM", err)
	}
	if err := r.groups.Err(); err != nil {
		return st, wrapErr(key, "XINFO GROUPS", err)
	}
	in := r.info.Val()
	st.Length, st.EntriesAdded, st.LastGeneratedID = in.Length, in.EntriesAdded, in.LastGeneratedID
	if in.Length > 0 {
		st.FirstID, st.LastID = in.FirstEntry.ID, in.LastEntry.ID
	}
	if only == "" {
		if err := m.readDLQ(&st.DeadLetters, r, now); err != nil {
			return st, err
		}
		if err := r.trimCounts.Err(); err != nil {
			return st, wrapErr(key, "HMGET "+trim.CountersKey(key), err)
		}
		st.Trim = trim.ParseCounters(r.trimCounts.Val())
		sched, err := m.c.ScheduledStats(ctx, key)
		if err != nil {
			return st, err
		}
		st.Scheduled = sched
	}
	for _, g := range r.groups.Val() {
		if only != "" && g.Name != only {
			continue
		}
		gs := GroupStats{Name: g.Name, Pending: g.Pending, LastDeliveredID: g.LastDeliveredID}
		if g.Lag >= 0 {
			gs.Lag, gs.LagKnown = g.Lag, true
		}
		st.Groups = append(st.Groups, gs)
	}
	if only != "" && len(st.Groups) == 0 {
		return st, fmt.Errorf("%w: %s has no group %q", ErrNoGroup, key, only)
	}
	if err := m.readGroups(ctx, &st, now, only != ""); err != nil {
		return st, err
	}
	m.rates(&st, now, only == "")
	return st, nil
}

// readDLQ fills in the dead-letter figures from the first round trip.
func (m *Monitor) readDLQ(d *DLQStats, r streamReplies, now time.Time) error {
	switch err := r.dlq.Err(); {
	case err == nil:
		in := r.dlq.Val()
		d.Exists, d.Length, d.EntriesAdded = true, in.Length, in.EntriesAdded
		if in.Length > 0 {
			d.OldestID, d.NewestID = in.FirstEntry.ID, in.LastEntry.ID
			d.OldestAge = ageOf(d.OldestID, now)
		}
	case rediserr.IsNoSuchKey(err): // nothing was ever dead-lettered
	default:
		return wrapErr(d.Stream, "XINFO STREAM", err)
	}
	if err := r.retention.Err(); err != nil {
		return wrapErr(d.Stream, "HGETALL "+dlq.CountersKey(d.Stream), err)
	}
	// A malformed counter is left out: the figures of the others still
	// count.
	c, _ := dlq.ParseCounters(r.retention.Val())
	d.Evicted, d.EvictedBy = c.Evicted, c.EvictedBy
	return nil
}

// groupReplies are the replies of the second round trip for one group.
type groupReplies struct {
	consumers *redis.Cmd
	oldest    *redis.XPendingExtCmd // the oldest pending messages
	ghosts    *redis.XPendingExtCmd // pending messages below the first entry
	workers   []pelican.WorkerInfo
	workerErr error
}

// readGroups reads, for every group of st, its consumers, its oldest
// pending messages and its ghosts in one pipeline, and the workers'
// heartbeats (Client.Workers) alongside. A group destroyed meanwhile is
// left out, unless it is the only one asked for.
func (m *Monitor) readGroups(ctx context.Context, st *StreamStats, now time.Time, only bool) error {
	if len(st.Groups) == 0 {
		return nil
	}
	rdb := m.c.Redis()
	replies := make([]groupReplies, len(st.Groups))
	var wg sync.WaitGroup
	for i := range st.Groups {
		wg.Go(func() {
			replies[i].workers, replies[i].workerErr = m.c.Workers(ctx, st.Stream, st.Groups[i].Name)
		})
	}
	_, _ = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, g := range st.Groups {
			r := &replies[i]
			r.consumers = p.Do(ctx, "XINFO", "CONSUMERS", st.Stream, g.Name)
			if g.Pending == 0 {
				continue
			}
			r.oldest = p.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: st.Stream, Group: g.Name, Start: "-", End: "+", Count: max(m.opts.DeliverySample, 1)})
			if st.Length > 0 {
				r.ghosts = p.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: st.Stream, Group: g.Name, Start: "-", End: "(" + st.FirstID, Count: m.opts.GhostLimit})
			}
		}
		return nil
	})
	wg.Wait()
	kept := st.Groups[:0]
	for i := range st.Groups {
		g := st.Groups[i]
		err := m.fillGroup(&g, replies[i], st, now)
		switch {
		case errors.Is(err, ErrNoGroup) && !only:
			continue // destroyed since XINFO GROUPS
		case err != nil:
			return err
		}
		kept = append(kept, g)
	}
	st.Groups = kept
	return nil
}

// fillGroup fills in one group's figures from its replies.
func (m *Monitor) fillGroup(g *GroupStats, r groupReplies, st *StreamStats, now time.Time) error {
	if r.workerErr != nil {
		return wrapErr(st.Stream, "reading the workers of "+g.Name, r.workerErr)
	}
	raw, err := r.consumers.Result()
	if err != nil {
		return wrapErr(st.Stream, "XINFO CONSUMERS "+g.Name, err)
	}
	consumers, err := parseConsumers(raw)
	if err != nil {
		return fmt.Errorf("monitor %s: XINFO CONSUMERS %s: %w", st.Stream, g.Name, err)
	}
	m.fillConsumers(g, consumers, r.workers, now)
	if r.oldest != nil {
		pend, err := r.oldest.Result()
		if err != nil {
			return wrapErr(st.Stream, "XPENDING "+g.Name, err)
		}
		if len(pend) > 0 {
			g.OldestPendingID, g.OldestPendingIdle = pend[0].ID, pend[0].Idle
			g.OldestPendingAge = ageOf(pend[0].ID, now)
		}
		if m.opts.DeliverySample > 0 {
			for _, p := range pend {
				g.Deliveries.add(p.RetryCount)
			}
			g.Deliveries.Partial = g.Pending > g.Deliveries.Sampled
			g.MostDelivered = mostDelivered(pend)
		}
	}
	switch {
	case r.ghosts != nil:
		pend, err := r.ghosts.Result()
		if err != nil {
			return wrapErr(st.Stream, "XPENDING "+g.Name, err)
		}
		g.GhostPending = int64(len(pend))
		g.GhostsCapped = g.GhostPending >= m.opts.GhostLimit
	case st.Length == 0:
		g.GhostPending = g.Pending // nothing left in the stream
	}
	return nil
}

// mostDelivered returns the messages of pend delivered more than once
// the most times, at most MostDeliveredCount, most first (oldest first
// among equals).
func mostDelivered(pend []redis.XPendingExt) []PendingMessage {
	var top []PendingMessage
	for _, p := range pend {
		if p.RetryCount < 2 {
			continue
		}
		if len(top) == MostDeliveredCount && p.RetryCount <= top[len(top)-1].Deliveries {
			continue
		}
		i, _ := slices.BinarySearchFunc(top, p.RetryCount, func(m PendingMessage, n int64) int {
			if m.Deliveries >= n {
				return -1
			}
			return 1
		})
		top = slices.Insert(top, i, PendingMessage{ID: p.ID, Consumer: p.Consumer, Deliveries: p.RetryCount, Idle: p.Idle})
		if len(top) > MostDeliveredCount {
			top = top[:MostDeliveredCount]
		}
	}
	return top
}

// fillConsumers merges XINFO CONSUMERS with the workers' heartbeats.
func (m *Monitor) fillConsumers(g *GroupStats, consumers []ConsumerStats, workers []pelican.WorkerInfo, now time.Time) {
	byName := make(map[string]pelican.WorkerInfo, len(workers))
	for _, w := range workers {
		byName[w.Name] = w
	}
	for i := range consumers {
		cs := &consumers[i]
		lastSeen := now.Add(-cs.Idle)
		if w, ok := byName[cs.Name]; ok && !w.LastHeartbeat.IsZero() {
			cs.Worker, cs.LastHeartbeat, cs.Stats = true, w.LastHeartbeat, w.Stats
			if w.LastHeartbeat.After(lastSeen) {
				lastSeen = w.LastHeartbeat
			}
		}
		cs.Alive = now.Sub(lastSeen) < m.opts.AliveWithin
		if w, ok := byName[cs.Name]; ok && w.HeartbeatInterval > 0 {
			// Its beats tell: alive until it stops or misses three.
			cs.Alive = w.Alive
		}
		if !cs.Alive {
			g.DeadConsumers++
		}
		g.Redeliveries += cs.Stats.Redeliveries
	}
	slices.SortFunc(consumers, func(a, b ConsumerStats) int { return strings.Compare(a.Name, b.Name) })
	g.Consumers = consumers
}

// ageOf returns the time since the moment in a stream ID (zero if it is
// in the future or malformed).
func ageOf(id string, now time.Time) time.Duration {
	p, ok := streamid.Parse(id)
	if !ok {
		return 0
	}
	return max(now.Sub(p.Time()), 0)
}

// parseConsumers reads an XINFO CONSUMERS reply of either protocol.
func parseConsumers(v any) ([]ConsumerStats, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("unexpected reply %T", v)
	}
	out := make([]ConsumerStats, 0, len(list))
	for _, item := range list {
		fields := map[string]any{}
		switch it := item.(type) {
		case map[any]any: // RESP3
			for k, v := range it {
				if ks, ok := k.(string); ok {
					fields[ks] = v
				}
			}
		case []any: // RESP2: name, value, ...
			for i := 0; i+1 < len(it); i += 2 {
				if ks, ok := it[i].(string); ok {
					fields[ks] = it[i+1]
				}
			}
		default:
			return nil, fmt.Errorf("unexpected consumer %T", item)
		}
		var cs ConsumerStats
		cs.Name, _ = fields["name"].(string)
		n, _ := fields["pending"].(int64)
		cs.Pending = n
		idle, _ := fields["idle"].(int64)
		cs.Idle = time.Duration(idle) * time.Millisecond
		if in, ok := fields["inactive"].(int64); ok {
			cs.Inactive, cs.InactiveKnown = time.Duration(in)*time.Millisecond, true
		}
		out = append(out, cs)
	}
	return out, nil
}

// rates computes the rates of st against the previous sample and keeps
// st as the next one's reference. withStream says whether st has the
// stream-wide figures (Stats) or one group's (Group).
func (m *Monitor) rates(st *StreamStats, now time.Time, withStream bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if withStream {
		prev, ok := m.prev[st.Stream]
		if ok && now.After(prev.at) {
			dt := now.Sub(prev.at)
			st.SinceLast = dt
			added := st.DeadLetters.EntriesAdded - prev.added
			if added < 0 { // the dead-letter stream was deleted and made again
				added = st.DeadLetters.EntriesAdded
			}
			st.DeadLetters.InflowRate = float64(added) / dt.Seconds()
		}
		m.prev[st.Stream] = prevSample{at: now, added: st.DeadLetters.EntriesAdded}
	}
	for i := range st.Groups {
		g := &st.Groups[i]
		key := st.Stream + "\x00" + g.Name
		counters := make(map[string]int64, len(g.Consumers))
		for _, cs := range g.Consumers {
			counters[cs.Name] = cs.Stats.Redeliveries
		}
		if prev, ok := m.prev[key]; ok && now.After(prev.at) {
			var delta int64
			for name, n := range counters {
				if before, seen := prev.counters[name]; seen && n >= before {
					delta += n - before
				} else {
					delta += n // a new worker, or one restarted: counted from zero
				}
			}
			g.RedeliveryRate = float64(delta) / now.Sub(prev.at).Seconds()
		}
		m.prev[key] = prevSample{at: now, counters: counters}
	}
}
