package engine

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestOrderedMapKeepsInsertionOrder(t *testing.T) {
	m := newOrderedMap[int]()
	var want []string
	for i := range 100 {
		k := "k" + strconv.Itoa(i)
		if !m.put([]byte(k), i) {
			t.Fatalf("put(%s) reported an existing key", k)
		}
		want = append(want, k)
	}
	if m.put([]byte("k7"), 700) {
		t.Error("put of an existing key reported it new")
	}
	// Remove enough keys to force compaction, keeping every fifth.
	kept := want[:0]
	for i, k := range want {
		if i%5 != 0 {
			if !m.remove([]byte(k)) {
				t.Fatalf("remove(%s) = false", k)
			}
		} else {
			kept = append(kept, k)
		}
	}
	if m.remove([]byte("k1")) {
		t.Error("second remove of k1 = true")
	}
	m.put([]byte("new"), -1)
	kept = append(kept, "new")
	var got []string
	m.each(func(k string, _ int) { got = append(got, k) })
	if diff := cmp.Diff(kept, got); diff != "" {
		t.Errorf("order after removals (-want +got):\n%s", diff)
	}
	if m.len() != len(kept) {
		t.Errorf("len = %d, want %d", m.len(), len(kept))
	}
	if v, ok := m.get([]byte("k95")); !ok || v != 95 {
		t.Errorf("get(k95) = %d, %v after compaction", v, ok)
	}
	if m.holes > m.len() {
		t.Errorf("%d holes for %d entries: not compacted", m.holes, m.len())
	}
}

// TestListRemoveMatchesASlice runs seeded random pushes, pops and removals
// on a listValue and on a plain slice, so that removals are checked on
// buffers that wrap around and shrink.
func TestListRemoveMatchesASlice(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	var l listValue
	var model []string
	for step := range 20000 {
		v := strconv.Itoa(rng.IntN(4))
		switch op := rng.IntN(10); {
		case op < 3:
			l.pushBack([]byte(v))
			model = append(model, v)
		case op < 6:
			l.pushFront([]byte(v))
			model = append([]string{v}, model...)
		case op < 7 && len(model) > 0:
			l.popFront()
			model = model[1:]
		default:
			limit := int64(rng.IntN(4))
			fromTail := rng.IntN(2) == 0
			got := l.remove([]byte(v), limit, fromTail)
			var want int
			model, want = removeFromSlice(model, v, limit, fromTail)
			if got != want {
				t.Fatalf("step %d: remove(%s, %d, %v) = %d, want %d", step, v, limit, fromTail, got, want)
			}
		}
		var got []string
		bytes := 0
		for i := range l.len() {
			got = append(got, string(l.at(i)))
			bytes += len(l.at(i))
		}
		if diff := cmp.Diff(model, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("step %d: list differs from the model (-want +got):\n%s", step, diff)
		}
		if bytes != l.bytes {
			t.Fatalf("step %d: bytes = %d, want %d", step, l.bytes, bytes)
		}
	}
}

// removeFromSlice is LREM on a slice.
func removeFromSlice(s []string, v string, limit int64, fromTail bool) ([]string, int) {
	removed := 0
	keep := make([]bool, len(s))
	for k := range s {
		i := k
		if fromTail {
			i = len(s) - 1 - k
		}
		if s[i] == v && (limit == 0 || int64(removed) < limit) {
			removed++
			continue
		}
		keep[i] = true
	}
	var out []string
	for i, x := range s {
		if keep[i] {
			out = append(out, x)
		}
	}
	return out, removed
}
