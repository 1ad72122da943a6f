package engine

import (
	"bytes"
	"strings"
)

// Scripting commands: EVAL, EVALSHA, their read-only forms, and SCRIPT
// LOAD, EXISTS, FLUSH and KILL. See script.go for what scripts can do.

func scriptingCommands() []*Command {
	return []*Command{
		{Name: "eval", Arity: -3, Run: func(c *Client, args [][]byte) { evalCommand(c, args, false, false) }},
		{Name: "evalsha", Arity: -3, Run: func(c *Client, args [][]byte) { evalCommand(c, args, true, false) }},
		{Name: "eval_ro", Arity: -3, Run: func(c *Client, args [][]byte) { evalCommand(c, args, false, true) }},
		{Name: "evalsha_ro", Arity: -3, Run: func(c *Client, args [][]byte) { evalCommand(c, args, true, true) }},
	}
}

// scriptSubcommands are SCRIPT's subcommands.
func scriptSubcommands() []*Command {
	return []*Command{
		{Name: "exists", Arity: -3, Run: scriptExistsCommand},
		{Name: "flush", Arity: -2, Run: scriptFlushCommand},
		{Name: "help", Arity: 2, Run: func(c *Client, _ [][]byte) { c.writeHelp("SCRIPT", scriptHelp) }},
		{Name: "kill", Arity: 2, Run: scriptKillCommand},
		{Name: "load", Arity: 3, Run: scriptLoadCommand},
	}
}

// evalCommand runs EVAL (bySHA false) or EVALSHA: script-or-sha numkeys
// key... arg....
func evalCommand(c *Client, args [][]byte, bySHA, readOnly bool) {
	numkeys, ok := c.intArg(args[2], errNotInteger)
	if !ok {
		return
	}
	switch {
	case numkeys < 0:
		c.errorReply("ERR Number of keys can't be negative")
		return
	case numkeys > int64(len(args)-3):
		c.errorReply("ERR Number of keys can't be greater than number of args")
		return
	}
	s := c.e.scriptsLocked()
	var sha string
	if bySHA {
		sha = strings.ToLower(string(args[1]))
		if s.scripts[sha] == nil {
			c.errorReply("NOSCRIPT No matching script. Please use EVAL.")
			return
		}
	} else {
		var msg string
		if sha, _, msg = s.load(args[1]); msg != "" {
			c.errorReply(msg)
			return
		}
	}
	keys := args[3 : 3+numkeys]
	s.run(c, sha, s.scripts[sha], keys, args[3+numkeys:], readOnly)
}

// scriptLoadCommand compiles and caches a script, replying its SHA1.
func scriptLoadCommand(c *Client, args [][]byte) {
	sha, _, msg := c.e.scriptsLocked().load(args[2])
	if msg != "" {
		c.errorReply(msg)
		return
	}
	c.out.BulkString(sha)
}

// scriptExistsCommand replies, per SHA1, 1 if the script is cached.
func scriptExistsCommand(c *Client, args [][]byte) {
	s := c.e.scripting
	c.out.Array(len(args) - 2)
	for _, a := range args[2:] {
		if s != nil && s.scripts[string(bytes.ToLower(a))] != nil {
			c.out.Int(1)
		} else {
			c.out.Int(0)
		}
	}
}

// scriptKillCommand stops the busy script, unless it has written.
func scriptKillCommand(c *Client, _ [][]byte) {
	if msg := c.e.killScript(); msg != "" {
		c.errorReply(msg)
		return
	}
	c.out.Simple("OK")
}
