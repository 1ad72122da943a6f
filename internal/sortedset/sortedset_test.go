package sortedset

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// model is the obviously correct sorted set the tests compare with.
type model map[string]float64

func (m model) sorted() []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b string) int {
		if c := cmp.Compare(m[a], m[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return out
}

func ascend(s *Set, from int) []string {
	var out []string
	s.Ascend(from, func(m string, _ float64) bool { out = append(out, m); return true })
	return out
}

func descend(s *Set, from int) []string {
	var out []string
	s.Descend(from, func(m string, _ float64) bool { out = append(out, m); return true })
	return out
}

// check compares every query of s with the model.
func check(t *testing.T, s *Set, m model) {
	t.Helper()
	want := m.sorted()
	if got := s.Len(); got != len(want) {
		t.Fatalf("Len() = %d, want %d", got, len(want))
	}
	if got := ascend(s, 0); !slices.Equal(got, want) && len(want) > 0 {
		t.Fatalf("Ascend(0) = %v, want %v", got, want)
	}
	bytes := 0
	for i, k := range want {
		bytes += len(k)
		r, ok := s.Rank([]byte(k))
		if !ok || r != i {
			t.Fatalf("Rank(%q) = %d, %v, want %d", k, r, ok, i)
		}
		f, ok := s.Score([]byte(k))
		if !ok || f != m[k] {
			t.Fatalf("Score(%q) = %v, %v, want %v", k, f, ok, m[k])
		}
	}
	if s.Bytes() != bytes {
		t.Fatalf("Bytes() = %d, want %d", s.Bytes(), bytes)
	}
	if len(want) > 0 {
		mid := len(want) / 2
		if got := ascend(s, mid); !slices.Equal(got, want[mid:]) {
			t.Fatalf("Ascend(%d) = %v, want %v", mid, got, want[mid:])
		}
		rev := slices.Clone(want[:mid+1])
		slices.Reverse(rev)
		if got := descend(s, mid); !slices.Equal(got, rev) {
			t.Fatalf("Descend(%d) = %v, want %v", mid, got, rev)
		}
		// Members scoring below the middle one's score.
		pivot := m[want[mid]]
		n := 0
		for _, k := range want {
			if m[k] < pivot {
				n++
			}
		}
		if got := s.CountWhile(func(f float64, _ string) bool { return f < pivot }); got != n {
			t.Fatalf("CountWhile(score < %v) = %d, want %d", pivot, got, n)
		}
	}
}

func TestRandomOperationsMatchModel(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	s, m := New(), model{}
	for i := 0; i < 3000; i++ {
		k := fmt.Sprintf("m%d", r.IntN(200))
		switch r.IntN(3) {
		case 0, 1:
			f := float64(r.IntN(20)) // many equal scores: ties order by member
			_, existed := m[k]
			if got := s.Add([]byte(k), f); got == existed {
				t.Fatalf("Add(%q) = %v with the member present: %v", k, got, existed)
			}
			m[k] = f
		case 2:
			_, existed := m[k]
			if got := s.Remove([]byte(k)); got != existed {
				t.Fatalf("Remove(%q) = %v, want %v", k, got, existed)
			}
			delete(m, k)
		}
		if i%97 == 0 {
			check(t, s, m)
		}
	}
	check(t, s, m)
}

func TestMissingMembers(t *testing.T) {
	s := New()
	s.Add([]byte("a"), 1)
	if _, ok := s.Rank([]byte("b")); ok {
		t.Error("Rank of a missing member reported ok")
	}
	if _, ok := s.Score([]byte("b")); ok {
		t.Error("Score of a missing member reported ok")
	}
	if s.Remove([]byte("b")) {
		t.Error("Remove of a missing member reported true")
	}
	if got := ascend(s, 1); got != nil {
		t.Errorf("Ascend past the end = %v, want nothing", got)
	}
	if got := descend(s, -1); got != nil {
		t.Errorf("Descend from -1 = %v, want nothing", got)
	}
}

func TestUpdateMovesMember(t *testing.T) {
	s := New()
	for i, k := range []string{"a", "b", "c"} {
		s.Add([]byte(k), float64(i))
	}
	s.Add([]byte("a"), 10)
	if got, want := ascend(s, 0), []string{"b", "c", "a"}; !slices.Equal(got, want) {
		t.Errorf("after moving a: %v, want %v", got, want)
	}
}

func BenchmarkAdd(b *testing.B) {
	b.ReportAllocs()
	s := New()
	keys := make([][]byte, 1<<16)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("member-%d", i))
	}
	for i := 0; b.Loop(); i++ {
		k := keys[i&(len(keys)-1)]
		s.Add(k, float64(i))
	}
}

func BenchmarkRank(b *testing.B) {
	s := New()
	keys := make([][]byte, 100000)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("member-%d", i))
		s.Add(keys[i], float64(i))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Rank(keys[i%len(keys)])
	}
}
