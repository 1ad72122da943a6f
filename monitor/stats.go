package monitor

import (
	"time"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/trim"
)

// StreamStats are the figures of one stream, its groups and consumers,
// and its dead-letter stream, at one moment.
type StreamStats struct {
	// Stream is the stream's key.
	Stream string
	// At is when the figures were read, by the client's clock.
	At time.Time
	// SinceLast is the time since the previous sample of this stream by
	// the same Monitor, over which the rates are computed; zero on the
	// first sample (the rates are zero then).
	SinceLast time.Duration
	// Length is the number of entries (XLEN).
	Length int64
	// FirstID and LastID are the IDs of the first and last entries;
	// empty when the stream is empty.
	FirstID, LastID string
	// LastGeneratedID is the largest ID ever added.
	LastGeneratedID string
	// EntriesAdded counts every entry ever added to the stream.
	EntriesAdded int64
	// Groups are the consumer groups, in the server's order.
	Groups []GroupStats
	// DeadLetters describes the dead-letter stream.
	DeadLetters DLQStats
	// Trim holds the running totals of trim.Run on this stream.
	Trim trim.Counters
	// Scheduled describes the messages scheduled for the stream and not
	// yet moved into it (pelican.Client.ScheduledStats); Due among them
	// staying high means no worker or Scheduler moves them.
	Scheduled pelican.ScheduledStats
}

// GroupStats are the figures of one consumer group.
type GroupStats struct {
	// Name is the group's name.
	Name string
	// Pending is the size of its PEL: messages delivered and not yet
	// acknowledged.
	Pending int64
	// OldestPendingID is the smallest ID in the PEL (empty when none);
	// OldestPendingAge is the time since that message was added (from the
	// time in its ID), OldestPendingIdle the time since its last delivery
	// (negative when it was given back with XNACK and awaits delivery).
	OldestPendingID   string
	OldestPendingAge  time.Duration
	OldestPendingIdle time.Duration
	// Lag is the number of entries not yet delivered to the group
	// (XINFO GROUPS lag). LagKnown is false when the server cannot tell,
	// after deletions in the stream; Lag is zero then.
	Lag      int64
	LagKnown bool
	// LastDeliveredID is the ID of the last entry delivered to the group.
	LastDeliveredID string
	// Consumers are the group's consumers, by name.
	Consumers []ConsumerStats
	// DeadConsumers counts the consumers not Alive.
	DeadConsumers int
	// Deliveries is the delivery-count histogram of the oldest pending
	// messages.
	Deliveries DeliveryHistogram
	// MostDelivered are the messages of the sample delivered the most
	// times (at most MostDeliveredCount of them, most first, only those
	// delivered more than once): the ones to look at.
	MostDelivered []PendingMessage
	// Redeliveries is the sum of the consumers' WorkerStats.Redeliveries
	// (as of their last heartbeats), and RedeliveryRate its increase per
	// second since the previous sample (a worker's counter that went down,
	// after a restart, counts from zero).
	Redeliveries   int64
	RedeliveryRate float64
	// GhostPending counts pending messages whose entries are no longer in
	// the stream (below its first entry: trimmed while pending); no
	// consumer can process them. GhostsCapped means the count stopped at
	// Options.GhostLimit.
	GhostPending int64
	GhostsCapped bool
}

// ConsumerStats are the figures of one consumer of a group.
type ConsumerStats struct {
	// Name is the consumer's name.
	Name string
	// Pending counts the messages it holds.
	Pending int64
	// Idle is the time since it last tried to read or claim.
	Idle time.Duration
	// Inactive is the time since it last read or claimed something
	// (negative if it never did); InactiveKnown is false on servers
	// before Redis 7.2, which do not report it.
	Inactive      time.Duration
	InactiveKnown bool
	// Worker is true for a Pelican worker (it sends heartbeats), and
	// LastHeartbeat is the time of its last one.
	Worker        bool
	LastHeartbeat time.Time
	// Alive means, for a Pelican worker, that its beats say it runs (it
	// has not stopped or missed three heartbeats; see
	// pelican.WorkerInfo.Alive); for another consumer, that it tried to
	// read within Options.AliveWithin.
	Alive bool
	// Stats are the worker's counters as of its last heartbeat (zero for
	// a consumer that is not a Pelican worker).
	Stats pelican.WorkerStats
}

// DeliveryBuckets are the upper bounds of DeliveryHistogram's buckets;
// a last bucket holds the larger counts.
var DeliveryBuckets = [...]int64{1, 2, 3, 5, 10}

// DeliveryHistogram counts pending messages by how many times they were
// delivered, over the oldest ones of a PEL (the sample).
type DeliveryHistogram struct {
	// Counts[i] counts the messages delivered more than
	// DeliveryBuckets[i-1] times and at most DeliveryBuckets[i] times;
	// the last counts those delivered more than 10 times.
	Counts [len(DeliveryBuckets) + 1]int64
	// Sampled is how many pending messages were counted: the oldest ones.
	// Partial means the PEL had more (it is a sample).
	Sampled int64
	Partial bool
	// Sum is the sum of their delivery counts, and Max the largest.
	Sum, Max int64
}

// add counts one message delivered n times.
func (h *DeliveryHistogram) add(n int64) {
	i := 0
	for i < len(DeliveryBuckets) && n > DeliveryBuckets[i] {
		i++
	}
	h.Counts[i]++
	h.Sampled++
	h.Sum += n
	h.Max = max(h.Max, n)
}

// MostDeliveredCount is how many messages GroupStats.MostDelivered lists
// at most.
const MostDeliveredCount = 5

// PendingMessage is one entry of a PEL.
type PendingMessage struct {
	// ID is the message's ID.
	ID string
	// Consumer holds it.
	Consumer string
	// Deliveries is its delivery count.
	Deliveries int64
	// Idle is the time since its last delivery.
	Idle time.Duration
}

// DLQStats are the figures of a dead-letter stream.
type DLQStats struct {
	// Stream is its key.
	Stream string
	// Exists is false when nothing was ever dead-lettered (no key).
	Exists bool
	// Length is the number of dead letters in it.
	Length int64
	// OldestID and NewestID are the IDs of its first and last entries,
	// and OldestAge the age of the first (from the time in its ID).
	OldestID, NewestID string
	OldestAge          time.Duration
	// EntriesAdded counts every dead letter ever added, and InflowRate
	// their number per second since the previous sample.
	EntriesAdded int64
	InflowRate   float64
	// Evicted counts dead letters a retention policy removed, and
	// EvictedBy the same by reason: dlq.Counters, from the hash
	// dlq.CountersKey(Stream). Zero and nil without retention.
	Evicted   int64
	EvictedBy map[string]int64
}

// Group returns the stats of the group named name, and false if the
// stream has no such group.
func (s StreamStats) Group(name string) (GroupStats, bool) {
	for _, g := range s.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return GroupStats{}, false
}
