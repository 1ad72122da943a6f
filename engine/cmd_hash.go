package engine

import (
	"bytes"
	"math"
	"math/big"

	"github.com/pelicanhq/pelican/internal/resp"
)

// Hash commands: HSET, HMSET, HSETNX, HGET, HMGET, HGETALL, HKEYS, HVALS,
// HDEL, HINCRBY, HINCRBYFLOAT, HLEN, HEXISTS, HSTRLEN. A hash emptied by
// HDEL is deleted. Fields are listed in insertion order (see hashValue).

func hashCommands() []*Command {
	return []*Command{
		{Name: "hset", Arity: -4, Flags: flagWrite, Run: func(c *Client, a [][]byte) { hsetCommand(c, a, "hset") }},
		{Name: "hmset", Arity: -4, Flags: flagWrite, Run: func(c *Client, a [][]byte) { hsetCommand(c, a, "hmset") }},
		{Name: "hsetnx", Arity: 4, Flags: flagWrite, Run: hsetnxCommand},
		{Name: "hget", Arity: 3, Run: hgetCommand},
		{Name: "hmget", Arity: -3, Run: hmgetCommand},
		{Name: "hgetall", Arity: 2, Run: func(c *Client, a [][]byte) { hgetallCommand(c, a, true, true) }},
		{Name: "hkeys", Arity: 2, Run: func(c *Client, a [][]byte) { hgetallCommand(c, a, true, false) }},
		{Name: "hvals", Arity: 2, Run: func(c *Client, a [][]byte) { hgetallCommand(c, a, false, true) }},
		{Name: "hdel", Arity: -3, Flags: flagWrite, Run: hdelCommand},
		{Name: "hincrby", Arity: 4, Flags: flagWrite, Run: hincrbyCommand},
		{Name: "hincrbyfloat", Arity: 4, Flags: flagWrite, Run: hincrbyfloatCommand},
		{Name: "hlen", Arity: 2, Run: hlenCommand},
		{Name: "hexists", Arity: 3, Run: hexistsCommand},
		{Name: "hstrlen", Arity: 3, Run: hstrlenCommand},
		{Name: "hscan", Arity: -3, Run: hscanCommand},
	}
}

// hashForWrite returns the hash at key, creating an empty one if the key
// does not exist; it replies WRONGTYPE and returns nil for another kind.
func (c *Client) hashForWrite(key []byte) *hashValue {
	o, ok := c.lookupWrite(key, kindHash)
	if !ok {
		return nil
	}
	if o == nil {
		o = &object{kind: kindHash, hash: newHashValue()}
		c.e.addLocked(c.db, key, o)
	}
	return o.hash
}

// hsetCommand implements HSET, which replies with the number of new
// fields, and HMSET, which replies OK.
func hsetCommand(c *Client, args [][]byte, name string) {
	if len(args)%2 == 1 {
		c.errorReply(wrongArgs(name))
		return
	}
	h := c.hashForWrite(args[1])
	if h == nil {
		return
	}
	created := int64(0)
	for i := 2; i < len(args); i += 2 {
		if h.fields.put(args[i], bytes.Clone(args[i+1])) {
			created++
		}
	}
	c.e.touchLocked(c.db, args[1])
	if name == "hset" {
		c.out.Int(created)
	} else {
		c.out.Simple("OK")
	}
}

func hsetnxCommand(c *Client, args [][]byte) {
	h := c.hashForWrite(args[1])
	if h == nil {
		return
	}
	if h.fields.has(args[2]) {
		c.out.Int(0)
		return
	}
	h.fields.put(args[2], bytes.Clone(args[3]))
	c.e.touchLocked(c.db, args[1])
	c.out.Int(1)
}

func hgetCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindHash)
	if !ok {
		return
	}
	if o == nil {
		c.out.NullBulk()
		return
	}
	if v, ok := o.hash.fields.get(args[2]); ok {
		c.out.Bulk(v)
	} else {
		c.out.NullBulk()
	}
}

func hmgetCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindHash)
	if !ok {
		return
	}
	c.out.Array(len(args) - 2)
	for _, f := range args[2:] {
		if o == nil {
			c.out.NullBulk()
			continue
		}
		if v, ok := o.hash.fields.get(f); ok {
			c.out.Bulk(v)
		} else {
			c.out.NullBulk()
		}
	}
}

// hgetallCommand implements HGETALL (fields and values, a map in RESP3),
// HKEYS (fields) and HVALS (values).
func hgetallCommand(c *Client, args [][]byte, fields, values bool) {
	o, ok := c.lookupRead(args[1], kindHash)
	if !ok {
		return
	}
	n := 0
	if o != nil {
		n = o.hash.len()
	}
	if fields && values {
		c.out.Map(n)
	} else {
		c.out.Array(n)
	}
	if o == nil {
		return
	}
	o.hash.fields.each(func(f string, v []byte) {
		if fields {
			c.out.BulkString(f)
		}
		if values {
			c.out.Bulk(v)
		}
	})
}

func hdelCommand(c *Client, args [][]byte) {
	key := args[1]
	o, ok := c.lookupWrite(key, kindHash)
	if !ok {
		return
	}
	if o == nil {
		c.out.Int(0)
		return
	}
	deleted := int64(0)
	for _, f := range args[2:] {
		if o.hash.fields.remove(f) {
			deleted++
			if o.hash.len() == 0 {
				break
			}
		}
	}
	if deleted > 0 {
		c.e.touchLocked(c.db, key)
		c.e.deleteIfEmptyLocked(c.db, key, o)
	}
	c.out.Int(deleted)
}

func hincrbyCommand(c *Client, args [][]byte) {
	incr, ok := c.intArg(args[3], "")
	if !ok {
		return
	}
	h := c.hashForWrite(args[1])
	if h == nil {
		return
	}
	var v int64
	if cur, found := h.fields.get(args[2]); found {
		if v, ok = resp.ParseInt(cur); !ok {
			c.errorReply(errHashNotInteger)
			return
		}
	}
	if (incr < 0 && v < 0 && incr < math.MinInt64-v) || (incr > 0 && v > 0 && incr > math.MaxInt64-v) {
		c.errorReply(errIncrOverflow)
		return
	}
	v += incr
	h.fields.put(args[2], resp.AppendInt(nil, v))
	c.e.touchLocked(c.db, args[1])
	c.out.Int(v)
}

func hincrbyfloatCommand(c *Client, args [][]byte) {
	incr, ok := parseLongDouble(args[3])
	if !ok {
		c.errorReply(errNotFloat)
		return
	}
	if incr.IsInf() {
		c.errorReply("ERR value is NaN or Infinity")
		return
	}
	h := c.hashForWrite(args[1])
	if h == nil {
		return
	}
	cur := new(big.Float)
	if b, found := h.fields.get(args[2]); found {
		if cur, ok = parseLongDouble(b); !ok {
			c.errorReply("ERR hash value is not a float")
			return
		}
	}
	sum, ok := addLongDouble(cur, incr)
	if !ok {
		c.errorReply("ERR increment would produce NaN or Infinity")
		return
	}
	s := []byte(formatLongDouble(sum))
	h.fields.put(args[2], s)
	c.e.touchLocked(c.db, args[1])
	c.out.Bulk(s)
	c.propagate([]byte("HSET"), args[1], args[2], s)
}

func hlenCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindHash)
	if !ok {
		return
	}
	if o == nil {
		c.out.Int(0)
		return
	}
	c.out.Int(int64(o.hash.len()))
}

func hexistsCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindHash)
	if !ok {
		return
	}
	if o != nil && o.hash.fields.has(args[2]) {
		c.out.Int(1)
	} else {
		c.out.Int(0)
	}
}

func hstrlenCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindHash)
	if !ok {
		return
	}
	n := 0
	if o != nil {
		if v, found := o.hash.fields.get(args[2]); found {
			n = len(v)
		}
	}
	c.out.Int(int64(n))
}
