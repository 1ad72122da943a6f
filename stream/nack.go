package stream

// NackMode is how XNACK changes the delivery count of the entries it gives
// back to the group (Redis 8.8).
type NackMode int

// XNACK modes.
const (
	// NackSilent gives the entry back without spending an attempt: the
	// delivery count goes down by one (not below zero).
	NackSilent NackMode = iota
	// NackFail gives the entry back as a failed attempt: the count stays.
	NackFail
	// NackFatal marks the entry as never to be retried: the count becomes
	// the largest value a client can be told.
	NackFatal
)

// Nack gives the pending entry id back to the group at once: it leaves
// its consumer, becomes claimable by anyone whatever their minimum idle
// time (its delivery time is 0), and joins the end of the NACK zone that
// claiming serves first. retryCount, when >= 0, sets the delivery count
// instead of mode. With force, an entry that is not pending but exists in
// the stream is added to the PEL that way. It reports whether id was given
// back.
func (g *Group) Nack(s *Stream, id ID, mode NackMode, retryCount int64, force bool) bool {
	p := g.Pending(id)
	if p == nil {
		if !force || !s.Exists(id) {
			return false
		}
		p = &Pending{ID: id}
		g.pel.Insert(p)
		if mode == NackFatal {
			p.DeliveryCount = maxDeliveryCount
		}
	} else {
		g.detach(p)
		if p.Consumer != nil {
			p.Consumer.pel.Delete(p.ID)
			p.Consumer = nil
		}
		switch mode {
		case NackSilent:
			if p.DeliveryCount > 0 {
				p.DeliveryCount--
			}
		case NackFatal:
			p.DeliveryCount = maxDeliveryCount
		}
	}
	if retryCount >= 0 {
		p.DeliveryCount = uint64(retryCount)
	}
	p.DeliveryTime = 0
	if p.nackSeq == 0 {
		g.numNacks++
	}
	g.nackSeq++
	p.nackSeq = g.nackSeq
	g.attach(p)
	return true
}
