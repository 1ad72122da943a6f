package engine

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
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
