package stream

import "sort"

// pelIndex is a set of pending entries ordered by ID, the structure behind
// a group's PEL and each consumer's.
//
// It is a sorted list of sorted chunks. Deliveries almost always add IDs
// larger than any present, and acknowledgements mostly remove the oldest,
// so both ends are fast paths: appending goes to the last chunk, and
// removing the first chunk only advances head. Lookups are two binary
// searches.
//
// Invariants: chunks[head:] are non-empty, each sorted by ID, each at most
// chunkMax long, and every ID in a chunk is smaller than every ID in the
// next; chunks[:head] are dead slots; n counts the entries.
type pelIndex struct {
	chunks [][]*Pending
	head   int
	n      int
}

const chunkMax = 128

func (x *pelIndex) Len() int { return x.n }

func (x *pelIndex) live() [][]*Pending { return x.chunks[x.head:] }

// chunkFor returns the index (in live()) of the first chunk whose last ID
// is >= id, or len(live()) if there is none.
func (x *pelIndex) chunkFor(id ID) int {
	cs := x.live()
	return sort.Search(len(cs), func(i int) bool {
		c := cs[i]
		return !c[len(c)-1].ID.Less(id)
	})
}

// searchChunk returns the position in c of the first entry with ID >= id.
func searchChunk(c []*Pending, id ID) int {
	return sort.Search(len(c), func(i int) bool { return !c[i].ID.Less(id) })
}

// Get returns the entry with the given ID, or nil.
func (x *pelIndex) Get(id ID) *Pending {
	cs := x.live()
	ci := x.chunkFor(id)
	if ci == len(cs) {
		return nil
	}
	c := cs[ci]
	if i := searchChunk(c, id); i < len(c) && c[i].ID == id {
		return c[i]
	}
	return nil
}

// Min and Max return the entries with the smallest and largest IDs.
func (x *pelIndex) Min() *Pending {
	if x.n == 0 {
		return nil
	}
	return x.chunks[x.head][0]
}

func (x *pelIndex) Max() *Pending {
	if x.n == 0 {
		return nil
	}
	c := x.chunks[len(x.chunks)-1]
	return c[len(c)-1]
}

// Insert adds p, whose ID must not be present.
func (x *pelIndex) Insert(p *Pending) {
	x.n++
	cs := x.live()
	if len(cs) == 0 {
		x.chunks = append(x.chunks[:0], newChunk(p))
		x.head = 0
		return
	}
	last := cs[len(cs)-1]
	if last[len(last)-1].ID.Less(p.ID) { // the common case: a new, larger ID
		if len(last) < chunkMax {
			x.chunks[len(x.chunks)-1] = append(last, p)
		} else {
			x.chunks = append(x.chunks, newChunk(p))
		}
		return
	}
	ci := x.chunkFor(p.ID)
	c := cs[ci]
	i := searchChunk(c, p.ID)
	c = append(c, nil)
	copy(c[i+1:], c[i:])
	c[i] = p
	if len(c) <= chunkMax {
		cs[ci] = c
		return
	}
	// Split the chunk in two halves.
	half := len(c) / 2
	right := make([]*Pending, len(c)-half, chunkMax)
	copy(right, c[half:])
	clear(c[half:])
	cs[ci] = c[:half]
	at := x.head + ci + 1
	x.chunks = append(x.chunks, nil)
	copy(x.chunks[at+1:], x.chunks[at:])
	x.chunks[at] = right
}

func newChunk(p *Pending) []*Pending {
	c := make([]*Pending, 1, chunkMax)
	c[0] = p
	return c
}

// Delete removes and returns the entry with the given ID, or nil.
func (x *pelIndex) Delete(id ID) *Pending {
	cs := x.live()
	ci := x.chunkFor(id)
	if ci == len(cs) {
		return nil
	}
	c := cs[ci]
	i := searchChunk(c, id)
	if i == len(c) || c[i].ID != id {
		return nil
	}
	p := c[i]
	x.n--
	copy(c[i:], c[i+1:])
	c[len(c)-1] = nil
	c = c[:len(c)-1]
	if len(c) > 0 {
		cs[ci] = c
		return p
	}
	// The chunk is empty: drop it.
	if ci == 0 {
		x.chunks[x.head] = nil
		x.head++
		if x.head == len(x.chunks) {
			x.chunks, x.head = x.chunks[:0], 0
		} else if x.head > 64 && x.head > len(x.chunks)/2 {
			n := copy(x.chunks, x.chunks[x.head:])
			clear(x.chunks[n:])
			x.chunks, x.head = x.chunks[:n], 0
		}
		return p
	}
	at := x.head + ci
	copy(x.chunks[at:], x.chunks[at+1:])
	x.chunks[len(x.chunks)-1] = nil
	x.chunks = x.chunks[:len(x.chunks)-1]
	return p
}

// AscendFrom calls fn for entries with IDs >= from in order until fn
// returns false. fn must not change the index.
func (x *pelIndex) AscendFrom(from ID, fn func(*Pending) bool) {
	cs := x.live()
	ci := x.chunkFor(from)
	if ci == len(cs) {
		return
	}
	for i := searchChunk(cs[ci], from); ci < len(cs); ci, i = ci+1, 0 {
		for _, p := range cs[ci][i:] {
			if !fn(p) {
				return
			}
		}
	}
}

// Ascend calls fn for every entry in order until fn returns false.
func (x *pelIndex) Ascend(fn func(*Pending) bool) {
	for _, c := range x.live() {
		for _, p := range c {
			if !fn(p) {
				return
			}
		}
	}
}
