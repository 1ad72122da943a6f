package stream

import (
	"strconv"

	"github.com/pelicanhq/pelican/internal/listpack"
)

// Iterator walks the live entries of a stream between two IDs, inclusive,
// forwards or backwards. The zero value is ready for Reset. An Iterator is
// invalidated by any change to the stream.
//
//	var it stream.Iterator
//	it.Reset(s, start, end, false)
//	for it.Next() {
//		id, fv := it.ID(), it.Fields()
//	}
type Iterator struct {
	s          *Stream
	start, end ID
	rev        bool

	ni       int // current node index; -1 before the first
	started  bool
	pos      int // forward: position after the last examined entry; reverse: lp-count of the entry before
	lp       []byte
	master   ID
	mfCount  int64
	mfStart  int
	flagsPos int
	flags    int64
	fieldPos int // first element after the ID (num-fields, or first value)
	numField int64
	id       ID
	done     bool

	fv      [][]byte
	scratch []byte

	tombstones bool // also yield entries flagged deleted (for Validate)
}

// Reset starts an iteration over s from start to end inclusive; reverse
// walks from end down to start.
func (it *Iterator) Reset(s *Stream, start, end ID, reverse bool) {
	*it = Iterator{s: s, start: start, end: end, rev: reverse, fv: it.fv[:0], scratch: it.scratch[:0]}
	if len(s.nodes) == 0 || start.Compare(end) > 0 {
		it.done = true
		return
	}
	if !reverse {
		i := s.seekNode(start)
		if i < 0 {
			i = 0
		}
		it.ni = i - 1
	} else {
		i := s.seekNode(end)
		if i < 0 {
			it.done = true
			return
		}
		it.ni = i + 1
	}
}

// enterNode loads node ni and positions the cursor at its edge.
func (it *Iterator) enterNode(ni int) {
	n := &it.s.nodes[ni]
	it.ni = ni
	it.lp = n.lp
	it.master = n.master
	_, _, it.mfCount, it.mfStart = nodeHeader(n.lp)
	if !it.rev {
		p := it.mfStart
		for i := int64(0); i < it.mfCount; i++ {
			p = listpack.Next(it.lp, p)
		}
		it.pos = p // the master terminator: the next element is the first entry
	} else {
		it.pos = listpack.Last(it.lp) // lp-count of the last entry
	}
}

// Next advances to the next entry in range and reports whether there is
// one.
func (it *Iterator) Next() bool {
	if it.done {
		return false
	}
	for {
		if !it.started {
			it.started = true
			if !it.nextNode() {
				return false
			}
		}
		if ok, more := it.stepInNode(); ok {
			return true
		} else if !more {
			it.done = true
			return false
		}
		if !it.nextNode() {
			return false
		}
	}
}

func (it *Iterator) nextNode() bool {
	if !it.rev {
		if it.ni+1 >= len(it.s.nodes) {
			it.done = true
			return false
		}
		it.enterNode(it.ni + 1)
	} else {
		if it.ni-1 < 0 {
			it.done = true
			return false
		}
		it.enterNode(it.ni - 1)
	}
	return true
}

// stepInNode looks for the next entry in range within the current node.
// It returns ok when one was found, and more=false when the iteration is
// over (an entry beyond the range was seen).
func (it *Iterator) stepInNode() (ok, more bool) {
	lp := it.lp
	for {
		var p int
		if !it.rev {
			p = listpack.Next(lp, it.pos)
			if p < 0 {
				return false, true
			}
		} else {
			lpCount := listpack.GetInt(lp, it.pos)
			if lpCount == 0 { // the master entry terminator
				return false, true
			}
			p = it.pos
			for i := int64(0); i < lpCount; i++ {
				p = listpack.Prev(lp, p)
			}
		}
		flagsPos := p
		flags, p := listpack.IntNext(lp, p)
		id := it.master
		msd, p := listpack.IntNext(lp, p)
		seqd, p := listpack.IntNext(lp, p)
		id.Ms += uint64(msd)
		id.Seq += uint64(seqd)
		fieldPos := p
		var numFields int64
		if flags&flagSameFields != 0 {
			numFields = it.mfCount
		} else {
			numFields = listpack.GetInt(lp, p)
		}

		// Move the cursor past (or before) this entry.
		if !it.rev {
			q := fieldPos
			skip := numFields
			if flags&flagSameFields == 0 {
				skip = 2*numFields + 1
			}
			for i := int64(0); i < skip; i++ {
				q = listpack.Skip(lp, q)
			}
			it.pos = q // lp-count of this entry
		} else {
			it.pos = listpack.Prev(lp, flagsPos) // lp-count of the previous entry, or the master terminator
		}

		if flags&flagDeleted != 0 && !it.tombstones {
			continue
		}
		if !it.rev {
			if id.Less(it.start) {
				continue
			}
			if it.end.Less(id) {
				return false, false
			}
		} else {
			if it.end.Less(id) {
				continue
			}
			if id.Less(it.start) {
				return false, false
			}
		}
		it.id, it.flags, it.flagsPos, it.fieldPos, it.numField = id, flags, flagsPos, fieldPos, numFields
		it.fv = it.fv[:0]
		return true, true
	}
}

// ID returns the current entry's ID.
func (it *Iterator) ID() ID { return it.id }

// NumFields returns the current entry's number of field-value pairs.
func (it *Iterator) NumFields() int { return int(it.numField) }

// Fields returns the current entry's fields and values, alternating. The
// slices are valid until the next call to Next or Reset.
func (it *Iterator) Fields() [][]byte {
	if len(it.fv) > 0 || it.numField == 0 {
		return it.fv
	}
	lp := it.lp
	need := int(2*it.numField) * 20
	if cap(it.scratch) < need {
		it.scratch = make([]byte, 0, need)
	}
	it.scratch = it.scratch[:0]
	get := func(p int) []byte {
		s, v, isInt := listpack.Get(lp, p)
		if !isInt {
			return s
		}
		start := len(it.scratch)
		it.scratch = strconv.AppendInt(it.scratch, v, 10)
		return it.scratch[start:len(it.scratch):len(it.scratch)]
	}
	if it.flags&flagSameFields != 0 {
		f := it.mfStart
		v := it.fieldPos
		for i := int64(0); i < it.numField; i++ {
			it.fv = append(it.fv, get(f), get(v))
			f = listpack.Next(lp, f)
			v = listpack.Next(lp, v)
		}
	} else {
		p := listpack.Next(lp, it.fieldPos)
		for i := int64(0); i < it.numField; i++ {
			it.fv = append(it.fv, get(p))
			p = listpack.Next(lp, p)
			it.fv = append(it.fv, get(p))
			p = listpack.Next(lp, p)
		}
	}
	return it.fv
}

// stepInNodeAll steps through the current node yielding every entry,
// deleted ones included, regardless of the range.
func (it *Iterator) stepInNodeAll() (ok, more bool) {
	it.tombstones = true
	it.start, it.end = MinID, MaxID
	return it.stepInNode()
}
