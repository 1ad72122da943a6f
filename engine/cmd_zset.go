package engine

import (
	"math"

	"github.com/pelicanhq/pelican/internal/glob"
)

// Sorted set commands: ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK,
// ZREVRANK, ZPOPMIN, ZPOPMAX and ZSCAN; the range commands are in
// cmd_zrange.go. A sorted set emptied by a removal is deleted. Replies
// follow Redis 8.x: scores are printed as Redis 7.2 and later print them,
// the shortest form that reads back the same (resp.Writer.Double; 7.0
// printed "%.17g"), and ZRANK and ZREVRANK take 7.2's WITHSCORE.

func zsetCommands() []*Command {
	return []*Command{
		{Name: "zadd", Arity: -4, Flags: flagWrite, Run: zaddCommand},
		{Name: "zincrby", Arity: 4, Flags: flagWrite, Run: zincrbyCommand},
		{Name: "zrem", Arity: -3, Flags: flagWrite, Run: zremCommand},
		{Name: "zcard", Arity: 2, Run: zcardCommand},
		{Name: "zscore", Arity: 3, Run: zscoreCommand},
		{Name: "zmscore", Arity: -3, Run: zmscoreCommand},
		{Name: "zrank", Arity: -3, Run: func(c *Client, a [][]byte) { zrankCommand(c, a, false) }},
		{Name: "zrevrank", Arity: -3, Run: func(c *Client, a [][]byte) { zrankCommand(c, a, true) }},
		{Name: "zpopmin", Arity: -2, Flags: flagWrite, Run: func(c *Client, a [][]byte) { zpopCommand(c, a, false) }},
		{Name: "zpopmax", Arity: -2, Flags: flagWrite, Run: func(c *Client, a [][]byte) { zpopCommand(c, a, true) }},
		{Name: "zscan", Arity: -3, Run: zscanCommand},
		{Name: "zrange", Arity: -4, Run: func(c *Client, a [][]byte) { zrangeCommand(c, a, zrangeOptions{}) }},
		{Name: "zrangebyscore", Arity: -4, Run: func(c *Client, a [][]byte) {
			zrangeCommand(c, a, zrangeOptions{by: zrangeByScore, fixedBy: true, fixedDir: true})
		}},
		{Name: "zrevrangebyscore", Arity: -4, Run: func(c *Client, a [][]byte) {
			zrangeCommand(c, a, zrangeOptions{by: zrangeByScore, rev: true, fixedBy: true, fixedDir: true})
		}},
		{Name: "zrangebylex", Arity: -4, Run: func(c *Client, a [][]byte) {
			zrangeCommand(c, a, zrangeOptions{by: zrangeByLex, fixedBy: true, fixedDir: true})
		}},
		{Name: "zrevrangebylex", Arity: -4, Run: func(c *Client, a [][]byte) {
			zrangeCommand(c, a, zrangeOptions{by: zrangeByLex, rev: true, fixedBy: true, fixedDir: true})
		}},
		{Name: "zrevrange", Arity: -4, Run: func(c *Client, a [][]byte) {
			zrangeCommand(c, a, zrangeOptions{rev: true, fixedBy: true, fixedDir: true})
		}},
		{Name: "zrangestore", Arity: -5, Flags: flagWrite, Run: func(c *Client, a [][]byte) {
			zrangeCommand(c, a, zrangeOptions{store: true})
		}},
		{Name: "zcount", Arity: 4, Run: func(c *Client, a [][]byte) { zcountCommand(c, a, zrangeByScore) }},
		{Name: "zlexcount", Arity: 4, Run: func(c *Client, a [][]byte) { zcountCommand(c, a, zrangeByLex) }},
		{Name: "zremrangebyscore", Arity: 4, Flags: flagWrite, Run: func(c *Client, a [][]byte) { zremrangeCommand(c, a, zrangeByScore) }},
		{Name: "zremrangebylex", Arity: 4, Flags: flagWrite, Run: func(c *Client, a [][]byte) { zremrangeCommand(c, a, zrangeByLex) }},
		{Name: "zremrangebyrank", Arity: 4, Flags: flagWrite, Run: func(c *Client, a [][]byte) { zremrangeCommand(c, a, zrangeByRank) }},
	}
}

// Errors of the sorted set commands.
const (
	errZaddNXXX     = "ERR XX and NX options at the same time are not compatible"
	errZaddGTLTNX   = "ERR GT, LT, and/or NX options at the same time are not compatible"
	errZaddIncrPair = "ERR INCR option supports a single increment-element pair"
	errZscoreNaN    = "ERR resulting score is not a number (NaN)"
	errMinMaxFloat  = "ERR min or max is not a float"
	errMinMaxLex    = "ERR min or max not valid string range item"
	errNotPositive  = "ERR value is out of range, must be positive"
)

// zaddFlags are ZADD's options.
type zaddFlags struct {
	nx, xx, gt, lt, ch, incr bool
}

func zaddCommand(c *Client, args [][]byte) {
	var f zaddFlags
	i := 2
	for ; i < len(args); i++ {
		a := args[i]
		switch {
		case equalFold(a, "NX"):
			f.nx = true
		case equalFold(a, "XX"):
			f.xx = true
		case equalFold(a, "GT"):
			f.gt = true
		case equalFold(a, "LT"):
			f.lt = true
		case equalFold(a, "CH"):
			f.ch = true
		case equalFold(a, "INCR"):
			f.incr = true
		default:
			goto pairs
		}
	}
pairs:
	zaddGeneric(c, args[1], args[i:], f)
}

func zincrbyCommand(c *Client, args [][]byte) {
	zaddGeneric(c, args[1], [][]byte{args[2], args[3]}, zaddFlags{incr: true})
}

// zaddGeneric implements ZADD and ZINCRBY: pairs are the score and member
// arguments. The checks run in Redis's order.
func zaddGeneric(c *Client, key []byte, pairs [][]byte, f zaddFlags) {
	switch {
	case len(pairs) == 0 || len(pairs)%2 != 0:
		c.errorReply(errSyntax)
		return
	case f.nx && f.xx:
		c.errorReply(errZaddNXXX)
		return
	case f.gt && f.nx || f.lt && f.nx || f.gt && f.lt:
		c.errorReply(errZaddGTLTNX)
		return
	case f.incr && len(pairs) > 2:
		c.errorReply(errZaddIncrPair)
		return
	}
	scores := make([]float64, len(pairs)/2)
	for j := range scores {
		s, ok := parseDouble(pairs[2*j])
		if !ok {
			c.errorReply(errNotFloat)
			return
		}
		scores[j] = s
	}
	o, ok := c.lookupWrite(key, kindZset)
	if !ok {
		return
	}
	if o == nil {
		if f.xx {
			if f.incr {
				c.out.NullBulk()
			} else {
				c.out.Int(0)
			}
			return
		}
		o = &object{kind: kindZset, zset: c.e.newZsetLocked(len(scores), pairs[1])}
		c.e.addLocked(c.db, key, o)
	} else {
		c.e.growZsetLocked(o.zset, len(scores))
	}
	var added, updated, processed int64
	score := 0.0
	for j, s := range scores {
		member := pairs[2*j+1]
		cur, exists := o.zset.set.Score(member)
		switch {
		case exists && f.nx, !exists && f.xx:
			continue
		case exists:
			if f.incr {
				s += cur
				if math.IsNaN(s) {
					c.errorReply(errZscoreNaN)
					c.e.deleteIfEmptyLocked(c.db, key, o)
					return
				}
			}
			if f.lt && s >= cur || f.gt && s <= cur {
				continue
			}
			if s != cur {
				c.e.zaddLocked(o.zset, member, s)
				updated++
			}
		default:
			c.e.zaddLocked(o.zset, member, s)
			added++
		}
		score = s
		processed++
	}
	if added+updated > 0 {
		c.e.touchLocked(c.db, key)
	}
	switch {
	case !f.incr && f.ch:
		c.out.Int(added + updated)
	case !f.incr:
		c.out.Int(added)
	case processed > 0:
		c.out.Double(score)
	default:
		c.out.NullBulk()
	}
}

func zremCommand(c *Client, args [][]byte) {
	key := args[1]
	o, ok := c.lookupWrite(key, kindZset)
	if !ok {
		return
	}
	if o == nil {
		c.out.Int(0)
		return
	}
	removed := int64(0)
	for _, m := range args[2:] {
		if o.zset.set.Remove(m) {
			removed++
			if o.zset.set.Len() == 0 {
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

func zcardCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindZset)
	if !ok {
		return
	}
	if o == nil {
		c.out.Int(0)
		return
	}
	c.out.Int(int64(o.zset.set.Len()))
}

func zscoreCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindZset)
	if !ok {
		return
	}
	if o != nil {
		if f, found := o.zset.set.Score(args[2]); found {
			c.out.Double(f)
			return
		}
	}
	c.out.NullBulk()
}

func zmscoreCommand(c *Client, args [][]byte) {
	o, ok := c.lookupRead(args[1], kindZset)
	if !ok {
		return
	}
	c.out.Array(len(args) - 2)
	for _, m := range args[2:] {
		if o != nil {
			if f, found := o.zset.set.Score(m); found {
				c.out.Double(f)
				continue
			}
		}
		c.out.NullBulk()
	}
}

// zrankCommand implements ZRANK and ZREVRANK (rev), with the WITHSCORE
// option of Redis 7.2, checked before the key: the reply is then the rank
// and the score, or a null array.
func zrankCommand(c *Client, args [][]byte, rev bool) {
	if len(args) > 4 {
		name := "zrank"
		if rev {
			name = "zrevrank"
		}
		c.errorReply(wrongArgs(name))
		return
	}
	withScore := len(args) == 4
	if withScore && !equalFold(args[3], "WITHSCORE") {
		c.errorReply(errSyntax)
		return
	}
	o, ok := c.lookupRead(args[1], kindZset)
	if !ok {
		return
	}
	var r int
	found := false
	if o != nil {
		r, found = o.zset.set.Rank(args[2])
	}
	switch {
	case !found && withScore:
		c.out.NullArray()
		return
	case !found:
		c.out.NullBulk()
		return
	}
	if rev {
		r = o.zset.set.Len() - 1 - r
	}
	if !withScore {
		c.out.Int(int64(r))
		return
	}
	score, _ := o.zset.set.Score(args[2])
	c.out.Array(2)
	c.out.Int(int64(r))
	c.out.Double(score)
}

// zpopCommand implements ZPOPMIN and ZPOPMAX (max). Without a count the
// reply is the member and its score; with one, RESP3 nests each pair in
// an array of its own.
func zpopCommand(c *Client, args [][]byte, max bool) {
	if len(args) > 3 {
		c.errorReply(errSyntax)
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		n, ok := c.intArg(args[2], errNotPositive)
		if !ok {
			return
		}
		if n < 0 {
			c.errorReply(errNotPositive)
			return
		}
		count = n
	}
	nested := c.out.RESP3() && count != -1
	key := args[1]
	o, ok := c.lookupWrite(key, kindZset)
	if !ok {
		return
	}
	if o == nil || count == 0 {
		c.out.Array(0)
		return
	}
	if count == -1 {
		count = 1
	}
	set := o.zset.set
	n := int(min(count, int64(set.Len())))
	if nested {
		c.out.Array(n)
	} else {
		c.out.Array(2 * n)
	}
	for i := 0; i < n; i++ {
		rank := 0
		if max {
			rank = set.Len() - 1
		}
		var member string
		var score float64
		set.Ascend(rank, func(m string, f float64) bool { member, score = m, f; return false })
		if nested {
			c.out.Array(2)
		}
		c.out.BulkString(member)
		c.out.Double(score)
		set.Remove([]byte(member))
	}
	c.e.touchLocked(c.db, key)
	c.e.deleteIfEmptyLocked(c.db, key, o)
}

// zscanCommand returns every member and score in one call, with cursor 0,
// as Redis does for a listpack; for a skiplist Redis walks its hash table
// over several calls, which the SCAN contract lets Pelican skip. Scores
// are printed as Redis's scan prints them for each encoding.
func zscanCommand(c *Client, args [][]byte) {
	if _, ok := parseScanCursor(args[2]); !ok {
		c.errorReply("ERR invalid cursor")
		return
	}
	o, ok := c.lookupRead(args[1], kindZset)
	if !ok {
		return
	}
	if o == nil {
		c.out.Array(2)
		c.out.BulkString("0")
		c.out.Array(0)
		return
	}
	pat, usePat, _, ok := c.scanOptions(args[3:], false)
	if !ok {
		return
	}
	format := formatScoreSkiplist
	if o.zset.listpack {
		format = formatScoreListpack
	}
	var items []string
	o.zset.set.Ascend(0, func(m string, f float64) bool {
		if !usePat || glob.Match(pat, []byte(m), false) {
			items = append(items, m, format(f))
		}
		return true
	})
	c.out.Array(2)
	c.out.BulkString("0")
	c.out.Array(len(items))
	for _, s := range items {
		c.out.BulkString(s)
	}
}
