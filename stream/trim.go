package stream

import (
	"github.com/pelicanhq/pelican/internal/listpack"
)

// TrimStrategy selects how Trim decides which entries go.
type TrimStrategy int

// Trim strategies.
const (
	TrimNone   TrimStrategy = iota
	TrimMaxLen              // keep at most MaxLen entries
	TrimMinID               // drop entries with IDs below MinID
)

// TrimArgs are the trimming options of XADD and XTRIM.
type TrimArgs struct {
	Strategy TrimStrategy
	MaxLen   int64
	MinID    ID
	// Approx removes only whole nodes (the "~" modifier).
	Approx bool
	// Limit caps how many entries one call removes; zero means no limit.
	Limit int64
	// Policy says what happens to entries that consumer groups still
	// reference (KEEPREF, DELREF, ACKED).
	Policy RefPolicy
}

// Trim removes entries from the head of the stream as args say and
// returns how many it removed. Exact trimming flags entries inside a node
// as deleted; approximate trimming stops at the first node it cannot remove
// whole.
func (s *Stream) Trim(args TrimArgs) int64 {
	if args.Strategy == TrimNone {
		return 0
	}
	if args.Policy != KeepRef {
		return s.trimWithPolicy(args)
	}
	var deleted int64
	for len(s.nodes) > 0 {
		if args.Strategy == TrimMaxLen && s.length <= uint64(args.MaxLen) {
			break
		}
		n := &s.nodes[0]
		entries, _, mfCount, mfStart := nodeHeader(n.lp)
		if args.Limit > 0 && deleted+entries > args.Limit {
			break
		}
		var removeNode bool
		if args.Strategy == TrimMaxLen {
			removeNode = s.length-uint64(entries) >= uint64(args.MaxLen)
		} else {
			removeNode = nodeLastID(n).Less(args.MinID)
		}
		if removeNode {
			s.removeNode(0)
			s.length -= uint64(entries)
			deleted += entries
			continue
		}
		if args.Approx {
			break
		}
		deleted += s.trimInsideFirstNode(args, entries, mfCount, mfStart)
		break
	}
	if s.length == 0 {
		s.firstID = ID{}
	} else if deleted > 0 {
		s.firstID = s.edgeID(true)
	}
	return deleted
}

// trimInsideFirstNode flags entries of the first node as deleted until the
// trim condition holds, as exact trimming does for the node it cannot
// remove whole.
func (s *Stream) trimInsideFirstNode(args TrimArgs, entries, mfCount int64, mfStart int) int64 {
	n := s.ownNode(0)
	lp := n.lp
	p := mfStart
	for i := int64(0); i < mfCount; i++ {
		p = listpack.Next(lp, p)
	}
	p = listpack.Next(lp, p) // first entry's flags
	var fromNode int64
	for p >= 0 {
		flagsPos := p
		flags := listpack.GetInt(lp, p)
		p = listpack.Next(lp, p)
		msd := listpack.GetInt(lp, p)
		p = listpack.Next(lp, p)
		seqd := listpack.GetInt(lp, p)
		p = listpack.Next(lp, p)
		id := ID{n.master.Ms + uint64(msd), n.master.Seq + uint64(seqd)}
		var stop bool
		if args.Strategy == TrimMaxLen {
			stop = s.length <= uint64(args.MaxLen)
		} else {
			stop = !id.Less(args.MinID)
		}
		if stop {
			break
		}
		skip := mfCount
		if flags&flagSameFields == 0 {
			skip = 2*listpack.GetInt(lp, p) + 1
		}
		for i := int64(0); i < skip; i++ {
			p = listpack.Next(lp, p)
		}
		p = listpack.Next(lp, p) // past lp-count
		if flags&flagDeleted == 0 {
			// Flag values 0..3 keep their one-byte size, so p stays valid.
			lp, _ = listpack.ReplaceInt(lp, flagsPos, flags|flagDeleted)
			fromNode++
			s.length--
		}
	}
	q := listpack.First(lp)
	lp, q = listpack.ReplaceInt(lp, q, entries-fromNode)
	deleted := listpack.GetInt(lp, q)
	lp, _ = listpack.ReplaceInt(lp, q, deleted+fromNode)
	s.setListpack(n, lp)
	return fromNode
}

// nodeLastID returns the ID of the last entry in a node, deleted or not.
func nodeLastID(n *node) ID {
	lp := n.lp
	p := listpack.Last(lp)
	lpCount := listpack.GetInt(lp, p)
	for i := int64(0); i < lpCount; i++ {
		p = listpack.Prev(lp, p)
	}
	p = listpack.Next(lp, p)
	id := n.master
	id.Ms += uint64(listpack.GetInt(lp, p))
	p = listpack.Next(lp, p)
	id.Seq += uint64(listpack.GetInt(lp, p))
	return id
}

// FirstEntryID returns the ID of the first entry of the first node, deleted
// or not (what Redis propagates as the MINID after an approximate trim).
func (s *Stream) FirstEntryID() ID {
	if len(s.nodes) == 0 {
		return MaxID
	}
	n := &s.nodes[0]
	_, _, mfCount, p := nodeHeader(n.lp)
	for i := int64(0); i < mfCount; i++ {
		p = listpack.Next(n.lp, p)
	}
	p = listpack.Next(n.lp, p)
	p = listpack.Next(n.lp, p)
	id := n.master
	id.Ms += uint64(listpack.GetInt(n.lp, p))
	p = listpack.Next(n.lp, p)
	id.Seq += uint64(listpack.GetInt(n.lp, p))
	return id
}
