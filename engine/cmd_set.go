package engine

// Set commands: SADD, SREM, SISMEMBER, SMISMEMBER, SMEMBERS, SCARD. A set
// emptied by SREM is deleted. SMEMBERS lists small integer sets in numeric
// order, as Redis does (see setValue).

func setCommands() []*Command {
	return []*Command{
		{Name: "sadd", Arity: -3, Flags: flagWrite, Run: saddCommand},
		{Name: "srem", Arity: -3, Flags: flagWrite, Run: sremCommand},
		{Name: "sismember", Arity: 3, Run: sismemberCommand},
		{Name: "smismember", Arity: -3, Run: smismemberCommand},
		{Name: "smembers", Arity: 2, Run: smembersCommand},
		{Name: "scard", Arity: 2, Run: scardCommand},
		{Name: "sscan", Arity: -3, Run: sscanCommand},
	}
}

func saddCommand(c *Client, args [][]byte) {
	key := args[1]
	o, ok := c.lookupWrite(key, kindSet)
	if !ok {
		return
	}
	if o == nil {
		o = &object{kind: kindSet, set: newSetValue(args[2])}
		c.e.addLocked(c.db, key, o)
	}
	added := int64(0)
	for _, m := range args[2:] {
		if o.set.add(m) {
			added++
		}
	}
	if added > 0 {
		c.e.touchLocked(c.db, key)
	}
	c.out.Int(added)
}

func sremCommand(c *Client, args [][]byte) {
	key := args[1]
	o, ok := c.lookupWrite(key, kindSet)
	if !ok {
		return
	}
	if o == nil {
		c.out.Int(0)
		return
	}
	removed := int64(0)
	for _, m := range args[2:] {
		if o.set.members.remove(m) {
			removed++
			if o.set.len() == 0 {
				break
			}
		}
	}
	if removed > 0 {
		c.e.touchLocked(c.db, key)
		c.e.deleteIfEmptyLocked(c.db, key, o)
	}
	c.out.Int(removed)
}

func sismemberCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindSet)
	if !ok {
		return
	}
	if o != nil && o.set.members.has(args[2]) {
		c.out.Int(1)
	} else {
		c.out.Int(0)
	}
}

func smismemberCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindSet)
	if !ok {
		return
	}
	c.out.Array(len(args) - 2)
	for _, m := range args[2:] {
		if o != nil && o.set.members.has(m) {
			c.out.Int(1)
		} else {
			c.out.Int(0)
		}
	}
}

func smembersCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindSet)
	if !ok {
		return
	}
	if o == nil {
		c.out.Set(0)
		return
	}
	members := o.set.list()
	c.out.Set(len(members))
	for _, m := range members {
		c.out.BulkString(m)
	}
}

func scardCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindSet)
	if !ok {
		return
	}
	if o == nil {
		c.out.Int(0)
		return
	}
	c.out.Int(int64(o.set.len()))
}
