package engine

import (
	"bytes"
	"math"

	"github.com/pelicanhq/pelican/internal/resp"
	"github.com/pelicanhq/pelican/stream"
)

// Consumer group commands: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM and
// XSETID.

func xgroupSubcommands() []*Command {
	return []*Command{
		{Name: "create", Arity: -5, Flags: flagWrite, Run: xgroupCommand},
		{Name: "setid", Arity: -5, Flags: flagWrite, Run: xgroupCommand},
		{Name: "destroy", Arity: 4, Flags: flagWrite, Run: xgroupCommand},
		{Name: "createconsumer", Arity: 5, Flags: flagWrite, Run: xgroupCommand},
		{Name: "delconsumer", Arity: 5, Flags: flagWrite, Run: xgroupCommand},
		{Name: "help", Arity: 2, Run: xgroupCommand},
	}
}

var xgroupHelp = []string{
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
}

// writeHelp writes a HELP reply: a title line, the lines, and the HELP
// line, as Redis's addReplyHelp does.
func (c *Client) writeHelp(cmdName string, lines []string) {
	w := c.out
	w.Array(len(lines) + 3)
	w.Simple(cmdName + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		w.Simple(l)
	}
	w.Simple("HELP")
	w.Simple("    Print this help.")
}

func xgroupCommand(c *Client, args [][]byte) {
	opt := args[1]
	upper := string(bytes.ToUpper(args[0]))
	var s *stream.Stream
	var g *stream.Group
	mkstream := false
	entriesRead := int64(stream.InvalidEntriesRead)
	if len(args) >= 4 {
		create, setid := equalFold(opt, "CREATE"), equalFold(opt, "SETID")
		for i := 5; i < len(args); {
			switch {
			case create && equalFold(args[i], "MKSTREAM"):
				mkstream = true
				i++
			case (create || setid) && equalFold(args[i], "ENTRIESREAD") && i+1 < len(args):
				v, ok := c.intArg(args[i+1], "")
				if !ok {
					return
				}
				if v < 0 && v != stream.InvalidEntriesRead {
					c.errorReply("ERR value for ENTRIESREAD must be positive or -1")
					return
				}
				entriesRead = v
				i += 2
			default:
				c.errorReply(subcommandSyntax(upper, opt))
				return
			}
		}
		var ok bool
		if s, ok = c.streamLookupWrite(args[2]); !ok {
			return
		}
		if !mkstream {
			if s == nil {
				c.errorReply("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
				return
			}
			g = s.Group(args[3])
			if g == nil && (equalFold(opt, "SETID") || equalFold(opt, "CREATECONSUMER") || equalFold(opt, "DELCONSUMER")) {
				c.errorReply("NOGROUP No such consumer group '" + cstr(args[3]) + "' for key name '" + cstr(args[2]) + "'")
				return
			}
		} else if s != nil {
			g = s.Group(args[3])
		}
	}
	switch {
	case len(args) == 2 && equalFold(opt, "HELP"):
		c.writeHelp(upper, xgroupHelp)
	case equalFold(opt, "CREATE") && len(args) >= 5 && len(args) <= 8:
		var id stream.ID
		if string(args[4]) == "$" {
			if s != nil {
				id = s.LastID()
			}
		} else {
			var ok bool
			if id, ok = c.streamIDArg(args[4], 0, stream.Strict); !ok {
				return
			}
		}
		if s == nil {
			s = stream.New()
			c.e.addLocked(c.db, args[2], &object{kind: kindStream, stream: s})
			c.e.touchLocked(c.db, args[2])
		}
		if s.CreateGroup(args[3], id, entriesRead) == nil {
			c.errorReply("BUSYGROUP Consumer Group name already exists")
			return
		}
		c.out.Simple("OK")
	case equalFold(opt, "SETID") && (len(args) == 5 || len(args) == 7):
		var id stream.ID
		if string(args[4]) == "$" {
			id = s.LastID()
		} else {
			var ok bool
			if id, ok = c.streamIDArg(args[4], 0, stream.Loose); !ok {
				return
			}
		}
		g.LastID = id
		g.EntriesRead = entriesRead
		c.out.Simple("OK")
	case equalFold(opt, "DESTROY") && len(args) == 4:
		if g == nil {
			c.out.Int(0)
			return
		}
		s.DestroyGroup(args[3])
		c.out.Int(1)
		// Blocked XREADGROUP callers learn that the group is gone.
		c.e.signalKeyAsReadyLocked(c.db, string(args[2]))
	case equalFold(opt, "CREATECONSUMER") && len(args) == 5:
		if g.CreateConsumer(args[4], c.now) != nil {
			c.out.Int(1)
		} else {
			c.out.Int(0)
		}
	case equalFold(opt, "DELCONSUMER") && len(args) == 5:
		n := 0
		if cons := g.Consumer(args[4]); cons != nil {
			n = g.DeleteConsumer(cons)
		}
		c.out.Int(int64(n))
	default:
		c.errorReply(subcommandSyntax(upper, opt))
	}
}

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
	if g.LastID.Less(lastID) {
		g.LastID = lastID
	}
	if deliveryTime < 0 || deliveryTime > now {
		deliveryTime = now
	}
	consumer, _ := g.LookupOrCreateConsumer(args[3], now)
	consumer.SeenTime = now
	w := c.out
	d := w.Defer(resp.KindArray)
	n := 0
	for _, id := range ids {
		p := g.Pending(id)
		if !s.Exists(id) {
			if p != nil {
				g.Ack(id) // the entry is gone: drop the reference
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
		writeClaimed(w, s, id, justID)
		n++
	}
	w.SetLen(d, n)
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
	consumer, _ := g.LookupOrCreateConsumer(args[3], now)
	consumer.SeenTime = now

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

func xsetidCommand(c *Client, args [][]byte) {
	id, ok := c.streamIDArg(args[2], 0, stream.Strict)
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDel stream.ID
	for i := 3; i < len(args); {
		more := len(args) - 1 - i
		switch {
		case equalFold(args[i], "ENTRIESADDED") && more > 0:
			v, ok := c.intArg(args[i+1], "")
			if !ok {
				return
			}
			if v < 0 {
				c.errorReply("ERR entries_added must be positive")
				return
			}
			entriesAdded = v
			i += 2
		case equalFold(args[i], "MAXDELETEDID") && more > 0:
			v, ok := c.streamIDArg(args[i+1], 0, stream.Strict)
			if !ok {
				return
			}
			if id.Less(v) {
				c.errorReply("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
			maxDel = v
			i += 2
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	s, ok := c.streamLookupWrite(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.errorReply(errNoKey)
		return
	}
	if id.Less(s.MaxDeletedID()) {
		c.errorReply("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id")
		return
	}
	if s.Len() > 0 {
		if id.Less(s.LastValidID()) {
			c.errorReply("ERR The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if entriesAdded != -1 && s.Len() > uint64(entriesAdded) {
			c.errorReply("ERR The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	s.SetID(id, entriesAdded, maxDel)
	c.out.Simple("OK")
}
