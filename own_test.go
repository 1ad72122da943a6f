package pelican

import (
	"slices"
	"testing"
	"time"
)

// A read loop's first deliveries are owned as a batch, everything else one
// by one, and every path sees both: nothing owned one way can be owned
// again the other way until it is released.
func TestOwnership(t *testing.T) {
	w := &Worker{
		c:        &Client{clock: realClock{}},
		inFlight: make(map[string]time.Time),
		held:     make(map[*[]*Message]struct{}),
	}
	msg := func(id string, deliveries int64) *Message { return &Message{ID: id, Deliveries: deliveries} }
	ids := func(msgs []*Message) []string {
		var out []string
		for _, m := range msgs {
			out = append(out, m.ID)
		}
		return out
	}

	// A claim pass owns 2-1 one by one.
	if got := ids(w.own([]*Message{msg("2-1", 2)})); !slices.Equal(got, []string{"2-1"}) {
		t.Fatalf("own = %v, want [2-1]", got)
	}
	// A read gets 1-1 and 3-1 new, 2-1 (claimed by the read too) and 4-1
	// redelivered.
	owned, token := w.ownRead([]*Message{msg("1-1", 1), msg("2-1", 3), msg("3-1", 1), msg("4-1", 2)})
	if got, want := ids(owned), []string{"1-1", "3-1", "4-1"}; !slices.Equal(got, want) {
		t.Fatalf("ownRead = %v, want %v", got, want)
	}
	if token == nil || len(w.held) != 1 || len(w.inFlight) != 2 {
		t.Fatalf("after ownRead: token %v, %d batches held, %d owned one by one; want a token, 1 and 2", token, len(w.held), len(w.inFlight))
	}
	// Nothing held by the read can be owned again.
	if got := ids(w.own([]*Message{msg("1-1", 2), msg("3-1", 2), msg("4-1", 3), msg("5-1", 2)})); !slices.Equal(got, []string{"5-1"}) {
		t.Errorf("own after ownRead = %v, want [5-1]", got)
	}
	// An entry given back before its first delivery was counted comes
	// back through CLAIM with a count of 1: it is checked like any other.
	again := msg("1-1", 1)
	again.claimed = true
	if got, _ := w.ownRead([]*Message{again}); len(got) != 0 {
		t.Errorf("ownRead of a held message read again with CLAIM = %v, want nothing", ids(got))
	}
	w.mu.Lock()
	held := w.heldLocked()
	busy := []bool{w.busyLocked("1-1", held), w.busyLocked("2-1", held), w.busyLocked("6-1", held)}
	w.mu.Unlock()
	if !slices.Equal(busy, []bool{true, true, false}) {
		t.Errorf("busy 1-1, 2-1, 6-1 = %v, want true true false", busy)
	}
	// Releasing the read's batch frees all of it.
	w.release(owned)
	w.mu.Lock()
	delete(w.held, token)
	w.mu.Unlock()
	if got := ids(w.own([]*Message{msg("1-1", 2), msg("3-1", 2), msg("4-1", 3)})); !slices.Equal(got, []string{"1-1", "3-1", "4-1"}) {
		t.Errorf("own after the release = %v, want all three", got)
	}
	// A read of only redeliveries holds no batch.
	if _, token := w.ownRead([]*Message{msg("7-1", 2)}); token != nil || len(w.held) != 0 {
		t.Errorf("ownRead of redeliveries: token %v, %d batches held; want none", token, len(w.held))
	}
}
