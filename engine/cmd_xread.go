package engine

import (
	"time"

	"github.com/pelicanhq/pelican/internal/resp"
	"github.com/pelicanhq/pelican/stream"
)

// XREAD and XREADGROUP, including blocking.

// xreadArgs are the parsed options of XREAD and XREADGROUP.
type xreadArgs struct {
	group      bool
	timeout    int64 // -1: no BLOCK
	count      int64
	noack      bool
	claim      int64 // min idle time of XREADGROUP CLAIM; -1 when absent
	groupName  []byte
	consumer   []byte
	streamsArg int
	numStreams int
}

// parseXreadArgs parses the options before STREAMS.
func (c *Client) parseXreadArgs(args [][]byte, group bool) (xreadArgs, bool) {
	a := xreadArgs{group: group, timeout: -1, claim: -1}
	name := "xread"
	if group {
		name = "xreadgroup"
	}
	for i := 1; i < len(args); i++ {
		more := len(args) - i - 1
		o := args[i]
		switch {
		case equalFold(o, "BLOCK") && more > 0:
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
			return a, c.finishXreadArgs(&a)
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
		case equalFold(o, "CLAIM") && more > 0 && group:
			i++
			v, ok := c.intArg(args[i], "ERR min-idle-time is not an integer or out of range")
			if !ok {
				return a, false
			}
			if v < 0 {
				c.errorReply("ERR min-idle-time must be a positive integer")
				return a, false
			}
			a.claim = v
		default:
			c.errorReply(errSyntax)
			return a, false
		}
	}
	return a, c.finishXreadArgs(&a)
}

func (c *Client) finishXreadArgs(a *xreadArgs) bool {
	if a.streamsArg == 0 {
		c.errorReply(errSyntax)
		return false
	}
	if a.group && a.groupName == nil {
		c.errorReply("ERR Missing GROUP option for XREADGROUP")
		return false
	}
	return true
}

// Special IDs of XREAD and XREADGROUP, decoded.
var newEntriesID = stream.MaxID // ">" of XREADGROUP

func xreadCommand(c *Client, args [][]byte) {
	group := len(args[0]) == len("xreadgroup")
	a, ok := c.parseXreadArgs(args, group)
	if !ok {
		return
	}
	keys := args[a.streamsArg : a.streamsArg+a.numStreams]
	idArgs := args[a.streamsArg+a.numStreams:]
	ids := make([]stream.ID, a.numStreams)
	var groups []*stream.Group
	if group {
		groups = make([]*stream.Group, a.numStreams)
	}
	for i, key := range keys {
		s, ok := c.streamLookup(key)
		if !ok {
			return
		}
		if group {
			var g *stream.Group
			if s != nil {
				g = s.Group(a.groupName)
			}
			if g == nil {
				c.errorReply("NOGROUP No such key '" + cstr(key) + "' or consumer group '" + cstr(a.groupName) + "' in XREADGROUP with GROUP option")
				return
			}
			groups[i] = g
		}
		idArg := idArgs[i]
		switch {
		case len(idArg) == 1 && idArg[0] == '$':
			if group {
				c.errorReply("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return
			}
			if s != nil {
				ids[i] = s.LastID()
			}
		case len(idArg) == 1 && idArg[0] == '+':
			if group {
				c.errorReply("ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.")
				return
			}
			if s != nil {
				id, ok := s.LastID().Decr()
				if !ok {
					c.errorReply("ERR the stream last element ID is 0-0")
					return
				}
				ids[i] = id
			}
		case len(idArg) == 1 && idArg[0] == '>':
			if !group {
				c.errorReply("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return
			}
			ids[i] = newEntriesID
		default:
			id, ok := c.streamIDArg(idArg, 0, stream.Strict)
			if !ok {
				return
			}
			ids[i] = id
		}
	}
	if group && a.claim >= 0 {
		for _, id := range ids {
			if id != newEntriesID {
				c.errorReply(errClaimNeedsNew)
				return
			}
		}
	}

	w := c.out
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
		if group {
			g = groups[i]
			if gt != newEntriesID {
				serve, history = true, true
			} else if s.Len() > 0 && g.LastID.Less(s.LastValidID()) {
				serve = true
				gt = g.LastID
			}
			consumer, _ = g.LookupOrCreateConsumer(a.consumer, c.now)
			consumer.SeenTime = c.now
			if a.claim >= 0 && !serve && hasIdleEntries(g, a.claim, c.now) {
				serve = true
				gt = g.LastID
			}
		} else if s.Len() > 0 && gt.Less(s.LastValidID()) {
			serve = true
		}
		if !serve {
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
			c.writeConsumerHistory(s, g, consumer, start, a.count)
		case group:
			c.deliverNew(s, g, consumer, start, &a)
		default:
			writeRange(w, s, start, stream.MaxID, a.count, false)
		}
	}
	if served > 0 {
		w.SetLen(d, served)
		return
	}
	// Nothing to serve: the deferred header was never used.
	if a.timeout != -1 {
		if c.denyBlocking {
			w.NullArray()
			return
		}
		// Re-running the command must not re-resolve "$".
		blockArgs := append([][]byte(nil), args...)
		for i := range idArgs {
			if len(idArgs[i]) == 1 && idArgs[i][0] == '$' {
				blockArgs[a.streamsArg+a.numStreams+i] = ids[i].Append(nil)
			}
		}
		cmd := c.e.lookupCommand(args)
		c.e.blockLocked(c, cmd, blockArgs, keys, time.Duration(a.timeout)*time.Millisecond, group)
		return
	}
	w.NullArray()
}

// deliverNew serves entries after start to a consumer, creating PEL
// entries (unless NOACK) and advancing the group, as XREADGROUP with ">"
// does. With CLAIM, idle pending entries come first.
func (c *Client) deliverNew(s *stream.Stream, g *stream.Group, consumer *stream.Consumer, start stream.ID, a *xreadArgs) {
	w := c.out
	d := w.Defer(resp.KindArray)
	n := 0
	if a.claim >= 0 {
		n = c.claimIdle(s, g, consumer, a)
	}
	var it stream.Iterator
	it.Reset(s, start, stream.MaxID, false)
	for (a.count == 0 || int64(n) < a.count) && it.Next() {
		id := it.ID()
		g.Advance(s, id)
		fv := it.Fields()
		if a.claim >= 0 {
			writeClaimedEntry(w, id, fv, 0, 0)
		} else {
			writeEntry(w, id, fv)
		}
		if !a.noack {
			g.Deliver(id, consumer, c.now)
		}
		n++
	}
	w.SetLen(d, n)
}

// writeConsumerHistory serves a consumer's own pending entries from start,
// counting a new delivery for each; entries deleted from the stream are
// reported with a null body.
func (c *Client) writeConsumerHistory(s *stream.Stream, g *stream.Group, consumer *stream.Consumer, start stream.ID, count int64) {
	w := c.out
	d := w.Defer(resp.KindArray)
	n := 0
	var it stream.Iterator
	var redelivered []*stream.Pending
	consumer.AscendPending(start, func(p *stream.Pending) bool {
		if count > 0 && int64(n) >= count {
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
		return true
	})
	for _, p := range redelivered {
		g.Redeliver(p, c.now)
	}
	w.SetLen(d, n)
}
