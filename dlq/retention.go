package dlq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/streamid"
)

// Retention caps a dead-letter stream. Pelican never caps or expires a
// dead-letter stream by itself: only Enforce (or RunRetention) with a
// Retention that sets MaxLen or MaxAge evicts, and then every eviction is
// counted in Redis (Evictions), logged, and preceded by an alert.
// The zero Retention evicts nothing and alerts about nothing.
type Retention struct {
	// MaxLen is how many entries the stream may hold: Enforce evicts the
	// oldest beyond it (XTRIM MAXLEN =). If zero, no cap.
	MaxLen int64
	// MaxAge is how long an entry may stay: Enforce evicts those added to
	// the stream longer ago (XTRIM MINID =, the cut taken from the
	// client's Clock and the time in the entries' IDs). If zero, no limit.
	MaxAge time.Duration
	// WarnAt is the fraction of MaxLen, and of MaxAge, at which OnAlert
	// is called: when the stream's length reaches WarnAt×MaxLen or its
	// oldest entry's age WarnAt×MaxAge, before the cap bites. If zero,
	// 0.8. It must lie in (0, 1].
	WarnAt float64
	// OnAlert, if set, is called by every Enforce that finds a threshold
	// reached, once per threshold.
	OnAlert func(context.Context, RetentionAlert)
}

// ErrBadRetention means a Retention's fields are out of range.
var ErrBadRetention = errors.New("dlq: bad retention")

// Validate reports whether the fields are in range.
func (r Retention) Validate() error {
	switch {
	case r.MaxLen < 0:
		return fmt.Errorf("%w: negative MaxLen %d", ErrBadRetention, r.MaxLen)
	case r.MaxAge < 0:
		return fmt.Errorf("%w: negative MaxAge %v", ErrBadRetention, r.MaxAge)
	case math.IsNaN(r.WarnAt) || r.WarnAt < 0 || r.WarnAt > 1:
		return fmt.Errorf("%w: WarnAt %v is not in (0, 1]", ErrBadRetention, r.WarnAt)
	case r.MaxAge > 0 && r.MaxAge < time.Millisecond:
		return fmt.Errorf("%w: MaxAge %v is under a millisecond, the resolution of stream IDs", ErrBadRetention, r.MaxAge)
	}
	return nil
}

func (r Retention) warnAt() float64 {
	if r.WarnAt == 0 {
		return 0.8
	}
	return r.WarnAt
}

// Eviction reasons, in RetentionAlert.Reason, in the logs and in the
// counters of <dlq>:pelican:retention.
const (
	ReasonMaxLen = "max-len" // the stream held more than MaxLen entries
	ReasonMaxAge = "max-age" // the entries were older than MaxAge
)

// RetentionAlert says that a dead-letter stream is close to its cap.
type RetentionAlert struct {
	// Queue is the dead-letter stream's key.
	Queue string
	// Reason is the threshold reached: ReasonMaxLen or ReasonMaxAge.
	Reason string
	// Len and MaxLen are the stream's length (after this enforcement's
	// evictions) and its cap.
	Len, MaxLen int64
	// OldestAge and MaxAge are the age of its oldest entry (after the
	// evictions) and the limit.
	OldestAge, MaxAge time.Duration
	// Evicted is how many entries this enforcement evicted, for both
	// reasons.
	Evicted int64
}

// Enforced says what Enforce did and found.
type Enforced struct {
	// EvictedByLen and EvictedByAge count the entries evicted for
	// exceeding MaxLen and MaxAge.
	EvictedByLen, EvictedByAge int64
	// OldestEvicted is the ID of the oldest entry evicted; empty if none
	// was.
	OldestEvicted string
	// Len is the stream's length afterwards.
	Len int64
	// OldestAge is its oldest entry's age afterwards (by its ID); zero
	// when it is empty.
	OldestAge time.Duration
	// Alerts are the thresholds found reached, each passed to OnAlert.
	Alerts []RetentionAlert
}

// CountersKey is the hash where retention keeps the running totals of
// its evictions from the dead-letter stream dlqStream: fields
// "evicted:<reason>" (entries evicted for that reason, ever, by every
// process) and "last-eviction" (Unix ms). ParseCounters reads it.
func CountersKey(dlqStream string) string { return dlqStream + ":pelican:retention" }

// Fields of CountersKey.
const (
	evictedPrefix     = "evicted:" // + reason
	lastEvictionField = "last-eviction"
)

// Counters are the running totals kept in CountersKey.
type Counters struct {
	// Evicted counts the entries evicted, ever, for every reason.
	Evicted int64
	// EvictedBy counts them by reason (ReasonMaxLen, ReasonMaxAge); a
	// field "evicted" that names no reason counts under "". Nil when
	// nothing was evicted.
	EvictedBy map[string]int64
	// LastEviction is when entries were last evicted; zero if never.
	LastEviction time.Time
}

// ParseCounters reads Counters from the reply of HGETALL CountersKey(s);
// fields it does not know are ignored. A count that is not a number is
// left out of the Counters, which hold the others, and named in the
// error; a last-eviction that is not a number leaves LastEviction zero.
func ParseCounters(fields map[string]string) (Counters, error) {
	var c Counters
	var bad []string
	for f, v := range fields {
		reason, ok := strings.CutPrefix(f, evictedPrefix)
		if f == "evicted" {
			reason, ok = "", true
		}
		switch {
		case ok:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s = %q", f, v))
				continue
			}
			if c.EvictedBy == nil {
				c.EvictedBy = map[string]int64{}
			}
			c.EvictedBy[reason] += n
			c.Evicted += n
		case f == lastEvictionField:
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
				c.LastEviction = time.UnixMilli(ms)
			}
		}
	}
	if bad != nil {
		slices.Sort(bad)
		return c, fmt.Errorf("dlq: eviction counters that are not numbers: %s", strings.Join(bad, ", "))
	}
	return c, nil
}

// Enforce applies r once: it evicts the entries older than r.MaxAge, then
// the oldest beyond r.MaxLen, in one MULTI/EXEC (exact XTRIM MINID and
// MAXLEN, which never remove more than the cap demands, even with several
// processes enforcing at once); adds the evictions to the counters every
// process shares (Evictions); logs each reason's evictions at Warn with
// their count and the oldest ID evicted; drops the evicted entries'
// notes; and calls r.OnAlert for each threshold reached. The zero
// Retention does nothing. An absent stream is empty; a key of another
// type is ErrWrongType and is left alone.
func (q *Queue) Enforce(ctx context.Context, r Retention) (Enforced, error) {
	var res Enforced
	if err := r.Validate(); err != nil {
		return res, err
	}
	if r.MaxLen == 0 && r.MaxAge == 0 {
		return res, nil
	}
	now := q.c.Clock().Now()
	var firsts [3]*redis.XMessageSliceCmd
	var byAge, byLen, length *redis.IntCmd
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		firsts[0] = p.XRangeN(ctx, q.name, "-", "+", 1)
		if r.MaxAge > 0 {
			cut := max(now.Add(-r.MaxAge).UnixMilli(), 0)
			byAge = p.XTrimMinID(ctx, q.name, strconv.FormatInt(cut, 10)+"-0")
		}
		firsts[1] = p.XRangeN(ctx, q.name, "-", "+", 1)
		if r.MaxLen > 0 {
			byLen = p.XTrimMaxLen(ctx, q.name, r.MaxLen)
		}
		firsts[2] = p.XRangeN(ctx, q.name, "-", "+", 1)
		length = p.XLen(ctx, q.name)
		return nil
	})
	if err != nil {
		return res, q.wrap("XTRIM", err)
	}
	first := func(i int) string {
		if msgs := firsts[i].Val(); len(msgs) > 0 {
			return msgs[0].ID
		}
		return ""
	}
	if byAge != nil {
		res.EvictedByAge = byAge.Val()
	}
	if byLen != nil {
		res.EvictedByLen = byLen.Val()
	}
	res.Len = length.Val()
	if oldest := first(2); oldest != "" {
		if id, ok := streamid.Parse(oldest); ok {
			res.OldestAge = max(now.Sub(id.Time()), 0)
		}
	}
	if res.EvictedByAge > 0 {
		res.OldestEvicted = first(0)
	} else if res.EvictedByLen > 0 {
		res.OldestEvicted = first(1)
	}
	if err := q.recordEvictions(ctx, r, res, first(0), first(1), first(2), now); err != nil {
		return res, err
	}
	res.Alerts = r.alerts(q.name, res)
	if r.OnAlert != nil {
		for _, a := range res.Alerts {
			r.OnAlert(ctx, a)
		}
	}
	return res, nil
}

// recordEvictions counts, logs and cleans up after the evictions of res.
// firstBefore, firstAfterAge and firstAfter are the stream's first IDs
// before the evictions, after those by age and after all.
func (q *Queue) recordEvictions(ctx context.Context, r Retention, res Enforced, firstBefore, firstAfterAge, firstAfter string, now time.Time) error {
	if res.EvictedByAge+res.EvictedByLen == 0 {
		return nil
	}
	// The entries are gone: count them even if ctx ended meanwhile.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if res.EvictedByAge > 0 {
			p.HIncrBy(ctx, CountersKey(q.name), evictedPrefix+ReasonMaxAge, res.EvictedByAge)
		}
		if res.EvictedByLen > 0 {
			p.HIncrBy(ctx, CountersKey(q.name), evictedPrefix+ReasonMaxLen, res.EvictedByLen)
		}
		p.HSet(ctx, CountersKey(q.name), lastEvictionField, now.UnixMilli())
		return nil
	})
	if err != nil {
		return q.wrap("counting evictions in "+CountersKey(q.name), err)
	}
	log := q.c.Logger()
	if res.EvictedByAge > 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "pelican: dead letters evicted",
			slog.String("dlq", q.name), slog.String("reason", ReasonMaxAge), slog.Int64("count", res.EvictedByAge),
			slog.String("oldest_evicted", firstBefore), slog.Duration("max_age", r.MaxAge))
	}
	if res.EvictedByLen > 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "pelican: dead letters evicted",
			slog.String("dlq", q.name), slog.String("reason", ReasonMaxLen), slog.Int64("count", res.EvictedByLen),
			slog.String("oldest_evicted", firstAfterAge), slog.Int64("max_len", r.MaxLen))
	}
	return q.dropNotesBefore(ctx, firstAfter)
}

// dropNotesBefore deletes the notes of entries whose IDs sort before id
// (every note if id is empty): the notes of evicted entries. The notes
// hash holds only entries that failed reprocessing, few enough to read
// whole.
func (q *Queue) dropNotesBefore(ctx context.Context, id string) error {
	ids, err := q.rdb.HKeys(ctx, q.notesKey()).Result()
	if err != nil {
		return q.wrap("HKEYS "+q.notesKey(), err)
	}
	var stale []string
	for _, n := range ids {
		if id == "" || streamid.Less(n, id) {
			stale = append(stale, n)
		}
	}
	for len(stale) > 0 {
		batch := stale[:min(len(stale), deleteBatch)]
		stale = stale[len(batch):]
		if err := q.rdb.HDel(ctx, q.notesKey(), batch...).Err(); err != nil {
			return q.wrap("HDEL "+q.notesKey(), err)
		}
	}
	return nil
}

// alerts returns the thresholds res shows reached.
func (r Retention) alerts(name string, res Enforced) []RetentionAlert {
	var out []RetentionAlert
	a := RetentionAlert{Queue: name, Len: res.Len, MaxLen: r.MaxLen, OldestAge: res.OldestAge, MaxAge: r.MaxAge,
		Evicted: res.EvictedByAge + res.EvictedByLen}
	if r.MaxLen > 0 && float64(res.Len) >= r.warnAt()*float64(r.MaxLen) {
		a.Reason = ReasonMaxLen
		out = append(out, a)
	}
	if r.MaxAge > 0 && res.Len > 0 && float64(res.OldestAge) >= r.warnAt()*float64(r.MaxAge) {
		a.Reason = ReasonMaxAge
		out = append(out, a)
	}
	return out
}

// Evictions returns how many entries retention has evicted from the
// dead-letter stream, ever, by every process: the counter to export as a
// metric (Counters.Evicted of CountersKey). It is zero where nothing was
// evicted.
func (q *Queue) Evictions(ctx context.Context) (int64, error) {
	fields, err := q.rdb.HGetAll(ctx, CountersKey(q.name)).Result()
	if err != nil {
		return 0, q.wrap("HGETALL "+CountersKey(q.name), err)
	}
	c, err := ParseCounters(fields)
	if err != nil {
		return 0, fmt.Errorf("dlq %s: %s: %w", q.name, CountersKey(q.name), err)
	}
	return c.Evicted, nil
}

// RunRetention enforces r at once and then every interval (if zero, one
// minute) until ctx ends, and returns nil then. An enforcement that fails
// is logged and tried again at the next tick. A Retention that does not
// validate is returned as an error at once; the zero Retention returns
// nil at once, as there is nothing to enforce.
func (q *Queue) RunRetention(ctx context.Context, r Retention, interval time.Duration) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.MaxLen == 0 && r.MaxAge == 0 {
		return nil
	}
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := q.Enforce(ctx, r); err != nil && ctx.Err() == nil {
			q.c.Logger().Error("pelican: enforcing dead-letter retention failed", "dlq", q.name, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
