package engine

import (
	"github.com/pelicanhq/pelican/internal/resp"
	"github.com/pelicanhq/pelican/stream"
)

// XREADGROUP ... CLAIM min-idle-time (Redis 8.4): one call returns the
// group's pending entries that have been idle at least min-idle-time
// (entries given back with XNACK first, then the longest idle), claimed
// for the caller, followed by new entries. Every entry of such a reply has
// four elements: ID, fields, milliseconds since its last delivery, and its
// number of earlier deliveries (0 and 0 for new entries).

// claimableFrom reports whether some pending entry of g, whose entry still
// exists, is idle for at least minIdle at now.
func claimableFrom(s *stream.Stream, g *stream.Group, minIdle, now int64) bool {
	found := false
	g.AscendClaimOrder(func(p *stream.Pending) bool {
		if !p.Nacked() && now-p.DeliveryTime < minIdle {
			return false // claim order is by idle time: none further is idle enough
		}
		if s.Exists(p.ID) {
			found = true
			return false
		}
		return true
	})
	return found
}

// claimIdle claims idle pending entries of g for consumer, writing them,
// and returns how many it wrote.
func (c *Client) claimIdle(s *stream.Stream, g *stream.Group, consumer *stream.Consumer, a *xreadArgs, b *readBudget, ce *claimEffects) int {
	now := c.now
	var picked []*stream.Pending
	g.AscendClaimOrder(func(p *stream.Pending) bool {
		if a.count > 0 && int64(len(picked)) >= a.count {
			return false
		}
		if !p.Nacked() && now-p.DeliveryTime < a.claim {
			return false
		}
		if s.Exists(p.ID) {
			picked = append(picked, p)
		}
		return true
	})
	w := c.out
	n := 0
	var it stream.Iterator
	for _, p := range picked {
		if !b.more() {
			break
		}
		idle, prev := now-p.DeliveryTime, p.DeliveryCount
		it.Reset(s, p.ID, p.ID, false)
		it.Next()
		writeClaimedEntry(w, p.ID, it.Fields(), idle, prev)
		g.Assign(p, consumer, now, stream.IncrCount(prev), now)
		ce.add(p)
		n++
		b.entries++
	}
	return n
}

// writeClaimedEntry writes one entry of a CLAIM reply.
func writeClaimedEntry(w *resp.Writer, id stream.ID, fv [][]byte, idle int64, count uint64) {
	w.Array(4)
	writeID(w, id)
	w.Array(len(fv))
	for _, b := range fv {
		w.Bulk(b)
	}
	w.Int(idle)
	w.Int(int64(count))
}

// nextClaimable returns the Unix ms after now at which a pending entry of
// one of the groups becomes idle enough to claim, or 0 if none will. A
// client blocked with CLAIM is woken then to try again. Entries that are
// claimable already are skipped: the caller found nothing to serve, so
// their stream entries are gone.
func nextClaimable(groups []*stream.Group, minIdle, now int64) int64 {
	var at int64
	for _, g := range groups {
		g.AscendClaimOrder(func(p *stream.Pending) bool {
			if p.Nacked() {
				return true
			}
			t := p.DeliveryTime + minIdle
			if t <= now {
				return true
			}
			if at == 0 || t < at {
				at = t
			}
			return false
		})
	}
	return at
}
