package stream

import (
	"math/rand"
	"sort"
	"testing"
)

// TestPELIndexAgainstModel drives the chunked index with random inserts
// (mostly appends, as deliveries are), deletes (mostly of the oldest, as
// acknowledgements are) and lookups, checking it against a sorted slice.
func TestPELIndexAgainstModel(t *testing.T) {
	sd := seed(t)
	t.Logf("seed %d (rerun with PELICAN_STREAM_SEED=%d)", sd, sd)
	rng := rand.New(rand.NewSource(sd))
	var x pelIndex
	var model []ID
	has := map[ID]bool{}
	next := uint64(1)
	for step := 0; step < 200000; step++ {
		switch op := rng.Intn(10); {
		case op < 5:
			id := ID{next, 0}
			if rng.Intn(5) == 0 && next > 10 {
				id = ID{uint64(rng.Int63n(int64(next))), 1} // an older ID
			}
			next++
			if has[id] {
				continue
			}
			has[id] = true
			x.Insert(&Pending{ID: id})
			i := sort.Search(len(model), func(i int) bool { return !model[i].Less(id) })
			model = append(model, ID{})
			copy(model[i+1:], model[i:])
			model[i] = id
		case op < 8 && len(model) > 0:
			i := 0
			if rng.Intn(3) == 0 {
				i = rng.Intn(len(model))
			}
			id := model[i]
			if p := x.Delete(id); p == nil || p.ID != id {
				t.Fatalf("step %d: Delete(%v) = %v", step, id, p)
			}
			delete(has, id)
			model = append(model[:i], model[i+1:]...)
		case op < 9:
			id := ID{uint64(rng.Int63n(int64(next + 1))), uint64(rng.Intn(2))}
			if got := x.Get(id) != nil; got != has[id] {
				t.Fatalf("step %d: Get(%v) found=%v, want %v", step, id, got, has[id])
			}
			if x.Delete(ID{next + 100, 0}) != nil {
				t.Fatalf("step %d: deleted an absent ID", step)
			}
		default:
			from := ID{uint64(rng.Int63n(int64(next + 1))), 0}
			var got []ID
			x.AscendFrom(from, func(p *Pending) bool {
				got = append(got, p.ID)
				return len(got) < 50
			})
			i := sort.Search(len(model), func(i int) bool { return !model[i].Less(from) })
			want := model[i:min(i+50, len(model))]
			if len(got) != len(want) {
				t.Fatalf("step %d: AscendFrom(%v) gave %d entries, want %d", step, from, len(got), len(want))
			}
			for k := range got {
				if got[k] != want[k] {
					t.Fatalf("step %d: AscendFrom(%v)[%d] = %v, want %v", step, from, k, got[k], want[k])
				}
			}
		}
		if x.Len() != len(model) {
			t.Fatalf("step %d: Len = %d, want %d", step, x.Len(), len(model))
		}
		if len(model) > 0 && (x.Min().ID != model[0] || x.Max().ID != model[len(model)-1]) {
			t.Fatalf("step %d: Min/Max = %v/%v, want %v/%v", step, x.Min().ID, x.Max().ID, model[0], model[len(model)-1])
		}
	}
}
