package engine

import (
	"bytes"
	"fmt"
	"math"
	"math/big"

	"github.com/pelicanhq/pelican/internal/resp"
)

// String commands: GET, SET and its variants, MGET, MSET, MSETNX, the
// INCR family, INCRBYFLOAT, APPEND, STRLEN, GETDEL, GETSET, GETEX.

func stringCommands() []*Command {
	return []*Command{
		{Name: "get", Arity: 2, Run: getCommand},
		{Name: "set", Arity: -3, Flags: flagWrite, Run: setCommand},
		{Name: "setnx", Arity: 3, Flags: flagWrite, Run: setnxCommand},
		{Name: "setex", Arity: 4, Flags: flagWrite, Run: func(c *Client, a [][]byte) { setexCommand(c, a, true, "setex") }},
		{Name: "psetex", Arity: 4, Flags: flagWrite, Run: func(c *Client, a [][]byte) { setexCommand(c, a, false, "psetex") }},
		{Name: "getex", Arity: -2, Flags: flagWrite, Run: getexCommand},
		{Name: "getdel", Arity: 2, Flags: flagWrite, Run: getdelCommand},
		{Name: "getset", Arity: 3, Flags: flagWrite, Run: getsetCommand},
		{Name: "mget", Arity: -2, Run: mgetCommand},
		{Name: "mset", Arity: -3, Flags: flagWrite, Run: func(c *Client, a [][]byte) { msetCommand(c, a, false, "mset") }},
		{Name: "msetnx", Arity: -3, Flags: flagWrite, Run: func(c *Client, a [][]byte) { msetCommand(c, a, true, "msetnx") }},
		{Name: "incr", Arity: 2, Flags: flagWrite, Run: func(c *Client, a [][]byte) { incrDecr(c, a[1], 1) }},
		{Name: "decr", Arity: 2, Flags: flagWrite, Run: func(c *Client, a [][]byte) { incrDecr(c, a[1], -1) }},
		{Name: "incrby", Arity: 3, Flags: flagWrite, Run: incrbyCommand},
		{Name: "decrby", Arity: 3, Flags: flagWrite, Run: decrbyCommand},
		{Name: "incrbyfloat", Arity: 3, Flags: flagWrite, Run: incrbyfloatCommand},
		{Name: "append", Arity: 3, Flags: flagWrite, Run: appendCommand},
		{Name: "strlen", Arity: 2, Run: strlenCommand},
	}
}

// newString returns a string value holding a copy of b (arguments alias
// the connection's read buffer).
func newString(b []byte) *object {
	return &object{kind: kindString, str: bytes.Clone(b)}
}

// Options of SET and GETEX.
const (
	strNX = 1 << iota
	strXX
	strGet
	strKeepTTL
	strPersist
	strEX
	strPX
	strEXAT
	strPXAT
)

const strExpireFlags = strEX | strPX | strEXAT | strPXAT

// stringOpts are the parsed options of SET or GETEX.
type stringOpts struct {
	flags  int
	expire []byte // the expire argument, nil if none
}

// parseStringOpts parses the options of SET (set) or GETEX from
// args[first:] as Redis's parseExtendedStringArgumentsOrReply does: an
// option may repeat, but one that conflicts with an earlier one, an
// unknown one, or an expiry without its argument is a syntax error.
func (c *Client) parseStringOpts(args [][]byte, first int, set bool) (stringOpts, bool) {
	var o stringOpts
	for j := first; j < len(args); j++ {
		opt := args[j]
		hasNext := j+1 < len(args)
		f := o.flags
		// expireOK reports whether expiry option kind may follow f.
		expireOK := func(kind int) bool {
			return hasNext && f&(strKeepTTL|strPersist|(strExpireFlags&^kind)) == 0
		}
		expFlag := 0
		switch {
		case set && keyword(opt, "NX") && f&strXX == 0:
			o.flags |= strNX
		case set && keyword(opt, "XX") && f&strNX == 0:
			o.flags |= strXX
		case set && keyword(opt, "GET"):
			o.flags |= strGet
		case set && keyword(opt, "KEEPTTL") && f&(strPersist|strExpireFlags) == 0:
			o.flags |= strKeepTTL
		case !set && keyword(opt, "PERSIST") && f&(strExpireFlags|strKeepTTL) == 0:
			o.flags |= strPersist
		case keyword(opt, "EX") && expireOK(strEX):
			expFlag = strEX
		case keyword(opt, "PX") && expireOK(strPX):
			expFlag = strPX
		case keyword(opt, "EXAT") && expireOK(strEXAT):
			expFlag = strEXAT
		case keyword(opt, "PXAT") && expireOK(strPXAT):
			expFlag = strPXAT
		default:
			c.errorReply(errSyntax)
			return o, false
		}
		if expFlag != 0 {
			o.flags |= expFlag
			o.expire = args[j+1]
			j++
		}
	}
	return o, true
}

// expireMs converts the expire argument of SET, SETEX, PSETEX or GETEX
// to a Unix time in ms, replying Redis's error when it is not a positive
// integer or overflows.
func (c *Client) expireMs(arg []byte, flags int, name string) (int64, bool) {
	ms, ok := c.intArg(arg, "")
	if !ok {
		return 0, false
	}
	seconds := flags&(strEX|strEXAT) != 0
	if ms <= 0 || (seconds && ms > math.MaxInt64/1000) {
		c.errorReply(fmt.Sprintf(errInvalidExpire, name))
		return 0, false
	}
	if seconds {
		ms *= 1000
	}
	if flags&(strEX|strPX) != 0 {
		ms += c.now // wraps negative on overflow, as in Redis
	}
	if ms <= 0 {
		c.errorReply(fmt.Sprintf(errInvalidExpire, name))
		return 0, false
	}
	return ms, true
}

// getReply replies with the string at key, or a null. It replies
// WRONGTYPE and returns false if the key holds another kind of value.
func (c *Client) getReply(key []byte) bool {
	o, ok := c.lookupRead(key, kindString)
	if !ok {
		return false
	}
	if o == nil {
		c.out.NullBulk()
	} else {
		c.out.Bulk(o.str)
	}
	return true
}

func getCommand(c *Client, args [][]byte) { c.getReply(args[1]) }

// setGeneric is the common part of SET, SETNX, SETEX and PSETEX. done
// writes the reply of a set that happened (true) or was prevented by NX
// or XX (false); with GET the reply is the old value instead.
func setGeneric(c *Client, opts stringOpts, key, val []byte, name string, done func(set bool)) {
	var at int64
	if opts.expire != nil {
		var ok bool
		if at, ok = c.expireMs(opts.expire, opts.flags, name); !ok {
			return
		}
	}
	get := opts.flags&strGet != 0
	if get && !c.getReply(key) {
		return
	}
	found := c.e.lookupLocked(c.db, key) != nil
	if (opts.flags&strNX != 0 && found) || (opts.flags&strXX != 0 && !found) {
		if !get {
			done(false)
		}
		c.propagateNothing()
		return
	}
	c.e.setKeyLocked(c.db, key, newString(val), opts.flags&strKeepTTL != 0)
	switch {
	case opts.expire != nil:
		c.e.setExpireLocked(c.db, key, at)
		c.propagate([]byte("SET"), key, val, []byte("PXAT"), intArgBytes(at))
	case opts.flags&strKeepTTL != 0:
		c.propagate([]byte("SET"), key, val, []byte("KEEPTTL"))
	default:
		c.propagate([]byte("SET"), key, val)
	}
	if !get {
		done(true)
	}
}

func setCommand(c *Client, args [][]byte) {
	opts, ok := c.parseStringOpts(args, 3, true)
	if !ok {
		return
	}
	setGeneric(c, opts, args[1], args[2], "set", func(set bool) {
		if set {
			c.out.Simple("OK")
		} else {
			c.out.NullBulk()
		}
	})
}

func setnxCommand(c *Client, args [][]byte) {
	setGeneric(c, stringOpts{flags: strNX}, args[1], args[2], "setnx", func(set bool) {
		if set {
			c.out.Int(1)
		} else {
			c.out.Int(0)
		}
	})
}

// setexCommand implements SETEX (seconds) and PSETEX.
func setexCommand(c *Client, args [][]byte, seconds bool, name string) {
	opts := stringOpts{flags: strPX, expire: args[2]}
	if seconds {
		opts.flags = strEX
	}
	setGeneric(c, opts, args[1], args[3], name, func(bool) { c.out.Simple("OK") })
}

func getexCommand(c *Client, args [][]byte) {
	opts, ok := c.parseStringOpts(args, 2, false)
	if !ok {
		return
	}
	key := args[1]
	o, ok := c.lookupRead(key, kindString)
	if !ok {
		return
	}
	if o == nil {
		c.out.NullBulk()
		return
	}
	var at int64
	if opts.expire != nil {
		if at, ok = c.expireMs(opts.expire, opts.flags, "getex"); !ok {
			return
		}
	}
	c.out.Bulk(o.str)
	c.propagateNothing()
	switch {
	case opts.flags&(strEXAT|strPXAT) != 0 && at <= c.now && !c.e.loading:
		c.e.deleteLocked(c.db, string(key))
		c.propagate([]byte("DEL"), key)
	case opts.expire != nil:
		c.e.setExpireLocked(c.db, key, at)
		c.e.touchLocked(c.db, key)
		c.propagate([]byte("PEXPIREAT"), key, intArgBytes(at))
	case opts.flags&strPersist != 0:
		if _, has := c.db.expires[string(key)]; has {
			delete(c.db.expires, string(key))
			c.e.touchLocked(c.db, key)
			c.propagate([]byte("PERSIST"), key)
		}
	}
}

func getdelCommand(c *Client, args [][]byte) {
	if !c.getReply(args[1]) {
		return
	}
	c.e.deleteLocked(c.db, string(args[1]))
}

func getsetCommand(c *Client, args [][]byte) {
	if !c.getReply(args[1]) {
		return
	}
	c.e.setKeyLocked(c.db, args[1], newString(args[2]), false)
}

func mgetCommand(c *Client, args [][]byte) {
	c.out.Array(len(args) - 1)
	for _, k := range args[1:] {
		o := c.e.lookupReadLocked(c.db, k)
		if o == nil || o.kind != kindString {
			c.out.NullBulk()
		} else {
			c.out.Bulk(o.str)
		}
	}
}

// msetCommand implements MSET and (nx) MSETNX, which sets nothing if any
// of the keys exists.
func msetCommand(c *Client, args [][]byte, nx bool, name string) {
	if len(args)%2 == 0 {
		c.errorReply(wrongArgs(name))
		return
	}
	if nx {
		for j := 1; j < len(args); j += 2 {
			if c.e.lookupLocked(c.db, args[j]) != nil {
				c.out.Int(0)
				return
			}
		}
	}
	for j := 1; j < len(args); j += 2 {
		c.e.lookupLocked(c.db, args[j]) // expire it first
		c.e.setKeyLocked(c.db, args[j], newString(args[j+1]), false)
	}
	if nx {
		c.out.Int(1)
	} else {
		c.out.Simple("OK")
	}
}

// incrDecr adds incr to the integer at key (0 if missing), keeping the
// key's TTL.
func incrDecr(c *Client, key []byte, incr int64) {
	o, ok := c.lookupWrite(key, kindString)
	if !ok {
		return
	}
	var v int64
	if o != nil {
		if v, ok = resp.ParseInt(o.str); !ok {
			c.errorReply(errNotInteger)
			return
		}
	}
	if (incr < 0 && v < 0 && incr < math.MinInt64-v) || (incr > 0 && v > 0 && incr > math.MaxInt64-v) {
		c.errorReply(errIncrOverflow)
		return
	}
	v += incr
	if o != nil {
		o.str = resp.AppendInt(nil, v)
	} else {
		c.e.addLocked(c.db, key, &object{kind: kindString, str: resp.AppendInt(nil, v)})
	}
	c.e.touchLocked(c.db, key)
	c.out.Int(v)
}

func incrbyCommand(c *Client, args [][]byte) {
	incr, ok := c.intArg(args[2], "")
	if !ok {
		return
	}
	incrDecr(c, args[1], incr)
}

func decrbyCommand(c *Client, args [][]byte) {
	decr, ok := c.intArg(args[2], "")
	if !ok {
		return
	}
	if decr == math.MinInt64 {
		c.errorReply("ERR decrement would overflow")
		return
	}
	incrDecr(c, args[1], -decr)
}

func incrbyfloatCommand(c *Client, args [][]byte) {
	key := args[1]
	o, ok := c.lookupWrite(key, kindString)
	if !ok {
		return
	}
	cur := new(big.Float)
	if o != nil {
		if cur, ok = parseLongDouble(o.str); !ok {
			c.errorReply(errNotFloat)
			return
		}
	}
	incr, ok := parseLongDouble(args[2])
	if !ok {
		c.errorReply(errNotFloat)
		return
	}
	sum, ok := addLongDouble(cur, incr)
	if !ok {
		c.errorReply("ERR increment would produce NaN or Infinity")
		return
	}
	s := []byte(formatLongDouble(sum))
	if o != nil {
		o.str = s
	} else {
		c.e.addLocked(c.db, key, &object{kind: kindString, str: s})
	}
	c.e.touchLocked(c.db, key)
	c.out.Bulk(s)
	c.propagate([]byte("SET"), key, s, []byte("KEEPTTL"))
}

// errStringTooLong is refused by APPEND past proto-max-bulk-len.
const errStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"

func appendCommand(c *Client, args [][]byte) {
	key := args[1]
	o, ok := c.lookupWrite(key, kindString)
	if !ok {
		return
	}
	if o == nil {
		o = newString(args[2])
		c.e.addLocked(c.db, key, o)
	} else {
		if int64(len(o.str))+int64(len(args[2])) > c.e.settings.protoMaxBulkLen {
			c.errorReply(errStringTooLong)
			return
		}
		o.str = append(o.str, args[2]...)
	}
	c.e.touchLocked(c.db, key)
	c.out.Int(int64(len(o.str)))
}

func strlenCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindString)
	if !ok {
		return
	}
	if o == nil {
		c.out.Int(0)
		return
	}
	c.out.Int(int64(len(o.str)))
}
