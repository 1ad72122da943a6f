package stream

import (
	"fmt"

	"github.com/pelicanhq/pelican/internal/listpack"
)

// Validate checks the stream's invariants: well-formed nodes in ID order
// whose counters agree with their entries, a length that matches, the
// recorded first ID, and consumer groups whose PELs agree with their
// consumers'. Tests and fuzzers call it after every change; it is too slow
// for the hot path.
func (s *Stream) Validate() error {
	var total uint64
	prev := ID{}
	seen := false
	for ni, n := range s.nodes {
		if !listpack.Validate(n.lp) {
			return fmt.Errorf("node %d (%v): malformed listpack", ni, n.master)
		}
		if ni > 0 && !s.nodes[ni-1].master.Less(n.master) {
			return fmt.Errorf("node %d (%v): not after node %d (%v)", ni, n.master, ni-1, s.nodes[ni-1].master)
		}
		count, deleted, _, _ := nodeHeader(n.lp)
		if count < 1 {
			return fmt.Errorf("node %d (%v): no live entry", ni, n.master)
		}
		var live, dead int64
		var it Iterator
		it.Reset(s, MinID, MaxID, false)
		it.started = true
		it.enterNode(ni)
		for {
			ok, more := it.stepInNodeAll()
			if !ok {
				_ = more
				break
			}
			if it.flags&flagDeleted != 0 {
				dead++
			} else {
				live++
			}
			if seen && !prev.Less(it.id) {
				return fmt.Errorf("node %d: entry %v does not follow %v", ni, it.id, prev)
			}
			prev, seen = it.id, true
		}
		if live != count || dead != deleted {
			return fmt.Errorf("node %d (%v): header says %d live and %d deleted, found %d and %d", ni, n.master, count, deleted, live, dead)
		}
		total += uint64(count)
	}
	if total != s.length {
		return fmt.Errorf("length %d, but nodes hold %d entries", s.length, total)
	}
	nodeBytes := 0
	for _, n := range s.nodes {
		nodeBytes += len(n.lp)
	}
	if nodeBytes != s.nodeBytes {
		return fmt.Errorf("node bytes %d, but the nodes hold %d", s.nodeBytes, nodeBytes)
	}
	wantFirst := ID{}
	if s.length > 0 {
		wantFirst = s.FirstValidID()
	}
	if s.firstID != wantFirst {
		return fmt.Errorf("first ID %v, want %v", s.firstID, wantFirst)
	}
	if s.length > 0 && s.lastID.Less(s.LastValidID()) {
		return fmt.Errorf("last ID %v is before the last entry %v", s.lastID, s.LastValidID())
	}
	for _, g := range s.groups {
		if err := g.validate(); err != nil {
			return fmt.Errorf("group %q: %w", g.Name, err)
		}
	}
	return nil
}

func (g *Group) validate() error {
	owned, nacked := 0, 0
	var err error
	g.pel.Ascend(func(p *Pending) bool {
		switch {
		case p.Consumer == nil && p.nackSeq == 0:
			err = fmt.Errorf("pending %v has no owner and was not given back", p.ID)
		case p.Consumer != nil && p.Consumer.pel.Get(p.ID) != p:
			err = fmt.Errorf("pending %v is missing from consumer %q", p.ID, p.Consumer.Name)
		case p.Consumer != nil && p.nackSeq != 0:
			err = fmt.Errorf("pending %v is owned by %q and given back", p.ID, p.Consumer.Name)
		}
		if p.Consumer != nil {
			owned++
		}
		if p.nackSeq != 0 {
			nacked++
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	if nacked != g.numNacks {
		return fmt.Errorf("%d entries given back, counter says %d", nacked, g.numNacks)
	}
	sum := 0
	for _, c := range g.consumers {
		sum += c.pel.Len()
		c.pel.Ascend(func(p *Pending) bool {
			if p.Consumer != c || g.pel.Get(p.ID) != p {
				err = fmt.Errorf("consumer %q holds %v, which the group does not give it", c.Name, p.ID)
			}
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	if sum != owned {
		return fmt.Errorf("consumers hold %d entries, the group says %d are owned", sum, owned)
	}
	if g.byTime.built {
		if n := g.byTime.len(); n != g.pel.Len() {
			return fmt.Errorf("claim order holds %d entries, the PEL %d", n, g.pel.Len())
		}
		if ok, why := g.byTime.check(); !ok {
			return fmt.Errorf("group %q: %s", g.Name, why)
		}
	}
	return nil
}
