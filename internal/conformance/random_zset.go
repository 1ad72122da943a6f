package conformance

import (
	"math"
	"strconv"
	"strings"

	"github.com/pelicanhq/pelican/internal/redistest"
)

// Sorted set commands for the random runs. They work on two sorted set
// keys of their own and a third whose members all score 0, the only
// kind of set on which ranges by name are defined (with mixed scores
// Redis's answer depends on its skip list's random shape). Now and then a
// command names a stream key, for WRONGTYPE. ZSCAN is left to the
// scripts: Redis walks a skiplist's members in hash-table order, over
// several calls.

// zsetMix is the sorted set part of commandMix.
var zsetMix = []weighted{
	{10, (*RandomGen).zadd},
	{3, (*RandomGen).zincrby},
	{3, (*RandomGen).zrem},
	{4, (*RandomGen).zrange},
	{3, (*RandomGen).zrangeByScore},
	{2, (*RandomGen).zcount},
	{3, (*RandomGen).zread},
	{2, (*RandomGen).zpop},
	{2, (*RandomGen).zremrange},
	{1, (*RandomGen).zrangestore},
	{3, (*RandomGen).zlex},
}

// zkey returns a sorted set key: now and then a stream key instead.
func (g *RandomGen) zkey(k *keyModel) string {
	if g.pct(3) {
		return k.name
	}
	return g.prefix + "z" + strconv.Itoa(g.rnd.IntN(2))
}

// member returns a member: mostly short names, which tie-break equal
// scores, sometimes one too long for a listpack.
func (g *RandomGen) member() string {
	if g.pct(3) {
		return strings.Repeat("m", 60+g.rnd.IntN(10))
	}
	return string(rune('a' + g.rnd.IntN(10)))
}

var scores = []string{"0", "1", "2", "3", "-1", "0.5", "1.25", "0.1", "-2.5", "1e20", "+inf", "-inf", "7", "10", "100"}

func (g *RandomGen) score() string {
	if g.pct(2) {
		return g.pick([]string{"x", "nan", ""})
	}
	return g.pick(scores)
}

// scoreBound returns a score range end, exclusive now and then.
func (g *RandomGen) scoreBound() string {
	s := g.pick(scores)
	if g.pct(25) {
		s = "(" + s
	}
	if g.pct(1) {
		s = "nope"
	}
	return s
}

func (g *RandomGen) zadd(k *keyModel) []string {
	args := []string{"ZADD", g.zkey(k)}
	for _, opt := range []string{"NX", "XX", "GT", "LT", "CH"} {
		if g.pct(8) {
			args = append(args, opt)
		}
	}
	n := 1 + g.rnd.IntN(4)
	if g.pct(8) {
		args = append(args, "INCR")
		n = 1
	}
	for i := 0; i < n; i++ {
		args = append(args, g.score(), g.member())
	}
	return args
}

func (g *RandomGen) zincrby(k *keyModel) []string {
	return []string{"ZINCRBY", g.zkey(k), g.score(), g.member()}
}

func (g *RandomGen) zrem(k *keyModel) []string {
	args := []string{"ZREM", g.zkey(k)}
	for i := 0; i < 1+g.rnd.IntN(3); i++ {
		args = append(args, g.member())
	}
	return args
}

func (g *RandomGen) index() string { return strconv.Itoa(g.rnd.IntN(14) - 7) }

func (g *RandomGen) withScores(args []string) []string {
	if g.pct(50) {
		args = append(args, "WITHSCORES")
	}
	return args
}

func (g *RandomGen) limit(args []string) []string {
	if g.pct(40) {
		args = append(args, "LIMIT", strconv.Itoa(g.rnd.IntN(6)-1), strconv.Itoa(g.rnd.IntN(6)-1))
	}
	return args
}

func (g *RandomGen) zrange(k *keyModel) []string {
	key := g.zkey(k)
	switch g.rnd.IntN(3) {
	case 0:
		return g.withScores([]string{"ZRANGE", key, g.index(), g.index()})
	case 1:
		return g.withScores([]string{"ZREVRANGE", key, g.index(), g.index()})
	}
	args := []string{"ZRANGE", key, g.scoreBound(), g.scoreBound(), "BYSCORE"}
	if g.pct(50) {
		args = append(args, "REV")
	}
	return g.limit(g.withScores(args))
}

func (g *RandomGen) zrangeByScore(k *keyModel) []string {
	name := g.pick([]string{"ZRANGEBYSCORE", "ZREVRANGEBYSCORE"})
	return g.limit(g.withScores([]string{name, g.zkey(k), g.scoreBound(), g.scoreBound()}))
}

func (g *RandomGen) zcount(k *keyModel) []string {
	return []string{"ZCOUNT", g.zkey(k), g.scoreBound(), g.scoreBound()}
}

// zread returns one of the commands that read members one by one.
func (g *RandomGen) zread(k *keyModel) []string {
	key := g.zkey(k)
	switch g.rnd.IntN(6) {
	case 0:
		return []string{"ZCARD", key}
	case 1:
		return []string{"ZSCORE", key, g.member()}
	case 2:
		return []string{"ZMSCORE", key, g.member(), g.member()}
	case 3:
		return []string{"ZRANK", key, g.member()}
	case 4:
		return []string{"ZREVRANK", key, g.member()}
	}
	return []string{"OBJECT", "ENCODING", key}
}

func (g *RandomGen) zpop(k *keyModel) []string {
	args := []string{g.pick([]string{"ZPOPMIN", "ZPOPMAX"}), g.zkey(k)}
	if g.pct(60) {
		args = append(args, strconv.Itoa(g.rnd.IntN(5)))
	}
	return args
}

func (g *RandomGen) zremrange(k *keyModel) []string {
	if g.pct(50) {
		return []string{"ZREMRANGEBYRANK", g.zkey(k), g.index(), g.index()}
	}
	return []string{"ZREMRANGEBYSCORE", g.zkey(k), g.scoreBound(), g.scoreBound()}
}

func (g *RandomGen) zrangestore(k *keyModel) []string {
	args := []string{"ZRANGESTORE", g.zkey(k), g.zkey(k)}
	if g.pct(50) {
		return append(args, g.index(), g.index())
	}
	return g.limit(append(args, g.scoreBound(), g.scoreBound(), "BYSCORE"))
}

// lexBound returns a range end by name.
func (g *RandomGen) lexBound() string {
	switch n := g.rnd.IntN(10); {
	case n == 0:
		return "-"
	case n == 1:
		return "+"
	case n < 6:
		return "[" + g.member()
	case n < 9:
		return "(" + g.member()
	}
	return g.member() // invalid: no [ or (
}

// zlex returns a command on the key whose members all score 0.
func (g *RandomGen) zlex(k *keyModel) []string {
	key := g.prefix + "zlex"
	switch g.rnd.IntN(7) {
	case 0, 1:
		return []string{"ZADD", key, "0", g.member(), "0", g.member()}
	case 2:
		return g.limit([]string{"ZRANGEBYLEX", key, g.lexBound(), g.lexBound()})
	case 3:
		return g.limit([]string{"ZREVRANGEBYLEX", key, g.lexBound(), g.lexBound()})
	case 4:
		return []string{"ZLEXCOUNT", key, g.lexBound(), g.lexBound()}
	case 5:
		return []string{"ZREMRANGEBYLEX", key, g.lexBound(), g.lexBound()}
	}
	return g.limit([]string{"ZRANGE", key, g.lexBound(), g.lexBound(), "BYLEX", "REV"})
}

// canonicalScores rewrites the scores in a RESP2 reply to a sorted set
// command in Go's shortest form, so that Redis 7.0's "%.17g" and the
// shortest form of 7.2 and later (double-reply-format) compare equal when
// they denote the same double, and differ when they do not.
func canonicalScores(args []string, r redistest.Reply) redistest.Reply {
	name := strings.ToUpper(args[0])
	switch {
	case name == "ZSCORE" || name == "ZINCRBY" || name == "ZADD" && hasWord(args[2:], "INCR"):
		canonicalScore(&r)
	case name == "ZMSCORE" && r.Kind == redistest.KindArray:
		r = clone(r)
		for i := range r.Elems {
			canonicalScore(&r.Elems[i])
		}
	case (name == "ZPOPMIN" || name == "ZPOPMAX" || hasWord(args[2:], "WITHSCORES")) && r.Kind == redistest.KindArray:
		r = clone(r)
		for i := 1; i < len(r.Elems); i += 2 {
			canonicalScore(&r.Elems[i])
		}
	}
	return r
}

// canonicalScore rewrites a bulk string that holds a finite number.
func canonicalScore(r *redistest.Reply) {
	if r.Kind != redistest.KindBulk || r.Nil {
		return
	}
	if f, err := strconv.ParseFloat(r.Str, 64); err == nil && !math.IsInf(f, 0) {
		r.Str = strconv.FormatFloat(f, 'g', -1, 64)
	}
}
