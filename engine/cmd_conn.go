package engine

import (
	"github.com/pelicanhq/pelican/internal/resp"
)

// Connection commands: PING, ECHO, SELECT, QUIT, AUTH, HELLO, and ACL's
// basics. Pelican has one user, "default", whose password is
// requirepass; named users and per-command or per-key rights are not
// implemented.

func connectionCommands() []*Command {
	return []*Command{
		{Name: "ping", Arity: -1, Run: pingCommand},
		{Name: "echo", Arity: 2, Run: echoCommand},
		{Name: "select", Arity: 2, Run: selectCommand},
		{Name: "quit", Arity: -1, Flags: flagNoAuth | flagTxControl, Run: quitCommand},
		{Name: "auth", Arity: -2, Flags: flagNoAuth, Run: authCommand},
		{Name: "hello", Arity: -1, Flags: flagNoAuth, Run: helloCommand},
		{Name: "acl", Arity: -2, Subcommands: []*Command{
			{Name: "users", Arity: 2, Run: aclUsersCommand},
			{Name: "whoami", Arity: 2, Run: aclWhoamiCommand},
		}},
	}
}

// defaultUser is the only user: AUTH's, ACL WHOAMI's and ACL USERS's.
const defaultUser = "default"

func aclUsersCommand(c *Client, _ [][]byte) {
	c.out.Array(1)
	c.out.BulkString(defaultUser)
}

func aclWhoamiCommand(c *Client, _ [][]byte) { c.out.BulkString(defaultUser) }

func pingCommand(c *Client, args [][]byte) {
	if len(args) > 2 {
		c.errorReply(wrongArgs("ping"))
		return
	}
	if c.pubsubRestricted() {
		// A RESP2 subscriber tells a reply from a message by its shape.
		c.out.Array(2)
		c.out.BulkString("pong")
		if len(args) == 1 {
			c.out.BulkString("")
		} else {
			c.out.Bulk(args[1])
		}
		return
	}
	if len(args) == 1 {
		c.out.Simple("PONG")
		return
	}
	c.out.Bulk(args[1])
}

func echoCommand(c *Client, args [][]byte) { c.out.Bulk(args[1]) }

func selectCommand(c *Client, args [][]byte) {
	id, ok := c.rangeArg(args[1], -1<<31, 1<<31-1, "")
	if !ok {
		return
	}
	if id < 0 || id >= NumDatabases {
		c.errorReply(errDBIndex)
		return
	}
	c.db = c.e.dbs[id]
	c.out.Simple("OK")
}

func quitCommand(c *Client, args [][]byte) {
	c.out.Simple("OK")
	c.closeAfterReply = true
}

// checkPassword authenticates the default user (the only user): any user
// name other than "default" fails, and without a configured password any
// password is accepted, as for Redis's "nopass" default user.
func (c *Client) checkPassword(user, pass []byte) bool {
	if string(user) != defaultUser {
		return false
	}
	want := c.e.settings.requirePass
	return want == "" || string(pass) == want
}

func authCommand(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.errorReply(errSyntax)
		return
	}
	user, pass := []byte(defaultUser), args[1]
	if len(args) == 2 {
		if c.e.settings.requirePass == "" {
			c.errorReply(errNoPassword)
			return
		}
	} else {
		user, pass = args[1], args[2]
	}
	if !c.checkPassword(user, pass) {
		c.errorReply(errWrongPass)
		return
	}
	c.authenticated = true
	c.out.Simple("OK")
}

// validClientName reports whether a name has no spaces, newlines or
// special characters.
func validClientName(name []byte) bool {
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

const errClientName = "ERR Client names cannot contain spaces, newlines or special characters."

func helloCommand(c *Client, args [][]byte) {
	ver := int64(0)
	next := 1
	if len(args) >= 2 {
		v, ok := resp.ParseInt(args[1])
		if !ok {
			c.errorReply("ERR Protocol version is not an integer or out of range")
			return
		}
		ver = v
		next = 2
		if ver < 2 || ver > 3 {
			c.errorReply("NOPROTO unsupported protocol version")
			return
		}
	}
	var user, pass, name []byte
	for j := next; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case equalFold(args[j], "AUTH") && more >= 2:
			user, pass = args[j+1], args[j+2]
			j += 2
		case equalFold(args[j], "SETNAME") && more >= 1:
			name = args[j+1]
			if !validClientName(name) {
				c.errorReply(errClientName)
				return
			}
			j++
		default:
			c.errorReply("ERR Syntax error in HELLO option '" + cstr(args[j]) + "'")
			return
		}
	}
	if user != nil {
		if !c.checkPassword(user, pass) {
			c.errorReply(errWrongPass)
			return
		}
		c.authenticated = true
	}
	if !c.authenticated {
		c.errorReply("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if name != nil {
		c.name = string(name)
	}
	if ver != 0 {
		c.main.Proto = int(ver)
		c.served.Proto = int(ver)
	}
	w := c.out
	w.Map(7)
	w.BulkString("server")
	w.BulkString("redis")
	w.BulkString("version")
	w.BulkString(c.e.version)
	w.BulkString("proto")
	w.Int(int64(c.main.Proto))
	w.BulkString("id")
	w.Int(c.id)
	w.BulkString("mode")
	w.BulkString("standalone")
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.Array(0)
}
