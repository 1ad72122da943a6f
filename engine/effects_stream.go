package engine

import (
	"github.com/pelicanhq/pelican/internal/intconv"
	"github.com/pelicanhq/pelican/stream"
)

// The effects of the stream commands whose outcome replay would not
// reproduce from their arguments. Deliveries and claims become XCLAIM with
// explicit TIME and RETRYCOUNT, as Redis propagates them; entries a group
// delivered without a PEL entry move its last-delivered ID with XGROUP
// SETID and ENTRIESREAD; approximate trims become exact ones.

// claimEffects collects the entries a command assigned to one consumer
// and journals them as few XCLAIM commands as possible: one per run of
// entries that share a delivery time and count.
type claimEffects struct {
	c                    *Client
	key, group, consumer []byte
	force                bool // the entries may not be pending yet (a new delivery)

	ids   [][]byte
	time  int64
	count uint64
}

// newClaimEffects starts collecting claims for consumer; nil when nothing
// is journaled.
func (c *Client) newClaimEffects(key []byte, g *stream.Group, consumer *stream.Consumer, force bool) *claimEffects {
	if !c.journaling() {
		return nil
	}
	c.fxCustom = true
	return &claimEffects{c: c, key: key, group: []byte(g.Name), consumer: []byte(consumer.Name), force: force}
}

// add records that p now belongs to the consumer.
func (ce *claimEffects) add(p *stream.Pending) {
	if ce == nil {
		return
	}
	if len(ce.ids) > 0 && (ce.time != p.DeliveryTime || ce.count != p.DeliveryCount || len(ce.ids) >= 1000) {
		ce.flush()
	}
	ce.time, ce.count = p.DeliveryTime, p.DeliveryCount
	ce.ids = append(ce.ids, p.ID.Append(nil))
}

// flush journals the collected run.
func (ce *claimEffects) flush() {
	if ce == nil || len(ce.ids) == 0 {
		return
	}
	args := make([][]byte, 0, len(ce.ids)+12)
	args = append(args, []byte("XCLAIM"), ce.key, ce.group, ce.consumer, []byte("0"))
	args = append(args, ce.ids...)
	args = append(args, []byte("TIME"), intArgBytes(ce.time), []byte("RETRYCOUNT"), uintArgBytes(ce.count))
	if ce.force {
		args = append(args, []byte("FORCE"))
	}
	args = append(args, []byte("JUSTID"))
	ce.c.propagate(args...)
	ce.ids = ce.ids[:0]
}

// consumerCreatedEffect journals the creation of a consumer by a read or
// a claim, so that a consumer that got nothing survives replay.
func (c *Client) consumerCreatedEffect(key []byte, g *stream.Group, consumer *stream.Consumer) {
	if !c.journaling() {
		return
	}
	c.propagate([]byte("XGROUP"), []byte("CREATECONSUMER"), key, []byte(g.Name), []byte(consumer.Name))
}

// groupPositionEffect journals a group's last-delivered ID and
// entries-read counter.
func (c *Client) groupPositionEffect(key []byte, g *stream.Group) {
	if !c.journaling() {
		return
	}
	c.propagate([]byte("XGROUP"), []byte("SETID"), key, []byte(g.Name), g.LastID.Append(nil),
		[]byte("ENTRIESREAD"), intArgBytes(g.EntriesRead))
}

// ackEffect journals the removal of PEL entries (claims of entries that
// were deleted from the stream drop them).
func (c *Client) ackEffect(key []byte, g *stream.Group, ids []stream.ID) {
	if !c.journaling() || len(ids) == 0 {
		return
	}
	args := [][]byte{[]byte("XACK"), key, []byte(g.Name)}
	for _, id := range ids {
		args = append(args, id.Append(nil))
	}
	c.propagate(args...)
}

// trimEffect journals a trim that removed entries as an exact one: every
// entry before the new first entry goes (all of them when the stream is
// now empty). A trim with a reference policy other than KEEPREF is
// Pelican's own (Redis 8.2): Pelican replays it as given (exact and
// approximate trims alike, with the stream's node limits), Redis as the
// plain trim.
func (c *Client) trimEffect(key []byte, s *stream.Stream, t stream.TrimArgs) {
	if !c.journaling() {
		return
	}
	std := exactTrim(key, s)
	if t.Policy == stream.KeepRef {
		c.propagate(std...)
		return
	}
	native := [][]byte{[]byte("XTRIM"), key}
	if t.Strategy == stream.TrimMaxLen {
		native = append(native, []byte("MAXLEN"))
	} else {
		native = append(native, []byte("MINID"))
	}
	if t.Approx {
		native = append(native, []byte("~"))
	} else {
		native = append(native, []byte("="))
	}
	if t.Strategy == stream.TrimMaxLen {
		native = append(native, intArgBytes(t.MaxLen))
	} else {
		native = append(native, t.MinID.Append(nil))
	}
	if t.Approx {
		native = append(native, []byte("LIMIT"), intArgBytes(t.Limit))
	}
	switch t.Policy {
	case stream.DelRef:
		native = append(native, []byte("DELREF"))
	case stream.Acked:
		native = append(native, []byte("ACKED"))
	}
	c.propagateNative(native, std)
}

// xaddEffect journals an XADD that added id: the entry with its concrete
// ID, then what a trim removed. With IDMP, Pelican replays the command as
// given (at the same time, "*" gives the same ID, and the producer's
// state follows), Redis the plain entry and trim.
func (c *Client) xaddEffect(args [][]byte, key []byte, id stream.ID, fieldPos int, s *stream.Stream, a addTrimArgs, trimmed int64) {
	entry := make([][]byte, 0, 3+len(args)-fieldPos)
	entry = append(entry, []byte("XADD"), key, id.Append(nil))
	entry = append(entry, args[fieldPos:]...)
	if a.idmp.mode == idmpNone {
		c.propagate(entry...)
		if trimmed > 0 {
			c.trimEffect(key, s, a.trim)
		}
		return
	}
	std := [][][]byte{entry}
	if trimmed > 0 {
		std = append(std, exactTrim(key, s))
	}
	c.propagateNative(args, std...)
}

// exactTrim is the XTRIM that removes, exactly, every entry before the
// stream's first one (all of them when it is empty): the effect of any
// trim from the head.
func exactTrim(key []byte, s *stream.Stream) [][]byte {
	if s.Len() == 0 {
		return [][]byte{[]byte("XTRIM"), key, []byte("MAXLEN"), []byte("="), []byte("0")}
	}
	return [][]byte{[]byte("XTRIM"), key, []byte("MINID"), []byte("="), s.FirstID().Append(nil)}
}

// deleteCodesEffect journals XDELEX (group nil) or XACKDEL, Redis 8.2
// commands: Pelican replays them as given; Redis gets the acknowledgements
// (XACKDEL) and the deletions, without the reference policy's clean-up of
// other groups.
func (c *Client) deleteCodesEffect(args [][]byte, group []byte, ids []stream.ID, codes []stream.DeleteResult) {
	c.propagateNothing()
	if !c.journaling() {
		return
	}
	key := args[1]
	acked := [][]byte{[]byte("XACK"), key, group}
	deleted := [][]byte{[]byte("XDEL"), key}
	for i, id := range ids {
		if codes[i] == stream.NotFound {
			continue
		}
		acked = append(acked, id.Append(nil))
		if codes[i] == stream.Deleted {
			deleted = append(deleted, id.Append(nil))
		}
	}
	var std [][][]byte
	if group != nil && len(acked) > 3 {
		std = append(std, acked)
	}
	if len(deleted) > 2 {
		std = append(std, deleted)
	}
	if len(std) == 0 && (group == nil || len(acked) == 3) {
		return
	}
	c.propagateNative(args, std...)
}

// consumerRef names a consumer whose seen or active time changed since it
// was last journaled.
type consumerRef struct {
	db                   int
	key, group, consumer string
}

// consumerTouched notes that a read or claim set the consumer's seen time
// (and perhaps its active time). The times are journaled with the
// command's other effects, or, for a read that changed nothing else, by
// the journal's next sweep (within a second), so that reads that find
// nothing neither grow the files nor wait for an fsync.
func (c *Client) consumerTouched(key []byte, g *stream.Group, consumer *stream.Consumer) {
	if !c.journaling() {
		return
	}
	fx := &c.e.fx
	if fx.touched == nil {
		fx.touched = make(map[consumerRef]struct{})
	}
	fx.touched[consumerRef{c.db.id, string(key), g.Name, consumer.Name}] = struct{}{}
}

// consumerTimesLocked journals the current seen and active times of the
// touched consumers that still exist.
func (e *Engine) consumerTimesLocked() {
	fx := &e.fx
	for ref := range fx.touched {
		delete(fx.touched, ref)
		o := e.dbs[ref.db].keys[ref.key]
		if o == nil || o.kind != kindStream {
			continue
		}
		g := o.stream.Group([]byte(ref.group))
		if g == nil {
			continue
		}
		cons := g.Consumer([]byte(ref.consumer))
		if cons == nil {
			continue
		}
		e.appendNativeLocked(ref.db, [][]byte{[]byte(consumerTimesCmd), []byte(ref.key), []byte(ref.group),
			[]byte(ref.consumer), intArgBytes(cons.SeenTime), intArgBytes(cons.ActiveTime)})
	}
}

// consumerTimesCmd is the journal-only command that sets a consumer's
// seen and active times: PELICAN.CONSUMERTIMES key group consumer seen
// active.
const consumerTimesCmd = "PELICAN.CONSUMERTIMES"

// replayConsumerTimes applies a PELICAN.CONSUMERTIMES extension.
func (e *Engine) replayConsumerTimes(db *keyspace, args [][]byte) {
	if len(args) != 6 {
		return
	}
	o := db.keys[string(args[1])]
	if o == nil || o.kind != kindStream {
		return
	}
	g := o.stream.Group(args[2])
	if g == nil {
		return
	}
	cons := g.Consumer(args[3])
	seen, ok1 := intconv.ParseInt(args[4])
	active, ok2 := intconv.ParseInt(args[5])
	if cons == nil || !ok1 || !ok2 {
		return
	}
	cons.SeenTime, cons.ActiveTime = seen, active
}
