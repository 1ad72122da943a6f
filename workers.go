package pelican

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// WorkerInfo describes a consumer of a group.
type WorkerInfo struct {
	// Name is the consumer's name.
	Name string
	// Pending counts the messages it holds.
	Pending int64
	// Idle is the time since it last read or claimed.
	Idle time.Duration
	// LastHeartbeat is when it last reported alive (zero if never: a
	// consumer that is not a Pelican worker).
	LastHeartbeat time.Time
	// Alive reports whether it is a Pelican worker that is running, as
	// its heartbeats tell (and, for a worker of this host, whether its
	// process exists). False for a stopped or dead worker, and for a
	// consumer that is not a Pelican worker.
	Alive bool
	// Host and PID say which process the worker is, as its last heartbeat
	// told, and HeartbeatInterval how often it beats (empty and zero for
	// consumers that are not Pelican workers, or that run a Pelican version
	// older than these fields, whose liveness their beats cannot tell).
	Host              string
	PID               int
	HeartbeatInterval time.Duration
	// Stats are the worker's counters as of its last heartbeat (zero for
	// a consumer that is not a Pelican worker). They count from the
	// worker's start.
	Stats WorkerStats
}

// Workers lists the consumers of a group with their liveness.
func (c *Client) Workers(ctx context.Context, stream, group string) ([]WorkerInfo, error) {
	infos, _, err := c.workers(ctx, stream, group, nil)
	return infos, err
}

// workers is Workers, also returning the consumers' beats; self is the
// process judging liveness (nil: this process, as a stranger).
func (c *Client) workers(ctx context.Context, stream, group string, self *process) ([]WorkerInfo, []beat, error) {
	keys := groupKeys{stream: stream, group: group}
	var (
		info            *redis.XInfoConsumersCmd
		beats, counters *redis.MapStringStringCmd
	)
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		info = p.XInfoConsumers(ctx, stream, group)
		beats = p.HGetAll(ctx, keys.workers())
		counters = p.HGetAll(ctx, keys.counters())
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if self == nil {
		self = thisProcess()
	}
	now := c.clock.Now()
	consumers := info.Val()
	// A worker that has beaten but not yet read is not a consumer of the
	// group yet (Redis 7.0 creates one with its first read that returns
	// something): it is listed too, after the consumers.
	listed := make(map[string]bool, len(consumers))
	for _, cs := range consumers {
		listed[cs.Name] = true
	}
	var extra []string
	for name := range beats.Val() {
		if !listed[name] {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	for _, name := range extra {
		consumers = append(consumers, redis.XInfoConsumer{Name: name})
	}
	out := make([]WorkerInfo, len(consumers))
	bs := make([]beat, len(consumers))
	for i, cs := range consumers {
		out[i] = WorkerInfo{Name: cs.Name, Pending: cs.Pending, Idle: cs.Idle}
		if b, ok := parseBeat(beats.Val()[cs.Name]); ok {
			bs[i] = b
			out[i].LastHeartbeat, out[i].Host, out[i].PID, out[i].HeartbeatInterval = b.at, b.host, b.pid, b.interval
			out[i].Alive = b.judge(now, self) == alive
		}
		out[i].Stats, _ = decodeStats(counters.Val()[cs.Name])
	}
	return out, bs, nil
}

// WorkerStats are a worker's counters since it was created.
type WorkerStats struct {
	// Processed counts the messages handled successfully (in exactly-once
	// mode, once their transaction has committed); in at-least-once mode
	// their acknowledgements follow in bulk, within moments.
	Processed int64
	// Failed counts failed deliveries (an attempt spent).
	Failed int64
	// DeadLettered messages were moved to the dead-letter stream by this
	// worker.
	DeadLettered int64
	// GivenBack messages went back to the group without spending an
	// attempt (ErrUnavailable, shutdown).
	GivenBack int64
	// LostToTrim counts pending messages whose entries had been deleted
	// or trimmed from the stream before they could be processed.
	LostToTrim int64
	// Duplicates counts redeliveries an exactly-once worker recognised as
	// already processed.
	Duplicates int64
	// NotOurs counts redriven messages meant for another group (their
	// FieldRedriveGroup names it), acknowledged without running the
	// handler.
	NotOurs int64
	// Redeliveries counts the messages this worker handled (or
	// dead-lettered without running the handler) that had been delivered
	// before: retries and claimed messages.
	Redeliveries int64
	// Abandoned counts handlers the worker gave up on: past their time
	// limit (their messages counted as failed attempts) or still running
	// when shutdown's grace period ran out (their messages given back).
	// Each left a goroutine running.
	Abandoned int64
	// Recovered counts the messages the worker recovered from a worker
	// that may have died handling them (its own earlier run included), and
	// ran alone (see docs/failures.md).
	Recovered int64
	// GroupsRecreated counts the times the worker found its consumer
	// group gone and created it again.
	GroupsRecreated int64
	// Outages counts the times the worker lost its server.
	Outages int64
}

// encodeStats writes a worker's counters for the counters hash:
// "1|<processed>|<failed>|<dead-lettered>|<given back>|<lost to trim>|
// <duplicates>|<not ours>|<redeliveries>|<abandoned>|<recovered>|<groups
// recreated>|<outages>", a version then the counters. Counters are only
// ever added at the end, so that older readers keep working.
func encodeStats(s WorkerStats) string {
	b := make([]byte, 0, 64)
	b = append(b, '1')
	for _, n := range []int64{s.Processed, s.Failed, s.DeadLettered, s.GivenBack, s.LostToTrim, s.Duplicates, s.NotOurs, s.Redeliveries,
		s.Abandoned, s.Recovered, s.GroupsRecreated, s.Outages} {
		b = append(b, '|')
		b = strconv.AppendInt(b, n, 10)
	}
	return string(b)
}

// decodeStats parses encodeStats's format, with at least the first eight
// counters; it reports false for anything else (counters a future version
// added at the end are ignored).
func decodeStats(v string) (WorkerStats, bool) {
	parts := strings.Split(v, "|")
	if len(parts) < 9 || parts[0] != "1" {
		return WorkerStats{}, false
	}
	var n [12]int64
	for i := range n {
		if i+1 >= len(parts) {
			break
		}
		x, err := strconv.ParseInt(parts[i+1], 10, 64)
		if err != nil {
			return WorkerStats{}, false
		}
		n[i] = x
	}
	return WorkerStats{Processed: n[0], Failed: n[1], DeadLettered: n[2], GivenBack: n[3],
		LostToTrim: n[4], Duplicates: n[5], NotOurs: n[6], Redeliveries: n[7],
		Abandoned: n[8], Recovered: n[9], GroupsRecreated: n[10], Outages: n[11]}, true
}
