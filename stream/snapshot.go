package stream

import "sort"

// Snapshots: a point-in-time view of a stream that can be read while the
// stream goes on changing, for writing an RDB file outside the engine's
// lock.
//
// Entries are not copied. A snapshot shares the listpack of every node
// with the live stream, and the stream copies a node's listpack before it
// first changes it in place after a snapshot (ownNode): Append to the
// tail node, Delete and the policy deletions that flag an entry, and
// exact trimming inside the first node. Nodes removed whole are only
// dropped from the live stream's node list, which the snapshot does not
// share. Taking a snapshot is therefore O(nodes) for the entries, plus a
// flat copy of the consumer groups (O(pending entries + consumers)) and
// of the IDMP state.

// Snapshot is an immutable view of a stream: everything needed to write
// it out or rebuild it with Restore. Nothing in it may be modified; the
// listpacks are shared with the live stream.
type Snapshot struct {
	// Nodes are the stream's listpacks in ascending master ID order.
	Nodes []NodeSnapshot
	// Length is the number of entries.
	Length uint64
	// LastID, FirstID, MaxDeletedID and EntriesAdded are the stream's
	// metadata (see the Stream methods of those names).
	LastID, FirstID, MaxDeletedID ID
	EntriesAdded                  uint64
	// Groups are the consumer groups, sorted by name.
	Groups []GroupSnapshot
	// IdmpDuration and IdmpMaxSize are the stream's IDMP settings
	// (XCFGSET).
	IdmpDuration, IdmpMaxSize int64
	// Idmp is the producers' deduplication state, nil when no producer
	// ever used IDMP.
	Idmp *IdmpSnapshot
}

// NodeSnapshot is one node: the ID its entries are delta-encoded against
// and its listpack, in Redis's stream node layout. Listpack's capacity is
// its length, so that appending to it cannot reach shared memory.
type NodeSnapshot struct {
	Master   ID
	Listpack []byte
}

// GroupSnapshot is a consumer group.
type GroupSnapshot struct {
	Name        string
	LastID      ID
	EntriesRead int64
	// NackSeq is the last NACK sequence number the group handed out.
	NackSeq uint64
	// PEL is the pending entries list in ascending ID order.
	PEL []PendingSnapshot
	// Consumers are the group's consumers, sorted by name.
	Consumers []ConsumerSnapshot
}

// PendingSnapshot is one entry of a group's PEL.
type PendingSnapshot struct {
	ID            ID
	DeliveryTime  int64
	DeliveryCount uint64
	// Owner is the index in the group's Consumers of the consumer that
	// holds the entry, -1 for an entry given back with XNACK.
	Owner int
	// NackSeq orders the entries given back with XNACK (smaller first);
	// zero for the others.
	NackSeq uint64
}

// ConsumerSnapshot is a consumer; its pending entries are the PEL entries
// whose Owner is its index (see GroupSnapshot.ConsumerPELs).
type ConsumerSnapshot struct {
	Name                 string
	SeenTime, ActiveTime int64
}

// IdmpSnapshot is a stream's IDMP state.
type IdmpSnapshot struct {
	// Producers are sorted by Pid.
	Producers []IdmpProducerSnapshot
	// Added counts the entries ever added with IDMP; Duplicates the XADDs
	// answered with an earlier entry.
	Added, Duplicates uint64
}

// IdmpProducerSnapshot is one producer's remembered idempotent IDs, in
// the order they were added.
type IdmpProducerSnapshot struct {
	Pid     string
	Records []IdmpRecord
}

// IdmpRecord is one remembered idempotent ID and the entry it added.
type IdmpRecord struct {
	IID string
	ID  ID
}

// Snapshot returns an immutable view of the stream. It is meant to be
// taken under the lock that guards s and read without it.
func (s *Stream) Snapshot() *Snapshot {
	s.snapGen++
	snap := &Snapshot{
		Nodes:        make([]NodeSnapshot, len(s.nodes)),
		Length:       s.length,
		LastID:       s.lastID,
		FirstID:      s.firstID,
		MaxDeletedID: s.maxDeletedID,
		EntriesAdded: s.entriesAdded,
		IdmpDuration: s.idmpDuration,
		IdmpMaxSize:  s.idmpMaxSize,
	}
	for i, n := range s.nodes {
		snap.Nodes[i] = NodeSnapshot{Master: n.master, Listpack: n.lp[:len(n.lp):len(n.lp)]}
	}
	if len(s.groups) > 0 {
		snap.Groups = make([]GroupSnapshot, len(s.groups))
		for i, g := range s.groups {
			snap.Groups[i] = g.snapshot()
		}
	}
	if s.idmp != nil {
		snap.Idmp = s.idmp.snapshot()
	}
	return snap
}

// ownNode returns node i, first copying its listpack if a snapshot shares
// it. Every change to a node's bytes in place goes through it.
func (s *Stream) ownNode(i int) *node {
	n := &s.nodes[i]
	if n.gen != s.snapGen {
		lp := make([]byte, len(n.lp), cap(n.lp))
		copy(lp, n.lp)
		n.lp, n.gen = lp, s.snapGen
	}
	return n
}

func (g *Group) snapshot() GroupSnapshot {
	gs := GroupSnapshot{
		Name:        g.Name,
		LastID:      g.LastID,
		EntriesRead: g.EntriesRead,
		NackSeq:     g.nackSeq,
		Consumers:   make([]ConsumerSnapshot, 0, len(g.consumers)),
	}
	cs := g.Consumers()
	index := make(map[*Consumer]int, len(cs))
	for i, c := range cs {
		gs.Consumers = append(gs.Consumers, ConsumerSnapshot{Name: c.Name, SeenTime: c.SeenTime, ActiveTime: c.ActiveTime})
		index[c] = i
	}
	if n := g.pel.Len(); n > 0 {
		gs.PEL = make([]PendingSnapshot, 0, n)
		var last *Consumer
		owner := -1
		g.pel.Ascend(func(p *Pending) bool {
			if p.Consumer != last {
				last, owner = p.Consumer, -1
				if p.Consumer != nil {
					owner = index[p.Consumer]
				}
			}
			gs.PEL = append(gs.PEL, PendingSnapshot{
				ID: p.ID, DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount,
				Owner: owner, NackSeq: p.nackSeq,
			})
			return true
		})
	}
	return gs
}

func (st *idmpState) snapshot() *IdmpSnapshot {
	is := &IdmpSnapshot{Added: st.added, Duplicates: st.duplicates}
	for pid, p := range st.producers {
		ps := IdmpProducerSnapshot{Pid: pid, Records: make([]IdmpRecord, len(p.order))}
		for i, r := range p.order {
			ps.Records[i] = IdmpRecord{IID: r.iid, ID: r.id}
		}
		is.Producers = append(is.Producers, ps)
	}
	sort.Slice(is.Producers, func(i, j int) bool { return is.Producers[i].Pid < is.Producers[j].Pid })
	return is
}

// ConsumerPELs returns, for each consumer of the group in order, the IDs
// of the entries it holds in ascending order.
func (g *GroupSnapshot) ConsumerPELs() [][]ID {
	counts := make([]int, len(g.Consumers))
	for _, p := range g.PEL {
		if p.Owner >= 0 {
			counts[p.Owner]++
		}
	}
	out := make([][]ID, len(g.Consumers))
	for i, n := range counts {
		out[i] = make([]ID, 0, n)
	}
	for _, p := range g.PEL {
		if p.Owner >= 0 {
			out[p.Owner] = append(out[p.Owner], p.ID)
		}
	}
	return out
}

// Nacked returns the indexes in PEL of the entries given back with XNACK,
// in the order they were given back.
func (g *GroupSnapshot) Nacked() []int {
	var out []int
	for i, p := range g.PEL {
		if p.Owner < 0 {
			out = append(out, i)
		}
	}
	sort.Slice(out, func(a, b int) bool { return g.PEL[out[a]].NackSeq < g.PEL[out[b]].NackSeq })
	return out
}
