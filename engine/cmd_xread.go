package engine

import (
	"time"

	"github.com/pelicanhq/pelican/internal/resp"
	"github.com/pelicanhq/pelican/stream"
)

// XREAD and XREADGROUP, including blocking, XREADGROUP's CLAIM (Redis 8.4)
// and the MAXCOUNT and MAXSIZE caps (Redis 8.10).

// xreadArgs are the parsed options of XREAD and XREADGROUP.
type xreadArgs struct {
	group      bool
	timeout    int64 // -1: no BLOCK
	count      int64 // per stream; 0: no limit
	maxCount   int64 // over all streams; 0: no limit
	maxSize    int64 // soft cap on reply bytes; 0: no limit
	noack      bool
	claim      int64 // min idle time of CLAIM; -1 when absent
	groupName  []byte
	consumer   []byte
	streamsArg int
	numStreams int
}

// Errors of the options added after Redis 7.
const (
	errClaimNotInt      = "ERR min-idle-time is not an integer or out of range"
	errClaimNegative    = "ERR min-idle-time must be a positive integer"
	errClaimOnlyGroup   = "ERR The CLAIM option is only supported by XREADGROUP. You called XREAD instead."
	errMaxCountPositive = "ERR MAXCOUNT must be a positive integer"
	errMaxCountBelow    = "ERR MAXCOUNT must be greater than or equal to COUNT"
	errMaxSizePositive  = "ERR MAXSIZE must be a positive integer"
)

// parseXreadArgs parses the options before STREAMS.
func (c *Client) parseXreadArgs(args [][]byte, group bool) (xreadArgs, bool) {
	a := xreadArgs{group: group, timeout: -1, claim: -1}
	name := "xread"
	if group {
		name = "xreadgroup"
	}
	countGiven := false
	for i := 1; i < len(args); i++ {
		more := len(args) - i - 1
		o := args[i]
		switch {
		case equalFold(o, "BLOCK") && more > 0:
			if c.script {
				c.errorReply("ERR " + cstr(args[0]) + " command is not allowed with BLOCK option from scripts")
				return a, false
			}
			i++
			v, ok := c.timeoutMsArg(args[i])
			if !ok {
				return a, false
			}
			a.timeout = v
		case equalFold(o, "COUNT") && more > 0:
			i++
			v, ok := c.intArg(args[i], "")
			if !ok {
				return a, false
			}
			a.count = max(v, 0)
			countGiven = true
		case equalFold(o, "MAXCOUNT") && more > 0:
			i++
			v, ok := c.intArg(args[i], errMaxCountPositive)
			if !ok {
				return a, false
			}
			if v <= 0 {
				c.errorReply(errMaxCountPositive)
				return a, false
			}
			a.maxCount = v
		case equalFold(o, "MAXSIZE") && more > 0:
			i++
			v, ok := c.intArg(args[i], errMaxSizePositive)
			if !ok {
				return a, false
			}
			if v <= 0 {
				c.errorReply(errMaxSizePositive)
				return a, false
			}
			a.maxSize = v
		case equalFold(o, "STREAMS") && more > 0:
			a.streamsArg = i + 1
			n := len(args) - a.streamsArg
			if n%2 != 0 {
				sym := "ID, '+', or '$'"
				if group {
					sym = "ID or '>'"
				}
				c.errorReply("ERR Unbalanced '" + name + "' list of streams: for each stream key an " + sym + " must be specified.")
				return a, false
			}
			a.numStreams = n / 2
			i = len(args)
		case equalFold(o, "GROUP") && more >= 2:
			if !group {
				c.errorReply("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return a, false
			}
			a.groupName, a.consumer = args[i+1], args[i+2]
			i += 2
		case equalFold(o, "NOACK"):
			if !group {
				c.errorReply("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return a, false
			}
			a.noack = true
		case equalFold(o, "CLAIM") && more > 0:
			if !group {
				c.errorReply(errClaimOnlyGroup)
				return a, false
			}
			i++
			v, ok := c.intArg(args[i], errClaimNotInt)
			if !ok {
				return a, false
			}
			if v < 0 {
				c.errorReply(errClaimNegative)
				return a, false
			}
			a.claim = v
		default:
			c.errorReply(errSyntax)
			return a, false
		}
	}
	if a.streamsArg == 0 {
		c.errorReply(errSyntax)
		return a, false
	}
	if a.group && a.groupName == nil {
		c.errorReply("ERR Missing GROUP option for XREADGROUP")
		return a, false
	}
	if a.maxCount > 0 && countGiven && a.count > a.maxCount {
		c.errorReply(errMaxCountBelow)
		return a, false
	}
	return a, true
}

// newEntriesID stands for XREADGROUP's ">" once parsed.
var newEntriesID = stream.MaxID

// readBudget enforces MAXCOUNT and MAXSIZE over a whole reply.
type readBudget struct {
	w        *resp.Writer
	start    int   // length of the output when the reply began
	entries  int64 // entries written so far
	maxCount int64
	maxSize  int64
}

// more reports whether another entry may be written. The first entry is
// always allowed, whatever its size.
func (b *readBudget) more() bool {
	if b.entries == 0 {
		return true
	}
	if b.maxCount > 0 && b.entries >= b.maxCount {
		return false
	}
	if b.maxSize > 0 && int64(len(b.w.Buf)-b.start) >= b.maxSize {
		return false
	}
	return true
}

func xreadCommand(c *Client, args [][]byte) {
	group := len(args[0]) == len("xreadgroup")
	if group {
		c.propagateNothing() // deliveries journal themselves
	}
	a, ok := c.parseXreadArgs(args, group)
	if !ok {
		return
	}
	keys := args[a.streamsArg : a.streamsArg+a.numStreams]
	idArgs := args[a.streamsArg+a.numStreams:]
	ids, groups, ok := c.resolveXreadIDs(keys, idArgs, &a)
	if !ok {
		return
	}

	w := c.out
	budget := readBudget{w: w, start: len(w.Buf), maxCount: a.maxCount, maxSize: a.maxSize}
	d := w.Defer(resp.KindArray) // [key, entries] pairs in RESP2
	if w.RESP3() {
		d = w.Defer(resp.KindMap) // key => entries in RESP3
	}
	served := 0
	for i, key := range keys {
		o := c.e.lookupReadLocked(c.db, key)
		if o == nil {
			continue
		}
		s := o.stream
		gt := ids[i]
		serve, history := false, false
		var consumer *stream.Consumer
		var g *stream.Group
		claiming := false
		if group {
			g = groups[i]
			if gt != newEntriesID {
				serve, history = true, true
			} else {
				claiming = a.claim >= 0
				if s.Len() > 0 && g.LastID.Less(s.LastValidID()) {
					serve = true
				}
				if claiming && !serve && claimableFrom(s, g, a.claim, c.now) {
					serve = true
				}
				gt = g.LastID
			}
			var created bool
			consumer, created = g.LookupOrCreateConsumer(a.consumer, c.now)
			consumer.SeenTime = c.now
			if created {
				c.consumerCreatedEffect(key, g, consumer)
			}
			c.consumerTouched(key, g, consumer)
		} else if s.Len() > 0 && gt.Less(s.LastValidID()) {
			serve = true
		}
		if !serve || !budget.more() {
			continue
		}
		served++
		if !w.RESP3() {
			w.Array(2)
		}
		w.Bulk(key)
		start, _ := gt.Incr()
		switch {
		case history:
			ce := c.newClaimEffects(key, g, consumer, false)
			c.writeConsumerHistory(s, g, consumer, start, a.count, &budget, ce)
			ce.flush()
		case group:
			c.deliverNew(key, s, g, consumer, start, &a, claiming, &budget)
		default:
			ed := w.Defer(resp.KindArray)
			w.SetLen(ed, writeEntries(w, s, start, a.count, &budget))
		}
	}
	if served > 0 {
		w.SetLen(d, served)
		return
	}
	if a.timeout != -1 {
		if c.denyBlocking {
			w.NullArray()
			return
		}
		// Re-running the command must not re-resolve "$".
		blockArgs := append([][]byte(nil), args...)
		wf := waitFor{claim: -1}
		if group {
			wf.group, wf.claim = a.groupName, a.claim
			if wf.group == nil {
				wf.group = []byte{}
			}
		} else {
			wf.after = ids
		}
		for i, idArg := range idArgs {
			if len(idArg) == 1 && idArg[0] == '$' {
				blockArgs[a.streamsArg+a.numStreams+i] = ids[i].Append(nil)
			}
			if !group && len(idArg) == 1 && idArg[0] == '+' {
				// "+" is resolved again when the command re-runs: any
				// entry serves it.
				ids[i] = stream.ID{}
			}
		}
		var recheck int64
		if group && a.claim >= 0 {
			recheck = nextClaimable(groups, a.claim, c.now)
		}
		cmd := c.e.lookupCommand(args)
		c.e.blockLocked(c, cmd, blockArgs, keys, time.Duration(a.timeout)*time.Millisecond, &wf)
		c.block.recheckAt = recheck
		return
	}
	w.NullArray()
}

// resolveXreadIDs checks the keys and groups and turns the ID arguments
// into IDs: "$" and "+" of XREAD, ">" of XREADGROUP, or explicit IDs.
func (c *Client) resolveXreadIDs(keys, idArgs [][]byte, a *xreadArgs) ([]stream.ID, []*stream.Group, bool) {
	ids := make([]stream.ID, a.numStreams)
	var groups []*stream.Group
	if a.group {
		groups = make([]*stream.Group, a.numStreams)
	}
	for i, key := range keys {
		s, ok := c.streamLookup(key)
		if !ok {
			return nil, nil, false
		}
		if a.group {
			var g *stream.Group
			if s != nil {
				g = s.Group(a.groupName)
			}
			if g == nil {
				c.errorReply("NOGROUP No such key '" + cstr(key) + "' or consumer group '" + cstr(a.groupName) + "' in XREADGROUP with GROUP option")
				return nil, nil, false
			}
			groups[i] = g
		}
		idArg := idArgs[i]
		switch {
		case len(idArg) == 1 && idArg[0] == '$':
			if a.group {
				c.errorReply("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return nil, nil, false
			}
			if s != nil {
				ids[i] = s.LastID()
			}
		case len(idArg) == 1 && idArg[0] == '+':
			if a.group {
				c.errorReply("ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.")
				return nil, nil, false
			}
			if s != nil {
				id, ok := s.LastID().Decr()
				if !ok {
					c.errorReply("ERR the stream last element ID is 0-0")
					return nil, nil, false
				}
				ids[i] = id
			}
		case len(idArg) == 1 && idArg[0] == '>':
			if !a.group {
				c.errorReply("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return nil, nil, false
			}
			ids[i] = newEntriesID
		default:
			id, ok := c.streamIDArg(idArg, 0, stream.Strict)
			if !ok {
				return nil, nil, false
			}
			ids[i] = id
		}
	}
	return ids, groups, true
}

// writeEntries writes the entries after start, within count and the
// budget, without an array header, and returns how many it wrote.
func writeEntries(w *resp.Writer, s *stream.Stream, start stream.ID, count int64, b *readBudget) int {
	var it stream.Iterator
	it.Reset(s, start, stream.MaxID, false)
	n := 0
	for (count == 0 || int64(n) < count) && b.more() && it.Next() {
		writeEntry(w, it.ID(), it.Fields())
		n++
		b.entries++
	}
	return n
}

// deliverNew serves a consumer as XREADGROUP with ">" does: with CLAIM,
// idle pending entries first, then entries after start, creating PEL
// entries (unless NOACK) and advancing the group.
func (c *Client) deliverNew(key []byte, s *stream.Stream, g *stream.Group, consumer *stream.Consumer, start stream.ID, a *xreadArgs, claiming bool, b *readBudget) {
	w := c.out
	d := w.Defer(resp.KindArray)
	n := 0
	lastID := g.LastID
	if claiming {
		ce := c.newClaimEffects(key, g, consumer, false)
		n = c.claimIdle(s, g, consumer, a, b, ce)
		ce.flush()
	}
	ce := c.newClaimEffects(key, g, consumer, true)
	var it stream.Iterator
	it.Reset(s, start, stream.MaxID, false)
	for (a.count == 0 || int64(n) < a.count) && b.more() && it.Next() {
		id := it.ID()
		g.Advance(s, id)
		if claiming {
			writeClaimedEntry(w, id, it.Fields(), 0, 0)
		} else {
			writeEntry(w, id, it.Fields())
		}
		if !a.noack {
			ce.add(g.Deliver(id, consumer, c.now))
		}
		n++
		b.entries++
	}
	w.SetLen(d, n)
	ce.flush()
	if g.LastID != lastID {
		c.groupPositionEffect(key, g)
	}
}

// writeConsumerHistory serves a consumer's own pending entries from start,
// counting a new delivery for each; entries deleted from the stream are
// reported with a null body.
func (c *Client) writeConsumerHistory(s *stream.Stream, g *stream.Group, consumer *stream.Consumer, start stream.ID, count int64, b *readBudget, ce *claimEffects) {
	w := c.out
	d := w.Defer(resp.KindArray)
	n := 0
	var it stream.Iterator
	var redelivered []*stream.Pending
	consumer.AscendPending(start, func(p *stream.Pending) bool {
		if (count > 0 && int64(n) >= count) || !b.more() {
			return false
		}
		it.Reset(s, p.ID, p.ID, false)
		if it.Next() {
			writeEntry(w, p.ID, it.Fields())
			redelivered = append(redelivered, p)
		} else {
			w.Array(2)
			writeID(w, p.ID)
			w.NullArray()
		}
		n++
		b.entries++
		return true
	})
	for _, p := range redelivered {
		g.Redeliver(p, c.now)
		ce.add(p)
	}
	w.SetLen(d, n)
}
