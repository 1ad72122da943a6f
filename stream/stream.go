package stream

import (
	"errors"
	"sort"

	"github.com/pelicanhq/pelican/internal/listpack"
)

// Entry flags, stored as the first element of every entry in a node.
const (
	flagNone       = 0
	flagDeleted    = 1
	flagSameFields = 2
)

// Size limits that mirror Redis.
const (
	// ListpackMaxSize bounds one node, and the total size of the fields
	// and values of one entry (STREAM_LISTPACK_MAX_SIZE).
	ListpackMaxSize = 1 << 30
	// nodeSlack is the room a new node gets beyond NodeMaxBytes, so that
	// the entry that fills it rarely makes it grow. A full node is copied
	// to an exact-size buffer (see Append), and because the two sizes fall
	// in different allocator size classes, the buffers of growing tail
	// nodes never fragment the memory of sealed ones.
	nodeSlack = 1024
	// nodeMaxPrealloc caps the first allocation of a node.
	nodeMaxPrealloc = 64 * 1024
)

// Errors returned by Stream methods. The engine maps them to Redis's reply
// texts.
var (
	// ErrIDTooSmall means the ID is equal to or smaller than the stream's
	// last ID, or the sequence would overflow.
	ErrIDTooSmall = errors.New("stream: ID equal or smaller than the last ID")
	// ErrTooLarge means an entry's fields and values exceed ListpackMaxSize.
	ErrTooLarge = errors.New("stream: elements are too large to be stored")
)

// Limits decide when the tail node is full and a new one is started:
// Redis's stream-node-max-bytes and stream-node-max-entries.
type Limits struct {
	// NodeMaxBytes is the byte size at which a node is full. Zero means
	// ListpackMaxSize.
	NodeMaxBytes int
	// NodeMaxEntries is the number of entries, deleted ones included, at
	// which a node is full. Zero means no limit.
	NodeMaxEntries int
}

// DefaultLimits are Redis's defaults.
var DefaultLimits = Limits{NodeMaxBytes: 4096, NodeMaxEntries: 100}

// node is one listpack of entries. Its key, master, is the ID of the first
// entry ever added to it; entry IDs are stored as deltas from it.
//
// Node layout (elements of the listpack):
//
//	master entry: count | deleted | num-fields | field_1 ... field_N | 0
//	each entry:   flags | ms-delta | seq-delta | [num-fields | field value ...] | lp-count
//	              (with flagSameFields only the values are stored)
//
// count is the number of live entries and deleted the number of entries
// flagged deleted; lp-count is the number of elements of the entry before
// it, so that a node can be walked backwards.
type node struct {
	master ID
	lp     []byte
	// gen is the snapshot generation that owns lp: when it differs from
	// the stream's snapGen, a Snapshot shares lp and it must be copied
	// before it is changed in place (see ownNode).
	gen uint64
}

// Stream is an append-only log of entries with consumer groups.
//
// Invariants: nodes are sorted by master ID and every node holds at least
// one live entry; length is the number of live entries; lastID is the
// largest ID ever added or set with SetID (never decreases unless SetID
// says so); firstID is the first live entry's ID, or 0-0 when empty.
type Stream struct {
	nodes []node
	// nodeBytes is the total length of the nodes' listpacks, kept as they
	// change so that MemoryUsage costs no walk over the nodes.
	nodeBytes int
	// radixNodes caches RadixTreeNodes; 0 when the nodes changed since.
	radixNodes   int
	length       uint64
	lastID       ID
	firstID      ID
	maxDeletedID ID
	entriesAdded uint64
	groups       []*Group // sorted by name

	idmpDuration, idmpMaxSize int64
	idmp                      *idmpState // nil until a producer uses IDMP

	// snapGen counts the snapshots taken; nodes whose gen differs share
	// their listpack with one (see Snapshot).
	snapGen uint64
}

// New returns an empty stream.
func New() *Stream {
	return &Stream{idmpDuration: IdmpDefaultDuration, idmpMaxSize: IdmpDefaultMaxSize}
}

// Len returns the number of entries.
func (s *Stream) Len() uint64 { return s.length }

// LastID returns the last generated ID.
func (s *Stream) LastID() ID { return s.lastID }

// FirstID returns the ID of the first entry, 0-0 if the stream is empty.
func (s *Stream) FirstID() ID { return s.firstID }

// MaxDeletedID returns the largest ID ever deleted.
func (s *Stream) MaxDeletedID() ID { return s.maxDeletedID }

// EntriesAdded returns the number of entries ever added.
func (s *Stream) EntriesAdded() uint64 { return s.entriesAdded }

// Nodes returns the number of nodes (Redis's radix-tree-keys).
func (s *Stream) Nodes() int { return len(s.nodes) }

// NextID returns the ID that "*" resolves to at time now (Unix ms).
func (s *Stream) NextID(now int64) (ID, error) {
	ms := uint64(now)
	if now < 0 {
		ms = 0
	}
	if ms > s.lastID.Ms {
		return ID{ms, 0}, nil
	}
	id, ok := s.lastID.Incr()
	if !ok {
		return ID{}, ErrIDTooSmall
	}
	return id, nil
}

// ResolveID returns the ID a new entry gets: the "*" ID at time now when p
// is nil, the given ID, or for "<ms>-*" the next sequence number of ms. It
// fails with ErrIDTooSmall when the ID would not be greater than LastID.
func (s *Stream) ResolveID(p *ParsedID, now int64) (ID, error) {
	var id ID
	switch {
	case p == nil:
		var err error
		if id, err = s.NextID(now); err != nil {
			return ID{}, err
		}
	case p.SeqGiven:
		id = p.ID
	case s.lastID.Ms == p.ID.Ms:
		if s.lastID.Seq == ^uint64(0) {
			return ID{}, ErrIDTooSmall
		}
		id = ID{p.ID.Ms, s.lastID.Seq + 1}
	default:
		id = p.ID
	}
	if id.Compare(s.lastID) <= 0 {
		return ID{}, ErrIDTooSmall
	}
	return id, nil
}

// Append adds an entry with the given ID, which must be greater than
// LastID, and fields and values alternating in fv.
func (s *Stream) Append(id ID, fv [][]byte, lim Limits) error {
	if id.Compare(s.lastID) <= 0 {
		return ErrIDTooSmall
	}
	total := 0
	for _, b := range fv {
		total += len(b)
	}
	if total > ListpackMaxSize {
		return ErrTooLarge
	}
	numFields := len(fv) / 2

	var tail *node
	if n := len(s.nodes); n > 0 {
		tail = &s.nodes[n-1]
		maxBytes := lim.NodeMaxBytes
		if maxBytes <= 0 || maxBytes > ListpackMaxSize {
			maxBytes = ListpackMaxSize
		}
		full := len(tail.lp)+total >= maxBytes
		if !full && lim.NodeMaxEntries > 0 {
			p := listpack.First(tail.lp)
			count := listpack.GetInt(tail.lp, p) + listpack.GetInt(tail.lp, listpack.Next(tail.lp, p))
			full = count >= int64(lim.NodeMaxEntries)
		}
		if full {
			tail.lp = listpack.ShrinkToFit(tail.lp)
			tail = nil
		} else {
			tail = s.ownNode(n - 1)
		}
	}

	flags := int64(flagNone)
	if tail == nil {
		prealloc := nodeMaxPrealloc
		if lim.NodeMaxBytes > 0 && lim.NodeMaxBytes+nodeSlack < prealloc {
			prealloc = lim.NodeMaxBytes + nodeSlack
		}
		lp := listpack.New(prealloc)
		lp = listpack.AppendInt(lp, 1) // count: the entry being added
		lp = listpack.AppendInt(lp, 0) // deleted
		lp = listpack.AppendInt(lp, int64(numFields))
		for i := 0; i < numFields; i++ {
			lp = listpack.Append(lp, fv[2*i])
		}
		lp = listpack.AppendInt(lp, 0) // master entry terminator
		s.nodes = append(s.nodes, node{master: id, lp: lp, gen: s.snapGen})
		s.nodeBytes += len(lp)
		s.radixNodes = 0
		tail = &s.nodes[len(s.nodes)-1]
		flags = flagSameFields
	} else {
		lp := tail.lp
		p := listpack.First(lp)
		count := listpack.GetInt(lp, p)
		lp, _ = listpack.ReplaceInt(lp, p, count+1)
		p = listpack.Next(lp, p) // deleted
		p = listpack.Next(lp, p) // num-fields
		if listpack.GetInt(lp, p) == int64(numFields) {
			same := true
			for i := 0; i < numFields; i++ {
				p = listpack.Next(lp, p)
				if !listpack.Equal(lp, p, fv[2*i]) {
					same = false
					break
				}
			}
			if same {
				flags = flagSameFields
			}
		}
		s.setListpack(tail, lp)
	}

	lp := tail.lp
	lp = listpack.AppendInt(lp, flags)
	lp = listpack.AppendInt(lp, int64(id.Ms-tail.master.Ms))
	lp = listpack.AppendInt(lp, int64(id.Seq-tail.master.Seq))
	if flags&flagSameFields == 0 {
		lp = listpack.AppendInt(lp, int64(numFields))
	}
	for i := 0; i < numFields; i++ {
		if flags&flagSameFields == 0 {
			lp = listpack.Append(lp, fv[2*i])
		}
		lp = listpack.Append(lp, fv[2*i+1])
	}
	lpCount := int64(numFields) + 3
	if flags&flagSameFields == 0 {
		lpCount += int64(numFields) + 1
	}
	lp = listpack.AppendInt(lp, lpCount)
	s.setListpack(tail, lp)

	s.length++
	s.entriesAdded++
	s.lastID = id
	if s.length == 1 {
		s.firstID = id
	}
	return nil
}

// nodeHeader returns a node's live count, deleted count, number of master
// fields and the position of its first master field.
func nodeHeader(lp []byte) (count, deleted, masterFields int64, firstField int) {
	p := listpack.First(lp)
	count = listpack.GetInt(lp, p)
	p = listpack.Next(lp, p)
	deleted = listpack.GetInt(lp, p)
	p = listpack.Next(lp, p)
	masterFields = listpack.GetInt(lp, p)
	return count, deleted, masterFields, listpack.Next(lp, p)
}

// seekNode returns the index of the last node whose master ID is <= id, or
// -1 if every node starts after id.
func (s *Stream) seekNode(id ID) int {
	i := sort.Search(len(s.nodes), func(i int) bool { return id.Less(s.nodes[i].master) })
	return i - 1
}

// setListpack replaces node n's listpack with lp, keeping nodeBytes.
func (s *Stream) setListpack(n *node, lp []byte) {
	s.nodeBytes += len(lp) - len(n.lp)
	n.lp = lp
}

// removeNode drops node i.
func (s *Stream) removeNode(i int) {
	s.nodeBytes -= len(s.nodes[i].lp)
	copy(s.nodes[i:], s.nodes[i+1:])
	s.nodes[len(s.nodes)-1] = node{}
	s.nodes = s.nodes[:len(s.nodes)-1]
	s.radixNodes = 0
}

// markDeleted flags the entry whose flags element is at position flagsPos
// of node ni as deleted and updates the node counters, removing the node
// when it has no live entry left. It updates length but not firstID or
// maxDeletedID.
func (s *Stream) markDeleted(ni, flagsPos int) {
	s.length--
	if listpack.GetInt(s.nodes[ni].lp, listpack.First(s.nodes[ni].lp)) == 1 {
		s.removeNode(ni)
		return
	}
	n := s.ownNode(ni)
	lp := n.lp
	flags := listpack.GetInt(lp, flagsPos)
	lp, _ = listpack.ReplaceInt(lp, flagsPos, flags|flagDeleted)
	p := listpack.First(lp)
	count := listpack.GetInt(lp, p)
	lp, p = listpack.ReplaceInt(lp, p, count-1)
	deleted := listpack.GetInt(lp, p)
	lp, _ = listpack.ReplaceInt(lp, p, deleted+1)
	s.setListpack(n, lp)
}

// Delete removes the entry with the given ID and reports whether it
// existed. Like XDEL, it records the largest deleted ID and keeps FirstID
// current.
func (s *Stream) Delete(id ID) bool {
	var it Iterator
	it.Reset(s, id, id, false)
	if !it.Next() {
		return false
	}
	s.markDeleted(it.ni, it.flagsPos)
	if id.Compare(s.maxDeletedID) > 0 {
		s.maxDeletedID = id
	}
	switch {
	case s.length == 0:
		s.firstID = ID{}
	case id == s.firstID:
		s.firstID = s.edgeID(true)
	}
	return true
}

// Exists reports whether a live entry with the given ID exists.
func (s *Stream) Exists(id ID) bool {
	var it Iterator
	it.Reset(s, id, id, false)
	return it.Next()
}

// edgeID returns the first (or last) live entry's ID; for an empty stream
// the maximum ID when first is set, 0-0 otherwise.
func (s *Stream) edgeID(first bool) ID {
	var it Iterator
	it.Reset(s, MinID, MaxID, !first)
	if it.Next() {
		return it.ID()
	}
	if first {
		return MaxID
	}
	return MinID
}

// LastValidID returns the ID of the last live entry, 0-0 if none.
func (s *Stream) LastValidID() ID { return s.edgeID(false) }

// FirstValidID returns the ID of the first live entry, or the maximum ID
// when the stream is empty.
func (s *Stream) FirstValidID() ID { return s.edgeID(true) }

// SetID implements XSETID's state change: the last ID and, when given, the
// entries-added counter and the largest deleted ID. Validation is the
// caller's.
func (s *Stream) SetID(last ID, entriesAdded int64, maxDeleted ID) {
	s.lastID = last
	if entriesAdded >= 0 {
		s.entriesAdded = uint64(entriesAdded)
	}
	if !maxDeleted.IsZero() {
		s.maxDeletedID = maxDeleted
	}
}

// HasTombstonesIn reports whether entries were deleted between start and
// end inclusive (judged from the largest deleted ID, as Redis does).
func (s *Stream) HasTombstonesIn(start, end ID) bool {
	if s.length == 0 || s.maxDeletedID.IsZero() {
		return false
	}
	return start.Compare(s.maxDeletedID) <= 0 && s.maxDeletedID.Compare(end) <= 0
}

// Estimated costs of the structures beside the entries, for MemoryUsage:
// what one node, consumer group, consumer, pending entry and remembered
// IDMP ID take with their index entries.
const (
	nodeCost     = 40
	groupCost    = 192
	consumerCost = 128
	pendingCost  = 96
	idmpCost     = 64
)

// MemoryUsage estimates the bytes the stream occupies: its entries, its
// nodes, and its consumer groups with their consumers and pending
// entries. It takes time proportional to the number of groups, not of
// entries, so that it can be asked after every change.
func (s *Stream) MemoryUsage() int {
	n := 64 + cap(s.nodes)*nodeCost + s.nodeBytes
	for _, g := range s.groups {
		n += groupCost + len(g.Name) + len(g.consumers)*consumerCost + g.pel.Len()*pendingCost
	}
	if s.idmp != nil {
		for pid, p := range s.idmp.producers {
			n += len(pid) + len(p.order)*idmpCost
		}
	}
	return n
}
