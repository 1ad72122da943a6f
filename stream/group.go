package stream

import (
	"sort"
)

// InvalidEntriesRead marks a group whose entries-read counter is unknown.
const InvalidEntriesRead = -1

// Pending is one entry of a Pending Entries List: a message delivered to a
// consumer and not yet acknowledged. The same *Pending is in the group's
// PEL and in its owner's.
type Pending struct {
	ID ID
	// DeliveryTime is the Unix time in ms of the last delivery.
	DeliveryTime int64
	// DeliveryCount is how many times the message was delivered.
	DeliveryCount uint64
	// Consumer owns the entry. It is nil for an entry given back to the
	// group with XNACK, and transiently for one created by XCLAIM FORCE.
	Consumer *Consumer

	// nackSeq orders entries given back with XNACK (first given back,
	// first claimed); zero for an entry that is not in the NACK zone.
	nackSeq uint64
	// queued says the entry is in its group's claim queue, under
	// generation orderGen (see claimOrder).
	queued   bool
	orderGen uint32
}

// Nacked reports whether the entry was given back to the group with XNACK
// and has not been claimed since.
func (p *Pending) Nacked() bool { return p.nackSeq != 0 }

const btreeDegree = 16

func newPEL() *pelIndex { return &pelIndex{} }

// Consumer is a named member of a group.
type Consumer struct {
	Name string
	// SeenTime is the last time (Unix ms) the consumer tried to read or
	// claim.
	SeenTime int64
	// ActiveTime is the last time it was delivered or claimed something,
	// -1 if never.
	ActiveTime int64
	pel        *pelIndex
}

// PendingLen returns how many entries the consumer holds.
func (c *Consumer) PendingLen() int { return c.pel.Len() }

// AscendPending calls fn for the consumer's pending entries with IDs >=
// from, in ID order, until fn returns false.
func (c *Consumer) AscendPending(from ID, fn func(*Pending) bool) {
	c.pel.AscendFrom(from, fn)
}

// Group is a consumer group.
type Group struct {
	Name string
	// LastID is the last delivered ID.
	LastID ID
	// EntriesRead is the logical read counter of LastID, or
	// InvalidEntriesRead.
	EntriesRead int64
	pel         *pelIndex
	consumers   map[string]*Consumer

	// byTime orders the PEL for claiming (see claimOrder).
	byTime   claimOrder
	nackSeq  uint64 // last NACK sequence number handed out
	numNacks int    // entries currently in the NACK zone
}

// detach removes p from the claim order before one of its ordering fields
// changes; attach puts it back.
func (g *Group) detach(p *Pending) { g.byTime.remove(p) }

func (g *Group) attach(p *Pending) { g.byTime.add(p) }

// AscendClaimOrder calls fn for pending entries in claim order (see
// claimOrder) until fn returns false. fn must not change the PEL.
func (g *Group) AscendClaimOrder(fn func(*Pending) bool) {
	if !g.byTime.built {
		g.byTime.build(g.pel)
	}
	g.byTime.ascend(fn)
}

// NackedLen returns how many entries are in the NACK zone.
func (g *Group) NackedLen() int { return g.numNacks }

// Groups returns the stream's groups sorted by name.
func (s *Stream) Groups() []*Group { return s.groups }

// Group returns the named group, or nil.
func (s *Stream) Group(name []byte) *Group {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].Name >= string(name) })
	if i < len(s.groups) && s.groups[i].Name == string(name) {
		return s.groups[i]
	}
	return nil
}

// CreateGroup adds a group; it returns nil if one with that name exists.
func (s *Stream) CreateGroup(name []byte, lastID ID, entriesRead int64) *Group {
	i := sort.Search(len(s.groups), func(i int) bool { return s.groups[i].Name >= string(name) })
	if i < len(s.groups) && s.groups[i].Name == string(name) {
		return nil
	}
	g := &Group{
		Name:        string(name),
		LastID:      lastID,
		EntriesRead: entriesRead,
		pel:         newPEL(),
		consumers:   make(map[string]*Consumer),
	}
	s.groups = append(s.groups, nil)
	copy(s.groups[i+1:], s.groups[i:])
	s.groups[i] = g
	return g
}

// DestroyGroup removes the named group and reports whether it existed.
func (s *Stream) DestroyGroup(name []byte) bool {
	for i, g := range s.groups {
		if g.Name == string(name) {
			s.groups = append(s.groups[:i], s.groups[i+1:]...)
			return true
		}
	}
	return false
}

// Consumer returns the named consumer, or nil.
func (g *Group) Consumer(name []byte) *Consumer { return g.consumers[string(name)] }

// CreateConsumer adds a consumer seen at now; it returns nil if one with
// that name exists.
func (g *Group) CreateConsumer(name []byte, now int64) *Consumer {
	if _, ok := g.consumers[string(name)]; ok {
		return nil
	}
	c := &Consumer{Name: string(name), SeenTime: now, ActiveTime: -1, pel: newPEL()}
	g.consumers[c.Name] = c
	return c
}

// LookupOrCreateConsumer returns the named consumer, creating it if needed.
func (g *Group) LookupOrCreateConsumer(name []byte, now int64) (c *Consumer, created bool) {
	if c := g.consumers[string(name)]; c != nil {
		return c, false
	}
	return g.CreateConsumer(name, now), true
}

// NumConsumers returns the number of consumers.
func (g *Group) NumConsumers() int { return len(g.consumers) }

// Consumers returns the consumers sorted by name.
func (g *Group) Consumers() []*Consumer {
	cs := make([]*Consumer, 0, len(g.consumers))
	for _, c := range g.consumers {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	return cs
}

// DeleteConsumer removes a consumer and its pending entries from the group,
// returning how many entries it held.
func (g *Group) DeleteConsumer(c *Consumer) int {
	n := c.pel.Len()
	c.pel.Ascend(func(p *Pending) bool {
		g.pel.Delete(p.ID)
		g.detach(p)
		return true
	})
	delete(g.consumers, c.Name)
	return n
}

// PendingLen returns the size of the group's PEL.
func (g *Group) PendingLen() int { return g.pel.Len() }

// Pending returns the PEL entry for id, or nil.
func (g *Group) Pending(id ID) *Pending {
	return g.pel.Get(id)
}

// PendingBounds returns the smallest and largest pending IDs.
func (g *Group) PendingBounds() (first, last ID, ok bool) {
	if g.pel.Len() == 0 {
		return ID{}, ID{}, false
	}
	return g.pel.Min().ID, g.pel.Max().ID, true
}

// AscendPending calls fn for PEL entries with IDs >= from, in ID order,
// until fn returns false. fn must not change the PEL.
func (g *Group) AscendPending(from ID, fn func(*Pending) bool) {
	g.pel.AscendFrom(from, fn)
}

// Deliver records that id was delivered to c at now, as XREADGROUP does for
// each entry it returns: a new PEL entry with one delivery, or, if the entry
// is already pending (the group's last ID was moved back), a reassignment
// to c with the delivery count reset to one. It also marks c active.
func (g *Group) Deliver(id ID, c *Consumer, now int64) *Pending {
	p := g.Pending(id)
	if p == nil {
		p = &Pending{ID: id}
		g.pel.Insert(p)
	} else {
		g.detach(p)
		if p.Consumer != nil {
			p.Consumer.pel.Delete(p.ID)
		}
		g.leaveNackZone(p)
	}
	p.Consumer = c
	p.DeliveryTime = now
	p.DeliveryCount = 1
	c.pel.Insert(p)
	g.attach(p)
	c.ActiveTime = now
	return p
}

func (g *Group) leaveNackZone(p *Pending) {
	if p.nackSeq != 0 {
		p.nackSeq = 0
		g.numNacks--
	}
}

// Redeliver records that a pending entry was served again from its
// owner's history (XREADGROUP with an explicit ID).
func (g *Group) Redeliver(p *Pending, now int64) {
	g.detach(p)
	p.DeliveryTime = now
	p.DeliveryCount = incrCount(p.DeliveryCount)
	g.attach(p)
}

// maxDeliveryCount is the largest delivery count a client can be told
// (Redis replies it as a signed 64-bit integer).
const maxDeliveryCount = 1<<63 - 1

// incrCount adds one delivery, saturating at maxDeliveryCount (which
// XNACK FATAL sets).
func incrCount(n uint64) uint64 {
	if n >= maxDeliveryCount {
		return maxDeliveryCount
	}
	return n + 1
}

// IncrCount returns n plus one delivery, saturating like the engine does.
func IncrCount(n uint64) uint64 { return incrCount(n) }

// Ack removes id from the PEL and reports whether it was pending.
func (g *Group) Ack(id ID) bool {
	p := g.pel.Delete(id)
	if p == nil {
		return false
	}
	g.detach(p)
	g.leaveNackZone(p)
	if p.Consumer != nil {
		p.Consumer.pel.Delete(p.ID)
	}
	return true
}

// CreatePending adds an unowned PEL entry for id, counted as delivered
// once, as XCLAIM FORCE does before assigning it. The caller must Assign
// it.
func (g *Group) CreatePending(id ID) *Pending {
	p := &Pending{ID: id, DeliveryCount: 1}
	g.pel.Insert(p)
	g.attach(p)
	return p
}

// Assign gives p to c with the given delivery time and count, moving it
// from its previous owner, and marks c active at now. It is the state
// change of XCLAIM, XAUTOCLAIM and the claiming part of XREADGROUP CLAIM.
func (g *Group) Assign(p *Pending, c *Consumer, deliveryTime int64, count uint64, now int64) {
	g.detach(p)
	if p.Consumer != c {
		if p.Consumer != nil {
			p.Consumer.pel.Delete(p.ID)
		}
		p.Consumer = c
		c.pel.Insert(p)
	}
	g.leaveNackZone(p)
	p.DeliveryTime = deliveryTime
	p.DeliveryCount = count
	g.attach(p)
	c.ActiveTime = now
}

// Advance moves the group's last delivered ID forward to id as a read
// through it does, keeping EntriesRead valid when it can.
func (g *Group) Advance(s *Stream, id ID) {
	if id.Compare(g.LastID) <= 0 {
		return
	}
	if g.EntriesRead != InvalidEntriesRead && !s.HasTombstonesIn(g.LastID, MaxID) {
		g.EntriesRead++
	} else if s.entriesAdded > 0 {
		g.EntriesRead = s.EstimateEntriesRead(id)
	}
	g.LastID = id
}

// Lag returns the number of entries not yet delivered to the group, and
// false when it cannot be known because of deletions.
func (g *Group) Lag(s *Stream) (int64, bool) {
	switch {
	case s.entriesAdded == 0:
		return 0, true
	case s.length == 0:
		return 0, true
	case g.LastID.Less(s.firstID) && s.maxDeletedID.Less(s.firstID):
		return int64(s.length), true
	case g.EntriesRead != InvalidEntriesRead && !s.HasTombstonesIn(g.LastID, MaxID):
		return int64(s.entriesAdded) - g.EntriesRead, true
	}
	if er := s.EstimateEntriesRead(g.LastID); er != InvalidEntriesRead {
		return int64(s.entriesAdded) - er, true
	}
	return 0, false
}

// EstimateEntriesRead returns the logical read counter of id (its distance
// from the first entry ever added), or InvalidEntriesRead when deletions
// make it unknowable.
func (s *Stream) EstimateEntriesRead(id ID) int64 {
	if s.entriesAdded == 0 {
		return 0
	}
	if s.length == 0 && id.Compare(s.lastID) <= 0 {
		return int64(s.entriesAdded)
	}
	if !id.IsZero() && id.Less(s.maxDeletedID) {
		return InvalidEntriesRead
	}
	switch c := id.Compare(s.lastID); {
	case c == 0:
		return int64(s.entriesAdded)
	case c > 0:
		return InvalidEntriesRead
	}
	if s.maxDeletedID.IsZero() || s.maxDeletedID.Less(s.firstID) {
		switch c := id.Compare(s.firstID); {
		case c < 0:
			return int64(s.entriesAdded - s.length)
		case c == 0:
			return int64(s.entriesAdded-s.length) + 1
		}
	}
	return InvalidEntriesRead
}
