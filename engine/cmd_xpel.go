package engine

import (
	"math"

	"github.com/pelicanhq/pelican/internal/resp"
	"github.com/pelicanhq/pelican/stream"
)

// The pending-entry commands, which read and settle the entries a consumer
// group has delivered and not yet acknowledged (its PEL): XACK, XACKDEL,
// XNACK, XPENDING, XCLAIM and XAUTOCLAIM. XACKDEL (Redis 8.2) and XNACK
// (Redis 8.8) follow https://redis.io/docs/latest/commands/xackdel/ and
// https://redis.io/docs/latest/commands/xnack/; XACKDEL parses its options
// with XDELEX's parsePolicyAndIDs (cmd_xdelex.go).

func xackCommand(c *Client, args [][]byte) {
	s, ok := c.streamLookup(args[1])
	if !ok {
		return
	}
	var g *stream.Group
	if s != nil {
		g = s.Group(args[2])
	}
	if g == nil {
		c.out.Int(0)
		return
	}
	ids, ok := c.parseIDs(args[3:])
	if !ok {
		return
	}
	n := 0
	for _, id := range ids {
		if g.Ack(id) {
			n++
		}
	}
	if n == 0 {
		c.propagateNothing()
	}
	c.out.Int(int64(n))
}

// XACKDEL key group [KEEPREF | DELREF | ACKED] IDS numids id [id ...]
func xackdelCommand(c *Client, args [][]byte) {
	policy, ids, ok := c.parsePolicyAndIDs(args, 3)
	if !ok {
		return
	}
	s, ok := c.streamLookupWrite(args[1])
	if !ok {
		return
	}
	var g *stream.Group
	if s != nil {
		g = s.Group(args[2])
	}
	codes := make([]stream.DeleteResult, len(ids))
	changed := false
	for i, id := range ids {
		codes[i] = stream.NotFound
		if g != nil {
			codes[i] = s.AckDelete(g, id, policy)
			changed = changed || codes[i] != stream.NotFound
		}
	}
	if changed {
		c.e.touchLocked(c.db, args[1])
	}
	writeCodes(c, codes)
	c.deleteCodesEffect(args, args[2], ids, codes)
}

// XNACK key group SILENT|FAIL|FATAL IDS numids id [id ...] [RETRYCOUNT n] [FORCE]
func xnackCommand(c *Client, args [][]byte) {
	var mode stream.NackMode
	switch {
	case equalFold(args[3], "SILENT"):
		mode = stream.NackSilent
	case equalFold(args[3], "FAIL"):
		mode = stream.NackFail
	case equalFold(args[3], "FATAL"):
		mode = stream.NackFatal
	default:
		c.errorReply("ERR mode must be SILENT, FAIL, or FATAL")
		return
	}
	retry := int64(-1)
	force := false
	var idArgs [][]byte
	for i := 4; i < len(args); i++ {
		switch {
		case equalFold(args[i], "IDS") && i+1 < len(args) && idArgs == nil:
			n, ok := c.intArg(args[i+1], "ERR numids must be a positive integer")
			if !ok {
				return
			}
			if n <= 0 {
				c.errorReply("ERR numids must be a positive integer")
				return
			}
			if n > int64(len(args)-i-2) {
				c.errorReply("ERR number of IDs doesn't match numids")
				return
			}
			idArgs = args[i+2 : i+2+int(n)]
			i += 1 + int(n)
		case equalFold(args[i], "RETRYCOUNT") && i+1 < len(args):
			v, ok := c.intArg(args[i+1], "")
			if !ok {
				return
			}
			if v < 0 {
				c.errorReply("ERR Invalid RETRYCOUNT value, must be >= 0")
				return
			}
			retry = v
			i++
		case equalFold(args[i], "FORCE"):
			force = true
		default:
			c.errorReply("ERR Unrecognized XNACK option '" + cstr(args[i]) + "'")
			return
		}
	}
	if idArgs == nil {
		c.errorReply("ERR syntax error, expected IDS keyword")
		return
	}
	ids, ok := c.parseIDs(idArgs)
	if !ok {
		return
	}
	s, g, ok := c.groupLookup(args[1], args[2])
	if !ok {
		return
	}
	n := 0
	for _, id := range ids {
		if g.Nack(s, id, mode, retry, force) {
			n++
		}
	}
	if n > 0 {
		c.e.touchLocked(c.db, args[1])
		// Readers blocked with CLAIM can take the entries now.
		c.e.signalKeyAsReadyLocked(c.db, args[1])
	}
	c.out.Int(int64(n))
}

func xpendingCommand(c *Client, args [][]byte) {
	justInfo := len(args) == 3
	if len(args) != 3 && (len(args) < 6 || len(args) > 9) {
		c.errorReply(errSyntax)
		return
	}
	var start, end stream.ID
	var count, minIdle int64
	var consumerName []byte
	if len(args) >= 6 {
		si := 3
		if equalFold(args[3], "IDLE") {
			v, ok := c.intArg(args[4], "")
			if !ok {
				return
			}
			minIdle = v
			if len(args) < 8 {
				c.errorReply(errSyntax)
				return
			}
			si += 2
		}
		v, ok := c.intArg(args[si+2], "")
		if !ok {
			return
		}
		count = max(v, 0)
		var ex bool
		if start, ex, ok = c.intervalIDArg(args[si], 0); !ok {
			return
		}
		if ex {
			if start, ok = start.Incr(); !ok {
				c.errorReply("ERR invalid start ID for the interval")
				return
			}
		}
		if end, ex, ok = c.intervalIDArg(args[si+1], ^uint64(0)); !ok {
			return
		}
		if ex {
			if end, ok = end.Decr(); !ok {
				c.errorReply("ERR invalid end ID for the interval")
				return
			}
		}
		if si+3 < len(args) {
			consumerName = args[si+3]
		}
	}
	_, g, ok := c.groupLookup(args[1], args[2])
	if !ok {
		return
	}
	w := c.out
	if justInfo {
		w.Array(4)
		w.Int(int64(g.PendingLen()))
		first, last, ok := g.PendingBounds()
		if !ok {
			w.NullBulk()
			w.NullBulk()
			w.NullArray()
			return
		}
		writeID(w, first)
		writeID(w, last)
		d := w.Defer(resp.KindArray)
		n := 0
		for _, cons := range g.Consumers() {
			if cons.PendingLen() == 0 {
				continue
			}
			w.Array(2)
			w.BulkString(cons.Name)
			w.BulkInt(int64(cons.PendingLen()))
			n++
		}
		w.SetLen(d, n)
		return
	}
	ascend := g.AscendPending
	if consumerName != nil {
		cons := g.Consumer(consumerName)
		if cons == nil {
			w.Array(0)
			return
		}
		ascend = cons.AscendPending
	}
	d := w.Defer(resp.KindArray)
	n := 0
	now := c.now
	if count > 0 {
		ascend(start, func(p *stream.Pending) bool {
			if end.Less(p.ID) {
				return false
			}
			if minIdle != 0 && now-p.DeliveryTime < minIdle {
				return true
			}
			w.Array(4)
			writeID(w, p.ID)
			w.BulkString(ownerName(p))
			if p.Nacked() {
				w.Int(-1) // given back with XNACK: no delivery to measure from
			} else {
				w.Int(max(now-p.DeliveryTime, 0))
			}
			w.Int(int64(p.DeliveryCount))
			n++
			count--
			return count > 0
		})
	}
	w.SetLen(d, n)
}

// writeClaimed writes a claimed entry: its ID with JUSTID, else the entry.
func writeClaimed(w *resp.Writer, s *stream.Stream, id stream.ID, justID bool) {
	if justID {
		writeID(w, id)
		return
	}
	writeRawRange(w, s, id, id, 1, false)
}

func xclaimCommand(c *Client, args [][]byte) {
	s, g, ok := c.groupLookup(args[1], args[2])
	if !ok {
		return
	}
	minIdle, ok := c.intArg(args[4], "ERR Invalid min-idle-time argument for XCLAIM")
	if !ok {
		return
	}
	minIdle = max(minIdle, 0)
	var ids []stream.ID
	j := 5
	for ; j < len(args); j++ {
		p, ok := stream.ParseID(args[j], 0, stream.Strict, false)
		if !ok {
			break
		}
		ids = append(ids, p.ID)
	}
	now := c.now
	var lastID stream.ID
	force, justID := false, false
	retryCount := int64(-1)
	deliveryTime := int64(-1)
	for ; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := args[j]
		switch {
		case equalFold(opt, "FORCE"):
			force = true
		case equalFold(opt, "JUSTID"):
			justID = true
		case equalFold(opt, "IDLE") && more > 0:
			j++
			v, ok := c.intArg(args[j], "ERR Invalid IDLE option argument for XCLAIM")
			if !ok {
				return
			}
			deliveryTime = now - v
		case equalFold(opt, "TIME") && more > 0:
			j++
			v, ok := c.intArg(args[j], "ERR Invalid TIME option argument for XCLAIM")
			if !ok {
				return
			}
			deliveryTime = v
		case equalFold(opt, "RETRYCOUNT") && more > 0:
			j++
			v, ok := c.intArg(args[j], "ERR Invalid RETRYCOUNT option argument for XCLAIM")
			if !ok {
				return
			}
			retryCount = v
		case equalFold(opt, "LASTID") && more > 0:
			j++
			v, ok := c.streamIDArg(args[j], 0, stream.Strict)
			if !ok {
				return
			}
			lastID = v
		default:
			c.errorReply("ERR Unrecognized XCLAIM option '" + cstr(opt) + "'")
			return
		}
	}
	c.propagateNothing() // what changed journals itself
	if g.LastID.Less(lastID) {
		g.LastID = lastID
		c.groupPositionEffect(args[1], g)
	}
	if deliveryTime < 0 || deliveryTime > now {
		deliveryTime = now
	}
	consumer, created := g.LookupOrCreateConsumer(args[3], now)
	consumer.SeenTime = now
	if created {
		c.consumerCreatedEffect(args[1], g, consumer)
	}
	c.consumerTouched(args[1], g, consumer)
	ce := c.newClaimEffects(args[1], g, consumer, true)
	var gone []stream.ID
	w := c.out
	d := w.Defer(resp.KindArray)
	n := 0
	for _, id := range ids {
		p := g.Pending(id)
		if !s.Exists(id) {
			if p != nil {
				g.Ack(id) // the entry is gone: drop the reference
				gone = append(gone, id)
			}
			continue
		}
		if force && p == nil {
			p = g.CreatePending(id)
		}
		if p == nil {
			continue
		}
		if p.Consumer != nil && minIdle > 0 && now-p.DeliveryTime < minIdle {
			continue
		}
		cnt := p.DeliveryCount
		switch {
		case retryCount >= 0:
			cnt = uint64(retryCount)
		case !justID:
			cnt = stream.IncrCount(cnt)
		}
		g.Assign(p, consumer, deliveryTime, cnt, now)
		ce.add(p)
		writeClaimed(w, s, id, justID)
		n++
	}
	w.SetLen(d, n)
	ce.flush()
	c.ackEffect(args[1], g, gone)
}

func xautoclaimCommand(c *Client, args [][]byte) {
	const attemptsFactor = 10
	minIdle, ok := c.intArg(args[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM")
	if !ok {
		return
	}
	minIdle = max(minIdle, 0)
	start, ex, ok := c.intervalIDArg(args[5], 0)
	if !ok {
		return
	}
	if ex {
		if start, ok = start.Incr(); !ok {
			c.errorReply("ERR invalid start ID for the interval")
			return
		}
	}
	count := int64(100)
	justID := false
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case equalFold(args[j], "COUNT") && more > 0:
			v, ok := c.rangeArg(args[j+1], 1, math.MaxInt64/16, "ERR COUNT must be > 0")
			if !ok {
				return
			}
			count = v
			j++
		case equalFold(args[j], "JUSTID"):
			justID = true
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	s, g, ok := c.groupLookup(args[1], args[2])
	if !ok {
		return
	}
	now := c.now
	c.propagateNothing() // what changed journals itself
	consumer, created := g.LookupOrCreateConsumer(args[3], now)
	consumer.SeenTime = now
	if created {
		c.consumerCreatedEffect(args[1], g, consumer)
	}
	c.consumerTouched(args[1], g, consumer)
	ce := c.newClaimEffects(args[1], g, consumer, false)

	w := c.out
	w.Array(3)
	// The cursor comes first but is known last: write the claimed entries
	// into a scratch writer.
	body := resp.Writer{Proto: w.Proto}
	attempts := count * attemptsFactor
	var deleted []stream.ID
	claimed := 0
	cur, eof := start, false
	for attempts > 0 && count > 0 {
		attempts--
		p := firstPendingFrom(g, cur)
		if p == nil {
			eof = true
			break
		}
		id := p.ID
		next, more := id.Incr()
		if !s.Exists(id) {
			g.Ack(id)
			deleted = append(deleted, id)
			count--
		} else if minIdle == 0 || now-p.DeliveryTime >= minIdle {
			cnt := p.DeliveryCount
			if !justID {
				cnt = stream.IncrCount(cnt)
			}
			g.Assign(p, consumer, now, cnt, now)
			ce.add(p)
			writeClaimed(&body, s, id, justID)
			claimed++
			count--
		}
		if !more {
			eof = true
			break
		}
		cur = next
	}
	cursor := stream.ID{}
	if !eof {
		if p := firstPendingFrom(g, cur); p != nil {
			cursor = p.ID
		}
	}
	ce.flush()
	c.ackEffect(args[1], g, deleted)
	writeID(w, cursor)
	w.Array(claimed)
	w.Raw(body.Buf)
	w.Array(len(deleted))
	for _, id := range deleted {
		writeID(w, id)
	}
}

// firstPendingFrom returns the first PEL entry with an ID >= from.
func firstPendingFrom(g *stream.Group, from stream.ID) *stream.Pending {
	var found *stream.Pending
	g.AscendPending(from, func(p *stream.Pending) bool {
		found = p
		return false
	})
	return found
}
