package clienttest

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"
)

func scenarioXInfo(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	addSeq(t, env, "info", 1, 3)
	ok(t, "XGROUP CREATE", rdb.XGroupCreate(ctx, "info", "g", "0").Err())
	ok(t, "XREADGROUP", rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"info", ">"}, Count: 2, Block: -1}).Err())
	before := time.Now().Add(-time.Second)

	info, err := rdb.XInfoStream(ctx, "info").Result()
	ok(t, "XINFO STREAM", err)
	want := &redis.XInfoStream{
		Length: 3, RadixTreeKeys: 1, RadixTreeNodes: 2, Groups: 1,
		LastGeneratedID: "3-0", MaxDeletedEntryID: "0-0", EntriesAdded: 3,
		FirstEntry: msg("1-0", "i", "1"), LastEntry: msg("3-0", "i", "3"), RecordedFirstEntryID: "1-0",
	}
	if env.tg.pelican() {
		// Redis 8.6 reports the idempotent-production settings and counters.
		want.IDMPDuration, want.IDMPMaxSize = 100, 100
	}
	diff(t, "XINFO STREAM", info, want)
	_, err = rdb.XInfoStream(ctx, "nokey").Result()
	wantErr(t, "XINFO STREAM of a missing key", err, "ERR no such key")

	full, err := rdb.XInfoStreamFull(ctx, "info", 0).Result()
	ok(t, "XINFO STREAM FULL", err)
	diff(t, "XINFO STREAM FULL entries", full.Entries, []redis.XMessage{msg("1-0", "i", "1"), msg("2-0", "i", "2"), msg("3-0", "i", "3")})
	diff(t, "XINFO STREAM FULL counters", []any{full.Length, full.RadixTreeKeys, full.LastGeneratedID, full.EntriesAdded, full.RecordedFirstEntryID, len(full.Groups)},
		[]any{int64(3), int64(1), "3-0", int64(3), "1-0", 1})
	if len(full.Groups) == 1 {
		g := full.Groups[0]
		diff(t, "XINFO STREAM FULL group", []any{g.Name, g.LastDeliveredID, g.EntriesRead, g.Lag, g.PelCount, len(g.Pending), len(g.Consumers)},
			[]any{"g", "2-0", int64(2), int64(1), int64(2), 2, 1})
		for _, p := range g.Pending {
			if p.Consumer != "c" || p.DeliveryCount != 1 || p.DeliveryTime.Before(before) {
				t.Errorf("group PEL entry %+v, want consumer c, one delivery, a recent delivery time", p)
			}
		}
		if len(g.Consumers) == 1 {
			c := g.Consumers[0]
			diff(t, "XINFO STREAM FULL consumer", []any{c.Name, c.PelCount, len(c.Pending)}, []any{"c", int64(2), 2})
			if c.SeenTime.Before(before) {
				t.Errorf("consumer seen-time %v is not recent", c.SeenTime)
			}
			if env.tg.pelican() && c.ActiveTime.Before(before) {
				t.Errorf("consumer active-time %v is not recent", c.ActiveTime)
			}
			if len(c.Pending) == 2 {
				diff(t, "consumer PEL IDs", []string{c.Pending[0].ID, c.Pending[1].ID}, []string{"1-0", "2-0"})
			}
		}
	}
	full, err = rdb.XInfoStreamFull(ctx, "info", 1).Result()
	ok(t, "XINFO STREAM FULL COUNT 1", err)
	diff(t, "XINFO STREAM FULL COUNT 1 entries", ids(full.Entries), []string{"1-0"})

	groups, err := rdb.XInfoGroups(ctx, "info").Result()
	ok(t, "XINFO GROUPS", err)
	diff(t, "XINFO GROUPS", groups, []redis.XInfoGroup{{Name: "g", Consumers: 1, Pending: 2, LastDeliveredID: "2-0", EntriesRead: 2, Lag: 1}})
	cons, err := rdb.XInfoConsumers(ctx, "info", "g").Result()
	ok(t, "XINFO CONSUMERS", err)
	if len(cons) != 1 {
		t.Fatalf("XINFO CONSUMERS returned %d consumers, want 1", len(cons))
	}
	c := cons[0]
	diff(t, "XINFO CONSUMERS", []any{c.Name, c.Pending}, []any{"c", int64(2)})
	if c.Idle < 0 || c.Idle > time.Minute || c.Inactive < 0 || c.Inactive > time.Minute {
		t.Errorf("consumer idle %v, inactive %v: want recent", c.Idle, c.Inactive)
	}
	_, err = rdb.XInfoConsumers(ctx, "info", "nogroup").Result()
	wantErr(t, "XINFO CONSUMERS of a missing group", err, "NOGROUP No such consumer group 'nogroup' for key name 'info'")
}

func scenarioPipelines(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	var (
		adds  []*redis.StringCmd
		bad   *redis.StringCmd
		xlen  *redis.IntCmd
		xrng  *redis.XMessageSliceCmd
		group *redis.StatusCmd
		read  *redis.XStreamSliceCmd
	)
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range []string{"1-0", "2-0", "3-0"} {
			adds = append(adds, p.XAdd(ctx, &redis.XAddArgs{Stream: "pipe", ID: id, Values: []string{"id", id}}))
		}
		bad = p.XAdd(ctx, &redis.XAddArgs{Stream: "pipe", ID: "2-0", Values: []string{"x", "y"}})
		xlen = p.XLen(ctx, "pipe")
		xrng = p.XRangeN(ctx, "pipe", "-", "+", 2)
		group = p.XGroupCreate(ctx, "pipe", "g", "0")
		read = p.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"pipe", ">"}, Count: 1, Block: -1})
		return nil
	})
	if err == nil || err.Error() != "ERR The ID specified in XADD is equal or smaller than the target stream top item" {
		t.Errorf("Pipelined returned %v, want the failed XADD's error", err)
	}
	diff(t, "pipelined commands", len(cmds), 8)
	for i, c := range adds {
		diff(t, "pipelined XADD", c.Val(), []string{"1-0", "2-0", "3-0"}[i])
	}
	wantErr(t, "pipelined XADD with a small ID", bad.Err(), "ERR The ID specified in XADD is equal or smaller than the target stream top item")
	diff(t, "pipelined XLEN", xlen.Val(), int64(3))
	diff(t, "pipelined XRANGE", xrng.Val(), []redis.XMessage{msg("1-0", "id", "1-0"), msg("2-0", "id", "2-0")})
	diff(t, "pipelined XGROUP CREATE", group.Val(), "OK")
	diff(t, "pipelined XREADGROUP", read.Val(), []redis.XStream{{Stream: "pipe", Messages: []redis.XMessage{msg("1-0", "id", "1-0")}}})

	// A long pipeline comes back complete and in order.
	const n = 2000
	cmds, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < n; i++ {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "longpipe", Values: []any{"n", i}})
		}
		p.XLen(ctx, "longpipe")
		return nil
	})
	ok(t, "long pipeline", err)
	var lastMs, lastSeq uint64
	for i, c := range cmds[:n] {
		ms, seq := parseID(t, c.(*redis.StringCmd).Val())
		if i > 0 && (ms < lastMs || ms == lastMs && seq <= lastSeq) {
			t.Fatalf("reply %d: ID %s does not follow %d-%d", i, c.(*redis.StringCmd).Val(), lastMs, lastSeq)
		}
		lastMs, lastSeq = ms, seq
	}
	diff(t, "XLEN after a long pipeline", cmds[n].(*redis.IntCmd).Val(), int64(n))
}

func scenarioTransactions(t *testing.T, env goRedisEnv) {
	ctx, rdb := env.ctx, env.rdb
	var add *redis.StringCmd
	var xlen *redis.IntCmd
	cmds, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		add = p.XAdd(ctx, &redis.XAddArgs{Stream: "tx", ID: "5-*", Values: []string{"a", "1"}})
		p.XAdd(ctx, &redis.XAddArgs{Stream: "tx", ID: "5-*", Values: []string{"a", "2"}})
		xlen = p.XLen(ctx, "tx")
		return nil
	})
	ok(t, "TxPipelined", err)
	diff(t, "commands in the transaction", len(cmds), 3)
	diff(t, "XADD in MULTI/EXEC", []any{add.Val(), xlen.Val()}, []any{"5-0", int64(2)})

	// A command refused while queuing aborts the whole transaction.
	_, err = rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAdd(ctx, &redis.XAddArgs{Stream: "tx", ID: "6-0", Values: []string{"a", "3"}})
		p.Do(ctx, "xadd", "tx")
		return nil
	})
	wantErr(t, "EXEC after a queuing error", err, "EXECABORT Transaction discarded because of previous errors.")
	n, _ := rdb.XLen(ctx, "tx").Result()
	diff(t, "XLEN after EXECABORT", n, int64(2))

	// A runtime error fails only its own command.
	cmds, err = rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAdd(ctx, &redis.XAddArgs{Stream: "tx", ID: "1-0", Values: []string{"a", "old"}})
		p.XAdd(ctx, &redis.XAddArgs{Stream: "tx", ID: "7-0", Values: []string{"a", "4"}})
		return nil
	})
	wantErr(t, "TxPipelined with a failing XADD", err, "ERR The ID specified in XADD is equal or smaller than the target stream top item")
	if len(cmds) == 2 {
		diff(t, "the transaction's second XADD", cmds[1].(*redis.StringCmd).Val(), "7-0")
	}

	// WATCH: a conflicting write between WATCH and EXEC fails the transaction.
	err = rdb.Watch(ctx, func(tx *redis.Tx) error {
		n, err := tx.XLen(ctx, "tx").Result()
		if err != nil {
			return err
		}
		if err := env.other.XAdd(ctx, &redis.XAddArgs{Stream: "tx", ID: "8-0", Values: []string{"by", "other"}}).Err(); err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "tx", ID: "9-0", Values: []string{"len", strconv.FormatInt(n, 10)}})
			return nil
		})
		return err
	}, "tx")
	diff(t, "EXEC after a conflicting write", err, redis.TxFailedErr, cmpopts.EquateErrors())
	last, _ := rdb.XRevRangeN(ctx, "tx", "+", "-", 1).Result()
	diff(t, "the last entry after the failed EXEC", ids(last), []string{"8-0"})

	// Without a conflict the watched transaction commits.
	err = rdb.Watch(ctx, func(tx *redis.Tx) error {
		if _, err := tx.XLen(ctx, "tx").Result(); err != nil {
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.XAdd(ctx, &redis.XAddArgs{Stream: "tx", ID: "9-0", Values: []string{"by", "watcher"}})
			return nil
		})
		return err
	}, "tx")
	ok(t, "watched transaction without a conflict", err)
	last, _ = rdb.XRevRangeN(ctx, "tx", "+", "-", 1).Result()
	diff(t, "the last entry after EXEC", last, []redis.XMessage{msg("9-0", "by", "watcher")})
	if errors.Is(err, redis.TxFailedErr) {
		t.Errorf("unexpected TxFailedErr")
	}
}
