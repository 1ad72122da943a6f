package clienttest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/streamid"
)

// goRedisEnv is what a go-redis scenario works with.
type goRedisEnv struct {
	ctx context.Context
	// rdb is the client under test.
	rdb *redis.Client
	// other is a second client on the same server and database, for
	// concurrent writes.
	other *redis.Client
	// tg is the server; tg.blocked counts its blocked clients.
	tg target
}

// goRedisScenario is one group of go-redis stream methods checked with
// real values. Scenarios use their own keys.
type goRedisScenario struct {
	name string
	run  func(t *testing.T, env goRedisEnv)
}

// goRedisScenarios hold on Redis 7 and Pelican alike.
var goRedisScenarios = []goRedisScenario{
	{"XAdd", scenarioXAdd},
	{"XRangeXDelXTrim", scenarioRangeDelTrim},
	{"XRead", scenarioXRead},
	{"ConsumerGroups", scenarioGroups},
	{"Claiming", scenarioClaiming},
	{"XInfo", scenarioXInfo},
	{"Pipelines", scenarioPipelines},
	{"Transactions", scenarioTransactions},
}

// TestGoRedis runs every go-redis scenario over RESP2 and RESP3 against
// Pelican and against redis-server 7.
func TestGoRedis(t *testing.T) {
	t.Parallel()
	for _, tg := range bothTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			runGoRedisScenarios(t, tg, goRedisScenarios)
		})
	}
}

// runGoRedisScenarios runs scenarios against tg over RESP2, then RESP3.
// The two runs are sequential because scenarios count the server's
// blocked clients.
func runGoRedisScenarios(t *testing.T, tg target, scenarios []goRedisScenario) {
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			env := goRedisEnv{
				ctx:   context.Background(),
				rdb:   newGoRedis(t, tg, proto),
				other: newGoRedis(t, tg, proto),
				tg:    tg,
			}
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) { sc.run(t, env) })
			}
		})
	}
}

// newGoRedis connects to tg with the given protocol, in database 2 or 3
// so that the two protocols' runs do not share keys.
func newGoRedis(t *testing.T, tg target, proto int) *redis.Client {
	t.Helper()
	opts := &redis.Options{Protocol: proto, DB: proto, ReadTimeout: 10 * time.Second}
	var c *redis.Client
	if tg.embedded != nil {
		c = tg.embedded.NewClient(opts)
	} else {
		opts.Addr = tg.addr
		c = redis.NewClient(opts)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING %s over RESP%d: %v", tg.name, proto, err)
	}
	return c
}

// diff fails the test if got differs from want.
func diff(t *testing.T, what string, got, want any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, append(opts, cmpopts.EquateEmpty())...); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// ok fails the test at once if err is not nil.
func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantErr fails the test unless err is a server error with exactly text.
func wantErr(t *testing.T, what string, err error, text string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %q", what, text)
		return
	}
	if err.Error() != text {
		t.Errorf("%s: error %q, want %q", what, err.Error(), text)
	}
}

// msg builds an XMessage whose values are the given field/value pairs.
func msg(id string, fv ...string) redis.XMessage {
	m := redis.XMessage{ID: id, Values: map[string]any{}}
	for i := 0; i+1 < len(fv); i += 2 {
		m.Values[fv[i]] = fv[i+1]
	}
	return m
}

// ids returns the IDs of messages.
func ids(ms []redis.XMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// seqIDs returns "from-0" … "to-0".
func seqIDs(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, strconv.Itoa(i)+"-0")
	}
	return out
}

// addSeq appends entries from-0 … to-0 (field i, value the number) to key
// in one pipeline.
func addSeq(t *testing.T, env goRedisEnv, key string, from, to int) {
	t.Helper()
	_, err := env.rdb.Pipelined(env.ctx, func(p redis.Pipeliner) error {
		for i := from; i <= to; i++ {
			p.XAdd(env.ctx, &redis.XAddArgs{Stream: key, ID: strconv.Itoa(i) + "-0", Values: []string{"i", strconv.Itoa(i)}})
		}
		return nil
	})
	ok(t, "adding entries to "+key, err)
}

// waitBlocked polls until n clients of env's server are blocked.
func waitBlocked(t *testing.T, tg target, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := tg.blocked()
		ok(t, "counting blocked clients", err)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d clients blocked, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitIdle polls until every entry pending in group has been idle for at
// least d, so that idle-time filters have something to match.
func waitIdle(t *testing.T, env goRedisEnv, key, group string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		sum, err := env.rdb.XPending(env.ctx, key, group).Result()
		ok(t, "XPENDING", err)
		idle, err := env.rdb.XPendingExt(env.ctx, &redis.XPendingExtArgs{
			Stream: key, Group: group, Idle: d, Start: "-", End: "+", Count: 1000,
		}).Result()
		ok(t, "XPENDING IDLE", err)
		if int64(len(idle)) == sum.Count {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d entries idle for %v", len(idle), sum.Count, d)
		}
		time.Sleep(time.Millisecond)
	}
}

// parseID splits a stream ID, failing the test if it is malformed.
func parseID(t *testing.T, id string) (ms, seq uint64) {
	t.Helper()
	p, ok := streamid.Parse(id)
	if !ok {
		t.Fatalf("%q is not a stream ID", id)
	}
	return p.Ms, p.Seq
}

func scenarioXAdd(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	id, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "add", ID: "1-1", Values: map[string]any{"k": "v"}}).Result()
	ok(t, "XADD 1-1", err)
	diff(t, "explicit ID", id, "1-1")
	id, err = rdb.XAdd(ctx, &redis.XAddArgs{Stream: "add", ID: "1-*", Values: []string{"a", "1", "b", "2"}}).Result()
	ok(t, "XADD 1-*", err)
	diff(t, "ID with generated sequence", id, "1-2")
	before := time.Now().UnixMilli()
	auto, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "add", Values: []any{"n", 3, "f", 1.5}}).Result()
	ok(t, "XADD *", err)
	if ms, _ := parseID(t, auto); int64(ms) < before-1000 || int64(ms) > time.Now().UnixMilli()+1000 {
		t.Errorf("generated ID %s is not near the current time %d", auto, before)
	}
	_, err = rdb.XAdd(ctx, &redis.XAddArgs{Stream: "add", ID: "1-1", Values: []string{"x", "y"}}).Result()
	wantErr(t, "XADD with a smaller ID", err, "ERR The ID specified in XADD is equal or smaller than the target stream top item")
	_, err = rdb.XAdd(ctx, &redis.XAddArgs{Stream: "add", ID: "0-0", Values: []string{"x", "y"}}).Result()
	wantErr(t, "XADD 0-0", err, "ERR The ID specified in XADD must be greater than 0-0")

	got, err := rdb.XRange(ctx, "add", "-", "+").Result()
	ok(t, "XRANGE", err)
	diff(t, "entries added", got, []redis.XMessage{msg("1-1", "k", "v"), msg("1-2", "a", "1", "b", "2"), msg(auto, "n", "3", "f", "1.5")})
	n, err := rdb.XLen(ctx, "add").Result()
	ok(t, "XLEN", err)
	diff(t, "XLEN", n, int64(3))

	_, err = rdb.XAdd(ctx, &redis.XAddArgs{Stream: "none", NoMkStream: true, Values: []string{"a", "b"}}).Result()
	diff(t, "XADD NOMKSTREAM on a missing key", err, redis.Nil, cmpopts.EquateErrors())
	n, err = rdb.XLen(ctx, "none").Result()
	ok(t, "XLEN of a missing key", err)
	diff(t, "XLEN after NOMKSTREAM", n, int64(0))
	id, err = rdb.XAdd(ctx, &redis.XAddArgs{Stream: "add", NoMkStream: true, Values: []string{"a", "b"}}).Result()
	ok(t, "XADD NOMKSTREAM on an existing key", err)
	ms1, seq1 := parseID(t, auto)
	if ms2, seq2 := parseID(t, id); ms2 < ms1 || ms2 == ms1 && seq2 <= seq1 {
		t.Errorf("XADD NOMKSTREAM generated %s, not after %s", id, auto)
	}

	// Exact MAXLEN and MINID trim on every add.
	for i := 1; i <= 10; i++ {
		ok(t, "XADD MAXLEN = 3", rdb.XAdd(ctx, &redis.XAddArgs{Stream: "cap", MaxLen: 3, ID: strconv.Itoa(i) + "-0", Values: []string{"i", strconv.Itoa(i)}}).Err())
		ok(t, "XADD MINID = 5", rdb.XAdd(ctx, &redis.XAddArgs{Stream: "min", MinID: "5", ID: strconv.Itoa(i) + "-0", Values: []string{"i", strconv.Itoa(i)}}).Err())
	}
	got, err = rdb.XRange(ctx, "cap", "-", "+").Result()
	ok(t, "XRANGE cap", err)
	diff(t, "MAXLEN = 3", got, []redis.XMessage{msg("8-0", "i", "8"), msg("9-0", "i", "9"), msg("10-0", "i", "10")})
	got, err = rdb.XRange(ctx, "min", "-", "+").Result()
	ok(t, "XRANGE min", err)
	diff(t, "MINID = 5", ids(got), seqIDs(5, 10))

	// Approximate trimming removes whole nodes of 100 entries only.
	_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 1; i <= 250; i++ {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "approx", MaxLen: 100, Approx: true, ID: strconv.Itoa(i) + "-0", Values: []string{"i", strconv.Itoa(i)}})
		}
		return nil
	})
	ok(t, "XADD MAXLEN ~ 100", err)
	info, err := rdb.XInfoStream(ctx, "approx").Result()
	ok(t, "XINFO STREAM approx", err)
	diff(t, "MAXLEN ~ 100 after 250 adds", []any{info.Length, info.FirstEntry.ID, info.RadixTreeKeys}, []any{int64(150), "101-0", int64(2)})

	addSeq(t, env, "aminid", 1, 250)
	ok(t, "XADD MINID ~", rdb.XAdd(ctx, &redis.XAddArgs{Stream: "aminid", MinID: "150", Approx: true, ID: "251-0", Values: []string{"i", "251"}}).Err())
	first, err := rdb.XRangeN(ctx, "aminid", "-", "+", 1).Result()
	ok(t, "XRANGE aminid", err)
	n, _ = rdb.XLen(ctx, "aminid").Result()
	diff(t, "MINID ~ 150", []any{n, ids(first)}, []any{int64(151), []string{"101-0"}})

	addSeq(t, env, "limit", 1, 250)
	ok(t, "XADD MAXLEN ~ LIMIT 50", rdb.XAdd(ctx, &redis.XAddArgs{Stream: "limit", MaxLen: 10, Approx: true, Limit: 50, ID: "251-0", Values: []string{"i", "251"}}).Err())
	n, _ = rdb.XLen(ctx, "limit").Result()
	diff(t, "LIMIT below a node's size trims nothing", n, int64(251))
	ok(t, "XADD MAXLEN ~ LIMIT 200", rdb.XAdd(ctx, &redis.XAddArgs{Stream: "limit", MaxLen: 10, Approx: true, Limit: 200, ID: "252-0", Values: []string{"i", "252"}}).Err())
	n, _ = rdb.XLen(ctx, "limit").Result()
	diff(t, "LIMIT 200 removes two nodes", n, int64(52))
	_, err = rdb.XAdd(ctx, &redis.XAddArgs{Stream: "limit", MaxLen: 10, Limit: 5, ID: "253-0", Values: []string{"i", "253"}}).Result()
	wantErr(t, "LIMIT with exact trimming", err, "ERR syntax error, LIMIT cannot be used without the special ~ option")
}

func scenarioRangeDelTrim(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	addSeq(t, env, "r", 1, 10)
	all, err := rdb.XRange(ctx, "r", "-", "+").Result()
	ok(t, "XRANGE - +", err)
	diff(t, "XRANGE - +", ids(all), seqIDs(1, 10))
	diff(t, "an entry's fields", all[6], msg("7-0", "i", "7"))

	type rangeCase struct {
		name string
		cmd  *redis.XMessageSliceCmd
		want []string
	}
	cases := []rangeCase{
		{"XRANGEN 3 + 2", rdb.XRangeN(ctx, "r", "3", "+", 2), []string{"3-0", "4-0"}},
		{"XRANGE exclusive", rdb.XRange(ctx, "r", "(3-0", "5"), []string{"4-0", "5-0"}},
		{"XRANGE empty", rdb.XRange(ctx, "r", "11", "+"), nil},
		{"XRANGE missing key", rdb.XRange(ctx, "nokey", "-", "+"), nil},
		{"XREVRANGE", rdb.XRevRange(ctx, "r", "+", "-"), []string{"10-0", "9-0", "8-0", "7-0", "6-0", "5-0", "4-0", "3-0", "2-0", "1-0"}},
		{"XREVRANGEN", rdb.XRevRangeN(ctx, "r", "+", "-", 3), []string{"10-0", "9-0", "8-0"}},
		{"XREVRANGE exclusive", rdb.XRevRange(ctx, "r", "8", "(5-0"), []string{"8-0", "7-0", "6-0"}},
	}
	for _, c := range cases {
		got, err := c.cmd.Result()
		ok(t, c.name, err)
		diff(t, c.name, ids(got), c.want)
	}
	_, err = rdb.XRange(ctx, "r", "x", "+").Result()
	wantErr(t, "XRANGE with a bad ID", err, "ERR Invalid stream ID specified as stream command argument")

	n, err := rdb.XDel(ctx, "r", "2-0", "4-0", "99-0").Result()
	ok(t, "XDEL", err)
	diff(t, "XDEL of two present and one missing ID", n, int64(2))
	info, err := rdb.XInfoStream(ctx, "r").Result()
	ok(t, "XINFO STREAM", err)
	diff(t, "after XDEL", []any{info.Length, info.MaxDeletedEntryID, info.EntriesAdded}, []any{int64(8), "4-0", int64(10)})

	n, err = rdb.XTrimMaxLen(ctx, "r", 5).Result()
	ok(t, "XTRIM MAXLEN", err)
	diff(t, "XTRIM MAXLEN 5 removes", n, int64(3))
	got, _ := rdb.XRange(ctx, "r", "-", "+").Result()
	diff(t, "after XTRIM MAXLEN 5", ids(got), seqIDs(6, 10))
	n, err = rdb.XTrimMinID(ctx, "r", "8").Result()
	ok(t, "XTRIM MINID", err)
	diff(t, "XTRIM MINID 8 removes", n, int64(2))
	got, _ = rdb.XRange(ctx, "r", "-", "+").Result()
	diff(t, "after XTRIM MINID 8", ids(got), seqIDs(8, 10))

	addSeq(t, env, "big", 1, 350)
	n, err = rdb.XTrimMaxLenApprox(ctx, "big", 120, 0).Result()
	ok(t, "XTRIM MAXLEN ~", err)
	diff(t, "XTRIM MAXLEN ~ 120 of 350 removes two nodes", n, int64(200))
	n, err = rdb.XTrimMinIDApprox(ctx, "big", "320", 0).Result()
	ok(t, "XTRIM MINID ~", err)
	diff(t, "XTRIM MINID ~ 320 removes the node below it", n, int64(100))
	n, err = rdb.XTrimMaxLenApprox(ctx, "big", 0, 10).Result()
	ok(t, "XTRIM MAXLEN ~ 0 LIMIT 10", err)
	diff(t, "LIMIT smaller than a node", n, int64(0))
	n, _ = rdb.XLen(ctx, "big").Result()
	diff(t, "length after approximate trims", n, int64(50))
	n, err = rdb.XTrimMaxLenApprox(ctx, "big", 0, redis.XTrimLimitDisabled).Result()
	ok(t, "XTRIM MAXLEN ~ 0 LIMIT 0", err)
	diff(t, "LIMIT 0 removes every whole node", n, int64(50))
	n, err = rdb.XTrimMaxLen(ctx, "nokey", 1).Result()
	ok(t, "XTRIM of a missing key", err)
	diff(t, "XTRIM of a missing key", n, int64(0))
}

func scenarioXRead(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	addSeq(t, env, "ra", 1, 3)
	addSeq(t, env, "rb", 5, 6)
	got, err := rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"ra", "rb", "1-0", "0"}, Count: 1, Block: -1}).Result()
	ok(t, "XREAD COUNT 1", err)
	diff(t, "XREAD of two streams", got, []redis.XStream{
		{Stream: "ra", Messages: []redis.XMessage{msg("2-0", "i", "2")}},
		{Stream: "rb", Messages: []redis.XMessage{msg("5-0", "i", "5")}},
	})
	got, err = rdb.XReadStreams(ctx, "ra", "rb", "2", "6").Result()
	ok(t, "XREAD STREAMS", err)
	diff(t, "XReadStreams", got, []redis.XStream{{Stream: "ra", Messages: []redis.XMessage{msg("3-0", "i", "3")}}})
	_, err = rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"ra", "$"}, Block: 20 * time.Millisecond}).Result()
	diff(t, "XREAD BLOCK that times out", err, redis.Nil, cmpopts.EquateErrors())

	// A reader blocked on $ is served by a concurrent XADD.
	done := make(chan []redis.XStream, 1)
	go func() {
		res, err := rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"ra", "rnew", "$", "$"}, Block: 10 * time.Second}).Result()
		if err != nil {
			t.Errorf("blocked XREAD: %v", err)
		}
		done <- res
	}()
	waitBlocked(t, env.tg, 1)
	ok(t, "XADD to wake the reader", env.other.XAdd(ctx, &redis.XAddArgs{Stream: "rnew", ID: "7-1", Values: []string{"wake", "up"}}).Err())
	diff(t, "blocked XREAD's reply", <-done, []redis.XStream{{Stream: "rnew", Messages: []redis.XMessage{msg("7-1", "wake", "up")}}})
}
