package clienttest

import (
	"math"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/embedded"
)

// goRedis8Scenarios exercise the go-redis methods for stream features newer
// than the reference redis-server 7 (XACKDEL, XDELEX, trim policies,
// XNACK, XREADGROUP CLAIM, IDMP with XCFGSET, MAXCOUNT and MAXSIZE), so
// they run against Pelican only; their expectations follow the redis.io
// command pages that Pelican's engine tests cite.
var goRedis8Scenarios = []goRedisScenario{
	{"XAckDelXDelExModes", scenarioDeletionPolicies},
	{"XNack", scenarioXNack},
	{"XReadGroupClaim", scenarioReadGroupClaim},
	{"IdempotentProduction", scenarioIdempotentProduction},
	{"ReadCaps", scenarioReadCaps},
}

// TestGoRedis8 runs the scenarios of post-7 stream features against
// Pelican over RESP2 and RESP3.
func TestGoRedis8(t *testing.T) {
	t.Parallel()
	runGoRedisScenarios(t, startPelican(t), goRedis8Scenarios)
}

// TestGoRedisEmbedded runs every scenario through clients of the embedded
// package, whose connections are in-memory pipes.
func TestGoRedisEmbedded(t *testing.T) {
	t.Parallel()
	db, err := embedded.Open(embedded.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("closing the embedded database: %v", err)
		}
	})
	tg := target{name: "pelican", embedded: db,
		blocked: func() (int, error) { return db.Engine().BlockedClients(), nil }}
	runGoRedisScenarios(t, tg, append(goRedisScenarios, goRedis8Scenarios...))
}

// ints converts a SliceCmd's reply of integers.
func ints(t *testing.T, what string, vals []any, err error) []int64 {
	t.Helper()
	ok(t, what, err)
	out := make([]int64, len(vals))
	for i, v := range vals {
		n, isInt := v.(int64)
		if !isInt {
			t.Fatalf("%s: element %d is %T %v, want an integer", what, i, v, v)
		}
		out[i] = n
	}
	return out
}

func scenarioDeletionPolicies(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	addSeq(t, env, "pol", 1, 3)
	for _, g := range []string{"g1", "g2"} {
		ok(t, "XGROUP CREATE "+g, rdb.XGroupCreate(ctx, "pol", g, "0").Err())
		ok(t, "XREADGROUP "+g, rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: g, Consumer: "c", Streams: []string{"pol", ">"}, Block: -1}).Err())
	}
	res, err := rdb.XAckDel(ctx, "pol", "g1", "ACKED", "1-0", "2-0").Result()
	diff(t, "XACKDEL ACKED while g2 still holds the entries", ints(t, "XACKDEL", res, err), []int64{2, 2})
	res, err = rdb.XAckDel(ctx, "pol", "g2", "ACKED", "1-0", "9-0").Result()
	diff(t, "XACKDEL ACKED by the last group", ints(t, "XACKDEL", res, err), []int64{1, -1})
	res, err = rdb.XDelEx(ctx, "pol", "KEEPREF", "2-0", "9-0").Result()
	diff(t, "XDELEX KEEPREF", ints(t, "XDELEX", res, err), []int64{1, -1})
	res, err = rdb.XDelEx(ctx, "pol", "ACKED", "3-0").Result()
	diff(t, "XDELEX ACKED of a pending entry", ints(t, "XDELEX", res, err), []int64{2})
	n, err := rdb.XTrimMaxLenMode(ctx, "pol", 0, "ACKED").Result()
	ok(t, "XTRIM MAXLEN 0 ACKED", err)
	diff(t, "XTRIM ACKED of a pending entry", n, int64(0))
	n, err = rdb.XTrimMaxLenMode(ctx, "pol", 0, "DELREF").Result()
	ok(t, "XTRIM MAXLEN 0 DELREF", err)
	diff(t, "XTRIM DELREF", n, int64(1))
	for _, g := range []struct {
		name string
		want *redis.XPending
	}{
		// KEEPREF left g2's reference to 2-0; DELREF removed both groups'
		// references to 3-0.
		{"g1", &redis.XPending{Count: 0, Consumers: map[string]int64{}}},
		{"g2", &redis.XPending{Count: 1, Lower: "2-0", Higher: "2-0", Consumers: map[string]int64{"c": 1}}},
	} {
		sum, err := rdb.XPending(ctx, "pol", g.name).Result()
		ok(t, "XPENDING "+g.name, err)
		diff(t, "XPENDING "+g.name, sum, g.want)
	}

	addSeq(t, env, "pol2", 1, 350)
	n, err = rdb.XTrimMaxLenApproxMode(ctx, "pol2", 120, 0, "KEEPREF").Result()
	ok(t, "XTRIM MAXLEN ~ KEEPREF", err)
	diff(t, "XTRIM MAXLEN ~ 120 KEEPREF", n, int64(200))
	n, err = rdb.XTrimMinIDMode(ctx, "pol2", "301", "DELREF").Result()
	ok(t, "XTRIM MINID DELREF", err)
	diff(t, "XTRIM MINID 301 DELREF", n, int64(100))
	n, err = rdb.XTrimMinIDApproxMode(ctx, "pol2", "999", 0, "ACKED").Result()
	ok(t, "XTRIM MINID ~ ACKED", err)
	diff(t, "XTRIM MINID ~ 999 ACKED without groups", n, int64(50))
	id, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "pol2", Mode: "KEEPREF", MaxLen: 1, ID: "400-0", Values: []string{"i", "400"}}).Result()
	ok(t, "XADD KEEPREF MAXLEN 1", err)
	diff(t, "XADD KEEPREF", id, "400-0")
	n, _ = rdb.XLen(ctx, "pol2").Result()
	diff(t, "XLEN after XADD KEEPREF MAXLEN 1", n, int64(1))
	_, err = rdb.XDelEx(ctx, "pol2", "SOMETIMES", "1-0").Result()
	wantErr(t, "XDELEX with an unknown policy", err, "ERR syntax error")
}

func scenarioXNack(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	addSeq(t, env, "nack", 1, 3)
	ok(t, "XGROUP CREATE", rdb.XGroupCreate(ctx, "nack", "g", "0").Err())
	ok(t, "XREADGROUP", rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"nack", ">"}, Block: -1}).Err())
	five := uint64(5)
	for _, c := range []struct {
		args redis.XNackArgs
		want int64
	}{
		{redis.XNackArgs{Stream: "nack", Group: "g", Mode: redis.XNackModeSilent, IDs: []string{"1-0"}}, 1},
		{redis.XNackArgs{Stream: "nack", Group: "g", Mode: redis.XNackModeFail, IDs: []string{"2-0"}, RetryCount: &five}, 1},
		{redis.XNackArgs{Stream: "nack", Group: "g", Mode: redis.XNackModeFatal, IDs: []string{"3-0", "9-0"}}, 1},
		{redis.XNackArgs{Stream: "nack", Group: "g", Mode: redis.XNackModeFail, IDs: []string{"9-0"}, Force: true}, 0},
	} {
		n, err := rdb.XNack(ctx, &c.args).Result()
		ok(t, "XNACK "+c.args.Mode, err)
		diff(t, "XNACK "+c.args.Mode+" of "+c.args.IDs[0], n, c.want)
	}
	ext, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "nack", Group: "g", Start: "-", End: "+", Count: 10}).Result()
	ok(t, "XPENDING", err)
	type pend struct {
		ID, Consumer string
		Count        int64
	}
	var pends []pend
	for _, x := range ext {
		pends = append(pends, pend{x.ID, x.Consumer, x.RetryCount})
	}
	diff(t, "PEL after XNACK", pends, []pend{{"1-0", "", 0}, {"2-0", "", 5}, {"3-0", "", math.MaxInt64}})
	full, err := rdb.XInfoStreamFull(ctx, "nack", 0).Result()
	ok(t, "XINFO STREAM FULL", err)
	if len(full.Groups) != 1 || full.Groups[0].NackedCount != 3 {
		t.Errorf("XINFO STREAM FULL groups %+v, want one group with nacked-count 3", full.Groups)
	}

	// Given-back entries are claimed first, whatever the minimum idle time.
	got, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "d", Streams: []string{"nack", ">"}, Count: 2, Claim: time.Hour, Block: -1}).Result()
	ok(t, "XREADGROUP CLAIM", err)
	if len(got) != 1 {
		t.Fatalf("XREADGROUP CLAIM returned %d streams, want 1", len(got))
	}
	var claimed []any
	for _, m := range got[0].Messages {
		claimed = append(claimed, []any{m.ID, m.DeliveredCount})
	}
	diff(t, "NACKed entries claimed", claimed, []any{[]any{"1-0", int64(0)}, []any{"2-0", int64(5)}})
}

func scenarioReadGroupClaim(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	addSeq(t, env, "rc", 1, 1)
	ok(t, "XGROUP CREATE", rdb.XGroupCreate(ctx, "rc", "g", "0").Err())
	ok(t, "XREADGROUP", rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "a", Streams: []string{"rc", ">"}, Block: -1}).Err())
	addSeq(t, env, "rc", 2, 2)
	got, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "b", Streams: []string{"rc", ">"}, Claim: time.Hour, Block: -1}).Result()
	ok(t, "XREADGROUP CLAIM 3600000", err)
	diff(t, "nothing idle enough: only the new entry", got, []redis.XStream{{Stream: "rc", Messages: []redis.XMessage{msg("2-0", "i", "2")}}})
	waitIdle(t, env, "rc", "g", 30*time.Millisecond)
	addSeq(t, env, "rc", 3, 3)
	got, err = rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "b", Streams: []string{"rc", ">"}, Claim: 20 * time.Millisecond, Block: -1}).Result()
	ok(t, "XREADGROUP CLAIM 20", err)
	if len(got) != 1 || len(got[0].Messages) != 3 {
		t.Fatalf("XREADGROUP CLAIM returned %+v, want three entries", got)
	}
	ms := got[0].Messages
	diff(t, "claimed then new entries", ids(ms), []string{"1-0", "2-0", "3-0"})
	for i, m := range ms[:2] {
		if m.DeliveredCount != 1 || m.MillisElapsedFromDelivery < 20 || m.MillisElapsedFromDelivery > 60000 {
			t.Errorf("claimed entry %d: delivered %d times, %d ms ago; want once, at least 20 ms ago", i, m.DeliveredCount, m.MillisElapsedFromDelivery)
		}
	}
	diff(t, "the new entry's delivery data", []int64{ms[2].DeliveredCount, ms[2].MillisElapsedFromDelivery}, []int64{0, 0})
	sum, _ := rdb.XPending(ctx, "rc", "g").Result()
	diff(t, "PEL after XREADGROUP CLAIM", sum, &redis.XPending{Count: 3, Lower: "1-0", Higher: "3-0", Consumers: map[string]int64{"b": 3}})
}

func scenarioIdempotentProduction(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	add := func(a redis.XAddArgs) string {
		t.Helper()
		a.Stream = "idmp"
		id, err := rdb.XAdd(ctx, &a).Result()
		ok(t, "XADD IDMP", err)
		return id
	}
	first := add(redis.XAddArgs{ProducerID: "p1", IdempotentID: "req-1", Values: []string{"f", "v"}})
	diff(t, "retried XADD IDMP", add(redis.XAddArgs{ProducerID: "p1", IdempotentID: "req-1", Values: []string{"f", "other"}}), first)
	auto := add(redis.XAddArgs{ProducerID: "p1", IdempotentAuto: true, Values: []string{"a", "1", "b", "2"}})
	if auto == first {
		t.Errorf("IDMPAUTO returned the earlier entry %s", first)
	}
	diff(t, "IDMPAUTO with the pairs reordered", add(redis.XAddArgs{ProducerID: "p1", IdempotentAuto: true, Values: []string{"b", "2", "a", "1"}}), auto)
	got, err := rdb.XRange(ctx, "idmp", "-", "+").Result()
	ok(t, "XRANGE", err)
	diff(t, "entries after retries", got, []redis.XMessage{msg(first, "f", "v"), msg(auto, "a", "1", "b", "2")})

	type idmpInfo struct{ Duration, MaxSize, PIDs, IIDs, Added, Dups int64 }
	infoOf := func() (idmpInfo, idmpInfo) {
		t.Helper()
		s, err := rdb.XInfoStream(ctx, "idmp").Result()
		ok(t, "XINFO STREAM", err)
		f, err := rdb.XInfoStreamFull(ctx, "idmp", 0).Result()
		ok(t, "XINFO STREAM FULL", err)
		return idmpInfo{s.IDMPDuration, s.IDMPMaxSize, s.PIDsTracked, s.IIDsTracked, s.IIDsAdded, s.IIDsDuplicates},
			idmpInfo{f.IDMPDuration, f.IDMPMaxSize, f.PIDsTracked, f.IIDsTracked, f.IIDsAdded, f.IIDsDuplicates}
	}
	want := idmpInfo{Duration: 100, MaxSize: 100, PIDs: 1, IIDs: 2, Added: 2, Dups: 2}
	plain, full := infoOf()
	diff(t, "XINFO STREAM IDMP fields", plain, want)
	diff(t, "XINFO STREAM FULL IDMP fields", full, want)

	status, err := rdb.XCfgSet(ctx, &redis.XCfgSetArgs{Stream: "idmp", Duration: 60, MaxSize: 50}).Result()
	ok(t, "XCFGSET", err)
	diff(t, "XCFGSET", status, "OK")
	// A new configuration forgets the remembered IDs, not the counters.
	want = idmpInfo{Duration: 60, MaxSize: 50, PIDs: 0, IIDs: 0, Added: 2, Dups: 2}
	plain, _ = infoOf()
	diff(t, "XINFO STREAM after XCFGSET", plain, want)
	if again := add(redis.XAddArgs{ProducerID: "p1", IdempotentID: "req-1", Values: []string{"f", "v"}}); again == first {
		t.Errorf("XADD IDMP after XCFGSET returned the forgotten entry %s", first)
	}
	err = rdb.XCfgSet(ctx, &redis.XCfgSetArgs{Stream: "idmp", MaxSize: 10001}).Err()
	wantErr(t, "XCFGSET IDMP-MAXSIZE 10001", err, "ERR IDMP-MAXSIZE must be between 1 and 10000 entries")
	_, err = rdb.XAdd(ctx, &redis.XAddArgs{Stream: "idmp", ID: "9999999999999-0", ProducerID: "p", IdempotentID: "r", Values: []string{"f", "v"}}).Result()
	wantErr(t, "XADD IDMP with an explicit ID", err, "ERR IDMP/IDMPAUTO can be used only with auto-generated IDs")
}

func scenarioReadCaps(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	for _, k := range []string{"capa", "capb", "capc"} {
		addSeq(t, env, k, 1, 3)
	}
	got, err := rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"capa", "capb", "capc", "0", "0", "0"}, Count: 2, MaxCount: 3, Block: -1}).Result()
	ok(t, "XREAD COUNT 2 MAXCOUNT 3", err)
	diff(t, "XREAD MAXCOUNT", got, []redis.XStream{
		{Stream: "capa", Messages: []redis.XMessage{msg("1-0", "i", "1"), msg("2-0", "i", "2")}},
		{Stream: "capb", Messages: []redis.XMessage{msg("1-0", "i", "1")}},
	})
	got, err = rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"capa", "capb", "0", "0"}, MaxSize: 1, Block: -1}).Result()
	ok(t, "XREAD MAXSIZE 1", err)
	diff(t, "XREAD MAXSIZE: the first entry only", got, []redis.XStream{{Stream: "capa", Messages: []redis.XMessage{msg("1-0", "i", "1")}}})
	ok(t, "XGROUP CREATE", rdb.XGroupCreate(ctx, "capc", "g", "0").Err())
	got, err = rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"capc", ">"}, MaxCount: 2, Block: -1}).Result()
	ok(t, "XREADGROUP MAXCOUNT 2", err)
	diff(t, "XREADGROUP MAXCOUNT", ids(got[0].Messages), []string{"1-0", "2-0"})
	_, err = rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{"capa", "0"}, Count: 5, MaxCount: 2, Block: -1}).Result()
	wantErr(t, "XREAD COUNT above MAXCOUNT", err, "ERR MAXCOUNT must be greater than or equal to COUNT")
}
