package pelican

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/rediserr"
	"github.com/pelicanhq/pelican/internal/watch"
)

// DeadLetterStreamOf returns the default dead-letter stream of stream:
// stream + ":dlq", which shares its Redis Cluster hash tag.
func DeadLetterStreamOf(stream string) string { return stream + ":dlq" }

// deadMarkerTTL is how long the marker that makes a dead-letter move
// happen once lives: far longer than two workers can race on a message.
const deadMarkerTTL = 24 * time.Hour

// deadRequest is a message to move to the dead-letter stream, and why.
type deadRequest struct {
	m     *Message
	class string
	cause error
}

// deadLetter moves the messages of reqs to the dead-letter stream: each
// message is added with its metadata to the dead-letter stream,
// acknowledged in its group and its failure record dropped, atomically, so
// that a crash leaves every message in exactly one place, and only if it
// was still pending, so that two workers racing on a message move it
// once. Where the server runs Lua scripts this is one script per batch
// (moveByScript); otherwise one MULTI/EXEC under WATCH of a marker per
// message (moveWatched). It releases the messages it is done with (moved,
// settled by another worker, or refused for good: they stay pending) and
// returns those to try again because the server could not be reached.
func (w *Worker) deadLetter(ctx context.Context, reqs []deadRequest) (retry []deadRequest) {
	now := w.c.clock.Now()
	letters := make([]DeadLetter, len(reqs))
	fields := make([][]any, len(reqs))
	ids := make([]string, len(reqs))
	nowMs := any(now.UnixMilli()) // boxed once for the batch
	for i, r := range reqs {
		letters[i], fields[i] = w.deadLetterEntry(r, now, nowMs)
		ids[i] = r.m.ID
	}
	// Which form moves a message depends only on the message and the
	// server, so that every worker moves it the same way: the two forms
	// guard against each other's moves only in exactly-once mode.
	var byScript, watched []int
	for i, f := range fields {
		if w.caps.Scripting && !w.c.noScripts.Load() && len(f) <= maxScriptFields {
			byScript = append(byScript, i)
		} else {
			watched = append(watched, i)
		}
	}
	moved := make([]bool, len(reqs))
	failed := make([]bool, len(reqs))
	fail := func(idx []int, err error) {
		w.health.report(err)
		if isTransient(err) {
			for _, i := range idx {
				failed[i] = true
				retry = append(retry, reqs[i])
			}
			return
		}
		w.moveFailed(reqs, idx, err)
	}
	if len(byScript) > 0 {
		err := w.moveSome(ctx, byScript, reqs, letters, fields, ids, moved, w.moveByScript)
		if refusesScripts(err) {
			w.c.noScripts.Store(true)
			w.log.Warn("pelican: the server refuses Lua scripts; dead-letter moves run under WATCH instead", "err", err)
			watched, err = append(watched, byScript...), nil
		}
		if err != nil {
			fail(byScript, err)
		}
	}
	if len(watched) > 0 {
		if err := w.moveSome(ctx, watched, reqs, letters, fields, ids, moved, w.moveWatched); err != nil {
			fail(watched, err)
		}
	}
	for i := range letters {
		if failed[i] {
			continue
		}
		w.inflight.release(reqs[i].m)
		if !moved[i] {
			continue
		}
		d := &letters[i]
		w.stats.deadLettered.Add(1)
		w.log.LogAttrs(ctx, slog.LevelWarn, "pelican: message failed and moved to the dead-letter stream",
			slog.String("id", d.OriginalID), slog.Int64("deliveries", d.Deliveries),
			slog.Int("max_deliveries", w.cfg.MaxDeliveries), slog.String("class", d.Class), slog.String("err", d.Error),
			slog.String("dlq", w.cfg.DeadLetterStream), slog.String("dlq_id", d.ID))
		if w.cfg.OnDeadLetter != nil {
			d.Values, d.Headers = userValues(reqs[i].m.Values), headersOf(reqs[i].m.Values)
			w.cfg.OnDeadLetter(ctx, *d)
		}
	}
	return retry
}

// moveSome moves the messages at positions idx of a batch with move,
// marking them in moved.
func (w *Worker) moveSome(ctx context.Context, idx []int, reqs []deadRequest, letters []DeadLetter, fields [][]any, ids []string, moved []bool,
	move func(context.Context, []deadRequest, []DeadLetter, [][]any, []string) ([]bool, error)) error {
	if len(idx) == len(reqs) {
		done, err := move(ctx, reqs, letters, fields, ids)
		if err == nil {
			copy(moved, done)
		}
		return err
	}
	subReqs, subLetters := make([]deadRequest, len(idx)), make([]DeadLetter, len(idx))
	subFields, subIDs := make([][]any, len(idx)), make([]string, len(idx))
	for j, i := range idx {
		subReqs[j], subLetters[j], subFields[j], subIDs[j] = reqs[i], letters[i], fields[i], ids[i]
	}
	done, err := move(ctx, subReqs, subLetters, subFields, subIDs)
	if err != nil {
		return err
	}
	for j, i := range idx {
		moved[i], letters[i].ID = done[j], subLetters[j].ID
	}
	return nil
}

// moveFailed logs a failed move of the messages at positions idx.
func (w *Worker) moveFailed(reqs []deadRequest, idx []int, err error) {
	for _, i := range idx {
		w.logFailure(reqs[i].m, reqs[i].class, reqs[i].cause, 0)
	}
	w.log.Error("pelican: moving messages to the dead-letter stream failed; they stay pending", "count", len(idx), "err", err)
}

// deadLetterScript moves a batch of messages to the dead-letter stream:
// each one that its XACK finds pending is added to the dead-letter stream;
// the others were settled by another worker. It first checks the types of
// the keys it writes, so that it fails before writing rather than after
// acknowledging a message it then cannot add. KEYS are the stream, the
// dead-letter stream, the failure records and, in exactly-once mode, each
// message's dead-letter marker (set, so that a worker about to commit the
// message fails its EXEC). ARGV are the group, the markers' TTL in ms (0
// without markers), then per message its ID, its number of field values
// and those values. It returns, per message, its ID in the dead-letter
// stream or nil.
var deadLetterScript = redis.NewScript(`
local call, unpack, tonumber = redis.call, unpack, tonumber
local stream, dlq, failures = KEYS[1], KEYS[2], KEYS[3]
for key, want in pairs({[dlq] = 'stream', [failures] = 'hash'}) do
	local t = call('type', key)['ok']
	if t ~= 'none' and t ~= want then
		return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value')
	end
end
local argv = ARGV
local group, ttl, last = argv[1], tonumber(argv[2]), #argv
local out, done = {}, {}
local i, k, m = 3, 4, 0
while i <= last do
	local id, n = argv[i], tonumber(argv[i + 1])
	m = m + 1
	if call('xack', stream, group, id) == 1 then
		out[m] = call('xadd', dlq, '*', unpack(argv, i + 2, i + 1 + n))
		done[#done + 1] = id
		if ttl > 0 then
			call('set', KEYS[k], '1', 'PX', ttl)
		end
	else
		out[m] = false
	end
	if ttl > 0 then
		k = k + 1
	end
	i = i + 2 + n
end
for j = 1, #done, 1000 do
	call('hdel', failures, unpack(done, j, math.min(j + 999, #done)))
end
return out
`)

// moveByScript is deadLetter's move with deadLetterScript, in one round
// trip. It reports which messages it moved, setting their letters' IDs.
func (w *Worker) moveByScript(ctx context.Context, reqs []deadRequest, letters []DeadLetter, fields [][]any, ids []string) ([]bool, error) {
	keys := []string{w.cfg.Stream, w.cfg.DeadLetterStream, w.keys.failures()}
	ttl := int64(0)
	if w.cfg.ExactlyOnce {
		ttl = deadMarkerTTL.Milliseconds()
		for _, id := range ids {
			keys = append(keys, w.keys.deadMarker(id))
		}
	}
	n := 2
	for _, f := range fields {
		n += 2 + len(f)
	}
	args := make([]any, 0, n)
	args = append(args, w.cfg.Group, ttl)
	for i, f := range fields {
		args = append(args, ids[i], len(f))
		args = append(args, f...)
	}
	crashPoint("before-dead-letter")
	res, err := deadLetterScript.Run(ctx, w.c.rdb, keys, args...).Slice()
	if err != nil {
		return nil, err
	}
	if len(res) != len(reqs) {
		return nil, fmt.Errorf("pelican: the dead-letter script returned %d results for %d messages", len(res), len(reqs))
	}
	moved := make([]bool, len(reqs))
	for i, v := range res {
		if id, ok := v.(string); ok {
			letters[i].ID, moved[i] = id, true
		}
	}
	crashPoint("after-dead-letter")
	return moved, nil
}

// maxScriptFields is the most field values of one message the script
// passes to XADD: Redis's Lua unpacks at most about 8,000 values at once.
const maxScriptFields = 7000

// errWrongType is the WATCH form's error for a dead-letter stream (or
// failures hash) key of another type: the reply the script form gets from
// the server in the same case, so that both forms report it alike.
var errWrongType = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")

// typeIs reports whether TYPE's reply t is want or none.
func typeIs(t, want string) bool { return t == want || t == "none" }

// refusesScripts reports whether err says the server does not run Lua
// scripts for this client (scripting disabled, or denied by ACL).
func refusesScripts(err error) bool {
	return rediserr.IsUnknownCommand(err) || rediserr.IsNoPerm(err)
}

// moveWatched is deadLetter's move for servers without scripts: one
// MULTI/EXEC that also sets a marker per message, under WATCH of the
// markers, whose existence means a message was settled: its dead-letter
// marker and, in exactly-once mode, its done marker (so that a message
// another worker processed meanwhile is not also dead-lettered). Messages
// whose markers exist are only acknowledged. The types of the keys it
// writes are checked in the same round trip as the markers (a key whose
// type changes between that check and EXEC is not caught: the script has
// no such window).
func (w *Worker) moveWatched(ctx context.Context, reqs []deadRequest, letters []DeadLetter, fields [][]any, ids []string) ([]bool, error) {
	per := 1
	if w.cfg.ExactlyOnce {
		per = 2
	}
	markers := make([]string, 0, per*len(reqs))
	for _, r := range reqs {
		markers = append(markers, w.keys.deadMarker(r.m.ID))
		if w.cfg.ExactlyOnce {
			markers = append(markers, w.keys.doneMarker(r.m.ID))
		}
	}
	moved := make([]bool, len(reqs))
	for attempt := 0; ; attempt++ {
		var mget *redis.SliceCmd
		var dlqType, failuresType *redis.StatusCmd
		err := watch.Run(ctx, w.c.rdb, markers, func(p redis.Pipeliner) {
			mget = p.MGet(ctx, markers...)
			dlqType, failuresType = p.Type(ctx, w.cfg.DeadLetterStream), p.Type(ctx, w.keys.failures())
		}, func(t *watch.Tx, _ []redis.Cmder, err error) error {
			if err != nil {
				return err
			}
			// A command that fails inside EXEC does not stop the others:
			// an XADD refused by a key of another type would leave its
			// message acknowledged and not moved. Refuse before.
			if !typeIs(dlqType.Val(), "stream") || !typeIs(failuresType.Val(), "hash") {
				return errWrongType
			}
			found := mget.Val()
			adds := make([]*redis.StringCmd, len(reqs))
			var fresh []string
			crashPoint("before-dead-letter")
			_, err = t.Exec(ctx, func(p redis.Pipeliner) {
				for i := range reqs {
					if slices.ContainsFunc(found[i*per:(i+1)*per], func(v any) bool { return v != nil }) {
						// Another worker moved it (or, in exactly-once mode,
						// processed it): only make sure it is acknowledged.
						continue
					}
					fresh = append(fresh, ids[i])
					adds[i] = p.XAdd(ctx, &redis.XAddArgs{Stream: w.cfg.DeadLetterStream, Values: fields[i]})
					p.Set(ctx, markers[i*per], "1", deadMarkerTTL)
				}
				p.XAck(ctx, w.cfg.Stream, w.cfg.Group, ids...)
				if len(fresh) > 0 {
					p.HDel(ctx, w.keys.failures(), fresh...)
				}
			})
			if err != nil {
				return err
			}
			for i, add := range adds {
				if add != nil {
					letters[i].ID, moved[i] = add.Val(), true
				}
			}
			crashPoint("after-dead-letter")
			return nil
		})
		if err == nil {
			return moved, nil
		}
		if !errors.Is(err, redis.TxFailedErr) || attempt >= 3 {
			return nil, err
		}
		// A marker changed: look again.
	}
}

// deadLetterEntry returns the description of a dead letter (without its
// Values, which only the OnDeadLetter hook needs) and the fields of its
// entry in the dead-letter stream: the message's own fields, then the
// metadata.
// nowMs is now in Unix ms.
func (w *Worker) deadLetterEntry(r deadRequest, now time.Time, nowMs any) (DeadLetter, []any) {
	m := r.m
	d := DeadLetter{
		OriginalID: m.ID, Stream: w.cfg.Stream, Group: w.cfg.Group, Consumer: w.cfg.Consumer,
		Deliveries: m.Deliveries, FirstFailure: now, LastFailure: now, DeadAt: now,
		Error: causeText(r.cause), Class: r.class, Stack: stackOf(r.cause), Redrives: redrivesOf(m.Values),
		ContentType: m.Values[FieldContentType],
	}
	if m.failure != nil {
		d.FirstFailure = m.failure.First
		if r.class == ClassMaxDeliveries {
			d.LastFailure, d.Class, d.Stack = m.failure.Last, m.failure.Class, m.failure.Stack
		}
	}
	boxed := boxedMeta{stream: w.boxed.stream, group: w.boxed.group, consumer: w.boxed.consumer, deadAt: nowMs}
	if d.FirstFailure.Equal(now) {
		boxed.firstFailure = nowMs
	}
	if d.LastFailure.Equal(now) {
		boxed.lastFailure = nowMs
	}
	return d, appendDeadLetterFields(make([]any, 0, 2*len(m.Values)+22), &d, m.Values, &boxed)
}
