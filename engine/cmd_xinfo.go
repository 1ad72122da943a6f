package engine

import (
	"bytes"

	"github.com/pelicanhq/pelican/internal/resp"
	"github.com/pelicanhq/pelican/stream"
)

// XINFO STREAM, GROUPS, CONSUMERS and HELP.

func xinfoSubcommands() []*Command {
	return []*Command{
		{Name: "stream", Arity: -3, Run: xinfoCommand},
		{Name: "groups", Arity: 3, Run: xinfoCommand},
		{Name: "consumers", Arity: 4, Run: xinfoCommand},
		{Name: "help", Arity: 2, Run: xinfoCommand},
	}
}

var xinfoHelp = []string{
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
}

func xinfoCommand(c *Client, args [][]byte) {
	upper := string(bytes.ToUpper(args[0]))
	if equalFold(args[1], "HELP") {
		c.writeHelp(upper, xinfoHelp)
		return
	}
	o := c.e.lookupReadLocked(c.db, args[2])
	if o == nil {
		c.errorReply(errNoKey)
		return
	}
	if o.kind != kindStream {
		c.errorReply(errWrongType)
		return
	}
	s := o.stream
	switch {
	case equalFold(args[1], "CONSUMERS") && len(args) == 4:
		g := s.Group(args[3])
		if g == nil {
			c.errorReply("NOGROUP No such consumer group '" + cstr(args[3]) + "' for key name '" + cstr(args[2]) + "'")
			return
		}
		c.writeConsumersInfo(g)
	case equalFold(args[1], "GROUPS") && len(args) == 3:
		c.writeGroupsInfo(s)
	case equalFold(args[1], "STREAM"):
		c.writeStreamInfo(s, args[3:], upper, args[1])
	default:
		c.errorReply(subcommandSyntax(upper, args[1]))
	}
}

func (c *Client) writeConsumersInfo(g *stream.Group) {
	w := c.out
	cs := g.Consumers()
	w.Array(len(cs))
	now := c.now
	for _, cons := range cs {
		inactive := int64(-1)
		if cons.ActiveTime != -1 {
			inactive = now - cons.ActiveTime
		}
		w.Map(4)
		w.BulkString("name")
		w.BulkString(cons.Name)
		w.BulkString("pending")
		w.Int(int64(cons.PendingLen()))
		w.BulkString("idle")
		w.Int(max(now-cons.SeenTime, 0))
		w.BulkString("inactive")
		w.Int(inactive)
	}
}

// writeLag writes a group's lag, or a null when it cannot be known.
func writeLag(w *resp.Writer, s *stream.Stream, g *stream.Group) {
	if lag, ok := g.Lag(s); ok {
		w.Int(lag)
	} else {
		w.NullBulk()
	}
}

func writeEntriesRead(w *resp.Writer, g *stream.Group) {
	if g.EntriesRead != stream.InvalidEntriesRead {
		w.Int(g.EntriesRead)
	} else {
		w.NullBulk()
	}
}

func (c *Client) writeGroupsInfo(s *stream.Stream) {
	w := c.out
	gs := s.Groups()
	w.Array(len(gs))
	for _, g := range gs {
		w.Map(6)
		w.BulkString("name")
		w.BulkString(g.Name)
		w.BulkString("consumers")
		w.Int(int64(g.NumConsumers()))
		w.BulkString("pending")
		w.Int(int64(g.PendingLen()))
		w.BulkString("last-delivered-id")
		writeID(w, g.LastID)
		w.BulkString("entries-read")
		writeEntriesRead(w, g)
		w.BulkString("lag")
		writeLag(w, s, g)
	}
}

func (c *Client) writeStreamInfo(s *stream.Stream, opts [][]byte, upper string, sub []byte) {
	full := false
	count := int64(10)
	if len(opts) > 0 {
		if len(opts) != 1 && len(opts) != 3 || !equalFold(opts[0], "FULL") {
			c.errorReply(subcommandSyntax(upper, sub))
			return
		}
		if len(opts) == 3 {
			if !equalFold(opts[1], "COUNT") {
				c.errorReply(subcommandSyntax(upper, sub))
				return
			}
			v, ok := c.intArg(opts[2], "")
			if !ok {
				return
			}
			count = v
			if count < 0 {
				count = 10
			}
		}
		full = true
	}
	w := c.out
	idmpFields := idmpInfoFields(s, c.now)
	n := 10
	if full {
		n = 9
	}
	w.Map(n + len(idmpFields))
	w.BulkString("length")
	w.Int(int64(s.Len()))
	w.BulkString("radix-tree-keys")
	w.Int(int64(s.Nodes()))
	w.BulkString("radix-tree-nodes")
	w.Int(int64(s.RadixTreeNodes()))
	w.BulkString("last-generated-id")
	writeID(w, s.LastID())
	w.BulkString("max-deleted-entry-id")
	writeID(w, s.MaxDeletedID())
	w.BulkString("entries-added")
	w.Int(int64(s.EntriesAdded()))
	w.BulkString("recorded-first-entry-id")
	writeID(w, s.FirstID())
	for _, f := range idmpFields {
		w.BulkString(f.name)
		w.Int(f.value)
	}
	if !full {
		w.BulkString("groups")
		w.Int(int64(len(s.Groups())))
		w.BulkString("first-entry")
		if writeRawRange(w, s, stream.MinID, stream.MaxID, 1, false) == 0 {
			w.NullBulk()
		}
		w.BulkString("last-entry")
		if writeRawRange(w, s, stream.MinID, stream.MaxID, 1, true) == 0 {
			w.NullBulk()
		}
		return
	}
	w.BulkString("entries")
	writeRange(w, s, stream.MinID, stream.MaxID, count, false)
	w.BulkString("groups")
	gs := s.Groups()
	w.Array(len(gs))
	for _, g := range gs {
		w.Map(8)
		w.BulkString("name")
		w.BulkString(g.Name)
		w.BulkString("last-delivered-id")
		writeID(w, g.LastID)
		w.BulkString("entries-read")
		writeEntriesRead(w, g)
		w.BulkString("lag")
		writeLag(w, s, g)
		w.BulkString("pel-count")
		w.Int(int64(g.PendingLen()))
		// Since Redis 8.8: entries given back with XNACK and not claimed
		// since.
		w.BulkString("nacked-count")
		w.Int(int64(g.NackedLen()))
		w.BulkString("pending")
		d := w.Defer(resp.KindArray)
		k := int64(0)
		g.AscendPending(stream.MinID, func(p *stream.Pending) bool {
			if count != 0 && k >= count {
				return false
			}
			w.Array(4)
			writeID(w, p.ID)
			w.BulkString(ownerName(p))
			w.Int(p.DeliveryTime)
			w.Int(int64(p.DeliveryCount))
			k++
			return true
		})
		w.SetLen(d, int(k))
		w.BulkString("consumers")
		cs := g.Consumers()
		w.Array(len(cs))
		for _, cons := range cs {
			w.Map(5)
			w.BulkString("name")
			w.BulkString(cons.Name)
			w.BulkString("seen-time")
			w.Int(cons.SeenTime)
			w.BulkString("active-time")
			w.Int(cons.ActiveTime)
			w.BulkString("pel-count")
			w.Int(int64(cons.PendingLen()))
			w.BulkString("pending")
			d := w.Defer(resp.KindArray)
			k := int64(0)
			cons.AscendPending(stream.MinID, func(p *stream.Pending) bool {
				if count != 0 && k >= count {
					return false
				}
				w.Array(3)
				writeID(w, p.ID)
				w.Int(p.DeliveryTime)
				w.Int(int64(p.DeliveryCount))
				k++
				return true
			})
			w.SetLen(d, int(k))
		}
	}
}

// ownerName is the consumer that holds a pending entry, or "" for an
// entry given back to the group with XNACK.
func ownerName(p *stream.Pending) string {
	if p.Consumer == nil {
		return ""
	}
	return p.Consumer.Name
}
