package dlq

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/streamid"
)

// ErrNotFound means the dead-letter stream holds no entry with the ID
// asked for.
var ErrNotFound = errors.New("dlq: no such entry")

// Stats describe a dead-letter stream as a whole.
type Stats struct {
	// Count is the number of entries (XLEN).
	Count int64
	// Oldest and Newest are the first and last entries, nil when the
	// stream is empty.
	Oldest, Newest *Entry
	// ByStream, ByGroup and ByClass count the entries by original stream,
	// by the group that gave up on them and by error class. Entries
	// lacking the field count under "".
	ByStream, ByGroup, ByClass map[string]int64
	// Malformed counts the entries with missing or malformed metadata
	// (see Entry.Malformed).
	Malformed int64
	// Redriven counts the entries that were redriven to their stream at
	// least once before they came back.
	Redriven int64
}

// fullScanPage is how many entries Stats and Failures read per XRANGE:
// more than scan's pages, as they read everything anyway.
const fullScanPage = 1000

// Len returns the number of entries (XLEN): zero for an absent stream.
// It is the cheap part of Stats, fit for frequent polling.
func (q *Queue) Len(ctx context.Context) (int64, error) {
	n, err := q.rdb.XLen(ctx, q.name).Result()
	if err != nil {
		return 0, q.wrap("XLEN", err)
	}
	return n, nil
}

// Stats reads the whole dead-letter stream, with XRANGE in pages, and
// describes it. An absent stream is an empty one; a key of another type
// is ErrWrongType. Entries added or removed while Stats reads may or may
// not be counted in the breakdowns: Count is the length when it started.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	st := Stats{ByStream: map[string]int64{}, ByGroup: map[string]int64{}, ByClass: map[string]int64{}}
	n, err := q.Len(ctx)
	if err != nil || n == 0 {
		return st, err
	}
	st.Count = n
	var last redis.XMessage
	err = q.pages(ctx, "-", "+", fullScanPage, func(msgs []redis.XMessage) error {
		for _, m := range msgs {
			e := parseMeta(m, false)
			if st.Oldest == nil {
				full := parseEntry(m)
				st.Oldest = &full
			}
			st.ByStream[e.Stream]++
			st.ByGroup[e.Group]++
			st.ByClass[e.Class]++
			if len(e.Malformed) > 0 {
				st.Malformed++
			}
			if e.Redrives > 0 {
				st.Redriven++
			}
		}
		last = msgs[len(msgs)-1]
		return nil
	})
	if err != nil {
		return st, err
	}
	if st.Oldest != nil {
		full := parseEntry(last)
		st.Newest = &full
	}
	return st, nil
}

// pages calls fn with the entries between start and end (XRANGE bounds),
// count at a time, in ID order.
func (q *Queue) pages(ctx context.Context, start, end string, count int64, fn func([]redis.XMessage) error) error {
	for {
		msgs, err := q.rdb.XRangeN(ctx, q.name, start, end, count).Result()
		if err != nil {
			return q.wrap("XRANGE", err)
		}
		if len(msgs) == 0 {
			return nil
		}
		if err := fn(msgs); err != nil {
			return err
		}
		if int64(len(msgs)) < count {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

// Get returns the entry with ID id, with its note. An id that is not a
// stream ID is refused with ErrBadSelector; an entry that is not there
// (or an absent stream) is ErrNotFound.
func (q *Queue) Get(ctx context.Context, id string) (Entry, error) {
	if !validID(id) {
		return Entry{}, errors.Join(ErrBadSelector, errors.New("dlq: not a stream ID: "+strconv.Quote(id)))
	}
	msgs, err := q.rdb.XRange(ctx, q.name, id, id).Result()
	if err != nil {
		return Entry{}, q.wrap("XRANGE", err)
	}
	if len(msgs) == 0 {
		return Entry{}, fmt.Errorf("dlq %s: entry %s: %w", q.name, id, ErrNotFound)
	}
	es := []Entry{parseEntry(msgs[0])}
	if err := q.attachNotes(ctx, es); err != nil {
		return Entry{}, err
	}
	return es[0], nil
}

// ListOptions page through List.
type ListOptions struct {
	// After is the cursor: the next value an earlier List returned. If
	// empty, the list starts at the first selected entry (the last, with
	// Reverse).
	After string
	// Limit is how many entries a page holds at most. If zero, 100.
	Limit int
	// Reverse lists newest first (XREVRANGE): the cursor then moves
	// towards older entries.
	Reverse bool
}

// List returns a page of the entries sel selects, with their notes, in ID
// order (newest first with opts.Reverse), and the cursor of the next page
// to pass as opts.After: empty when there is no more. Browsing never
// consumes or changes anything. Entries added behind the cursor while
// paging are listed when the paging reaches them; a stream of another
// type is ErrWrongType; an absent one lists nothing.
func (q *Queue) List(ctx context.Context, sel Selector, opts ListOptions) ([]Entry, string, error) {
	if opts.After != "" && !validID(opts.After) {
		return nil, "", errors.Join(ErrBadSelector, errors.New("dlq: the cursor is not a stream ID: "+strconv.Quote(opts.After)))
	}
	if opts.Limit < 0 {
		return nil, "", fmt.Errorf("dlq: List: negative Limit %d", opts.Limit)
	}
	limit := opts.Limit
	if limit == 0 {
		limit = 100
	}
	// One entry more than the page shows whether another page follows.
	var out []Entry
	collect := func(e Entry) (bool, error) {
		out = append(out, e)
		return len(out) <= limit, nil
	}
	// A selector that only bounds IDs matches every entry it reads: read
	// just the page then.
	page := int64(pageSize)
	if sel.onlyRange() {
		page = int64(limit) + 1
	}
	if err := q.walk(ctx, sel, opts.After, opts.Reverse, page, collect); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	if err := q.attachNotes(ctx, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// walk calls fn for every entry sel selects, in ID order or (reverse)
// the reverse, starting after the ID after in that order (or at the start
// of sel's range if after is empty), reading page entries per XRANGE or
// XREVRANGE, until fn returns false or an error.
func (q *Queue) walk(ctx context.Context, sel Selector, after string, reverse bool, page int64, fn func(Entry) (bool, error)) error {
	if err := sel.validate(); err != nil {
		return err
	}
	if len(sel.IDs) > 0 {
		ids := sel.sortedIDs()
		if reverse {
			slices.Reverse(ids)
		}
		for _, id := range ids {
			if after != "" && (!reverse && !streamid.Less(after, id) || reverse && !streamid.Less(id, after)) {
				continue
			}
			msgs, err := q.rdb.XRange(ctx, q.name, id, id).Result()
			if err != nil {
				return q.wrap("XRANGE", err)
			}
			if len(msgs) == 0 {
				continue // not (or no longer) in the stream
			}
			if e := parseEntry(msgs[0]); sel.matches(e) {
				if more, err := fn(e); err != nil || !more {
					return err
				}
			}
		}
		return nil
	}
	start, end := sel.bounds()
	for {
		var msgs []redis.XMessage
		var err error
		if reverse {
			if after != "" {
				end = "(" + after
			}
			msgs, err = q.rdb.XRevRangeN(ctx, q.name, end, start, page).Result()
		} else {
			if after != "" {
				start = "(" + after
			}
			msgs, err = q.rdb.XRangeN(ctx, q.name, start, end, page).Result()
		}
		if err != nil {
			return q.wrap("XRANGE", err)
		}
		for _, m := range msgs {
			if e := parseEntry(m); sel.matches(e) {
				if more, err := fn(e); err != nil || !more {
					return err
				}
			}
		}
		if int64(len(msgs)) < page {
			return nil
		}
		after = msgs[len(msgs)-1].ID
	}
}

// onlyRange reports whether the selector selects by ID range alone (All,
// Start, End): every entry in the range is selected.
func (s Selector) onlyRange() bool {
	return len(s.IDs) == 0 && s.Since.IsZero() && s.Until.IsZero() &&
		s.Fingerprint == "" && s.Stream == "" && s.Group == "" && s.Class == ""
}

// FailureGroup is the entries whose errors share a fingerprint: one
// problem, however many messages it hit.
type FailureGroup struct {
	// Fingerprint identifies the problem (see Fingerprint).
	Fingerprint string
	// Text is the normalised error text (see Normalize): "order <n> not
	// found". Entries without an error text form a group with Text "".
	Text string
	// Count is the number of entries.
	Count int64
	// FirstSeen and LastSeen are the earliest and latest times one of
	// them was dead-lettered.
	FirstSeen, LastSeen time.Time
	// Sample is the most recently dead-lettered of them, with its
	// original error text.
	Sample Entry
	// ByClass and ByStream count them by error class and original stream.
	ByClass, ByStream map[string]int64
}

// Failures groups the entries sel selects by error fingerprint, in one
// pass over the stream (XRANGE in pages), so that "order 88214 not found"
// and "order 91007 not found" are one problem. The groups come largest
// first; among equals, the most recently seen first.
func (q *Queue) Failures(ctx context.Context, sel Selector) ([]FailureGroup, error) {
	if err := sel.validate(); err != nil {
		return nil, err
	}
	groups := map[string]*failureGroup{}
	// The fingerprint of each distinct error text, computed once: the same
	// text often recurs (a dependency down, a timeout).
	prints := map[string]string{}
	add := func(e Entry, m redis.XMessage) {
		fp := e.Fingerprint
		g := groups[fp]
		if g == nil {
			g = &failureGroup{FailureGroup: FailureGroup{Fingerprint: fp, Text: Normalize(e.Error),
				FirstSeen: e.DeadAt, LastSeen: e.DeadAt, ByClass: map[string]int64{}, ByStream: map[string]int64{}}, sample: m}
			groups[fp] = g
		}
		g.Count++
		if e.DeadAt.Before(g.FirstSeen) {
			g.FirstSeen = e.DeadAt
		}
		if !e.DeadAt.Before(g.LastSeen) {
			g.LastSeen, g.sample = e.DeadAt, m
		}
		g.ByClass[e.Class]++
		g.ByStream[e.Stream]++
	}
	err := q.scanMeta(ctx, sel, prints, func(e Entry, m redis.XMessage) error {
		add(e, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]FailureGroup, 0, len(groups))
	for _, g := range groups {
		g.Sample = parseEntry(g.sample)
		out = append(out, g.FailureGroup)
	}
	slices.SortFunc(out, func(a, b FailureGroup) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := b.LastSeen.Compare(a.LastSeen); c != 0 {
			return c
		}
		return cmp.Compare(a.Fingerprint, b.Fingerprint)
	})
	return out, nil
}

// failureGroup is a FailureGroup being built, with its sample's raw
// entry: parsed once, at the end.
type failureGroup struct {
	FailureGroup
	sample redis.XMessage
}

// scanMeta calls fn for every entry sel selects, in ID order, parsed
// without its values (parseMeta) and with its fingerprint, and with the
// entry as read: the scan of passes over many entries that need only
// their metadata. prints caches the fingerprints of error texts.
func (q *Queue) scanMeta(ctx context.Context, sel Selector, prints map[string]string, fn func(Entry, redis.XMessage) error) error {
	if err := sel.validate(); err != nil {
		return err
	}
	each := func(msgs []redis.XMessage) error {
		for _, m := range msgs {
			e := parseMeta(m, false)
			fp, ok := prints[e.Error]
			if !ok {
				fp = Fingerprint(e.Error)
				prints[e.Error] = fp
			}
			e.Fingerprint = fp
			if !sel.matches(e) {
				continue
			}
			if err := fn(e, m); err != nil {
				return err
			}
		}
		return nil
	}
	if len(sel.IDs) == 0 {
		start, end := sel.bounds()
		return q.pages(ctx, start, end, fullScanPage, each)
	}
	for _, id := range sel.sortedIDs() {
		msgs, err := q.rdb.XRange(ctx, q.name, id, id).Result()
		if err != nil {
			return q.wrap("XRANGE", err)
		}
		if err := each(msgs); err != nil {
			return err
		}
	}
	return nil
}
