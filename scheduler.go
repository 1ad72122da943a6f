package pelican

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/rediserr"
)

// The mover: it adds a stream's due scheduled messages (see schedule.go)
// to the stream and removes them from the due-time index and the payload
// hash, each message in one atomic step, so that any number of movers (in
// workers of the stream, in Schedulers, in other processes) may run at
// once and crash at any moment: a message is moved once, and a message
// whose move did not commit is still in the index for the next mover.
//
// Where the server runs Lua scripts a step is moveDueScript, which moves
// up to a batch of due messages; otherwise (or with ForceFallbacks) it is
// one MULTI/EXEC under WATCH of the index, which fails, and is tried
// again, when a producer, a canceller or another mover changed the index
// between the read and the EXEC.

// moveDueScript moves the due scheduled messages of a stream, up to a
// batch. KEYS are the index, the payload hash and the stream; ARGV the
// time (Unix ms) up to which messages are due and the batch size. Per
// message it adds the entry (XADD with the payload's arguments), then
// removes the message from the index and the hash; a message without a
// payload is only removed, and one whose payload it cannot read is left
// for a mover that can. It stops at the first XADD the server refuses
// (OOM, WRONGTYPE), leaving that message and the following ones in the
// index. It returns the number moved, removed without payload and left
// unread, the earliest due time left (or ""), and the refusal's text (or
// "").
var moveDueScript = redis.NewScript(`
local call, find, sub, tonumber, unpack = redis.call, string.find, string.sub, tonumber, unpack
local index, payloads, stream = KEYS[1], KEYS[2], KEYS[3]
local ids = call('zrangebyscore', index, '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local moved, missing, unread = 0, 0, 0
for _, id in ipairs(ids) do
	local p = call('hget', payloads, id)
	local args, ok = {}, true
	if p then
		local pos, len = 1, #p
		while pos <= len do
			local colon = find(p, ':', pos, true)
			local n = colon and tonumber(sub(p, pos, colon - 1))
			if not n then
				ok = false
				break
			end
			args[#args + 1] = sub(p, colon + 1, colon + n)
			pos = colon + n + 1
		end
		ok = ok and args[1] == '1'
	end
	if not ok then
		unread = unread + 1
	else
		if p then
			local r = redis.pcall('xadd', stream, unpack(args, 2))
			if type(r) == 'table' and r.err then
				return {moved, missing, unread, '', r.err}
			end
			moved = moved + 1
		else
			missing = missing + 1
		end
		call('zrem', index, id)
		call('hdel', payloads, id)
	end
end
local first = call('zrange', index, 0, 0, 'WITHSCORES')
return {moved, missing, unread, first[2] or '', ''}
`)

// moveResult is what one step of the mover did.
type moveResult struct {
	// moved were added to the stream; missing had no payload and were
	// dropped from the index; unread have payloads this version cannot
	// read, and were left.
	moved, missing, unread int
	// next is the earliest due time left in the index; zero if empty.
	next time.Time
}

// errMoveRefused wraps the server's refusal of a scheduled message's
// XADD.
var errMoveRefused = errors.New("the server refused to add a scheduled message")

// serverReply is an error reply of the server received inside a
// script's reply: a redis.Error, so that rediserr classifies it.
type serverReply string

func (r serverReply) Error() string { return string(r) }

// RedisError marks serverReply as a redis.Error.
func (serverReply) RedisError() {}

// moveDue moves the messages of stream due by now into it, up to limit,
// in one atomic step.
func (c *Client) moveDue(ctx context.Context, stream string, now time.Time, limit int) (moveResult, error) {
	caps, err := c.Capabilities(ctx)
	if err != nil {
		return moveResult{}, err
	}
	if caps.Scripting && !c.noScripts.Load() {
		r, err := c.moveDueByScript(ctx, stream, now, limit)
		if !refusesScripts(err) {
			return r, err
		}
		c.noScripts.Store(true)
		c.log.Warn("pelican: the server refuses Lua scripts; scheduled messages are moved under WATCH instead", "err", err)
	}
	return c.moveDueWatched(ctx, stream, now, limit)
}

func (c *Client) moveDueByScript(ctx context.Context, stream string, now time.Time, limit int) (moveResult, error) {
	keys := []string{scheduledKey(stream), scheduledPayloadsKey(stream), stream}
	crashPoint("before-schedule-move")
	v, err := moveDueScript.Run(ctx, c.rdb, keys, now.UnixMilli(), limit).Slice()
	if err != nil {
		return moveResult{}, err
	}
	crashPoint("after-schedule-move")
	if len(v) != 5 {
		return moveResult{}, fmt.Errorf("pelican: unexpected reply of the move script: %v", v)
	}
	var r moveResult
	n := func(x any) int { i, _ := x.(int64); return int(i) }
	r.moved, r.missing, r.unread = n(v[0]), n(v[1]), n(v[2])
	if s, _ := v[3].(string); s != "" {
		ms, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return r, fmt.Errorf("pelican: unexpected due time %q in %s", s, scheduledKey(stream))
		}
		r.next = time.UnixMilli(int64(ms))
	}
	if s, _ := v[4].(string); s != "" {
		return r, fmt.Errorf("pelican: moving scheduled messages into %s: %w: %w", stream, errMoveRefused, serverReply(s))
	}
	return r, nil
}

// moveDueWatched is moveDue without scripts: under WATCH of the index it
// reads the due messages, their payloads and the stream's type, then adds
// them and removes them from the index and the hash in one MULTI/EXEC.
// The stream's type is checked so that an XADD that EXEC would refuse
// does not go with the removal of its message (a type that changes
// between the check and EXEC is not caught: the script has no such
// window).
func (c *Client) moveDueWatched(ctx context.Context, stream string, now time.Time, limit int) (moveResult, error) {
	index, payloads := scheduledKey(stream), scheduledPayloadsKey(stream)
	max := strconv.FormatInt(now.UnixMilli(), 10)
	for attempt := 0; attempt < 10; attempt++ {
		var r moveResult
		err := c.rdb.Watch(ctx, func(tx *redis.Tx) error {
			ids, err := tx.ZRangeArgs(ctx, redis.ZRangeArgs{Key: index, Start: "-inf", Stop: max, ByScore: true, Count: int64(limit)}).Result()
			if err != nil {
				return err
			}
			var first *redis.ZSliceCmd
			if len(ids) == 0 {
				first = tx.ZRangeWithScores(ctx, index, 0, 0)
				r.next = firstDue(first)
				return first.Err()
			}
			var raw *redis.SliceCmd
			var typ *redis.StatusCmd
			if _, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
				raw = p.HMGet(ctx, payloads, ids...)
				typ = p.Type(ctx, stream)
				return nil
			}); err != nil {
				return err
			}
			if t := typ.Val(); t != "none" && t != "stream" {
				return fmt.Errorf("pelican: moving scheduled messages into %s: %w: %w", stream, errMoveRefused,
					serverReply("WRONGTYPE Operation against a key holding the wrong kind of value"))
			}
			var done []string
			var adds [][]any
			for i, id := range ids {
				s, ok := raw.Val()[i].(string)
				if !ok {
					r.missing++
					done = append(done, id)
					continue
				}
				args, err := scheduleCodec{}.decode(s)
				if err != nil {
					r.unread++
					continue
				}
				add := make([]any, 0, len(args)+2)
				add = append(add, "xadd", stream)
				for _, a := range args {
					add = append(add, a)
				}
				adds = append(adds, add)
				done = append(done, id)
			}
			if len(done) == 0 {
				first = tx.ZRangeWithScores(ctx, index, 0, 0)
				r.next = firstDue(first)
				return first.Err()
			}
			crashPoint("before-schedule-move")
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				for _, add := range adds {
					p.Do(ctx, add...)
				}
				p.ZRem(ctx, index, toAny(done)...)
				p.HDel(ctx, payloads, done...)
				first = p.ZRangeWithScores(ctx, index, 0, 0)
				return nil
			})
			if err != nil {
				return err
			}
			crashPoint("after-schedule-move")
			r.moved = len(adds)
			r.next = firstDue(first)
			return nil
		}, index)
		if errors.Is(err, redis.TxFailedErr) {
			continue // the index changed meanwhile
		}
		return r, err
	}
	return moveResult{}, nil // too much contention: the next step tries again
}

// firstDue returns the due time of the first member of a ZRANGE 0 0
// WITHSCORES reply; zero if none.
func firstDue(cmd *redis.ZSliceCmd) time.Time {
	if z := cmd.Val(); len(z) > 0 {
		return time.UnixMilli(int64(z[0].Score))
	}
	return time.Time{}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// mover moves one stream's scheduled messages as they fall due: it steps
// until nothing is due, then sleeps until the earliest due time it saw or
// for its interval, whichever is sooner (messages scheduled by other
// processes are seen within the interval), or until a publish of this
// client schedules a message earlier than it would wake.
type mover struct {
	c        *Client
	stream   string
	interval time.Duration
	batch    int
	// onErr receives a failed step's error, and nil after a step that
	// worked.
	onErr func(ctx context.Context, err error)
	moved atomic.Int64

	// wakeAt is when the mover means to step next, in Unix ms; wake
	// signals it to step sooner.
	wakeAt atomic.Int64
	wake   chan struct{}
}

func newMover(c *Client, stream string, interval time.Duration, batch int, onErr func(context.Context, error)) *mover {
	return &mover{c: c, stream: stream, interval: interval, batch: batch, onErr: onErr, wake: make(chan struct{}, 1)}
}

// run moves the stream's due messages until ctx ends.
func (m *mover) run(ctx context.Context) {
	m.c.movers.add(m)
	defer m.c.movers.remove(m)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		}
		// A message scheduled during the pass wakes it again.
		m.wakeAt.Store(math.MaxInt64)
		next, err := m.pass(ctx)
		if ctx.Err() != nil {
			return
		}
		if lacksSortedSets(err) {
			m.c.log.Warn("pelican: the server has no sorted sets: this stream's scheduled messages are not moved here",
				"stream", m.stream, "err", err)
			return
		}
		m.onErr(ctx, err)
		wait := m.interval
		if err == nil && !next.IsZero() {
			wait = min(wait, max(next.Sub(m.c.clock.Now()), 0))
		}
		m.wakeAt.Store(m.c.clock.Now().Add(wait).UnixMilli())
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(wait)
	}
}

// pass steps until no more messages are due, and returns the earliest
// due time left (zero if none). A step that leaves unread messages due
// makes it return a time past the interval, so that they do not make it
// spin.
func (m *mover) pass(ctx context.Context) (time.Time, error) {
	for {
		now := m.c.clock.Now()
		r, err := m.c.moveDue(ctx, m.stream, now, m.batch)
		m.moved.Add(int64(r.moved))
		if err != nil {
			return time.Time{}, err
		}
		if r.unread > 0 {
			m.c.log.Warn("pelican: scheduled messages in a format this version cannot read were left for another mover",
				"stream", m.stream, "count", r.unread)
			return now.Add(m.interval), nil
		}
		if r.moved+r.missing < m.batch {
			return r.next, nil
		}
	}
}

// lacksSortedSets reports whether err says the server has no sorted-set
// commands, as a command or inside a script. Such a server cannot hold
// scheduled messages: its movers stop.
func lacksSortedSets(err error) bool {
	return err != nil && (rediserr.IsUnknownCommand(err) || strings.Contains(err.Error(), "Unknown Redis command called from script"))
}

// movers are the movers running with a client, by stream, so that a
// publish that schedules a message wakes those that would wake later.
type movers struct {
	mu       sync.Mutex
	byStream map[string][]*mover
}

func (ms *movers) add(m *mover) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.byStream == nil {
		ms.byStream = map[string][]*mover{}
	}
	ms.byStream[m.stream] = append(ms.byStream[m.stream], m)
}

func (ms *movers) remove(m *mover) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	list := ms.byStream[m.stream]
	for i, x := range list {
		if x == m {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(ms.byStream, m.stream)
	} else {
		ms.byStream[m.stream] = list
	}
}

// wake tells the movers of stream that a message is due at due, now:
// those that mean to wake later, or are late to wake (the clock jumped),
// step at once.
func (ms *movers) wake(stream string, due, now time.Time) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	dueMs, nowMs := due.UnixMilli(), now.UnixMilli()
	for _, m := range ms.byStream[stream] {
		if at := m.wakeAt.Load(); dueMs < at || nowMs >= at {
			m.wakeAt.Store(dueMs)
			select {
			case m.wake <- struct{}{}:
			default:
			}
		}
	}
}

// SchedulerConfig configures a Scheduler. Streams is required.
type SchedulerConfig struct {
	// Streams are the streams whose scheduled messages the scheduler
	// moves.
	Streams []string
	// Interval is the longest the scheduler waits between looks at a
	// stream's due-time index: it wakes at the earliest due time it has
	// seen, and within Interval for messages scheduled since by other
	// processes. If zero, 1s.
	Interval time.Duration
	// BatchSize is the most messages one atomic step moves. If zero, 256.
	BatchSize int
	// Logger receives what the scheduler logs. If nil, the client's.
	Logger *slog.Logger
}

// Scheduler moves the scheduled messages of streams into them as they
// fall due (see docs/scheduling.md). Workers do this for their own stream
// already (WorkerConfig.ScheduleInterval); a Scheduler serves processes
// that only publish. Any number of schedulers and workers may move the
// messages of a stream at once: each message is moved exactly once.
type Scheduler struct {
	c      *Client
	cfg    SchedulerConfig
	log    *slog.Logger
	movers []*mover
	ran    atomic.Bool
}

// NewScheduler returns a scheduler of the streams cfg names.
func (c *Client) NewScheduler(cfg SchedulerConfig) (*Scheduler, error) {
	if len(cfg.Streams) == 0 {
		return nil, fmt.Errorf("%w: a Scheduler needs at least one stream", ErrInvalidConfig)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = defaultScheduleBatch
	}
	s := &Scheduler{c: c, cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = c.log
	}
	for _, stream := range cfg.Streams {
		s.movers = append(s.movers, newMover(c, stream, cfg.Interval, cfg.BatchSize, s.reportFunc(stream)))
	}
	return s, nil
}

// defaultScheduleBatch is how many messages one step of a mover moves by
// default: enough to move a backlog quickly, few enough that the server
// is not held for long by one script.
const defaultScheduleBatch = 256

// reportFunc returns the error reporter of stream's mover: it logs the
// first failure after a success, and the recovery.
func (s *Scheduler) reportFunc(stream string) func(context.Context, error) {
	failing := false
	return func(ctx context.Context, err error) {
		switch {
		case err != nil && !failing:
			failing = true
			s.log.Warn("pelican: moving scheduled messages failed; trying again", "stream", stream, "err", err)
		case err == nil && failing:
			failing = false
			s.log.Info("pelican: moving scheduled messages works again", "stream", stream)
		}
	}
}

// ErrSchedulerRan means Run was called on a scheduler that has run
// already.
var ErrSchedulerRan = errors.New("pelican: a scheduler runs once; make a new one with NewScheduler")

// Run moves due messages until ctx ends, then returns nil.
func (s *Scheduler) Run(ctx context.Context) error {
	if !s.ran.CompareAndSwap(false, true) {
		return ErrSchedulerRan
	}
	var wg sync.WaitGroup
	for _, m := range s.movers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.run(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// MoveDue moves every message due now, by the client's clock, into its
// stream, once, and returns how many it moved. Run does this as messages
// fall due; MoveDue serves a process that moves them on its own schedule
// (and tests).
func (s *Scheduler) MoveDue(ctx context.Context) (int, error) {
	total := 0
	for _, m := range s.movers {
		before := m.moved.Load()
		_, err := m.pass(ctx)
		total += int(m.moved.Load() - before)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Moved returns how many messages the scheduler has moved.
func (s *Scheduler) Moved() int64 {
	var n int64
	for _, m := range s.movers {
		n += m.moved.Load()
	}
	return n
}

// RunScheduler moves the scheduled messages of streams as they fall due,
// with the default SchedulerConfig, until ctx ends.
func (c *Client) RunScheduler(ctx context.Context, streams ...string) error {
	s, err := c.NewScheduler(SchedulerConfig{Streams: streams})
	if err != nil {
		return err
	}
	return s.Run(ctx)
}
