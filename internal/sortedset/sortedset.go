// Package sortedset is an ordered set of members with scores, the value
// behind Pelican's sorted-set commands: members are distinct byte strings,
// ordered by score, then by member bytes; lookups by member take O(1),
// insertions, deletions and rank queries O(log n) on average.
//
// It is a skip list whose links record their span (how many members they
// jump over), so that the rank of a member is the sum of the spans walked
// to reach it, and the member at a rank is found by walking spans down;
// a map from member to score answers membership and score queries. The
// package is pure: no I/O, no locking (the engine's lock guards it).
//
// Invariants:
//   - every member of scores is in the list once, with the same score,
//     and nothing else is;
//   - the list is sorted by (score, member), with no NaN score;
//   - head.levels[i].span is the rank distance to head.levels[i].next
//     (or to the end, length, when next is nil): a node's rank (1-based)
//     is the sum of the spans walked from the head to reach it.
package sortedset

import (
	"math/rand/v2"
)

// maxLevel bounds the levels of the skip list: 2^64 members at p = 1/4.
const maxLevel = 32

// Set is a sorted set. The zero value is not usable; call New.
type Set struct {
	scores map[string]float64
	head   *node
	tail   *node
	level  int
	// length is the number of nodes in the list.
	length int
	// bytes is the total length of the members.
	bytes int
}

type node struct {
	member   string
	score    float64
	backward *node
	levels   []link
}

type link struct {
	next *node
	span int
}

// New returns an empty set.
func New() *Set {
	return &Set{
		scores: make(map[string]float64),
		head:   &node{levels: make([]link, maxLevel)},
		level:  1,
	}
}

// Len returns the number of members.
func (s *Set) Len() int { return len(s.scores) }

// Bytes returns the total length of the members.
func (s *Set) Bytes() int { return s.bytes }

// Score returns the score of member.
func (s *Set) Score(member []byte) (float64, bool) {
	f, ok := s.scores[string(member)]
	return f, ok
}

// less reports whether (aScore, a) sorts before (bScore, b): by score,
// then by member.
func less(aScore float64, a string, bScore float64, b string) bool {
	return aScore < bScore || aScore == bScore && a < b
}

// Add sets the score of member, adding it if it is new, and reports
// whether it was. score must not be NaN.
func (s *Set) Add(member []byte, score float64) bool {
	if cur, ok := s.scores[string(member)]; ok {
		if cur != score { // as in Redis, -0 does not replace 0, nor 0 -0
			m := s.delete(string(member), cur)
			s.scores[m] = score
			s.insert(m, score)
		}
		return false
	}
	m := string(member)
	s.scores[m] = score
	s.bytes += len(m)
	s.insert(m, score)
	return true
}

// Remove deletes member and reports whether it was present.
func (s *Set) Remove(member []byte) bool {
	score, ok := s.scores[string(member)]
	if !ok {
		return false
	}
	m := s.delete(string(member), score)
	delete(s.scores, m)
	s.bytes -= len(m)
	return true
}

func randomLevel() int {
	l := 1
	for l < maxLevel && rand.Uint32()&3 == 0 {
		l++
	}
	return l
}

// insert links a new node; member is not in the list.
func (s *Set) insert(member string, score float64) {
	var update [maxLevel]*node
	var rank [maxLevel]int
	x := s.head
	for i := s.level - 1; i >= 0; i-- {
		if i < s.level-1 {
			rank[i] = rank[i+1]
		}
		for next := x.levels[i].next; next != nil && !less(score, member, next.score, next.member); next = x.levels[i].next {
			rank[i] += x.levels[i].span
			x = next
		}
		update[i] = x
	}
	lvl := randomLevel()
	if lvl > s.level {
		for i := s.level; i < lvl; i++ {
			rank[i] = 0
			update[i] = s.head
			update[i].levels[i].span = s.length
		}
		s.level = lvl
	}
	n := &node{member: member, score: score, levels: make([]link, lvl)}
	for i := 0; i < lvl; i++ {
		n.levels[i].next = update[i].levels[i].next
		update[i].levels[i].next = n
		n.levels[i].span = update[i].levels[i].span - (rank[0] - rank[i])
		update[i].levels[i].span = rank[0] - rank[i] + 1
	}
	for i := lvl; i < s.level; i++ {
		update[i].levels[i].span++
	}
	s.length++
	if update[0] != s.head {
		n.backward = update[0]
	}
	if n.levels[0].next != nil {
		n.levels[0].next.backward = n
	} else {
		s.tail = n
	}
}

// delete unlinks the node of member, which has score, and returns its
// member string.
func (s *Set) delete(member string, score float64) string {
	var update [maxLevel]*node
	x := s.head
	for i := s.level - 1; i >= 0; i-- {
		for next := x.levels[i].next; next != nil && less(next.score, next.member, score, member); next = x.levels[i].next {
			x = next
		}
		update[i] = x
	}
	n := x.levels[0].next
	for i := 0; i < s.level; i++ {
		if update[i].levels[i].next == n {
			update[i].levels[i].span += n.levels[i].span - 1
			update[i].levels[i].next = n.levels[i].next
		} else {
			update[i].levels[i].span--
		}
	}
	if next := n.levels[0].next; next != nil {
		next.backward = n.backward
	} else {
		s.tail = n.backward
	}
	s.length--
	for s.level > 1 && s.head.levels[s.level-1].next == nil {
		s.level--
	}
	return n.member
}

// Rank returns the 0-based rank of member, lowest score first.
func (s *Set) Rank(member []byte) (int, bool) {
	score, ok := s.scores[string(member)]
	if !ok {
		return 0, false
	}
	m := string(member)
	rank := 0
	x := s.head
	for i := s.level - 1; i >= 0; i-- {
		for next := x.levels[i].next; next != nil && !less(score, m, next.score, next.member); next = x.levels[i].next {
			rank += x.levels[i].span
			x = next
		}
		if x != s.head && x.member == m {
			return rank - 1, true
		}
	}
	return 0, false // not reached while the invariants hold
}

// CountWhile returns how many members, from the lowest, satisfy before,
// which must hold for a prefix of the order and not after it (such as
// "the score is below 5").
func (s *Set) CountWhile(before func(score float64, member string) bool) int {
	rank := 0
	x := s.head
	for i := s.level - 1; i >= 0; i-- {
		for next := x.levels[i].next; next != nil && before(next.score, next.member); next = x.levels[i].next {
			rank += x.levels[i].span
			x = next
		}
	}
	return rank
}

// at returns the node of 0-based rank r, or nil.
func (s *Set) at(r int) *node {
	if r < 0 || r >= s.length {
		return nil
	}
	want := r + 1
	rank := 0
	x := s.head
	for i := s.level - 1; i >= 0; i-- {
		for x.levels[i].next != nil && rank+x.levels[i].span <= want {
			rank += x.levels[i].span
			x = x.levels[i].next
		}
		if rank == want {
			return x
		}
	}
	return nil
}

// Ascend calls fn for the members from rank from upwards, lowest score
// first, until fn returns false or the members run out. fn must not change
// the set.
func (s *Set) Ascend(from int, fn func(member string, score float64) bool) {
	for n := s.at(from); n != nil; n = n.levels[0].next {
		if !fn(n.member, n.score) {
			return
		}
	}
}

// Descend calls fn for the members from rank from downwards, highest
// score first, until fn returns false or the members run out. fn must not
// change the set.
func (s *Set) Descend(from int, fn func(member string, score float64) bool) {
	for n := s.at(from); n != nil; n = n.backward {
		if !fn(n.member, n.score) {
			return
		}
	}
}
