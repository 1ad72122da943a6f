package clienttest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"
)

func scenarioGroups(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	err := rdb.XGroupCreate(ctx, "q-missing", "g", "0").Err()
	wantErr(t, "XGROUP CREATE on a missing key", err, "ERR The XGROUP subcommand requires the key to exist. "+
		"Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
	status, err := rdb.XGroupCreateMkStream(ctx, "q", "workers", "$").Result()
	ok(t, "XGROUP CREATE MKSTREAM", err)
	diff(t, "XGROUP CREATE MKSTREAM", status, "OK")
	wantErr(t, "XGROUP CREATE twice", rdb.XGroupCreate(ctx, "q", "workers", "$").Err(), "BUSYGROUP Consumer Group name already exists")
	n, err := rdb.XGroupCreateConsumer(ctx, "q", "workers", "alice").Result()
	ok(t, "XGROUP CREATECONSUMER", err)
	diff(t, "XGROUP CREATECONSUMER of a new consumer", n, int64(1))
	n, _ = rdb.XGroupCreateConsumer(ctx, "q", "workers", "alice").Result()
	diff(t, "XGROUP CREATECONSUMER of an existing consumer", n, int64(0))
	addSeq(t, env, "q", 1, 5)

	read := func(consumer, id string, count int64) ([]redis.XStream, error) {
		return rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: consumer, Streams: []string{"q", id}, Count: count, Block: -1}).Result()
	}
	got, err := read("alice", ">", 2)
	ok(t, "XREADGROUP alice >", err)
	diff(t, "alice's new entries", got, []redis.XStream{{Stream: "q", Messages: []redis.XMessage{msg("1-0", "i", "1"), msg("2-0", "i", "2")}}})
	got, err = read("bob", ">", 0)
	ok(t, "XREADGROUP bob >", err)
	diff(t, "bob's new entries", ids(got[0].Messages), []string{"3-0", "4-0", "5-0"})
	_, err = read("bob", ">", 0)
	diff(t, "XREADGROUP > with nothing new", err, redis.Nil, cmpopts.EquateErrors())
	got, err = read("alice", "0", 0)
	ok(t, "XREADGROUP alice 0", err)
	diff(t, "alice's history", ids(got[0].Messages), []string{"1-0", "2-0"})
	got, err = read("carol", "0", 0)
	ok(t, "XREADGROUP carol 0", err)
	diff(t, "history of a consumer with nothing pending", got, []redis.XStream{{Stream: "q", Messages: []redis.XMessage{}}})

	sum, err := rdb.XPending(ctx, "q", "workers").Result()
	ok(t, "XPENDING", err)
	diff(t, "XPENDING summary", sum, &redis.XPending{Count: 5, Lower: "1-0", Higher: "5-0", Consumers: map[string]int64{"alice": 2, "bob": 3}})
	ext, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "q", Group: "workers", Start: "-", End: "+", Count: 10}).Result()
	ok(t, "XPENDING - + 10", err)
	type pend struct {
		ID, Consumer string
		Count        int64
	}
	pends := func(xs []redis.XPendingExt) []pend {
		var out []pend
		for _, x := range xs {
			if x.Idle < 0 || x.Idle > time.Minute {
				t.Errorf("%s idle for %v", x.ID, x.Idle)
			}
			out = append(out, pend{x.ID, x.Consumer, x.RetryCount})
		}
		return out
	}
	diff(t, "XPENDING extended", pends(ext), []pend{{"1-0", "alice", 2}, {"2-0", "alice", 2}, {"3-0", "bob", 1}, {"4-0", "bob", 1}, {"5-0", "bob", 1}})
	ext, err = rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "q", Group: "workers", Start: "2", End: "+", Count: 2, Consumer: "bob"}).Result()
	ok(t, "XPENDING 2 + 2 bob", err)
	diff(t, "XPENDING of one consumer", pends(ext), []pend{{"3-0", "bob", 1}, {"4-0", "bob", 1}})
	ext, err = rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "q", Group: "workers", Idle: time.Hour, Start: "-", End: "+", Count: 10}).Result()
	ok(t, "XPENDING IDLE 3600000", err)
	diff(t, "entries idle for an hour", pends(ext), []pend(nil))
	waitIdle(t, env, "q", "workers", 20*time.Millisecond)

	n, err = rdb.XAck(ctx, "q", "workers", "1-0", "3-0", "99-0").Result()
	ok(t, "XACK", err)
	diff(t, "XACK of two pending IDs and one unknown", n, int64(2))
	n, _ = rdb.XAck(ctx, "q", "workers", "1-0").Result()
	diff(t, "XACK of an acknowledged ID", n, int64(0))

	// NOACK delivers without adding to the PEL.
	addSeq(t, env, "q", 6, 6)
	got, err = rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: "dave", Streams: []string{"q", ">"}, NoAck: true, Block: -1}).Result()
	ok(t, "XREADGROUP NOACK", err)
	diff(t, "NOACK read", ids(got[0].Messages), []string{"6-0"})
	sum, _ = rdb.XPending(ctx, "q", "workers").Result()
	diff(t, "XPENDING after NOACK", sum, &redis.XPending{Count: 3, Lower: "2-0", Higher: "5-0", Consumers: map[string]int64{"alice": 1, "bob": 2}})

	// A blocked group reader is served by a concurrent XADD.
	done := make(chan []redis.XStream, 1)
	go func() {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: "erin", Streams: []string{"q", ">"}, Block: 10 * time.Second}).Result()
		if err != nil {
			t.Errorf("blocked XREADGROUP: %v", err)
		}
		done <- res
	}()
	waitBlocked(t, env.tg, 1)
	ok(t, "XADD to wake the group reader", env.other.XAdd(ctx, &redis.XAddArgs{Stream: "q", ID: "7-0", Values: []string{"i", "7"}}).Err())
	diff(t, "blocked XREADGROUP's reply", <-done, []redis.XStream{{Stream: "q", Messages: []redis.XMessage{msg("7-0", "i", "7")}}})
	_, err = rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "workers", Consumer: "erin", Streams: []string{"q", ">"}, Block: 20 * time.Millisecond}).Result()
	diff(t, "XREADGROUP BLOCK that times out", err, redis.Nil, cmpopts.EquateErrors())

	status, err = rdb.XGroupSetID(ctx, "q", "workers", "4-0").Result()
	ok(t, "XGROUP SETID", err)
	diff(t, "XGROUP SETID", status, "OK")
	got, _ = read("frank", ">", 0)
	diff(t, "entries after SETID 4-0", ids(got[0].Messages), []string{"5-0", "6-0", "7-0"})

	n, err = rdb.XGroupDelConsumer(ctx, "q", "workers", "bob").Result()
	ok(t, "XGROUP DELCONSUMER", err)
	// frank's read after SETID took 5-0 over from bob.
	diff(t, "pending entries bob had", n, int64(1))
	n, _ = rdb.XGroupDelConsumer(ctx, "q", "workers", "nobody").Result()
	diff(t, "XGROUP DELCONSUMER of an unknown consumer", n, int64(0))
	cons, err := rdb.XInfoConsumers(ctx, "q", "workers").Result()
	ok(t, "XINFO CONSUMERS", err)
	var names []string
	for _, c := range cons {
		names = append(names, c.Name)
	}
	diff(t, "consumers after DELCONSUMER", names, []string{"alice", "carol", "dave", "erin", "frank"})

	n, err = rdb.XGroupDestroy(ctx, "q", "workers").Result()
	ok(t, "XGROUP DESTROY", err)
	diff(t, "XGROUP DESTROY", n, int64(1))
	n, _ = rdb.XGroupDestroy(ctx, "q", "workers").Result()
	diff(t, "XGROUP DESTROY of a destroyed group", n, int64(0))
	_, err = read("alice", ">", 0)
	wantErr(t, "XREADGROUP of a destroyed group", err, "NOGROUP No such key 'q' or consumer group 'workers' in XREADGROUP with GROUP option")
	wantErr(t, "XGROUP SETID of a missing group", rdb.XGroupSetID(ctx, "q", "nogroup", "0").Err(),
		"NOGROUP No such consumer group 'nogroup' for key name 'q'")
}

func scenarioClaiming(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	ok(t, "XGROUP CREATE MKSTREAM", rdb.XGroupCreateMkStream(ctx, "c", "g", "0").Err())
	addSeq(t, env, "c", 1, 5)
	_, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "crashed", Streams: []string{"c", ">"}, Block: -1}).Result()
	ok(t, "XREADGROUP", err)

	claimed, err := rdb.XClaim(ctx, &redis.XClaimArgs{Stream: "c", Group: "g", Consumer: "rescuer", MinIdle: time.Hour, Messages: []string{"1-0", "2-0"}}).Result()
	ok(t, "XCLAIM of entries not idle enough", err)
	diff(t, "XCLAIM with a long min-idle", claimed, []redis.XMessage{})
	waitIdle(t, env, "c", "g", 20*time.Millisecond)
	claimed, err = rdb.XClaim(ctx, &redis.XClaimArgs{Stream: "c", Group: "g", Consumer: "rescuer", MinIdle: 10 * time.Millisecond, Messages: []string{"1-0", "2-0", "42-0"}}).Result()
	ok(t, "XCLAIM", err)
	diff(t, "XCLAIM", claimed, []redis.XMessage{msg("1-0", "i", "1"), msg("2-0", "i", "2")})
	justIDs, err := rdb.XClaimJustID(ctx, &redis.XClaimArgs{Stream: "c", Group: "g", Consumer: "rescuer", Messages: []string{"3-0"}}).Result()
	ok(t, "XCLAIM JUSTID", err)
	diff(t, "XCLAIM JUSTID", justIDs, []string{"3-0"})
	ext, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "c", Group: "g", Start: "-", End: "+", Count: 10}).Result()
	ok(t, "XPENDING", err)
	type pend struct {
		ID, Consumer string
		Count        int64
	}
	var pends []pend
	for _, x := range ext {
		pends = append(pends, pend{x.ID, x.Consumer, x.RetryCount})
	}
	// XCLAIM counts a delivery, XCLAIM JUSTID does not.
	diff(t, "PEL after claiming", pends, []pend{{"1-0", "rescuer", 2}, {"2-0", "rescuer", 2}, {"3-0", "rescuer", 1}, {"4-0", "crashed", 1}, {"5-0", "crashed", 1}})

	msgs, start, err := rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: "c", Group: "g", Consumer: "auto", Start: "0-0", Count: 2}).Result()
	ok(t, "XAUTOCLAIM COUNT 2", err)
	diff(t, "first XAUTOCLAIM page", []any{msgs, start}, []any{[]redis.XMessage{msg("1-0", "i", "1"), msg("2-0", "i", "2")}, "3-0"})
	msgs, start, err = rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: "c", Group: "g", Consumer: "auto", Start: start, Count: 10}).Result()
	ok(t, "XAUTOCLAIM from the cursor", err)
	diff(t, "last XAUTOCLAIM page", []any{ids(msgs), start}, []any{[]string{"3-0", "4-0", "5-0"}, "0-0"})
	justIDs, start, err = rdb.XAutoClaimJustID(ctx, &redis.XAutoClaimArgs{Stream: "c", Group: "g", Consumer: "other", Start: "-", Count: 10}).Result()
	ok(t, "XAUTOCLAIM JUSTID", err)
	diff(t, "XAUTOCLAIM JUSTID", []any{justIDs, start}, []any{[]string{"1-0", "2-0", "3-0", "4-0", "5-0"}, "0-0"})
	msgs, _, err = rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: "c", Group: "g", Consumer: "other", MinIdle: time.Hour, Start: "0-0"}).Result()
	ok(t, "XAUTOCLAIM with a long min-idle", err)
	diff(t, "XAUTOCLAIM of nothing idle enough", msgs, []redis.XMessage{})

	// Entries deleted from the stream leave the PEL when XAUTOCLAIM meets them.
	n, err := rdb.XDel(ctx, "c", "2-0", "4-0").Result()
	ok(t, "XDEL", err)
	diff(t, "XDEL", n, int64(2))
	msgs, start, deleted, err := rdb.XAutoClaimWithDeleted(ctx, &redis.XAutoClaimArgs{Stream: "c", Group: "g", Consumer: "auto", Start: "0-0", Count: 10}).Result()
	ok(t, "XAUTOCLAIM with deleted entries", err)
	diff(t, "XAUTOCLAIM with deleted entries", []any{ids(msgs), start, deleted}, []any{[]string{"1-0", "3-0", "5-0"}, "0-0", []string{"2-0", "4-0"}})
	sum, err := rdb.XPending(ctx, "c", "g").Result()
	ok(t, "XPENDING", err)
	diff(t, "PEL after XAUTOCLAIM dropped deleted entries", sum, &redis.XPending{Count: 3, Lower: "1-0", Higher: "5-0", Consumers: map[string]int64{"auto": 3}})
	_, _, err = rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: "c", Group: "nogroup", Consumer: "x", Start: "0"}).Result()
	wantErr(t, "XAUTOCLAIM of a missing group", err, "NOGROUP No such key 'c' or consumer group 'nogroup'")
}
