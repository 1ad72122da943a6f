package stream

import (
	"errors"
	"fmt"

	"github.com/pelicanhq/pelican/internal/listpack"
)

// ErrCorrupt means a snapshot given to Restore contradicts itself or the
// stream invariants: a malformed node, entries out of order, counters
// that disagree, a PEL entry without an owner.
var ErrCorrupt = errors.New("stream: corrupt snapshot")

// Restore builds a stream from a snapshot, such as one read from an RDB
// file. It takes the snapshot's listpacks over (the caller must not use
// them afterwards) and checks everything a file could get wrong, so that
// a corrupt snapshot is an error wrapping ErrCorrupt and never a panic
// later.
func Restore(snap *Snapshot) (*Stream, error) {
	s := &Stream{
		length:       snap.Length,
		lastID:       snap.LastID,
		firstID:      snap.FirstID,
		maxDeletedID: snap.MaxDeletedID,
		entriesAdded: snap.EntriesAdded,
		idmpDuration: snap.IdmpDuration,
		idmpMaxSize:  snap.IdmpMaxSize,
	}
	if s.idmpDuration < 1 || s.idmpDuration > IdmpMaxDuration || s.idmpMaxSize < 1 || s.idmpMaxSize > IdmpMaxMaxSize {
		return nil, fmt.Errorf("%w: IDMP settings %d seconds, %d IDs", ErrCorrupt, s.idmpDuration, s.idmpMaxSize)
	}
	s.nodes = make([]node, len(snap.Nodes))
	var prev ID
	var total uint64
	for i, n := range snap.Nodes {
		// checkNode validates the listpack and walks every entry, so the
		// whole-stream Validate need not walk them again: what is left
		// to check is how the nodes add up.
		first, last, err := checkNode(n.Listpack, n.Master)
		if err != nil {
			return nil, fmt.Errorf("%w: node %d (%v): %v", ErrCorrupt, i, n.Master, err)
		}
		if i > 0 && (!prev.Less(first) || !snap.Nodes[i-1].Master.Less(n.Master)) {
			return nil, fmt.Errorf("%w: node %d (%v): entry %v does not follow %v", ErrCorrupt, i, n.Master, first, prev)
		}
		prev = last
		count, _, _, _ := nodeHeader(n.Listpack)
		total += uint64(count)
		s.nodes[i] = node{master: n.Master, lp: n.Listpack}
		s.nodeBytes += len(n.Listpack)
	}
	if total != s.length {
		return nil, fmt.Errorf("%w: length %d, but the nodes hold %d entries", ErrCorrupt, s.length, total)
	}
	wantFirst := ID{}
	if s.length > 0 {
		wantFirst = s.FirstValidID()
	}
	if s.firstID != wantFirst {
		return nil, fmt.Errorf("%w: first ID %v, want %v", ErrCorrupt, s.firstID, wantFirst)
	}
	if s.length > 0 && s.lastID.Less(s.LastValidID()) {
		return nil, fmt.Errorf("%w: last ID %v is before the last entry %v", ErrCorrupt, s.lastID, s.LastValidID())
	}
	for i := range snap.Groups {
		gs := &snap.Groups[i]
		if i > 0 && snap.Groups[i-1].Name >= gs.Name {
			return nil, fmt.Errorf("%w: groups not sorted by name, or %q twice", ErrCorrupt, gs.Name)
		}
		g, err := restoreGroup(gs)
		if err != nil {
			return nil, fmt.Errorf("%w: group %q: %v", ErrCorrupt, gs.Name, err)
		}
		s.groups = append(s.groups, g)
	}
	if snap.Idmp != nil {
		s.idmp = restoreIdmp(snap.Idmp)
	}
	return s, nil
}

// restoreGroup rebuilds one group; it does not wrap its errors.
func restoreGroup(gs *GroupSnapshot) (*Group, error) {
	g := &Group{
		Name:        gs.Name,
		LastID:      gs.LastID,
		EntriesRead: gs.EntriesRead,
		pel:         newPEL(),
		consumers:   make(map[string]*Consumer, len(gs.Consumers)),
		nackSeq:     gs.NackSeq,
	}
	cs := make([]*Consumer, len(gs.Consumers))
	for i, c := range gs.Consumers {
		if _, dup := g.consumers[c.Name]; dup {
			return nil, fmt.Errorf("consumer %q twice", c.Name)
		}
		cs[i] = &Consumer{Name: c.Name, SeenTime: c.SeenTime, ActiveTime: c.ActiveTime, pel: newPEL()}
		g.consumers[c.Name] = cs[i]
	}
	for i, ps := range gs.PEL {
		if i > 0 && !gs.PEL[i-1].ID.Less(ps.ID) {
			return nil, fmt.Errorf("pending %v out of order", ps.ID)
		}
		p := &Pending{ID: ps.ID, DeliveryTime: ps.DeliveryTime, DeliveryCount: ps.DeliveryCount}
		switch {
		case ps.Owner >= len(cs) || ps.Owner < -1:
			return nil, fmt.Errorf("pending %v: no consumer %d", ps.ID, ps.Owner)
		case ps.Owner == -1 && ps.NackSeq == 0:
			return nil, fmt.Errorf("pending %v has no owner and was not given back", ps.ID)
		case ps.Owner >= 0 && ps.NackSeq != 0:
			return nil, fmt.Errorf("pending %v is owned and given back", ps.ID)
		case ps.Owner >= 0:
			p.Consumer = cs[ps.Owner]
			p.Consumer.pel.Insert(p)
		default:
			p.nackSeq = ps.NackSeq
			g.numNacks++
			g.nackSeq = max(g.nackSeq, ps.NackSeq)
		}
		g.pel.Insert(p)
	}
	return g, nil
}

func restoreIdmp(is *IdmpSnapshot) *idmpState {
	st := &idmpState{added: is.Added, duplicates: is.Duplicates}
	for _, ps := range is.Producers {
		if len(ps.Records) == 0 {
			continue
		}
		if st.producers == nil {
			st.producers = make(map[string]*idmpProducer)
		}
		p := &idmpProducer{ids: make(map[string]ID, len(ps.Records))}
		for _, r := range ps.Records {
			p.ids[r.IID] = r.ID
			p.order = append(p.order, idmpRecord{r.IID, r.ID})
		}
		st.producers[ps.Pid] = p
	}
	return st
}

// checkNode walks a node's listpack as a stream node and returns the IDs
// of its first and last entries (deleted ones included). It checks what
// the rest of the package takes for granted: the listpack is well formed,
// every number is an integer, entries are in ascending ID order, each
// entry's element count (lp-count) is right and the header's counters
// match the entries.
func checkNode(lp []byte, master ID) (first, last ID, err error) {
	if !listpack.Validate(lp) {
		return first, last, errors.New("malformed listpack")
	}
	w := nodeWalker{lp: lp, p: listpack.First(lp)}
	count := w.int()
	deleted := w.int()
	mf := w.int()
	if w.err == nil && (count < 1 || deleted < 0 || mf < 0 || mf > int64(len(lp))) {
		w.fail("bad header %d live, %d deleted, %d master fields", count, deleted, mf)
	}
	for i := int64(0); i < mf && w.err == nil; i++ {
		w.skip()
	}
	if w.int() != 0 && w.err == nil {
		w.fail("master entry not terminated by 0")
	}
	var live, dead int64
	for n := 0; w.err == nil && w.p >= 0; n++ {
		flags := w.int()
		id := ID{master.Ms + uint64(w.int()), master.Seq + uint64(w.int())}
		if w.err != nil {
			break
		}
		if flags&^(flagDeleted|flagSameFields) != 0 {
			w.fail("entry %v: flags %d", id, flags)
			break
		}
		if n > 0 && !last.Less(id) {
			w.fail("entry %v does not follow %v", id, last)
			break
		}
		if n == 0 {
			first = id
		}
		last = id
		elems := mf + 3
		fields := mf
		if flags&flagSameFields == 0 {
			fields = w.int()
			if w.err == nil && (fields < 0 || fields > int64(len(lp))) {
				w.fail("entry %v: %d fields", id, fields)
			}
			elems = 2*fields + 4
			for i := int64(0); i < fields && w.err == nil; i++ {
				w.skip()
				w.skip()
			}
		} else {
			for i := int64(0); i < fields && w.err == nil; i++ {
				w.skip()
			}
		}
		if lpCount := w.int(); w.err == nil && lpCount != elems {
			w.fail("entry %v: lp-count %d, want %d", id, lpCount, elems)
		}
		if flags&flagDeleted != 0 {
			dead++
		} else {
			live++
		}
	}
	if w.err == nil && (live != count || dead != deleted) {
		w.fail("header says %d live and %d deleted, found %d and %d", count, deleted, live, dead)
	}
	if w.err == nil && live+dead == 0 {
		w.fail("no entry")
	}
	return first, last, w.err
}

// nodeWalker reads a validated listpack element by element, recording the
// first problem instead of panicking.
type nodeWalker struct {
	lp  []byte
	p   int // current element, -1 past the end
	err error
}

func (w *nodeWalker) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf(format, args...)
	}
}

func (w *nodeWalker) next() bool {
	if w.err != nil {
		return false
	}
	if w.p < 0 {
		w.fail("node ends mid-entry")
		return false
	}
	return true
}

func (w *nodeWalker) int() int64 {
	if !w.next() {
		return 0
	}
	s, v, isInt := listpack.Get(w.lp, w.p)
	if !isInt {
		var ok bool
		if v, ok = listpack.StringToInt(s); !ok {
			w.fail("element at %d is not an integer", w.p)
			return 0
		}
	}
	w.p = listpack.Next(w.lp, w.p)
	return v
}

func (w *nodeWalker) skip() {
	if w.next() {
		w.p = listpack.Next(w.lp, w.p)
	}
}
