package cli

import (
	"time"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/monitor"
)

// The figures of package monitor as the commands print them with --json:
// snake_case keys, durations in whole milliseconds (keys ending in _ms),
// times in RFC 3339, null for what the server cannot tell. The rates of
// monitor are left out: one reading has none.

// streamJSON is one stream's figures.
type streamJSON struct {
	Stream          string    `json:"stream"`
	At              time.Time `json:"at"`
	Length          int64     `json:"length"`
	FirstID         string    `json:"first_id"`
	LastID          string    `json:"last_id"`
	LastGeneratedID string    `json:"last_generated_id"`
	EntriesAdded    int64     `json:"entries_added"`
	// Pending sums the groups' pending messages; OldestPendingAgeMs is
	// the age of the oldest of them (0 when none).
	Pending            int64 `json:"pending"`
	OldestPendingAgeMs int64 `json:"oldest_pending_age_ms"`
	// Lag is the largest of the groups' lags: null without groups, or
	// when the server cannot tell some group's.
	Lag         *int64           `json:"lag"`
	Groups      []groupJSON      `json:"groups"`
	DeadLetters deadLettersJSON  `json:"dead_letters"`
	Trim        trimCountersJSON `json:"trim"`
	Scheduled   scheduledJSON    `json:"scheduled"`
}

// scheduledJSON is the figures of a stream's scheduled messages.
type scheduledJSON struct {
	Count int64 `json:"count"`
	// Due counts those due and not yet moved into the stream.
	Due int64 `json:"due"`
	// NextDue is the earliest due time; null when none is scheduled.
	NextDue *time.Time `json:"next_due"`
}

// groupJSON is one consumer group's figures.
type groupJSON struct {
	Name                string `json:"name"`
	Pending             int64  `json:"pending"`
	OldestPendingID     string `json:"oldest_pending_id"`
	OldestPendingAgeMs  int64  `json:"oldest_pending_age_ms"`
	OldestPendingIdleMs int64  `json:"oldest_pending_idle_ms"`
	// Lag is null when the server cannot tell (after deletions).
	Lag             *int64         `json:"lag"`
	LastDeliveredID string         `json:"last_delivered_id"`
	ConsumersAlive  int            `json:"consumers_alive"`
	DeadConsumers   int            `json:"dead_consumers"`
	Consumers       []consumerJSON `json:"consumers"`
	Deliveries      deliveriesJSON `json:"deliveries"`
	MostDelivered   []pendingJSON  `json:"most_delivered"`
	Redeliveries    int64          `json:"redeliveries"`
	GhostPending    int64          `json:"ghost_pending"`
	GhostsCapped    bool           `json:"ghosts_capped"`
}

// consumerJSON is one consumer's figures.
type consumerJSON struct {
	Name    string `json:"name"`
	Pending int64  `json:"pending"`
	IdleMs  int64  `json:"idle_ms"`
	// InactiveMs is null when the consumer never read anything, or the
	// server does not say (before Redis 7.2).
	InactiveMs *int64 `json:"inactive_ms"`
	// Worker says it is a Pelican worker (it sends heartbeats); then
	// LastHeartbeat and Stats are set, null otherwise.
	Worker        bool             `json:"worker"`
	Alive         bool             `json:"alive"`
	LastHeartbeat *time.Time       `json:"last_heartbeat"`
	Stats         *workerStatsJSON `json:"stats"`
}

// workerStatsJSON are a Pelican worker's counters as of its last
// heartbeat.
type workerStatsJSON struct {
	Processed       int64 `json:"processed"`
	Failed          int64 `json:"failed"`
	DeadLettered    int64 `json:"dead_lettered"`
	GivenBack       int64 `json:"given_back"`
	LostToTrim      int64 `json:"lost_to_trim"`
	Duplicates      int64 `json:"duplicates"`
	NotOurs         int64 `json:"not_ours"`
	Redeliveries    int64 `json:"redeliveries"`
	Abandoned       int64 `json:"abandoned"`
	Recovered       int64 `json:"recovered"`
	GroupsRecreated int64 `json:"groups_recreated"`
	Outages         int64 `json:"outages"`
}

// deliveriesJSON is the delivery-count histogram of a group's oldest
// pending messages.
type deliveriesJSON struct {
	Buckets []deliveryBucketJSON `json:"buckets"`
	Sampled int64                `json:"sampled"`
	Partial bool                 `json:"partial"`
	Sum     int64                `json:"sum"`
	Max     int64                `json:"max"`
}

// deliveryBucketJSON counts the messages delivered at most Max times
// (and more than the previous bucket's Max); Max is null for the last
// bucket, which has no upper bound.
type deliveryBucketJSON struct {
	Max   *int64 `json:"max"`
	Count int64  `json:"count"`
}

// pendingJSON is a pending message.
type pendingJSON struct {
	ID         string `json:"id"`
	Consumer   string `json:"consumer"`
	Deliveries int64  `json:"deliveries"`
	// IdleMs is the time since its last delivery (negative when it was
	// given back and awaits delivery); AgeMs the time since it was added,
	// from the time in its ID.
	IdleMs int64 `json:"idle_ms"`
	AgeMs  int64 `json:"age_ms"`
}

// deadLettersJSON are the figures of a stream's dead-letter stream.
type deadLettersJSON struct {
	Stream       string           `json:"stream"`
	Exists       bool             `json:"exists"`
	Length       int64            `json:"length"`
	OldestID     string           `json:"oldest_id"`
	NewestID     string           `json:"newest_id"`
	OldestAgeMs  int64            `json:"oldest_age_ms"`
	EntriesAdded int64            `json:"entries_added"`
	Evicted      int64            `json:"evicted"`
	EvictedBy    map[string]int64 `json:"evicted_by"`
}

// trimCountersJSON are the running totals of a stream's trims.
type trimCountersJSON struct {
	Removed   int64 `json:"removed"`
	Lost      int64 `json:"lost"`
	Prevented int64 `json:"prevented"`
}

// streamToJSON converts a stream's figures.
func streamToJSON(st monitor.StreamStats) streamJSON {
	out := streamJSON{
		Stream: st.Stream, At: st.At, Length: st.Length, FirstID: st.FirstID, LastID: st.LastID,
		LastGeneratedID: st.LastGeneratedID, EntriesAdded: st.EntriesAdded,
		Groups: make([]groupJSON, 0, len(st.Groups)),
		DeadLetters: deadLettersJSON{
			Stream: st.DeadLetters.Stream, Exists: st.DeadLetters.Exists, Length: st.DeadLetters.Length,
			OldestID: st.DeadLetters.OldestID, NewestID: st.DeadLetters.NewestID,
			OldestAgeMs: millis(st.DeadLetters.OldestAge), EntriesAdded: st.DeadLetters.EntriesAdded,
			Evicted: st.DeadLetters.Evicted, EvictedBy: st.DeadLetters.EvictedBy,
		},
		Trim:      trimCountersJSON{Removed: st.Trim.Removed, Lost: st.Trim.Lost, Prevented: st.Trim.Prevented},
		Scheduled: scheduledJSON{Count: st.Scheduled.Count, Due: st.Scheduled.Due},
	}
	if out.DeadLetters.EvictedBy == nil {
		out.DeadLetters.EvictedBy = map[string]int64{}
	}
	if next := st.Scheduled.NextDue; !next.IsZero() {
		out.Scheduled.NextDue = &next
	}
	sum := totalGroups(st)
	out.Pending, out.OldestPendingAgeMs = sum.pending, millis(sum.oldestAge)
	if sum.lagKnown {
		out.Lag = &sum.lag
	}
	for _, g := range st.Groups {
		out.Groups = append(out.Groups, groupToJSON(g, st.At))
	}
	return out
}

// groupToJSON converts a group's figures; now dates the ages.
func groupToJSON(g monitor.GroupStats, now time.Time) groupJSON {
	out := groupJSON{
		Name: g.Name, Pending: g.Pending, OldestPendingID: g.OldestPendingID,
		OldestPendingAgeMs: millis(g.OldestPendingAge), OldestPendingIdleMs: millis(g.OldestPendingIdle),
		LastDeliveredID: g.LastDeliveredID, ConsumersAlive: len(g.Consumers) - g.DeadConsumers,
		DeadConsumers: g.DeadConsumers, Consumers: make([]consumerJSON, 0, len(g.Consumers)),
		MostDelivered: make([]pendingJSON, 0, len(g.MostDelivered)),
		Redeliveries:  g.Redeliveries, GhostPending: g.GhostPending, GhostsCapped: g.GhostsCapped,
		Deliveries: deliveriesJSON{
			Sampled: g.Deliveries.Sampled, Partial: g.Deliveries.Partial, Sum: g.Deliveries.Sum, Max: g.Deliveries.Max,
		},
	}
	if g.LagKnown {
		lag := g.Lag
		out.Lag = &lag
	}
	for _, c := range g.Consumers {
		out.Consumers = append(out.Consumers, consumerToJSON(c))
	}
	for _, p := range g.MostDelivered {
		out.MostDelivered = append(out.MostDelivered, pendingJSON{
			ID: p.ID, Consumer: p.Consumer, Deliveries: p.Deliveries, IdleMs: millis(p.Idle), AgeMs: millis(ageOfID(p.ID, now)),
		})
	}
	for i, n := range g.Deliveries.Counts {
		b := deliveryBucketJSON{Count: n}
		if i < len(monitor.DeliveryBuckets) {
			m := monitor.DeliveryBuckets[i]
			b.Max = &m
		}
		out.Deliveries.Buckets = append(out.Deliveries.Buckets, b)
	}
	return out
}

// consumerToJSON converts a consumer's figures.
func consumerToJSON(c monitor.ConsumerStats) consumerJSON {
	out := consumerJSON{Name: c.Name, Pending: c.Pending, IdleMs: millis(c.Idle), Worker: c.Worker, Alive: c.Alive}
	if c.InactiveKnown && c.Inactive >= 0 {
		ms := millis(c.Inactive)
		out.InactiveMs = &ms
	}
	if c.Worker {
		hb := c.LastHeartbeat
		out.LastHeartbeat = &hb
		s := workerStatsToJSON(c.Stats)
		out.Stats = &s
	}
	return out
}

// workerStatsToJSON converts a worker's counters.
func workerStatsToJSON(s pelican.WorkerStats) workerStatsJSON {
	return workerStatsJSON{
		Processed: s.Processed, Failed: s.Failed, DeadLettered: s.DeadLettered, GivenBack: s.GivenBack,
		LostToTrim: s.LostToTrim, Duplicates: s.Duplicates, NotOurs: s.NotOurs, Redeliveries: s.Redeliveries,
		Abandoned: s.Abandoned, Recovered: s.Recovered, GroupsRecreated: s.GroupsRecreated, Outages: s.Outages,
	}
}

// groupTotals is what the streams table shows of a stream's groups.
type groupTotals struct {
	pending   int64
	oldestAge time.Duration
	// lag is the largest group lag; lagKnown is false without groups or
	// when some group's lag is unknown.
	lag      int64
	lagKnown bool
}

// totalGroups sums up a stream's groups.
func totalGroups(st monitor.StreamStats) groupTotals {
	s := groupTotals{lagKnown: len(st.Groups) > 0}
	for _, g := range st.Groups {
		s.pending += g.Pending
		s.oldestAge = max(s.oldestAge, g.OldestPendingAge)
		s.lag = max(s.lag, g.Lag)
		s.lagKnown = s.lagKnown && g.LagKnown
	}
	return s
}
