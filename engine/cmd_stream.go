package engine

import (
	"github.com/pelicanhq/pelican/internal/resp"
	"github.com/pelicanhq/pelican/stream"
)

// Stream commands that add, read by range, delete and trim entries.

func streamCommands() []*Command {
	return []*Command{
		{Name: "xadd", Arity: -5, Flags: flagWrite, Run: xaddCommand},
		{Name: "xlen", Arity: 2, Run: xlenCommand},
		{Name: "xrange", Arity: -4, Run: func(c *Client, a [][]byte) { xrangeCommand(c, a, false) }},
		{Name: "xrevrange", Arity: -4, Run: func(c *Client, a [][]byte) { xrangeCommand(c, a, true) }},
		{Name: "xdel", Arity: -3, Flags: flagWrite, Run: xdelCommand},
		{Name: "xtrim", Arity: -4, Flags: flagWrite, Run: xtrimCommand},
		{Name: "xread", Arity: -4, Run: xreadCommand},
		{Name: "xreadgroup", Arity: -7, Flags: flagWrite, Run: xreadCommand},
		{Name: "xack", Arity: -4, Flags: flagWrite, Run: xackCommand},
		{Name: "xpending", Arity: -3, Run: xpendingCommand},
		{Name: "xclaim", Arity: -6, Flags: flagWrite, Run: xclaimCommand},
		{Name: "xautoclaim", Arity: -6, Flags: flagWrite, Run: xautoclaimCommand},
		{Name: "xsetid", Arity: -3, Flags: flagWrite, Run: xsetidCommand},
		{Name: "xackdel", Arity: -6, Flags: flagWrite, Run: xackdelCommand},
		{Name: "xdelex", Arity: -5, Flags: flagWrite, Run: xdelexCommand},
		{Name: "xnack", Arity: -7, Flags: flagWrite, Run: xnackCommand},
		{Name: "xcfgset", Arity: -2, Flags: flagWrite, Run: xcfgsetCommand},
		{Name: "xgroup", Arity: -2, Subcommands: xgroupSubcommands()},
		{Name: "xinfo", Arity: -2, Subcommands: xinfoSubcommands()},
	}
}

// streamLookup returns the stream at key for a read, counting a keyspace
// hit or miss: nil with ok when there is no key, and a WRONGTYPE reply (ok
// false) when the key holds another type.
func (c *Client) streamLookup(key []byte) (s *stream.Stream, ok bool) {
	return c.asStream(c.e.lookupReadLocked(c.db, key))
}

// streamLookupWrite is streamLookup for a write: no hit statistics.
func (c *Client) streamLookupWrite(key []byte) (s *stream.Stream, ok bool) {
	return c.asStream(c.e.lookupLocked(c.db, key))
}

func (c *Client) asStream(o *object) (*stream.Stream, bool) {
	if o == nil {
		return nil, true
	}
	if o.kind != kindStream {
		c.errorReply(errWrongType)
		return nil, false
	}
	return o.stream, true
}

// groupLookup returns the stream at key and its group, or replies the
// NOGROUP error XPENDING, XCLAIM, XAUTOCLAIM and XNACK share (or WRONGTYPE).
func (c *Client) groupLookup(key, group []byte) (*stream.Stream, *stream.Group, bool) {
	s, ok := c.streamLookup(key)
	if !ok {
		return nil, nil, false
	}
	var g *stream.Group
	if s != nil {
		g = s.Group(group)
	}
	if g == nil {
		c.errorReply("NOGROUP No such key '" + cstr(key) + "' or consumer group '" + cstr(group) + "'")
		return nil, nil, false
	}
	return s, g, true
}

// writeID writes an ID as a bulk string.
func writeID(w *resp.Writer, id stream.ID) {
	var tmp [48]byte
	w.Bulk(id.Append(tmp[:0]))
}

// writeEntry writes one entry: [id, [field, value, ...]].
func writeEntry(w *resp.Writer, id stream.ID, fv [][]byte) {
	w.Array(2)
	writeID(w, id)
	w.Array(len(fv))
	for _, b := range fv {
		w.Bulk(b)
	}
}

// writeRange writes the entries between start and end (inclusive), at
// most count of them when count > 0, as an array, and returns how many it
// wrote.
func writeRange(w *resp.Writer, s *stream.Stream, start, end stream.ID, count int64, rev bool) int {
	d := w.Defer(resp.KindArray)
	n := writeRawRange(w, s, start, end, count, rev)
	w.SetLen(d, n)
	return n
}

// writeRawRange writes the entries without the array header.
func writeRawRange(w *resp.Writer, s *stream.Stream, start, end stream.ID, count int64, rev bool) int {
	var it stream.Iterator
	it.Reset(s, start, end, rev)
	n := 0
	for it.Next() {
		writeEntry(w, it.ID(), it.Fields())
		n++
		if count > 0 && int64(n) == count {
			break
		}
	}
	return n
}

// addTrimArgs are the parsed options of XADD and XTRIM.
type addTrimArgs struct {
	trim       stream.TrimArgs
	id         stream.ParsedID
	idGiven    bool
	noMkStream bool
	idmp       idmpArgs
}

// parseAddTrimArgs parses the options of XADD (xadd set) or XTRIM, as
// Redis's streamParseAddOrTrimArgsOrReply does. For XADD it returns the
// position of the ID argument; -1 after replying with an error.
func (c *Client) parseAddTrimArgs(args [][]byte, xadd bool) (addTrimArgs, int) {
	var a addTrimArgs
	limitGiven := false
	policyGiven := false
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			return a, c.finishAddTrimArgs(&a, i, xadd, limitGiven)
		case equalFold(opt, "MAXLEN") && more > 0:
			if a.trim.Strategy != stream.TrimNone {
				c.errorReply("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return a, -1
			}
			a.trim.Approx = false
			if next := args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.trim.Approx = next[0] == '~'
				i++
			}
			v, ok := c.intArg(args[i+1], "")
			if !ok {
				return a, -1
			}
			if v < 0 {
				c.errorReply("ERR The MAXLEN argument must be >= 0.")
				return a, -1
			}
			a.trim.MaxLen = v
			a.trim.Strategy = stream.TrimMaxLen
			i++
		case equalFold(opt, "MINID") && more > 0:
			if a.trim.Strategy != stream.TrimNone {
				c.errorReply("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return a, -1
			}
			a.trim.Approx = false
			if next := args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.trim.Approx = next[0] == '~'
				i++
			}
			id, ok := c.streamIDArg(args[i+1], 0, stream.Strict)
			if !ok {
				return a, -1
			}
			a.trim.MinID = id
			a.trim.Strategy = stream.TrimMinID
			i++
		case equalFold(opt, "LIMIT") && more > 0:
			v, ok := c.intArg(args[i+1], "")
			if !ok {
				return a, -1
			}
			if v < 0 {
				c.errorReply("ERR The LIMIT argument must be >= 0.")
				return a, -1
			}
			a.trim.Limit = v
			limitGiven = true
			i++
		case equalFold(opt, "KEEPREF"), equalFold(opt, "DELREF"), equalFold(opt, "ACKED"):
			if policyGiven {
				c.errorReply(errSyntax)
				return a, -1
			}
			policyGiven = true
			a.trim.Policy = parsePolicy(opt)
		case xadd && equalFold(opt, "NOMKSTREAM"):
			a.noMkStream = true
		case xadd && (equalFold(opt, "IDMP") || equalFold(opt, "IDMPAUTO")):
			n, ok := c.parseIdmpArgs(args, i, &a.idmp)
			if !ok {
				return a, -1
			}
			i += n
		case xadd:
			p, ok := stream.ParseID(opt, 0, stream.Strict, true)
			if !ok {
				c.errorReply(errInvalidStreamID)
				return a, -1
			}
			a.id = p
			a.idGiven = true
			return a, c.finishAddTrimArgs(&a, i, xadd, limitGiven)
		default:
			c.errorReply(errSyntax)
			return a, -1
		}
	}
	return a, c.finishAddTrimArgs(&a, i, xadd, limitGiven)
}

// finishAddTrimArgs applies the checks Redis makes after the option loop.
func (c *Client) finishAddTrimArgs(a *addTrimArgs, i int, xadd, limitGiven bool) int {
	if a.trim.Limit != 0 && a.trim.Strategy == stream.TrimNone {
		c.errorReply("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return -1
	}
	if !xadd && a.trim.Strategy == stream.TrimNone {
		c.errorReply("ERR syntax error, XTRIM must be called with a trimming strategy")
		return -1
	}
	if limitGiven {
		if !a.trim.Approx {
			c.errorReply("ERR syntax error, LIMIT cannot be used without the special ~ option")
			return -1
		}
	} else if a.trim.Approx {
		lim := int64(100 * c.e.settings.limits.NodeMaxEntries)
		if lim <= 0 {
			lim = 10000
		}
		if lim > 1000000 {
			lim = 1000000
		}
		a.trim.Limit = lim
	} else {
		a.trim.Limit = 0
	}
	return i
}

func parsePolicy(b []byte) stream.RefPolicy {
	switch {
	case equalFold(b, "DELREF"):
		return stream.DelRef
	case equalFold(b, "ACKED"):
		return stream.Acked
	}
	return stream.KeepRef
}

func xaddCommand(c *Client, args [][]byte) {
	c.propagateNothing() // an entry added journals itself (xaddEffect)
	a, idpos := c.parseAddTrimArgs(args, true)
	if idpos < 0 {
		return
	}
	fieldPos := idpos + 1
	if n := len(args) - fieldPos; n < 2 || n%2 == 1 {
		c.errorReply(wrongArgs("xadd"))
		return
	}
	if a.idGiven && a.id.SeqGiven && a.id.ID.IsZero() {
		c.errorReply("ERR The ID specified in XADD must be greater than 0-0")
		return
	}
	if a.idmp.mode != idmpNone && a.idGiven {
		c.errorReply(errIdmpExplicitID)
		return
	}
	key := args[1]
	s, ok := c.streamLookupWrite(key)
	if !ok {
		return
	}
	if s == nil {
		if a.noMkStream {
			c.out.NullBulk()
			return
		}
		s = stream.New()
		c.e.addLocked(c.db, key, &object{kind: kindStream, stream: s})
	}
	if s.LastID() == stream.MaxID {
		c.errorReply("ERR The stream has exhausted the last possible ID, unable to add more items")
		return
	}
	if a.idmp.mode != idmpNone {
		if orig, dup := c.idmpLookup(s, args[fieldPos:], &a.idmp); dup {
			writeID(c.out, orig)
			// Only Pelican keeps the duplicate count.
			c.propagateNative(args)
			return
		}
	}
	var p *stream.ParsedID
	if a.idGiven {
		p = &a.id
	}
	id, err := s.ResolveID(p, c.now)
	if err == nil {
		err = s.Append(id, args[fieldPos:], c.e.settings.limits)
	}
	switch err {
	case nil:
	case stream.ErrTooLarge:
		c.errorReply("ERR Elements are too large to be stored")
		return
	default:
		c.errorReply("ERR The ID specified in XADD is equal or smaller than the target stream top item")
		return
	}
	if a.idmp.mode != idmpNone {
		c.idmpRecord(s, id, args[fieldPos:], &a.idmp)
	}
	writeID(c.out, id)
	trimmed := int64(0)
	if a.trim.Strategy != stream.TrimNone {
		trimmed = s.Trim(a.trim)
	}
	if c.journaling() {
		c.xaddEffect(args, key, id, fieldPos, s, a, trimmed)
	}
	c.e.touchLocked(c.db, key)
	c.e.signalKeyAsReadyLocked(c.db, key)
}

func xlenCommand(c *Client, args [][]byte) {
	s, ok := c.streamLookup(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.out.Int(0)
		return
	}
	c.out.Int(int64(s.Len()))
}

func xrangeCommand(c *Client, args [][]byte, rev bool) {
	startArg, endArg := args[2], args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, startEx, ok := c.intervalIDArg(startArg, 0)
	if !ok {
		return
	}
	if startEx {
		if start, ok = start.Incr(); !ok {
			c.errorReply("ERR invalid start ID for the interval")
			return
		}
	}
	end, endEx, ok := c.intervalIDArg(endArg, ^uint64(0))
	if !ok {
		return
	}
	if endEx {
		if end, ok = end.Decr(); !ok {
			c.errorReply("ERR invalid end ID for the interval")
			return
		}
	}
	count := int64(-1)
	for j := 4; j < len(args); j++ {
		if equalFold(args[j], "COUNT") && j+1 < len(args) {
			v, ok := c.intArg(args[j+1], "")
			if !ok {
				return
			}
			count = max(v, 0)
			j++
		} else {
			c.errorReply(errSyntax)
			return
		}
	}
	s, ok := c.streamLookup(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.out.Array(0)
		return
	}
	if count == 0 {
		c.out.NullArray()
		return
	}
	if count < 0 {
		count = 0
	}
	writeRange(c.out, s, start, end, count, rev)
}

// parseIDs parses the stream IDs args[from:] strictly, replying on error.
func (c *Client) parseIDs(args [][]byte) ([]stream.ID, bool) {
	ids := make([]stream.ID, len(args))
	for i, a := range args {
		id, ok := c.streamIDArg(a, 0, stream.Strict)
		if !ok {
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}

func xdelCommand(c *Client, args [][]byte) {
	s, ok := c.streamLookupWrite(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.out.Int(0)
		return
	}
	ids, ok := c.parseIDs(args[2:])
	if !ok {
		return
	}
	deleted := 0
	for _, id := range ids {
		if s.Delete(id) {
			deleted++
		}
	}
	if deleted > 0 {
		c.e.touchLocked(c.db, args[1])
	}
	c.out.Int(int64(deleted))
}

func xtrimCommand(c *Client, args [][]byte) {
	a, pos := c.parseAddTrimArgs(args, false)
	if pos < 0 {
		return
	}
	s, ok := c.streamLookupWrite(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.out.Int(0)
		return
	}
	deleted := s.Trim(a.trim)
	if deleted > 0 {
		c.e.touchLocked(c.db, args[1])
		c.trimEffect(args[1], s, a.trim)
	}
	c.propagateNothing()
	c.out.Int(deleted)
}
