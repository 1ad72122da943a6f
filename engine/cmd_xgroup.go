package engine

import (
	"bytes"

	"github.com/pelicanhq/pelican/stream"
)

// Consumer group commands: XGROUP and XSETID. The commands on a group's
// pending entries (XACK, XPENDING, XCLAIM, ...) are in cmd_xpel.go.

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
		created := false
		if s == nil {
			s = stream.New()
			c.e.addLocked(c.db, args[2], &object{kind: kindStream, stream: s})
			c.e.touchLocked(c.db, args[2])
			created = true
		}
		ng := s.CreateGroup(args[3], id, entriesRead)
		if ng == nil {
			c.errorReply("BUSYGROUP Consumer Group name already exists")
			return
		}
		c.out.Simple("OK")
		if c.journaling() {
			fx := [][]byte{[]byte("XGROUP"), []byte("CREATE"), args[2], args[3], id.Append(nil)}
			if created {
				fx = append(fx, []byte("MKSTREAM"))
			}
			c.propagate(append(fx, []byte("ENTRIESREAD"), intArgBytes(ng.EntriesRead))...)
		}
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
		c.propagate([]byte("XGROUP"), []byte("SETID"), args[2], args[3], id.Append(nil), []byte("ENTRIESREAD"), intArgBytes(entriesRead))
	case equalFold(opt, "DESTROY") && len(args) == 4:
		if g == nil {
			c.out.Int(0)
			return
		}
		s.DestroyGroup(args[3])
		c.out.Int(1)
		// Blocked XREADGROUP callers learn that the group is gone.
		c.e.signalKeyAsReadyLocked(c.db, args[2])
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
