package dlq

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Note records the failed attempts to reprocess a dead letter in place.
// It lives in the hash <dlq>:pelican:notes, field <entry ID>, next to the
// dead-letter stream, and goes with its entry: deleting, reprocessing or
// evicting the entry deletes it.
type Note struct {
	// Attempts counts the failed attempts.
	Attempts int64
	// LastAttempt is when the latest one failed (the client's Clock).
	LastAttempt time.Time
	// LastError is the latest one's error text.
	LastError string
}

// notesKey is the hash of reprocessing notes: field <entry ID>, value a
// note (see encodeNote).
func (q *Queue) notesKey() string { return q.name + ":pelican:notes" }

// encodeNote renders a note as 1|<attempts>|<last attempt, Unix ms>|<error>:
// a version, then the fields, the error last since it may contain '|'.
func encodeNote(n Note) string {
	return "1|" + strconv.FormatInt(n.Attempts, 10) + "|" + strconv.FormatInt(n.LastAttempt.UnixMilli(), 10) + "|" + n.LastError
}

// decodeNote parses a note. A value it cannot parse (written by something
// else) becomes a note with no attempts whose LastError is the raw value,
// so that nothing is hidden.
func decodeNote(s string) Note {
	parts := strings.SplitN(s, "|", 4)
	if len(parts) == 4 && parts[0] == "1" {
		a, err1 := strconv.ParseInt(parts[1], 10, 64)
		ms, err2 := strconv.ParseInt(parts[2], 10, 64)
		if err1 == nil && err2 == nil {
			return Note{Attempts: a, LastAttempt: time.UnixMilli(ms), LastError: parts[3]}
		}
	}
	return Note{LastError: s}
}

// attachNotes fills in the Reprocessed field of entries from the notes
// hash, in one HMGET.
func (q *Queue) attachNotes(ctx context.Context, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	vals, err := q.rdb.HMGet(ctx, q.notesKey(), ids...).Result()
	if err != nil {
		return q.wrap("HMGET "+q.notesKey(), err)
	}
	for i, v := range vals {
		if s, ok := v.(string); ok {
			n := decodeNote(s)
			entries[i].Reprocessed = &n
		}
	}
	return nil
}

// ReprocessOptions tune Reprocess.
type ReprocessOptions struct {
	// Limit is how many entries are handed to the handler at most. If
	// zero, every selected entry is.
	Limit int
}

// ReprocessResult says what Reprocess did.
type ReprocessResult struct {
	// Succeeded counts the entries the handler processed; they were
	// deleted from the dead-letter stream.
	Succeeded int
	// Failed counts the entries the handler failed on (an error or a
	// panic); they stay, annotated.
	Failed int
	// Failures are the failed entries' IDs and errors, in the order they
	// were handled.
	Failures []ReprocessFailure
}

// ReprocessFailure is an entry the handler failed on.
type ReprocessFailure struct {
	// ID is the entry's ID in the dead-letter stream.
	ID string
	// Err is what the handler returned, or its panic.
	Err error
}

// settleTimeout bounds the deletion or annotation of a reprocessed
// entry, which goes ahead after Reprocess's context ends.
const settleTimeout = 10 * time.Second

// reprocessPage is how many entries Reprocess reads (and looks up the
// notes of) at a time.
const reprocessPage = 100

// Reprocess hands the entries sel selects to h, oldest first, one at a
// time, and settles each as soon as h returns: on success the entry is
// deleted from the dead-letter stream (with its note, in one MULTI/EXEC);
// on failure (an error, or a panic, which is recovered) it stays and its
// note (Entry.Reprocessed) records one more attempt, when it was, and the
// error. h receives the entry with its own fields in Values, its metadata
// and its note from earlier attempts; entries with missing or malformed
// metadata are handed over too.
//
// Reprocess handles the entries there when it starts: dead letters added
// meanwhile (say, messages the handler sent back that failed again) wait
// for the next call.
//
// Reprocessing is at least once: if the process dies after h succeeded
// but before the deletion, the entry is still there and a later
// Reprocess hands it over again. Two Reprocess calls on the same entries
// at once may both run h on an entry.
//
// Reprocess stops at the first Redis error or when ctx ends (between
// entries), returning that error with what it did so far.
func (q *Queue) Reprocess(ctx context.Context, sel Selector, h func(ctx context.Context, e Entry) error, opts ReprocessOptions) (ReprocessResult, error) {
	var res ReprocessResult
	if h == nil {
		return res, errors.New("dlq: Reprocess needs a handler")
	}
	if opts.Limit < 0 {
		return res, fmt.Errorf("dlq: Reprocess: negative Limit %d", opts.Limit)
	}
	if err := sel.validate(); err != nil {
		return res, err
	}
	// Only the entries there at the start: a handler whose messages fail
	// again and come back must not keep Reprocess going.
	if len(sel.IDs) == 0 && (sel.End == "" || sel.End == "+") {
		top, err := q.rdb.XRevRangeN(ctx, q.name, "+", "-", 1).Result()
		if err != nil {
			return res, q.wrap("XREVRANGE", err)
		}
		if len(top) == 0 {
			return res, nil
		}
		sel.End = top[0].ID
	}
	var page []Entry
	flush := func() error {
		if err := q.attachNotes(ctx, page); err != nil {
			return err
		}
		for _, e := range page {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := q.reprocessOne(ctx, e, h, &res); err != nil {
				return err
			}
		}
		page = page[:0]
		return nil
	}
	seen := 0
	err := q.scan(ctx, sel, "", func(e Entry) (bool, error) {
		page = append(page, e)
		seen++
		if len(page) == reprocessPage {
			if err := flush(); err != nil {
				return false, err
			}
		}
		return opts.Limit == 0 || seen < opts.Limit, nil
	})
	if err == nil {
		err = flush()
	}
	return res, err
}

// reprocessOne runs h on e and settles e.
func (q *Queue) reprocessOne(ctx context.Context, e Entry, h func(ctx context.Context, e Entry) error, res *ReprocessResult) error {
	herr := callHandler(ctx, e, h)
	// The handler's outcome is recorded even if ctx ended meanwhile.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if herr == nil {
		_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.XDel(ctx, q.name, e.ID)
			p.HDel(ctx, q.notesKey(), e.ID)
			return nil
		})
		if err != nil {
			return q.wrap("deleting reprocessed entry "+e.ID, err)
		}
		res.Succeeded++
		return nil
	}
	n := Note{LastAttempt: q.c.Clock().Now(), LastError: herr.Error()}
	if e.Reprocessed != nil {
		n.Attempts = e.Reprocessed.Attempts
	}
	n.Attempts++
	// An entry deleted meanwhile (by another operator, or evicted) keeps
	// no note: the note is written and the entry looked up at once, and
	// the note dropped again if the entry is gone. (One deleted after
	// that loses its note with it, as every deletion here does.)
	var look *redis.XMessageSliceCmd
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, q.notesKey(), e.ID, encodeNote(n))
		look = p.XRange(ctx, q.name, e.ID, e.ID)
		return nil
	})
	if err == nil && len(look.Val()) == 0 {
		err = q.rdb.HDel(ctx, q.notesKey(), e.ID).Err()
	}
	if err != nil {
		return q.wrap("annotating entry "+e.ID, err)
	}
	res.Failed++
	res.Failures = append(res.Failures, ReprocessFailure{ID: e.ID, Err: herr})
	return nil
}

// callHandler runs h, turning a panic into an error.
func callHandler(ctx context.Context, e Entry, h func(ctx context.Context, e Entry) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("dlq: reprocess handler panic: %v", v)
		}
	}()
	return h(ctx, e)
}
