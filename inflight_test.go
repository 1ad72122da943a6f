package pelican

import (
	"slices"
	"testing"
)

// A read's messages are owned as a batch, everything else one by one, and
// every path sees both: nothing owned one way can be owned again either
// way until it is released.
func TestInFlight(t *testing.T) {
	f := newInFlight()
	msg := func(id string) *Message { return &Message{ID: id} }
	ids := func(msgs []*Message) []string {
		var out []string
		for _, m := range msgs {
			out = append(out, m.ID)
		}
		return out
	}

	// A claim owns 2-1 one by one.
	if got := ids(f.add([]*Message{msg("2-1")})); !slices.Equal(got, []string{"2-1"}) {
		t.Fatalf("add = %v, want [2-1]", got)
	}
	// A read brings 1-1 and 3-1.
	read := []*Message{msg("1-1"), msg("3-1")}
	f.addBatch(read)
	if got := f.len(); got != 3 {
		t.Fatalf("len = %d, want 3", got)
	}
	// Nothing owned can be owned again, by message or by ID.
	if got := ids(f.add([]*Message{msg("1-1"), msg("2-1"), msg("3-1"), msg("5-1")})); !slices.Equal(got, []string{"5-1"}) {
		t.Errorf("add of owned messages = %v, want [5-1]", got)
	}
	for _, id := range []string{"1-1", "2-1", "3-1", "5-1"} {
		if f.tryAdd(id) {
			t.Errorf("tryAdd(%s) took an owned message", id)
		}
	}
	owned := f.owned(false)
	for _, id := range []string{"1-1", "2-1", "3-1", "5-1"} {
		if !owned[id] {
			t.Errorf("owned() misses %s", id)
		}
	}
	// Releasing part of the batch frees that part only; the batch goes
	// once all of it is released.
	f.release(read[0])
	if !f.tryAdd("1-1") {
		t.Error("tryAdd(1-1) after its release failed")
	}
	f.releaseID("1-1")
	if len(f.batches) != 1 {
		t.Errorf("%d batches held with one message still owned, want 1", len(f.batches))
	}
	f.release(read[1], read[1]) // a second release is a no-op
	if len(f.batches) != 0 {
		t.Errorf("%d batches held after releasing all of them, want 0", len(f.batches))
	}
	f.releaseID("2-1")
	f.releaseID("5-1")
	if got := f.len(); got != 0 {
		t.Errorf("len after releasing everything = %d, want 0", got)
	}
}
