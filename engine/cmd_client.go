package engine

import (
	"sort"
	"strconv"
	"strings"
)

// CLIENT subcommands and RESET: the connection's own state and the list of
// connections.

func clientSubcommands() []*Command {
	return []*Command{
		{Name: "id", Arity: 2, Run: func(c *Client, _ [][]byte) { c.out.Int(c.id) }},
		{Name: "setname", Arity: 3, Run: clientSetNameCommand},
		{Name: "getname", Arity: 2, Run: clientGetNameCommand},
		{Name: "setinfo", Arity: 4, Run: clientSetInfoCommand},
		{Name: "list", Arity: -2, Run: clientListCommand},
		{Name: "info", Arity: 2, Run: clientInfoCommand},
		{Name: "kill", Arity: -3, Run: clientKillCommand},
		{Name: "no-evict", Arity: 3, Run: func(c *Client, a [][]byte) { clientOnOff(c, a[2], &c.noEvict) }},
		{Name: "no-touch", Arity: 3, Run: func(c *Client, a [][]byte) { clientOnOff(c, a[2], &c.noTouch) }},
		{Name: "help", Arity: 2, Run: clientHelpCommand},
	}
}

func clientSetNameCommand(c *Client, args [][]byte) {
	if !validClientName(args[2]) {
		c.errorReply(errClientName)
		return
	}
	c.name = string(args[2])
	c.out.Simple("OK")
}

func clientGetNameCommand(c *Client, args [][]byte) {
	if c.name == "" {
		c.out.NullBulk()
		return
	}
	c.out.BulkString(c.name)
}

// clientSetInfoCommand is CLIENT SETINFO LIB-NAME|LIB-VER value (Redis
// 7.2). An empty value clears the attribute.
func clientSetInfoCommand(c *Client, args [][]byte) {
	attr, val := args[2], args[3]
	var dst *string
	switch {
	case equalFold(attr, "LIB-NAME"):
		dst = &c.libName
	case equalFold(attr, "LIB-VER"):
		dst = &c.libVer
	default:
		c.errorReply("ERR Unrecognized option '" + cstr(attr) + "'")
		return
	}
	if !validClientName(val) {
		c.errorReply("ERR " + cstr(attr) + " cannot contain spaces, newlines or special characters.")
		return
	}
	*dst = string(val)
	c.out.Simple("OK")
}

// clientOnOff sets a flag from an ON or OFF argument.
func clientOnOff(c *Client, arg []byte, flag *bool) {
	switch {
	case equalFold(arg, "ON"):
		*flag = true
	case equalFold(arg, "OFF"):
		*flag = false
	default:
		c.errorReply(errSyntax)
		return
	}
	c.out.Simple("OK")
}

// classMaster is the client type of a replica's master, which no Pelican
// client is.
const classMaster = numOutputClasses

// clientTypeByName parses a client type of CLIENT LIST TYPE and CLIENT
// KILL TYPE: normal, replica or slave, pubsub, or master.
func clientTypeByName(name []byte) (class int, ok bool) {
	switch {
	case equalFold(name, "NORMAL"):
		return classNormal, true
	case equalFold(name, "SLAVE"), equalFold(name, "REPLICA"):
		return classReplica, true
	case equalFold(name, "PUBSUB"):
		return classPubSub, true
	case equalFold(name, "MASTER"):
		return classMaster, true
	}
	return 0, false
}

// class returns the client's type: pubsub while it has subscriptions,
// else normal.
func (c *Client) class() int {
	if c.subscribed() {
		return classPubSub
	}
	return classNormal
}

// sortedClients returns the connected clients in ID order, the order
// Redis lists them in.
func (e *Engine) sortedClients() []*Client {
	cs := make([]*Client, 0, len(e.clients))
	for _, cl := range e.clients {
		cs = append(cs, cl)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].id < cs[j].id })
	return cs
}

func clientListCommand(c *Client, args [][]byte) {
	var b []byte
	switch {
	case len(args) == 2:
		for _, cl := range c.e.sortedClients() {
			b = cl.appendInfo(b, c.now)
			b = append(b, '\n')
		}
	case len(args) == 4 && equalFold(args[2], "TYPE"):
		class, ok := clientTypeByName(args[3])
		if !ok {
			c.errorReply("ERR Unknown client type '" + cstr(args[3]) + "'")
			return
		}
		for _, cl := range c.e.sortedClients() {
			if cl.class() == class {
				b = cl.appendInfo(b, c.now)
				b = append(b, '\n')
			}
		}
	case len(args) > 3 && equalFold(args[2], "ID"):
		for _, a := range args[3:] {
			id, ok := c.intArg(a, "ERR Invalid client ID")
			if !ok {
				return
			}
			if cl := c.e.clients[id]; cl != nil {
				b = cl.appendInfo(b, c.now)
				b = append(b, '\n')
			}
		}
	default:
		c.errorReply(errSyntax)
		return
	}
	c.out.Verbatim("txt", string(b))
}

func clientInfoCommand(c *Client, args [][]byte) {
	b := c.appendInfo(nil, c.now)
	b = append(b, '\n')
	c.out.Verbatim("txt", string(b))
}

// appendInfo appends the client's CLIENT LIST line, without the newline,
// in Redis's field order. Transport details Pelican does not track (file
// descriptor, buffer sizes) get fixed plausible values.
func (c *Client) appendInfo(b []byte, nowMs int64) []byte {
	field := func(name string) { b = append(b, ' '); b = append(b, name...); b = append(b, '=') }
	num := func(name string, n int64) { field(name); b = strconv.AppendInt(b, n, 10) }
	str := func(name, v string) { field(name); b = append(b, v...) }

	b = append(b, "id="...)
	b = strconv.AppendInt(b, c.id, 10)
	str("addr", c.addr)
	str("laddr", c.laddr)
	num("fd", -1)
	str("name", c.name)
	num("age", nowMs/1000-c.created.Unix())
	num("idle", nowMs/1000-c.lastInteraction/1000)
	str("flags", c.flagsString())
	num("db", int64(c.db.id))
	sub := 0
	if c.channels != nil {
		sub = c.channels.len()
	}
	num("sub", int64(sub))
	num("psub", 0)
	num("ssub", 0)
	multi, multiMem := int64(-1), int64(0)
	if c.inMulti {
		multi = int64(len(c.queued))
		for _, q := range c.queued {
			for _, a := range q.args {
				multiMem += int64(len(a))
			}
		}
	}
	num("multi", multi)
	num("watch", int64(len(c.watched)))
	num("qbuf", 0)
	num("qbuf-free", 0)
	num("argv-mem", 0)
	num("multi-mem", multiMem)
	// The reply buffer belongs to the client's own goroutine, which
	// resets it outside the engine lock: report Redis's initial size.
	const rbs = 1024
	num("rbs", rbs)
	num("rbp", 0)
	num("obl", 0)
	num("oll", 0)
	num("omem", 0)
	num("tot-mem", rbs+multiMem)
	str("events", "r")
	cmd := c.lastCmd
	if cmd == "" {
		cmd = "NULL"
	}
	str("cmd", cmd)
	str("user", defaultUser)
	num("redir", -1)
	num("resp", int64(c.main.Proto))
	str("lib-name", c.libName)
	str("lib-ver", c.libVer)
	num("io-thread", 0)
	num("tot-net-in", 0)
	num("tot-net-out", 0)
	num("tot-cmds", c.commands)
	return b
}

// flagsString is the flags field of CLIENT LIST.
func (c *Client) flagsString() string {
	var f []byte
	if c.subscribed() {
		f = append(f, 'P')
	}
	if c.inMulti {
		f = append(f, 'x')
	}
	if c.block != nil && c.block.pending {
		f = append(f, 'b')
	}
	if c.dirtyCAS {
		f = append(f, 'd')
	}
	if c.closeAfterReply {
		f = append(f, 'c')
	}
	if c.noEvict {
		f = append(f, 'e')
	}
	if c.noTouch {
		f = append(f, 'T')
	}
	if len(f) == 0 {
		return "N"
	}
	return string(f)
}

// clientKillCommand is CLIENT KILL addr:port (the old form, which replies
// OK or an error and may kill the caller) and CLIENT KILL <filter> <value>
// ... (which replies the number killed and skips the caller unless SKIPME
// no).
func clientKillCommand(c *Client, args [][]byte) {
	var (
		addr, laddr  []byte
		id, maxAge   int64
		skipMe       = true
		filterByType bool
		typeClass    int
	)
	if len(args) == 3 {
		addr = args[2]
		skipMe = false
	} else {
		for i := 2; i < len(args); i += 2 {
			opt := args[i]
			if i+1 >= len(args) {
				c.errorReply(errSyntax)
				return
			}
			val := args[i+1]
			switch {
			case equalFold(opt, "ID"):
				v, ok := c.rangeArg(val, 1, 1<<63-1, "ERR client-id should be greater than 0")
				if !ok {
					return
				}
				id = v
			case equalFold(opt, "MAXAGE"):
				v, ok := c.intArg(val, "ERR maxage is not an integer or out of range")
				if !ok {
					return
				}
				if v <= 0 {
					c.errorReply("ERR maxage should be greater than 0")
					return
				}
				maxAge = v
			case equalFold(opt, "TYPE"):
				class, ok := clientTypeByName(val)
				if !ok {
					c.errorReply("ERR Unknown client type '" + cstr(val) + "'")
					return
				}
				filterByType, typeClass = true, class
			case equalFold(opt, "ADDR"):
				addr = val
			case equalFold(opt, "LADDR"):
				laddr = val
			case equalFold(opt, "USER"):
				// "default" is the only user.
				if string(val) != defaultUser {
					c.errorReply("ERR No such user '" + cstr(val) + "'")
					return
				}
			case equalFold(opt, "SKIPME"):
				switch {
				case equalFold(val, "YES"):
					skipMe = true
				case equalFold(val, "NO"):
					skipMe = false
				default:
					c.errorReply(errSyntax)
					return
				}
			default:
				c.errorReply(errSyntax)
				return
			}
		}
	}

	killed, self := 0, false
	for _, cl := range c.e.sortedClients() {
		switch {
		case addr != nil && cl.addr != cstr(addr),
			laddr != nil && cl.laddr != cstr(laddr),
			filterByType && cl.class() != typeClass,
			id != 0 && cl.id != id,
			cl == c && skipMe,
			maxAge != 0 && c.now/1000-cl.created.Unix() < maxAge:
			continue
		}
		if cl == c {
			self = true
		} else {
			cl.killLocked()
		}
		killed++
	}
	if len(args) == 3 {
		if killed == 0 {
			c.errorReply("ERR No such client")
		} else {
			c.out.Simple("OK")
		}
	} else {
		c.out.Int(int64(killed))
	}
	if self {
		c.closeAfterReply = true
	}
}

// kill disconnects another client: it is unregistered at once (so that
// CLIENT LIST no longer shows it) and its transport is told to close the
// connection.
func (c *Client) killLocked() {
	c.closeLocked()
	if c.kill != nil {
		c.kill()
	}
}

var clientHelp = []string{
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"    * ID <client-id>",
	"      Kill connections by client id.",
	"    * MAXAGE <maxage>",
	"      Kill connections older than the specified age.",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"SETINFO <option> <value>",
	"    Set client meta attr. Options are:",
	"    * LIB-NAME: the client lib name.",
	"    * LIB-VER: the client lib version.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
	"NO-TOUCH (ON|OFF)",
	"    Will not touch LRU/LFU stats when this mode is on.",
}

func clientHelpCommand(c *Client, args [][]byte) {
	c.writeHelp(strings.ToUpper(string(args[0])), clientHelp)
}

// resetCommand is RESET (Redis 6.2): the connection goes back to the state
// of a new one (transaction discarded, keys unwatched, subscriptions
// dropped, database 0, RESP2,
// no name, authenticated only if no password is required). The library
// name and version stay.
func resetCommand(c *Client, args [][]byte) {
	c.discardTransactionLocked()
	c.unsubscribeAllLocked()
	c.db = c.e.dbs[0]
	c.main.Proto = 2
	c.served.Proto = 2
	c.name = ""
	c.noEvict, c.noTouch = false, false
	c.authenticated = c.e.settings.requirePass == ""
	c.out.Simple("RESET")
}
