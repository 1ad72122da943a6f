package stream

import (
	"math/rand/v2"
	"testing"
)

// The cached radix-tree-nodes figure always equals a fresh count, through
// appends, deletions and trims that add and free nodes.
func TestRadixTreeNodesCacheFollowsChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	s := New()
	lim := Limits{NodeMaxEntries: 4}
	var ids []ID
	next := uint64(1)
	for step := 0; step < 3000; step++ {
		switch r := rng.IntN(10); {
		case r < 6:
			id := ID{Ms: next}
			next += 1 + uint64(rng.IntN(3))<<uint(rng.IntN(40))
			if err := s.Append(id, [][]byte{[]byte("f"), []byte("v")}, lim); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		case r < 9 && len(ids) > 0:
			s.Delete(ids[rng.IntN(len(ids))])
		default:
			s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: int64(rng.IntN(50)), Approx: rng.IntN(2) == 0})
		}
		if got, want := s.RadixTreeNodes(), s.countRadixNodes(); got != want {
			t.Fatalf("step %d: RadixTreeNodes() = %d, a fresh count gives %d", step, got, want)
		}
	}
}
