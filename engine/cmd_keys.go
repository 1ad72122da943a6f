package engine

import (
	"bytes"
	"fmt"
	"math"

	"github.com/pelicanhq/pelican/internal/glob"
)

// Keyspace commands: DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS, SCAN,
// RANDOMKEY, RENAME, RENAMENX, the EXPIRE family, TTL and friends,
// PERSIST, FLUSHDB, FLUSHALL, DBSIZE.

func keyCommands() []*Command {
	return []*Command{
		{Name: "del", Arity: -2, Flags: flagWrite, Run: delCommand},
		{Name: "unlink", Arity: -2, Flags: flagWrite, Run: delCommand},
		{Name: "exists", Arity: -2, Run: existsCommand},
		{Name: "touch", Arity: -2, Run: touchCommand},
		{Name: "type", Arity: 2, Run: typeCommand},
		{Name: "keys", Arity: 2, Run: keysCommand},
		{Name: "scan", Arity: -2, Run: scanCommand},
		{Name: "randomkey", Arity: 1, Run: randomkeyCommand},
		{Name: "rename", Arity: 3, Flags: flagWrite, Run: func(c *Client, a [][]byte) { renameCommand(c, a, false) }},
		{Name: "renamenx", Arity: 3, Flags: flagWrite, Run: func(c *Client, a [][]byte) { renameCommand(c, a, true) }},
		{Name: "expire", Arity: -3, Flags: flagWrite, Run: expireCommand(true, true, "expire")},
		{Name: "pexpire", Arity: -3, Flags: flagWrite, Run: expireCommand(true, false, "pexpire")},
		{Name: "expireat", Arity: -3, Flags: flagWrite, Run: expireCommand(false, true, "expireat")},
		{Name: "pexpireat", Arity: -3, Flags: flagWrite, Run: expireCommand(false, false, "pexpireat")},
		{Name: "ttl", Arity: 2, Run: func(c *Client, a [][]byte) { ttlCommand(c, a, false, false) }},
		{Name: "pttl", Arity: 2, Run: func(c *Client, a [][]byte) { ttlCommand(c, a, true, false) }},
		{Name: "expiretime", Arity: 2, Run: func(c *Client, a [][]byte) { ttlCommand(c, a, false, true) }},
		{Name: "pexpiretime", Arity: 2, Run: func(c *Client, a [][]byte) { ttlCommand(c, a, true, true) }},
		{Name: "persist", Arity: 2, Flags: flagWrite, Run: persistCommand},
		{Name: "flushdb", Arity: -1, Flags: flagWrite, Run: flushdbCommand},
		{Name: "flushall", Arity: -1, Flags: flagWrite, Run: flushallCommand},
		{Name: "dbsize", Arity: 1, Run: dbsizeCommand},
	}
}

// keyword reports whether an option argument, read as a C string (up to
// its first NUL byte), equals kw ignoring ASCII case: Redis compares
// options with strcasecmp. kw must be upper case.
func keyword(arg []byte, kw string) bool {
	if i := bytes.IndexByte(arg, 0); i >= 0 {
		arg = arg[:i]
	}
	return equalFold(arg, kw)
}

// lookupRead returns the value at key for a read command, counting a
// keyspace hit or miss. It returns nil and true when the key does not
// exist, and replies WRONGTYPE and returns false when the key holds a
// value of another kind.
func (c *Client) lookupRead(key []byte, k kind) (*object, bool) {
	o := c.e.lookupReadLocked(c.db, key)
	if o != nil && o.kind != k {
		c.errorReply(errWrongType)
		return nil, false
	}
	return o, true
}

// lookupWrite is lookupRead for write commands, which do not count
// keyspace hits and misses.
func (c *Client) lookupWrite(key []byte, k kind) (*object, bool) {
	o := c.e.lookupLocked(c.db, key)
	if o != nil && o.kind != k {
		c.errorReply(errWrongType)
		return nil, false
	}
	return o, true
}

func delCommand(c *Client, args [][]byte) {
	n := int64(0)
	for _, k := range args[1:] {
		c.e.lookupLocked(c.db, k) // expire it first
		if c.e.deleteLocked(c.db, string(k)) {
			n++
		}
	}
	c.out.Int(n)
}

func existsCommand(c *Client, args [][]byte) {
	n := int64(0)
	for _, k := range args[1:] {
		if c.e.lookupReadLocked(c.db, k) != nil {
			n++
		}
	}
	c.out.Int(n)
}

func touchCommand(c *Client, args [][]byte) { existsCommand(c, args) }

func typeCommand(c *Client, args [][]byte) {
	o := c.e.lookupReadLocked(c.db, args[1])
	if o == nil {
		c.out.Simple("none")
		return
	}
	c.out.Simple(o.kind.String())
}

// keysCommand lists the live keys matching a pattern, in SCAN order.
func keysCommand(c *Client, args [][]byte) {
	pat := args[1]
	all := len(pat) == 1 && pat[0] == '*'
	var keys []string
	c.db.scanOrder().Ascend(func(k scanKey) bool {
		if (all || glob.Match(pat, []byte(k.key), false)) && !c.e.isExpiredLocked(c.db, k.key) {
			keys = append(keys, k.key)
		}
		return true
	})
	c.out.Array(len(keys))
	for _, k := range keys {
		c.out.BulkString(k)
	}
}

// parseScanCursor reads a cursor as C's strtoul does in base 10: an
// optional sign (a minus negates modulo 2^64) and digits, with no leading
// space, nothing after the digits, and no overflow. An empty cursor reads
// as 0, as it does in Redis.
func parseScanCursor(b []byte) (uint64, bool) {
	s := cstr(b)
	if s == "" {
		return 0, true
	}
	if isCSpace(s[0]) {
		return 0, false
	}
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d := s[i]
		if d < '0' || d > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(d-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(d-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// asciiEqualFold reports whether a and b are equal ignoring ASCII case,
// as C's strcasecmp compares.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// isCSpace reports whether C's isspace is true for b.
func isCSpace(b byte) bool {
	return b == ' ' || (b >= '\t' && b <= '\r')
}

// scanCommand implements SCAN. Keys are visited in the order of their
// scan hash (keyspace.order); the cursor is the hash of the next key to
// visit, so a key present during a whole iteration is returned at least
// once however the keyspace changes. COUNT keys are examined per call,
// plus any that share the hash of the last one examined, so that a
// cursor never points into the middle of a run of equal hashes.
func scanCommand(c *Client, args [][]byte) {
	cursor, ok := parseScanCursor(args[1])
	if !ok {
		c.errorReply("ERR invalid cursor")
		return
	}
	count := int64(10)
	var pat, typ []byte
	usePat, useType := false, false
	for i := 2; i < len(args); i += 2 {
		more := len(args) - i
		switch {
		case keyword(args[i], "COUNT") && more >= 2:
			n, ok := c.intArg(args[i+1], "")
			if !ok {
				return
			}
			if n < 1 {
				c.errorReply(errSyntax)
				return
			}
			count = n
		case keyword(args[i], "MATCH") && more >= 2:
			pat = args[i+1]
			usePat = !(len(pat) == 1 && pat[0] == '*')
		case keyword(args[i], "TYPE") && more >= 2:
			typ = args[i+1]
			useType = true
		default:
			c.errorReply(errSyntax)
			return
		}
	}

	var batch []string
	next := uint64(0)
	examined := int64(0)
	var lastHash uint64
	c.db.scanOrder().AscendGreaterOrEqual(scanKey{h: cursor}, func(k scanKey) bool {
		if examined >= count && k.h != lastHash {
			next = k.h
			return false
		}
		batch = append(batch, k.key)
		examined++
		lastHash = k.h
		return true
	})

	keys := batch[:0]
	for _, k := range batch {
		if usePat && !glob.Match(pat, []byte(k), false) {
			continue
		}
		if useType {
			name := "none"
			if o := c.e.lookupReadLocked(c.db, []byte(k)); o != nil {
				name = o.kind.String()
			}
			if !asciiEqualFold(cstr(typ), name) {
				continue
			}
		}
		if c.e.expireIfNeededLocked(c.db, k) {
			continue
		}
		keys = append(keys, k)
	}
	c.out.Array(2)
	c.out.BulkUint(next)
	c.out.Array(len(keys))
	for _, k := range keys {
		c.out.BulkString(k)
	}
}

// randomkeyCommand returns a live key, deleting the expired ones it meets.
func randomkeyCommand(c *Client, args [][]byte) {
	for k := range c.db.keys {
		if c.e.expireIfNeededLocked(c.db, k) {
			continue
		}
		c.out.BulkString(k)
		return
	}
	c.out.NullBulk()
}

// renameCommand implements RENAME and (nx) RENAMENX. The value keeps its
// TTL; clients blocked on the old name see it deleted, and those blocked
// on the new name see it appear.
func renameCommand(c *Client, args [][]byte, nx bool) {
	src, dst := args[1], args[2]
	o := c.e.lookupLocked(c.db, src)
	if o == nil {
		c.errorReply(errNoKey)
		return
	}
	if bytes.Equal(src, dst) {
		if nx {
			c.out.Int(0)
		} else {
			c.out.Simple("OK")
		}
		return
	}
	at, hasTTL := c.db.expires[string(src)]
	if c.e.lookupLocked(c.db, dst) != nil {
		if nx {
			c.out.Int(0)
			return
		}
		c.e.deleteLocked(c.db, string(dst))
	}
	c.e.addLocked(c.db, dst, o)
	if hasTTL {
		c.e.setExpireLocked(c.db, dst, at)
	}
	c.e.deleteLocked(c.db, string(src))
	c.e.touchLocked(c.db, dst)
	if nx {
		c.out.Int(1)
	} else {
		c.out.Simple("OK")
	}
}

// Conditions of the EXPIRE family (Redis 7.0).
const (
	expireNX = 1 << iota
	expireXX
	expireGT
	expireLT
)

// expireCommand returns the implementation of EXPIRE (relative, seconds),
// PEXPIRE, EXPIREAT and PEXPIREAT.
func expireCommand(relative, seconds bool, name string) func(c *Client, args [][]byte) {
	return func(c *Client, args [][]byte) {
		// Only a change is journaled, with the absolute time: a refused
		// relative EXPIRE (NX, GT...) replayed later could pass.
		c.propagateNothing()
		flags := 0
		for _, opt := range args[3:] {
			switch {
			case keyword(opt, "NX"):
				flags |= expireNX
			case keyword(opt, "XX"):
				flags |= expireXX
			case keyword(opt, "GT"):
				flags |= expireGT
			case keyword(opt, "LT"):
				flags |= expireLT
			default:
				c.errorReply("ERR Unsupported option " + cstr(opt))
				return
			}
		}
		if flags&expireNX != 0 && flags&(expireXX|expireGT|expireLT) != 0 {
			c.errorReply("ERR NX and XX, GT or LT options at the same time are not compatible")
			return
		}
		if flags&expireGT != 0 && flags&expireLT != 0 {
			c.errorReply("ERR GT and LT options at the same time are not compatible")
			return
		}
		when, ok := c.intArg(args[2], "")
		if !ok {
			return
		}
		if seconds {
			if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
				c.errorReply(fmt.Sprintf(errInvalidExpire, name))
				return
			}
			when *= 1000
		}
		base := int64(0)
		if relative {
			base = c.now
		}
		if when > math.MaxInt64-base {
			c.errorReply(fmt.Sprintf(errInvalidExpire, name))
			return
		}
		when += base

		key := args[1]
		if c.e.lookupLocked(c.db, key) == nil {
			c.out.Int(0)
			return
		}
		cur, hasTTL := c.db.expires[string(key)]
		switch {
		case flags&expireNX != 0 && hasTTL,
			flags&expireXX != 0 && !hasTTL,
			flags&expireGT != 0 && (!hasTTL || when <= cur),
			flags&expireLT != 0 && hasTTL && when >= cur:
			c.out.Int(0)
			return
		}
		if when <= c.now && !c.e.loading {
			c.e.deleteLocked(c.db, string(key))
			c.propagate([]byte("DEL"), key)
		} else {
			c.e.setExpireLocked(c.db, key, when)
			c.e.touchLocked(c.db, key)
			c.propagate([]byte("PEXPIREAT"), key, intArgBytes(when))
		}
		c.out.Int(1)
	}
}

// ttlCommand implements TTL, PTTL (ms), EXPIRETIME (abs) and PEXPIRETIME.
func ttlCommand(c *Client, args [][]byte, ms, abs bool) {
	if c.e.lookupReadLocked(c.db, args[1]) == nil {
		c.out.Int(-2)
		return
	}
	at, ok := c.db.expires[string(args[1])]
	if !ok {
		c.out.Int(-1)
		return
	}
	ttl := at
	if !abs {
		ttl = at - c.now
	}
	if ttl < 0 {
		ttl = 0
	}
	if !ms {
		ttl = (ttl + 500) / 1000
	}
	c.out.Int(ttl)
}

func persistCommand(c *Client, args [][]byte) {
	key := args[1]
	if c.e.lookupLocked(c.db, key) == nil {
		c.out.Int(0)
		return
	}
	if _, ok := c.db.expires[string(key)]; !ok {
		c.out.Int(0)
		return
	}
	delete(c.db.expires, string(key))
	c.e.touchLocked(c.db, key)
	c.out.Int(1)
}

// flushArgsOK checks the optional SYNC or ASYNC argument of FLUSHDB and
// FLUSHALL. Both flush at once: the engine frees memory lazily anyway.
func (c *Client) flushArgsOK(args [][]byte) bool {
	if len(args) == 1 || (len(args) == 2 && (keyword(args[1], "SYNC") || keyword(args[1], "ASYNC"))) {
		return true
	}
	c.errorReply(errSyntax)
	return false
}

func flushdbCommand(c *Client, args [][]byte) {
	if !c.flushArgsOK(args) {
		return
	}
	c.e.flushLocked(c.db)
	c.out.Simple("OK")
}

func flushallCommand(c *Client, args [][]byte) {
	if !c.flushArgsOK(args) {
		return
	}
	for _, db := range c.e.dbs {
		c.e.flushLocked(db)
	}
	c.out.Simple("OK")
}

func dbsizeCommand(c *Client, args [][]byte) { c.out.Int(int64(len(c.db.keys))) }
