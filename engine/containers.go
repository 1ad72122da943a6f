package engine

import (
	"bytes"
	"slices"
	"strconv"

	"github.com/pelicanhq/pelican/internal/resp"
)

// The values of lists, sets and hashes (sorted sets are in zset.go).

// listValue is a list: a deque of byte strings kept in a ring buffer.
type listValue struct {
	buf  [][]byte // len(buf) is zero or a power of two
	head int      // index in buf of the first element
	n    int      // number of elements
	// bytes is the total length of the elements, for the memory
	// accounting.
	bytes int
}

func (l *listValue) len() int { return l.n }

// at returns the i-th element, 0 <= i < len.
func (l *listValue) at(i int) []byte { return l.buf[(l.head+i)&(len(l.buf)-1)] }

// grow makes room for one more element.
func (l *listValue) grow() {
	if l.n < len(l.buf) {
		return
	}
	size := max(8, 2*len(l.buf))
	l.resize(size)
}

// resize moves the elements into a buffer of the given size (a power of
// two, at least len).
func (l *listValue) resize(size int) {
	buf := make([][]byte, size)
	for i := 0; i < l.n; i++ {
		buf[i] = l.at(i)
	}
	l.buf, l.head = buf, 0
}

// shrink releases memory once the list uses a small part of its buffer.
func (l *listValue) shrink() {
	if len(l.buf) > 64 && l.n < len(l.buf)/4 {
		l.resize(len(l.buf) / 2)
	}
}

// pushFront adds v at the head.
func (l *listValue) pushFront(v []byte) {
	l.grow()
	l.head = (l.head - 1) & (len(l.buf) - 1)
	l.buf[l.head] = v
	l.n++
	l.bytes += len(v)
}

// pushBack adds v at the tail.
func (l *listValue) pushBack(v []byte) {
	l.grow()
	l.buf[(l.head+l.n)&(len(l.buf)-1)] = v
	l.n++
	l.bytes += len(v)
}

// popFront removes and returns the head; the list must not be empty.
func (l *listValue) popFront() []byte {
	v := l.buf[l.head]
	l.buf[l.head] = nil
	l.head = (l.head + 1) & (len(l.buf) - 1)
	l.n--
	l.bytes -= len(v)
	l.shrink()
	return v
}

// popBack removes and returns the tail; the list must not be empty.
func (l *listValue) popBack() []byte {
	i := (l.head + l.n - 1) & (len(l.buf) - 1)
	v := l.buf[i]
	l.buf[i] = nil
	l.n--
	l.bytes -= len(v)
	l.shrink()
	return v
}

// remove deletes up to limit elements equal to v (every one if limit is
// 0), searching from the tail if fromTail, else from the head, and
// returns how many it deleted. The kept elements close up towards the end
// the search began at.
func (l *listValue) remove(v []byte, limit int64, fromTail bool) int {
	mask := len(l.buf) - 1
	removed := 0
	match := func(x []byte) bool {
		return (limit == 0 || int64(removed) < limit) && bytes.Equal(x, v)
	}
	if !fromTail {
		j := 0 // where the next kept element goes
		for i := 0; i < l.n; i++ {
			x := l.at(i)
			if match(x) {
				removed++
				l.bytes -= len(x)
				continue
			}
			l.buf[(l.head+j)&mask] = x
			j++
		}
		for ; j < l.n; j++ {
			l.buf[(l.head+j)&mask] = nil
		}
	} else {
		j := l.n - 1
		for i := l.n - 1; i >= 0; i-- {
			x := l.at(i)
			if match(x) {
				removed++
				l.bytes -= len(x)
				continue
			}
			l.buf[(l.head+j)&mask] = x
			j--
		}
		for k := 0; k <= j; k++ {
			l.buf[(l.head+k)&mask] = nil
		}
		if removed > 0 {
			l.head = (l.head + removed) & mask
		}
	}
	l.n -= removed
	l.shrink()
	return removed
}

// orderedMap maps strings to values and iterates in insertion order;
// replacing a value keeps its position. Deletions leave holes that are
// compacted once they outnumber the live entries.
type orderedMap[V any] struct {
	index   map[string]int // key -> position in entries
	entries []orderedEntry[V]
	holes   int
	// bytes is the total length of the keys and of the values that are
	// byte strings, for the memory accounting.
	bytes int
}

type orderedEntry[V any] struct {
	key  string
	val  V
	dead bool
}

func newOrderedMap[V any]() *orderedMap[V] {
	return &orderedMap[V]{index: make(map[string]int)}
}

func (m *orderedMap[V]) len() int { return len(m.index) }

// get returns the value of key.
func (m *orderedMap[V]) get(key []byte) (V, bool) {
	i, ok := m.index[string(key)]
	if !ok {
		var zero V
		return zero, false
	}
	return m.entries[i].val, true
}

// has reports whether key is present.
func (m *orderedMap[V]) has(key []byte) bool {
	_, ok := m.index[string(key)]
	return ok
}

// put sets the value of key and reports whether the key is new.
func (m *orderedMap[V]) put(key []byte, v V) bool {
	if i, ok := m.index[string(key)]; ok {
		m.bytes += valueBytes(v) - valueBytes(m.entries[i].val)
		m.entries[i].val = v
		return false
	}
	k := string(key)
	m.index[k] = len(m.entries)
	m.entries = append(m.entries, orderedEntry[V]{key: k, val: v})
	m.bytes += len(k) + valueBytes(v)
	return true
}

// valueBytes is the length of a value that is a byte string, else 0.
func valueBytes[V any](v V) int {
	if b, ok := any(v).([]byte); ok {
		return len(b)
	}
	return 0
}

// remove deletes key and reports whether it was present.
func (m *orderedMap[V]) remove(key []byte) bool {
	i, ok := m.index[string(key)]
	if !ok {
		return false
	}
	delete(m.index, string(key))
	m.bytes -= len(key) + valueBytes(m.entries[i].val)
	var zero V
	m.entries[i] = orderedEntry[V]{dead: true, val: zero}
	m.holes++
	if m.holes > len(m.index) && m.holes > 16 {
		m.compact()
	}
	return true
}

// compact removes the holes left by deletions.
func (m *orderedMap[V]) compact() {
	live := m.entries[:0]
	for _, e := range m.entries {
		if !e.dead {
			m.index[e.key] = len(live)
			live = append(live, e)
		}
	}
	clear(m.entries[len(live):])
	m.entries = live
	m.holes = 0
}

// each calls fn for every entry in insertion order.
func (m *orderedMap[V]) each(fn func(key string, v V)) {
	for _, e := range m.entries {
		if !e.dead {
			fn(e.key, e.val)
		}
	}
}

// hashValue is a hash. Fields are kept in insertion order, which is the
// order Redis returns them in while a hash is small (listpack-encoded: at
// most 128 fields, no field or value longer than 64 bytes); Redis returns
// larger hashes in hash-table order, which Pelican does not reproduce.
type hashValue struct {
	fields *orderedMap[[]byte]
}

func newHashValue() *hashValue { return &hashValue{fields: newOrderedMap[[]byte]()} }

func (h *hashValue) len() int { return h.fields.len() }

// maxIntsetEntries is Redis's default set-max-intset-entries: a set of
// at most this many integers is an intset, which Redis returns sorted.
const maxIntsetEntries = 512

// setValue is a set. While every member is an integer in canonical form
// and there are at most maxIntsetEntries of them (Redis's intset
// encoding), members are listed in numeric order, as Redis lists them.
// Once that stops holding the set lists members in insertion order for
// good; Redis then uses hash-table order, which Pelican does not
// reproduce.
type setValue struct {
	members *orderedMap[struct{}]
	intset  bool
}

// newSetValue returns an empty set whose encoding is chosen, as Redis
// does, by the first member that will be added.
func newSetValue(first []byte) *setValue {
	_, isInt := resp.ParseInt(first)
	return &setValue{members: newOrderedMap[struct{}](), intset: isInt}
}

func (s *setValue) len() int { return s.members.len() }

// add adds a member and reports whether it is new.
func (s *setValue) add(m []byte) bool {
	if s.intset {
		if _, ok := resp.ParseInt(m); !ok {
			s.intset = false
		}
	}
	if !s.members.put(m, struct{}{}) {
		return false
	}
	if s.intset && s.members.len() > maxIntsetEntries {
		s.intset = false
	}
	return true
}

// list returns the members in the order SMEMBERS lists them.
func (s *setValue) list() []string {
	out := make([]string, 0, s.members.len())
	s.members.each(func(k string, _ struct{}) { out = append(out, k) })
	if s.intset {
		slices.SortFunc(out, func(a, b string) int {
			x, _ := strconv.ParseInt(a, 10, 64)
			y, _ := strconv.ParseInt(b, 10, 64)
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		})
	}
	return out
}
