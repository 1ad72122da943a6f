package engine

import (
	"bytes"
	"math"
)

// List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LRANGE, LLEN,
// LINDEX, LREM, RPOPLPUSH and LMOVE. A list emptied by a pop or a removal
// is deleted.

func listCommands() []*Command {
	return []*Command{
		{Name: "lpush", Arity: -3, Flags: flagWrite, Run: func(c *Client, a [][]byte) { pushCommand(c, a, true, false) }},
		{Name: "rpush", Arity: -3, Flags: flagWrite, Run: func(c *Client, a [][]byte) { pushCommand(c, a, false, false) }},
		{Name: "lpushx", Arity: -3, Flags: flagWrite, Run: func(c *Client, a [][]byte) { pushCommand(c, a, true, true) }},
		{Name: "rpushx", Arity: -3, Flags: flagWrite, Run: func(c *Client, a [][]byte) { pushCommand(c, a, false, true) }},
		{Name: "lpop", Arity: -2, Flags: flagWrite, Run: func(c *Client, a [][]byte) { popCommand(c, a, true, "lpop") }},
		{Name: "rpop", Arity: -2, Flags: flagWrite, Run: func(c *Client, a [][]byte) { popCommand(c, a, false, "rpop") }},
		{Name: "lrange", Arity: 4, Run: lrangeCommand},
		{Name: "llen", Arity: 2, Run: llenCommand},
		{Name: "lindex", Arity: 3, Run: lindexCommand},
		{Name: "lrem", Arity: 4, Flags: flagWrite, Run: lremCommand},
		{Name: "rpoplpush", Arity: 3, Flags: flagWrite, Run: func(c *Client, a [][]byte) { moveCommand(c, a[1], a[2], false, true) }},
		{Name: "lmove", Arity: 5, Flags: flagWrite, Run: lmoveCommand},
	}
}

// pushCommand implements LPUSH (front), RPUSH, and their X variants
// (onlyExisting), which do nothing to a missing key.
func pushCommand(c *Client, args [][]byte, front, onlyExisting bool) {
	key := args[1]
	o, ok := c.lookupWrite(key, kindList)
	if !ok {
		return
	}
	if o == nil {
		if onlyExisting {
			c.out.Int(0)
			return
		}
		o = &object{kind: kindList, list: &listValue{}}
		c.e.addLocked(c.db, key, o)
	}
	for _, v := range args[2:] {
		if front {
			o.list.pushFront(bytes.Clone(v))
		} else {
			o.list.pushBack(bytes.Clone(v))
		}
	}
	c.e.touchLocked(c.db, key)
	c.out.Int(int64(o.list.len()))
}

// popCommand implements LPOP (front) and RPOP, with Redis 7's optional
// count: without it the reply is one element or a null; with it, an
// array (empty for a count of 0) or a null array for a missing key.
func popCommand(c *Client, args [][]byte, front bool, name string) {
	if len(args) > 3 {
		c.errorReply(wrongArgs(name))
		return
	}
	hasCount := len(args) == 3
	var count int64
	if hasCount {
		var ok bool
		if count, ok = c.rangeArg(args[2], 0, math.MaxInt64, errOutOfRange); !ok {
			return
		}
	}
	key := args[1]
	o, ok := c.lookupWrite(key, kindList)
	if !ok {
		return
	}
	if o == nil {
		if hasCount {
			c.out.NullArray()
		} else {
			c.out.NullBulk()
		}
		return
	}
	if hasCount && count == 0 {
		c.out.Array(0)
		return
	}
	pop := o.list.popBack
	if front {
		pop = o.list.popFront
	}
	if !hasCount {
		c.out.Bulk(pop())
	} else {
		n := min(count, int64(o.list.len()))
		c.out.Array(int(n))
		for range n {
			c.out.Bulk(pop())
		}
	}
	c.e.touchLocked(c.db, key)
	c.e.deleteIfEmptyLocked(c.db, key, o)
}

// listRange resolves LRANGE-style indexes (negative ones count from the
// end) against a list of length n, returning an empty range as from > to.
func listRange(start, end, n int64) (from, to int64) {
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= n {
		return 0, -1
	}
	if end >= n {
		end = n - 1
	}
	return start, end
}

func lrangeCommand(c *Client, args [][]byte) {
	start, ok := c.intArg(args[2], "")
	if !ok {
		return
	}
	end, ok := c.intArg(args[3], "")
	if !ok {
		return
	}
	o, ok := c.lookupRead(args[1], kindList)
	if !ok {
		return
	}
	if o == nil {
		c.out.Array(0)
		return
	}
	from, to := listRange(start, end, int64(o.list.len()))
	c.out.Array(int(to - from + 1))
	for i := from; i <= to; i++ {
		c.out.Bulk(o.list.at(int(i)))
	}
}

func llenCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindList)
	if !ok {
		return
	}
	if o == nil {
		c.out.Int(0)
		return
	}
	c.out.Int(int64(o.list.len()))
}

func lindexCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindList)
	if !ok {
		return
	}
	if o == nil {
		c.out.NullBulk()
		return
	}
	i, ok := c.intArg(args[2], "")
	if !ok {
		return
	}
	n := int64(o.list.len())
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		c.out.NullBulk()
		return
	}
	c.out.Bulk(o.list.at(int(i)))
}

// lremCommand is LREM key count element: it removes up to count elements
// equal to element from the head (count > 0), from the tail (count < 0),
// or all of them (count 0), and replies how many it removed.
func lremCommand(c *Client, args [][]byte) {
	count, ok := c.intArg(args[2], "")
	if !ok {
		return
	}
	key := args[1]
	o, ok := c.lookupWrite(key, kindList)
	if !ok {
		return
	}
	if o == nil {
		c.out.Int(0)
		return
	}
	fromTail := count < 0
	if fromTail {
		// -MinInt64 overflows: Redis then never reaches the count, and
		// removes every match.
		count = max(-count, 0)
	}
	removed := o.list.remove(args[3], count, fromTail)
	if removed > 0 {
		c.e.touchLocked(c.db, key)
		c.e.deleteIfEmptyLocked(c.db, key, o)
	}
	c.out.Int(int64(removed))
}

// lmoveCommand is LMOVE source destination LEFT|RIGHT LEFT|RIGHT. The
// directions are checked before the keys, as Redis does.
func lmoveCommand(c *Client, args [][]byte) {
	from, ok := c.listEnd(args[3])
	if !ok {
		return
	}
	to, ok := c.listEnd(args[4])
	if !ok {
		return
	}
	moveCommand(c, args[1], args[2], from, to)
}

// listEnd parses LEFT (true) or RIGHT (false).
func (c *Client) listEnd(b []byte) (left, ok bool) {
	switch {
	case bytes.EqualFold(b, []byte("left")):
		return true, true
	case bytes.EqualFold(b, []byte("right")):
		return false, true
	}
	c.errorReply(errSyntax)
	return false, false
}

// moveCommand pops an element from one end of src (the head if fromLeft)
// and pushes it onto dst (at the head if toLeft), replying with it: LMOVE
// and RPOPLPUSH. A missing src replies null whatever dst holds; src and
// dst may be the same list, which then rotates.
func moveCommand(c *Client, src, dst []byte, fromLeft, toLeft bool) {
	so, ok := c.lookupWrite(src, kindList)
	if !ok {
		return
	}
	if so == nil {
		c.out.NullBulk()
		return
	}
	do, ok := c.lookupWrite(dst, kindList)
	if !ok {
		return
	}
	var v []byte
	if fromLeft {
		v = so.list.popFront()
	} else {
		v = so.list.popBack()
	}
	if do == nil {
		do = &object{kind: kindList, list: &listValue{}}
		c.e.addLocked(c.db, dst, do)
	}
	if toLeft {
		do.list.pushFront(v)
	} else {
		do.list.pushBack(v)
	}
	c.e.touchLocked(c.db, dst)
	c.e.touchLocked(c.db, src)
	c.e.deleteIfEmptyLocked(c.db, src, so)
	c.out.Bulk(v)
}
