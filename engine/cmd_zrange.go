package engine

import "github.com/pelicanhq/pelican/internal/sortedset"

// The sorted set commands that work on a range of members, by rank, by
// score or by name: ZRANGE and its older forms (ZRANGEBYSCORE,
// ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZREVRANGE), ZRANGESTORE,
// ZCOUNT, ZLEXCOUNT and ZREMRANGEBYSCORE/BYLEX/BYRANK. Every range is
// resolved to an interval of ranks [lo, hi) with two O(log n) searches,
// then walked in order.

// zrangeBy is what a range is given in.
type zrangeBy uint8

const (
	zrangeByRank zrangeBy = iota
	zrangeByScore
	zrangeByLex
)

// scoreRange is a range of scores, each end inclusive unless its ex flag
// is set.
type scoreRange struct {
	min, max     float64
	minEx, maxEx bool
}

// parseScoreRange parses the ends of a score range ("1.5", "(1.5", "-inf")
// as Redis's zslParseRange does.
func parseScoreRange(min, max []byte) (scoreRange, bool) {
	var r scoreRange
	var ok bool
	if r.min, r.minEx, ok = parseScoreBound(min); !ok {
		return r, false
	}
	r.max, r.maxEx, ok = parseScoreBound(max)
	return r, ok
}

func parseScoreBound(b []byte) (float64, bool, bool) {
	ex := len(b) > 0 && b[0] == '('
	if ex {
		b = b[1:]
	}
	f, ok := parseRangeDouble(b)
	return f, ex, ok
}

// ranks returns the ranks [lo, hi) of the members in r.
func (r scoreRange) ranks(s *sortedset.Set) (lo, hi int) {
	lo = s.CountWhile(func(f float64, _ string) bool { return f < r.min || r.minEx && f == r.min })
	hi = s.CountWhile(func(f float64, _ string) bool { return f < r.max || !r.maxEx && f == r.max })
	return lo, hi
}

// lexBound is one end of a range of names: "-" (below everything), "+"
// (above everything), or a name, "[" inclusive or "(" exclusive.
type lexBound struct {
	inf  int // -1 for "-", +1 for "+", 0 for a name
	name string
	ex   bool
}

// parseLexBound parses an end of a range of names as Redis's
// zslParseLexRangeItem does.
func parseLexBound(b []byte) (lexBound, bool) {
	if len(b) == 0 {
		return lexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) != 1 {
			return lexBound{}, false
		}
		if b[0] == '+' {
			return lexBound{inf: 1, ex: true}, true
		}
		return lexBound{inf: -1, ex: true}, true
	case '(', '[':
		return lexBound{name: string(b[1:]), ex: b[0] == '('}, true
	}
	return lexBound{}, false
}

// lexRange is a range of names. Ranks by name are meaningful when every
// member has the same score, as in Redis.
type lexRange struct{ min, max lexBound }

func parseLexRange(min, max []byte) (lexRange, bool) {
	lo, ok := parseLexBound(min)
	if !ok {
		return lexRange{}, false
	}
	hi, ok := parseLexBound(max)
	return lexRange{lo, hi}, ok
}

// below reports whether name sorts before bound b; orEqual counts a name
// equal to b's as before it.
func (b lexBound) below(name string, orEqual bool) bool {
	switch b.inf {
	case -1:
		return false
	case 1:
		return true
	}
	return name < b.name || orEqual && name == b.name
}

func (r lexRange) ranks(s *sortedset.Set) (lo, hi int) {
	lo = s.CountWhile(func(_ float64, m string) bool { return r.min.below(m, r.min.ex) })
	hi = s.CountWhile(func(_ float64, m string) bool { return r.max.below(m, !r.max.ex) })
	return lo, hi
}

// zrangeOptions say which command of the ZRANGE family runs: by and rev
// are fixed by the older commands (fixedBy, fixedDir), chosen by options
// for ZRANGE and ZRANGESTORE (store).
type zrangeOptions struct {
	by                zrangeBy
	rev               bool
	fixedBy, fixedDir bool
	store             bool
}

// zrangeCommand implements the ZRANGE family, parsing as Redis's
// zrangeGenericCommand does: options first, then their conflicts, then
// the range, then the key.
func zrangeCommand(c *Client, args [][]byte, opt zrangeOptions) {
	first := 1
	if opt.store {
		first = 2
	}
	minArg, maxArg := args[first+1], args[first+2]
	withScores := false
	offset, limit := int64(0), int64(-1)
	for j := first + 3; j < len(args); j++ {
		left := len(args) - j - 1
		a := args[j]
		switch {
		case !opt.store && equalFold(a, "WITHSCORES"):
			withScores = true
		case equalFold(a, "LIMIT") && left >= 2:
			var ok bool
			if offset, ok = c.intArg(args[j+1], ""); !ok {
				return
			}
			if limit, ok = c.intArg(args[j+2], ""); !ok {
				return
			}
			j += 2
		case !opt.fixedDir && equalFold(a, "REV"):
			opt.rev, opt.fixedDir = true, true
		case !opt.fixedBy && equalFold(a, "BYLEX"):
			opt.by, opt.fixedBy = zrangeByLex, true
		case !opt.fixedBy && equalFold(a, "BYSCORE"):
			opt.by, opt.fixedBy = zrangeByScore, true
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	if limit != -1 && opt.by == zrangeByRank {
		c.errorReply("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return
	}
	if withScores && opt.by == zrangeByLex {
		c.errorReply("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return
	}
	if opt.rev && opt.by != zrangeByRank {
		minArg, maxArg = maxArg, minArg // given as max, min
	}
	var start, end int64
	var sr scoreRange
	var lr lexRange
	var ok bool
	switch opt.by {
	case zrangeByRank:
		if start, ok = c.intArg(minArg, ""); !ok {
			return
		}
		if end, ok = c.intArg(maxArg, ""); !ok {
			return
		}
	case zrangeByScore:
		if sr, ok = parseScoreRange(minArg, maxArg); !ok {
			c.errorReply(errMinMaxFloat)
			return
		}
	case zrangeByLex:
		if lr, ok = parseLexRange(minArg, maxArg); !ok {
			c.errorReply(errMinMaxLex)
			return
		}
	}
	o, ok := c.lookupRead(args[first], kindZset)
	if !ok {
		return
	}
	var lo, hi int // the ranks in range, [lo, hi)
	if o != nil {
		set := o.zset.set
		switch opt.by {
		case zrangeByRank:
			lo, hi = rankInterval(start, end, set.Len(), opt.rev)
		case zrangeByScore:
			lo, hi = sr.ranks(set)
		case zrangeByLex:
			lo, hi = lr.ranks(set)
		}
		if opt.by != zrangeByRank {
			lo, hi = applyLimit(lo, hi, offset, limit, set.Len(), opt.rev)
		}
	}
	if opt.store {
		zrangeStore(c, args[1], o, lo, hi, opt.rev)
		return
	}
	n := max(hi-lo, 0)
	switch {
	case withScores && !c.out.RESP3():
		c.out.Array(2 * n)
	default:
		c.out.Array(n)
	}
	if n == 0 {
		return
	}
	emit := func(m string, f float64) bool {
		if withScores && c.out.RESP3() {
			c.out.Array(2)
		}
		c.out.BulkString(m)
		if withScores {
			c.out.Double(f)
		}
		n--
		return n > 0
	}
	if opt.rev {
		o.zset.set.Descend(hi-1, emit)
	} else {
		o.zset.set.Ascend(lo, emit)
	}
}

// rankInterval turns ZRANGE's start and end (inclusive, negative counting
// from the end, counted from the top when rev) into ranks [lo, hi) from
// the bottom.
func rankInterval(start, end int64, length int, rev bool) (lo, hi int) {
	n := int64(length)
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start = max(start, 0)
	if start > end || start >= n {
		return 0, 0
	}
	end = min(end, n-1)
	if rev {
		return int(n - 1 - end), int(n - start)
	}
	return int(start), int(end + 1)
}

// applyLimit narrows the ranks [lo, hi) to LIMIT offset count, counted in
// the direction of the walk. As in Redis, a negative offset, or one past
// the set's length, selects nothing, and a negative count means all.
func applyLimit(lo, hi int, offset, count int64, length int, rev bool) (int, int) {
	if hi <= lo || offset < 0 || offset > 0 && offset >= int64(length) {
		return 0, 0
	}
	n := int64(hi - lo)
	if offset >= n {
		return 0, 0
	}
	n -= offset
	if count >= 0 && count < n {
		n = count
	}
	if rev {
		hi -= int(offset)
		return hi - int(n), hi
	}
	lo += int(offset)
	return lo, lo + int(n)
}

// zrangeStore stores the members of src (nil if missing) with ranks
// [lo, hi) in dst, replacing whatever dst held, or deletes dst when there
// are none.
func zrangeStore(c *Client, dst []byte, src *object, lo, hi int, rev bool) {
	if hi <= lo {
		c.e.lookupLocked(c.db, dst) // expire it first
		c.e.deleteLocked(c.db, string(dst))
		c.out.Int(0)
		return
	}
	z := &zsetValue{set: sortedset.New(), listpack: true}
	add := func(m string, f float64) bool {
		c.e.zaddLocked(z, []byte(m), f)
		return z.set.Len() < hi-lo
	}
	if rev {
		src.zset.set.Descend(hi-1, add)
	} else {
		src.zset.set.Ascend(lo, add)
	}
	c.e.lookupLocked(c.db, dst)
	c.e.setKeyLocked(c.db, dst, &object{kind: kindZset, zset: z}, false)
	c.out.Int(int64(hi - lo))
}

// zcountCommand implements ZCOUNT and ZLEXCOUNT.
func zcountCommand(c *Client, args [][]byte, by zrangeBy) {
	var sr scoreRange
	var lr lexRange
	var ok bool
	if by == zrangeByScore {
		if sr, ok = parseScoreRange(args[2], args[3]); !ok {
			c.errorReply(errMinMaxFloat)
			return
		}
	} else if lr, ok = parseLexRange(args[2], args[3]); !ok {
		c.errorReply(errMinMaxLex)
		return
	}
	o, ok := c.lookupRead(args[1], kindZset)
	if !ok {
		return
	}
	if o == nil {
		c.out.Int(0)
		return
	}
	var lo, hi int
	if by == zrangeByScore {
		lo, hi = sr.ranks(o.zset.set)
	} else {
		lo, hi = lr.ranks(o.zset.set)
	}
	c.out.Int(int64(max(hi-lo, 0)))
}

// zremrangeCommand implements ZREMRANGEBYSCORE, ZREMRANGEBYLEX and
// ZREMRANGEBYRANK.
func zremrangeCommand(c *Client, args [][]byte, by zrangeBy) {
	var start, end int64
	var sr scoreRange
	var lr lexRange
	ok := true
	switch by {
	case zrangeByRank:
		if start, ok = c.intArg(args[2], ""); ok {
			end, ok = c.intArg(args[3], "")
		}
		if !ok {
			return
		}
	case zrangeByScore:
		if sr, ok = parseScoreRange(args[2], args[3]); !ok {
			c.errorReply(errMinMaxFloat)
			return
		}
	case zrangeByLex:
		if lr, ok = parseLexRange(args[2], args[3]); !ok {
			c.errorReply(errMinMaxLex)
			return
		}
	}
	key := args[1]
	o, ok := c.lookupWrite(key, kindZset)
	if !ok {
		return
	}
	if o == nil {
		c.out.Int(0)
		return
	}
	set := o.zset.set
	var lo, hi int
	switch by {
	case zrangeByRank:
		lo, hi = rankInterval(start, end, set.Len(), false)
	case zrangeByScore:
		lo, hi = sr.ranks(set)
	case zrangeByLex:
		lo, hi = lr.ranks(set)
	}
	if hi <= lo {
		c.out.Int(0)
		return
	}
	var doomed [][]byte
	set.Ascend(lo, func(m string, _ float64) bool {
		doomed = append(doomed, []byte(m))
		return len(doomed) < hi-lo
	})
	for _, m := range doomed {
		set.Remove(m)
	}
	c.e.touchLocked(c.db, key)
	c.e.deleteIfEmptyLocked(c.db, key, o)
	c.out.Int(int64(len(doomed)))
}
