package stream

import (
	"slices"

	"github.com/google/btree"
)

// The claim order (Group.AscendClaimOrder): entries given back with XNACK
// first, in the order they were given back, then the rest by last delivery
// time, oldest first, ties by ID. It is built the first time a claim by
// idle time needs it and kept up to date from then on, so groups that
// never claim that way pay nothing for it.
//
// Deliveries almost always come in that order (a delivery's time is the
// command's, which does not go back), so most entries are appended to a
// queue, and an acknowledgement only marks its item dead, to be dropped
// when the queue's head passes it or the queue is compacted. Entries that
// arrive out of order (XCLAIM with IDLE or TIME, a clock that went back,
// several entries claimed in one millisecond) and the NACK zone live in a
// B-tree. AscendClaimOrder merges the two.

// claimOrder is the claim order of a group; the zero value is not built.
type claimOrder struct {
	built bool
	tree  *btree.BTreeG[*Pending] // the NACK zone and out-of-order entries
	queue []orderItem             // in claim order; dead items included
	head  int                     // queue[:head] are dropped
	live  int                     // live items in queue[head:]
}

// orderItem is an entry's place in the queue, with the key it was queued
// under. It is live while the entry is still queued under that generation.
type orderItem struct {
	p    *Pending
	time int64
	id   ID
	gen  uint32
}

func (it *orderItem) alive() bool { return it.p.queued && it.p.orderGen == it.gen }

// lessThan reports whether the item sorts before non-NACKed entry p.
func (it *orderItem) lessThan(p *Pending) bool {
	if it.time != p.DeliveryTime {
		return it.time < p.DeliveryTime
	}
	return it.id.Less(p.ID)
}

// claimOrderLess orders the B-tree's entries.
func claimOrderLess(a, b *Pending) bool {
	an, bn := a.nackSeq != 0, b.nackSeq != 0
	switch {
	case an && bn:
		return a.nackSeq < b.nackSeq
	case an != bn:
		return an
	case a.DeliveryTime != b.DeliveryTime:
		return a.DeliveryTime < b.DeliveryTime
	}
	return a.ID.Less(b.ID)
}

// add puts p in the order.
func (o *claimOrder) add(p *Pending) {
	if !o.built {
		return
	}
	if p.nackSeq == 0 && o.appendable(p) {
		p.orderGen++
		p.queued = true
		o.queue = append(o.queue, orderItem{p: p, time: p.DeliveryTime, id: p.ID, gen: p.orderGen})
		o.live++
		return
	}
	o.tree.ReplaceOrInsert(p)
}

// appendable reports whether p sorts after the queue's last item.
func (o *claimOrder) appendable(p *Pending) bool {
	if len(o.queue) == o.head {
		return true
	}
	last := &o.queue[len(o.queue)-1]
	return last.time < p.DeliveryTime || last.time == p.DeliveryTime && last.id.Less(p.ID)
}

// remove takes p out of the order, before one of its ordering fields
// changes or it leaves the PEL.
func (o *claimOrder) remove(p *Pending) {
	if !o.built {
		return
	}
	if !p.queued {
		o.tree.Delete(p)
		return
	}
	p.queued = false
	p.orderGen++
	o.live--
	o.maybeCompact()
}

// maybeCompact compacts the queue once most of it is waste: dead items,
// and the dropped ones before head, which ascend skips but which still
// take room, so that the queue stays about as large as what is queued.
func (o *claimOrder) maybeCompact() {
	if waste := len(o.queue) - o.live; waste > 64 && waste > o.live {
		o.compact()
	}
}

// compact drops the dead items. It reuses the queue's array unless that
// is much larger than what is left, so a queue that churns (deliveries
// acknowledged as fast as they come) stops allocating.
func (o *claimOrder) compact() {
	q := o.queue[:0]
	if c := cap(o.queue); c > 1024 && c > 4*o.live {
		q = make([]orderItem, 0, max(2*o.live, 16))
	}
	for i := o.head; i < len(o.queue); i++ {
		if o.queue[i].alive() {
			q = append(q, o.queue[i])
		}
	}
	if len(q) < len(o.queue) && cap(q) == cap(o.queue) {
		clear(o.queue[len(q):]) // drop the pointers the dead items held
	}
	o.queue, o.head = q, 0
}

// build makes the order of the entries of pel.
func (o *claimOrder) build(pel *pelIndex) {
	o.built = true
	o.tree = btree.NewG(btreeDegree, claimOrderLess)
	var plain []*Pending
	pel.Ascend(func(p *Pending) bool {
		if p.nackSeq != 0 {
			o.tree.ReplaceOrInsert(p)
		} else {
			plain = append(plain, p)
		}
		return true
	})
	slices.SortFunc(plain, func(a, b *Pending) int {
		switch {
		case claimOrderLess(a, b):
			return -1
		case claimOrderLess(b, a):
			return 1
		}
		return 0
	})
	for _, p := range plain {
		o.add(p)
	}
}

// ascend calls fn for the entries in claim order until it returns false.
func (o *claimOrder) ascend(fn func(*Pending) bool) {
	for o.head < len(o.queue) && !o.queue[o.head].alive() {
		o.queue[o.head] = orderItem{}
		o.head++
	}
	o.maybeCompact() // before iterating: fn must not see the queue move
	i := o.head
	// queueBefore calls fn for the live queued items that sort before p
	// (all that are left when p is nil); false if fn stopped.
	queueBefore := func(p *Pending) bool {
		for ; i < len(o.queue); i++ {
			it := &o.queue[i]
			if !it.alive() {
				continue
			}
			if p != nil && !it.lessThan(p) {
				return true
			}
			if !fn(it.p) {
				return false
			}
		}
		return true
	}
	stopped := false
	o.tree.Ascend(func(p *Pending) bool {
		// The NACK zone comes before every queued item.
		if p.nackSeq == 0 && !queueBefore(p) {
			stopped = true
			return false
		}
		if !fn(p) {
			stopped = true
			return false
		}
		return true
	})
	if !stopped {
		queueBefore(nil)
	}
}

// len returns how many entries the order holds.
func (o *claimOrder) len() int { return o.tree.Len() + o.live }

// check verifies the queue: items in claim order, live ones counted.
func (o *claimOrder) check() (ok bool, why string) {
	live := 0
	var prev *orderItem
	for i := o.head; i < len(o.queue); i++ {
		it := &o.queue[i]
		if prev != nil && !(prev.time < it.time || prev.time == it.time && prev.id.Less(it.id)) {
			return false, "claim queue out of order"
		}
		prev = it
		if it.alive() {
			live++
			if it.p.DeliveryTime != it.time || it.p.ID != it.id || it.p.nackSeq != 0 {
				return false, "a live claim queue item does not match its entry"
			}
		}
	}
	if live != o.live {
		return false, "claim queue live count is wrong"
	}
	return true, ""
}
