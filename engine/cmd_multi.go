package engine

// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, with Redis's
// semantics. A command that fails to queue (unknown, wrong arity) makes
// EXEC abort with EXECABORT; a change to a watched key makes EXEC reply
// with a null; errors of commands that run inside EXEC are replied in
// place and do not stop the others.

func transactionCommands() []*Command {
	return []*Command{
		{Name: "multi", Arity: 1, Flags: flagTxControl, Run: multiCommand},
		{Name: "exec", Arity: 1, Flags: flagTxControl, Run: execCommand},
		{Name: "discard", Arity: 1, Flags: flagTxControl, Run: discardCommand},
		{Name: "watch", Arity: -2, Flags: flagTxControl, Run: watchCommand},
		{Name: "unwatch", Arity: 1, Run: unwatchCommand},
	}
}

func multiCommand(c *Client, args [][]byte) {
	if c.inMulti {
		c.errorReply(errMultiNested)
		return
	}
	c.inMulti = true
	c.out.Simple("OK")
}

func discardCommand(c *Client, args [][]byte) {
	if !c.inMulti {
		c.errorReply(errDiscardNoMulti)
		return
	}
	c.discardTransactionLocked()
	c.out.Simple("OK")
}

func execCommand(c *Client, args [][]byte) {
	if !c.inMulti {
		c.errorReply(errExecNoMulti)
		return
	}
	if c.watchedKeyExpiredLocked() {
		c.dirtyCAS = true
	}
	if c.dirtyExec || c.dirtyCAS {
		if c.dirtyExec {
			c.errorReply(errExecAbort)
		} else {
			c.out.NullArray()
		}
		c.discardTransactionLocked()
		return
	}
	queued := c.queued
	c.unwatchAllLocked()
	c.denyBlocking = true
	c.out.Array(len(queued))
	for _, q := range queued {
		c.call(q.cmd, q.args)
	}
	c.denyBlocking = false
	c.discardTransactionLocked()
}

func watchCommand(c *Client, args [][]byte) {
	if c.inMulti {
		c.errorReply(errWatchInMulti)
		return
	}
	if !c.dirtyCAS {
		for _, k := range args[1:] {
			c.watchLocked(k)
		}
	}
	c.out.Simple("OK")
}

func unwatchCommand(c *Client, args [][]byte) {
	c.unwatchAllLocked()
	c.dirtyCAS = false
	c.out.Simple("OK")
}
