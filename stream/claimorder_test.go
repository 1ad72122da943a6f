package stream

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The claim order always equals the PEL sorted by claimOrderLess, through
// random deliveries (with times that mostly advance, sometimes repeat or go
// back), redeliveries, claims with arbitrary times, NACKs, acknowledgements
// and consumer deletions, built early or late.
func TestClaimOrderMatchesSortedPEL(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 3))
		s := New()
		for i := 1; i <= 400; i++ {
			if err := s.Append(ID{Ms: uint64(i)}, [][]byte{[]byte("f"), []byte("v")}, Limits{}); err != nil {
				t.Fatal(err)
			}
		}
		g := s.CreateGroup([]byte("g"), ID{}, 0)
		cs := []*Consumer{g.CreateConsumer([]byte("a"), 0), g.CreateConsumer([]byte("b"), 0)}
		now := int64(1000)
		buildAt := rng.IntN(300)
		pending := func() []*Pending {
			var ps []*Pending
			g.AscendPending(ID{}, func(p *Pending) bool { ps = append(ps, p); return true })
			return ps
		}
		for step := 0; step < 600; step++ {
			switch r := rng.IntN(100); {
			case r < 70:
				now += int64(rng.IntN(3)) // mostly forward, often the same ms
			case r < 75:
				now -= int64(rng.IntN(5)) // the clock went back
			}
			ps := pending()
			c := cs[rng.IntN(len(cs))]
			switch op := rng.IntN(100); {
			case op < 40:
				g.Deliver(ID{Ms: uint64(1 + rng.IntN(400))}, c, now)
			case op < 60 && len(ps) > 0:
				g.Ack(ps[rng.IntN(len(ps))].ID)
			case op < 70 && len(ps) > 0:
				g.Redeliver(ps[rng.IntN(len(ps))], now)
			case op < 80 && len(ps) > 0:
				p := ps[rng.IntN(len(ps))]
				g.Assign(p, c, now-int64(rng.IntN(50)), p.DeliveryCount+1, now)
			case op < 90 && len(ps) > 0:
				g.Nack(s, ps[rng.IntN(len(ps))].ID, NackMode(rng.IntN(3)), -1, false)
			case op < 92:
				g.DeleteConsumer(cs[1])
				cs[1] = g.CreateConsumer([]byte("b"), now)
			}
			if step >= buildAt {
				want := pending()
				slices.SortFunc(want, func(a, b *Pending) int {
					if claimOrderLess(a, b) {
						return -1
					}
					return 1
				})
				var got []*Pending
				g.AscendClaimOrder(func(p *Pending) bool { got = append(got, p); return true })
				if !slices.Equal(got, want) {
					t.Fatalf("seed %d step %d: claim order differs from the sorted PEL:\n got %v\nwant %v", seed, step, ids(got), ids(want))
				}
				if err := s.Validate(); err != nil {
					t.Fatalf("seed %d step %d: %v", seed, step, err)
				}
				// Stopping early must not disturb anything.
				n := 0
				g.AscendClaimOrder(func(p *Pending) bool { n++; return n < 3 })
			}
		}
	}
}

func ids(ps []*Pending) []ID {
	out := make([]ID, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// A group read with CLAIM looks at the claim order on every read, then
// acknowledges what it read: the queue must stay about as large as what is
// pending, not grow with everything ever delivered.
func TestClaimQueueStaysSmallUnderReadAckChurn(t *testing.T) {
	s := New()
	const batch, rounds = 64, 500
	for i := 1; i <= batch*rounds; i++ {
		if err := s.Append(ID{Ms: uint64(i)}, [][]byte{[]byte("f"), []byte("v")}, Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	g := s.CreateGroup([]byte("g"), ID{}, 0)
	c := g.CreateConsumer([]byte("c"), 0)
	next := uint64(1)
	for round := 0; round < rounds; round++ {
		now := int64(1000 + round)
		// The read looks for idle entries first (none are), then
		// delivers new ones; the next read acknowledges them.
		g.AscendClaimOrder(func(p *Pending) bool { return now-p.DeliveryTime >= 60000 })
		delivered := make([]ID, 0, batch)
		for range batch {
			id := ID{Ms: next}
			next++
			g.Deliver(id, c, now)
			delivered = append(delivered, id)
		}
		for _, id := range delivered {
			if !g.Ack(id) {
				t.Fatalf("round %d: %v was not pending", round, id)
			}
		}
	}
	if got, limit := cap(g.byTime.queue), 4*batch+128; got > limit {
		t.Errorf("claim queue capacity is %d after %d deliveries with at most %d pending; want at most %d", got, batch*rounds, batch, limit)
	}
	if ok, why := g.byTime.check(); !ok {
		t.Error(why)
	}
}
