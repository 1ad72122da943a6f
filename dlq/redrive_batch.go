package dlq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/rediserr"
	"github.com/pelicanhq/pelican/internal/streamid"
	"github.com/pelicanhq/pelican/internal/watch"
)

// Reading a job's batches, and moving each in one transaction.

// redriveEntry is a dead-letter entry, parsed, with every field as stored.
type redriveEntry struct {
	Entry
	fields map[string]any
}

// parseRedriveEntry parses m, computing its Fingerprint only if fingerprint is
// set: the regular expressions cost more than all the rest.
func parseRedriveEntry(m redis.XMessage, fingerprint bool) redriveEntry {
	e := parseMeta(m, true)
	if fingerprint {
		e.Fingerprint = Fingerprint(e.Error)
	}
	return redriveEntry{Entry: e, fields: m.Values}
}

// redriveBatch is what one step of a job reads.
type redriveBatch struct {
	// entries are the selected entries, in ID order.
	entries []redriveEntry
	// last is the last entry ID examined, selected or not; "" if there was
	// none left.
	last string
	// end says nothing is left after last.
	end bool
	// examined counts the entries read between the batch's start and
	// last, selected or not; 0 when not known (a selector of IDs).
	examined int
}

// maxID sorts after every stream ID: the bound of a dry run.
const redriveMaxID = "18446744073709551615-18446744073709551615"

// pagesPerBatch bounds the reads of one batch when the selector rejects
// most entries, so that a job records its progress now and then.
const redrivePagesPerBatch = 10

// readBatch reads up to n selected entries after the ID after, up to the
// ID until.
func (q *Queue) readBatch(ctx context.Context, sel Selector, after, until string, n int) (redriveBatch, error) {
	if until == "" {
		return redriveBatch{end: true}, nil
	}
	if len(sel.IDs) > 0 {
		return q.readIDs(ctx, sel, after, until, n)
	}
	var b redriveBatch
	start, end := sel.bounds()
	if after != "" {
		start = "(" + after
	}
	page := max(n, 100)
	for range redrivePagesPerBatch {
		msgs, err := q.rdb.XRangeN(ctx, q.name, start, end, int64(page)).Result()
		if err != nil {
			return b, q.wrap("XRANGE", err)
		}
		for _, m := range msgs {
			if streamid.Less(until, m.ID) {
				b.end = true
				return b, nil
			}
			b.last = m.ID
			b.examined++
			e := parseRedriveEntry(m, sel.Fingerprint != "")
			if !sel.matches(e.Entry) {
				continue
			}
			b.entries = append(b.entries, e)
			if len(b.entries) == n {
				return b, nil
			}
		}
		if len(msgs) < page {
			b.end = true
			return b, nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
	return b, nil
}

// readIDs is readBatch for a selector of IDs: the next n of them, read in
// one round trip.
func (q *Queue) readIDs(ctx context.Context, sel Selector, after, until string, n int) (redriveBatch, error) {
	var b redriveBatch
	var ids []string
	for _, id := range sel.sortedIDs() {
		if after != "" && !streamid.Less(after, id) {
			continue
		}
		if streamid.Less(until, id) {
			break
		}
		if len(ids) == n {
			break
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		b.end = true
		return b, nil
	}
	cmds, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.XRange(ctx, q.name, id, id)
		}
		return nil
	})
	if err != nil {
		return b, q.wrap("XRANGE", err)
	}
	for _, cmd := range cmds {
		for _, m := range cmd.(*redis.XMessageSliceCmd).Val() {
			if e := parseRedriveEntry(m, sel.Fingerprint != ""); sel.matches(e.Entry) {
				b.entries = append(b.entries, e)
			}
		}
	}
	b.last = ids[len(ids)-1]
	return b, nil
}

// countSelected counts the entries sel selects up to until.
func (q *Queue) countSelected(ctx context.Context, sel Selector, until string) (int64, error) {
	var total int64
	after := ""
	for {
		b, err := q.readBatch(ctx, sel, after, until, pageSize)
		if err != nil {
			return 0, err
		}
		total += int64(len(b.entries))
		if b.end || b.last == "" {
			return total, nil
		}
		after = b.last
	}
}

// lastEntryID returns the ID of the dead-letter stream's last entry, or
// "" if it is empty or absent, and its length then.
func (q *Queue) lastEntryID(ctx context.Context) (string, int64, error) {
	var last *redis.XMessageSliceCmd
	var n *redis.IntCmd
	_, err := q.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		last = p.XRevRangeN(ctx, q.name, "+", "-", 1)
		n = p.XLen(ctx, q.name)
		return nil
	})
	if err != nil {
		return "", 0, q.wrap("XREVRANGE", err)
	}
	if len(last.Val()) == 0 {
		return "", 0, nil
	}
	return last.Val()[0].ID, n.Val(), nil
}

// SkipReason says why an entry cannot be redriven. Such entries stay in
// the dead-letter stream.
type SkipReason string

// The reasons an entry cannot be redriven.
const (
	// SkipNoStream: its metadata names no original stream.
	SkipNoStream SkipReason = "no original stream"
	// SkipNoGroup: its metadata names no group, so the workers of every
	// group would process it again.
	SkipNoGroup SkipReason = "no group"
	// SkipBadRedrives: its redrive count is malformed, so the redrive
	// limit cannot be applied.
	SkipBadRedrives SkipReason = "malformed redrive count"
	// SkipCrossSlot: on Redis Cluster, its stream does not share the
	// dead-letter stream's hash tag, so it cannot be moved atomically.
	SkipCrossSlot SkipReason = "stream in another Redis Cluster slot"
)

// redriveSort is a batch sorted by what is to happen to each entry.
type redriveSort struct {
	moves []redriveEntry
	parks []redriveEntry
	skips []SkipReason
}

// classify decides each entry's fate.
func (q *Queue) classify(entries []redriveEntry, limit int) redriveSort {
	var c redriveSort
	for _, e := range entries {
		if r, skip := q.skipReason(e.Entry); skip {
			c.skips = append(c.skips, r)
			continue
		}
		if e.Redrives >= int64(limit) {
			c.parks = append(c.parks, e)
			continue
		}
		c.moves = append(c.moves, e)
	}
	return c
}

func (j *Job) classify(entries []redriveEntry) redriveSort {
	return j.q.classify(entries, j.opts.RedriveLimit)
}

// skipReason returns why e cannot be redriven, if it cannot.
func (q *Queue) skipReason(e Entry) (SkipReason, bool) {
	switch {
	case e.Stream == "":
		return SkipNoStream, true
	case e.Group == "":
		return SkipNoGroup, true
	case slices.Contains(e.Malformed, pelican.FieldRedrives):
		return SkipBadRedrives, true
	case q.cluster() && pelican.HashTag(e.Stream) != pelican.HashTag(q.name):
		return SkipCrossSlot, true
	}
	return "", false
}

// redriveTargets returns the distinct streams of moves, sorted, each with the
// groups its entries need.
func redriveTargets(moves []redriveEntry) (streams []string, groups map[string][]string) {
	groups = map[string][]string{}
	for _, e := range moves {
		if !slices.Contains(groups[e.Stream], e.Group) {
			groups[e.Stream] = append(groups[e.Stream], e.Group)
		}
	}
	for s := range groups {
		streams = append(streams, s)
	}
	slices.Sort(streams)
	return streams, groups
}

// redriveTargetProblem says what is wrong with stream as the target of entries
// of groups, given its XINFO GROUPS reply; "" if nothing.
func redriveTargetProblem(stream string, groups []string, reply *redis.XInfoGroupsCmd) string {
	infos, err := reply.Result()
	switch {
	case rediserr.IsNoSuchKey(err):
		return fmt.Sprintf("stream %q does not exist", stream)
	case rediserr.IsWrongType(err):
		return fmt.Sprintf("key %q is not a stream", stream)
	case err != nil:
		return fmt.Sprintf("stream %q: XINFO GROUPS: %v", stream, err)
	}
	for _, g := range groups {
		if !slices.ContainsFunc(infos, func(i redis.XInfoGroup) bool { return i.Name == g }) {
			return fmt.Sprintf("stream %q has no group %q", stream, g)
		}
	}
	return ""
}

// Errors of a batch's transaction that the job handles itself.
var (
	// errContention: a watched key changed; read the batch again.
	errRedriveContention = errors.New("dlq: a watched key changed")
	// errUncertain: the connection failed; the transaction may have
	// applied or not.
	errRedriveUncertain = errors.New("dlq: the outcome of the transaction is unknown")
	// errCancelRequested: CancelRedrive asked the job to stop.
	errRedriveCancelRequested = errors.New("dlq: cancel requested")
)

// redriveProducer is the IDMP producer ID of redrive's XADDs.
const redriveProducer = "pelican-redrive"

// redriveMarkerTTL is how long the marker of a moved entry lives. A job only
// needs it to exist while another job may be between its WATCH and its
// EXEC for the same entry: a round trip.
const redriveMarkerTTL = time.Hour

// redrivenMarker is set when entry id leaves the dead-letter stream by a
// redrive (sent back or parked), in the same transaction.
func (q *Queue) redrivenMarker(id string) string { return q.name + ":pelican:redriven:" + id }

// commit moves a batch in one transaction. Under WATCH of the entries'
// markers and of the checkpoint, it checks that this run still owns the
// job, that no cancel was asked for, that every target stream has the
// entries' groups and which entries are still in the dead-letter stream
// and not taken by another job; then in MULTI/EXEC it adds the messages
// to their streams and the parked entries to the parked stream, deletes
// them from the dead-letter stream, sets their markers and updates the
// checkpoint. The transaction also reads the targets' groups again, so a
// group deleted between the check and the transaction is noticed, and
// what was sent to it is moved back.
func (j *Job) commit(ctx context.Context, b redriveBatch, c redriveSort) error {
	q := j.q
	key := q.jobKey(j.id)
	taking := slices.Concat(c.moves, c.parks)
	markers := make([]string, len(taking))
	for i, e := range taking {
		markers[i] = q.redrivenMarker(e.ID)
	}
	streams, groups := redriveTargets(c.moves)
	var (
		owner   *redis.SliceCmd
		found   *redis.SliceCmd
		present []*redis.XMessageSliceCmd
		infos   = make([]*redis.XInfoGroupsCmd, len(streams))
		parked  *redis.StatusCmd
	)
	err := q.redriveTransact(ctx, append(markers, key), func(p redis.Pipeliner) {
		owner = p.HMGet(ctx, key, "owner", "cancel")
		if len(markers) > 0 {
			found = p.MGet(ctx, markers...)
		}
		present = q.readPresent(ctx, p, taking, b.examined)
		for i, s := range streams {
			infos[i] = p.XInfoGroups(ctx, s)
		}
		if len(c.parks) > 0 {
			parked = p.Type(ctx, q.parkedName())
		}
	}, func(t *watch.Tx, _ []redis.Cmder) error {
		v, err := owner.Result()
		if err != nil {
			return err
		}
		switch s, _ := v[0].(string); {
		case v[0] == nil:
			return fmt.Errorf("%w: the checkpoint of %s was deleted while it ran", ErrUnknownJob, j.id)
		case s != j.token:
			return ErrJobTaken
		}
		if s, _ := v[1].(string); s == "1" {
			return errRedriveCancelRequested
		}
		for i, s := range streams {
			if problem := redriveTargetProblem(s, groups[s], infos[i]); problem != "" {
				return fmt.Errorf("%w: %s", ErrTargetGone, problem)
			}
		}
		if parked != nil {
			if typ := parked.Val(); typ != "none" && typ != "stream" {
				return fmt.Errorf("dlq %s: parked stream %s: %w", q.name, q.parkedName(), ErrWrongType)
			}
		}
		// Leave out what another job moved, or something else deleted,
		// since the batch was read.
		here := make(map[string]bool, len(taking))
		for _, cmd := range present {
			for _, m := range cmd.Val() {
				here[m.ID] = true
			}
		}
		still := func(i int) bool {
			return here[taking[i].ID] && (found == nil || found.Val()[i] == nil)
		}
		var moves, parks []redriveEntry
		for i, e := range taking {
			if !still(i) {
				continue
			}
			if i < len(c.moves) {
				moves = append(moves, e)
			} else {
				parks = append(parks, e)
			}
		}
		return j.apply(ctx, t, b, moves, parks, len(c.skips), len(taking)-len(moves)-len(parks))
	})
	switch {
	case err == nil, errors.Is(err, ErrJobTaken), errors.Is(err, ErrUnknownJob), errors.Is(err, errRedriveCancelRequested),
		errors.Is(err, ErrTargetGone), errors.Is(err, ErrWrongType), errors.Is(err, errRedriveContention):
		return err
	case errors.Is(err, redis.TxFailedErr):
		return errRedriveContention
	case errors.Is(err, errRedriveUncertain):
		return err
	case rediserr.IsTransient(err):
		return fmt.Errorf("%w: %w", errRedriveUncertain, err)
	}
	return q.wrap("redrive transaction", err)
}

// readPresent queues the reads that tell which of entries (in any order)
// are still in the dead-letter stream: one XRANGE over them when they are
// most of the
// entries between the first and the last (examined counts those the batch
// read; no entry can appear between them since), else one per entry.
func (q *Queue) readPresent(ctx context.Context, p redis.Pipeliner, entries []redriveEntry, examined int) []*redis.XMessageSliceCmd {
	if len(entries) == 0 {
		return nil
	}
	if examined > 0 && examined <= 2*len(entries) {
		first, last := entries[0].ID, entries[0].ID
		for _, e := range entries[1:] {
			if streamid.Less(e.ID, first) {
				first = e.ID
			}
			if streamid.Less(last, e.ID) {
				last = e.ID
			}
		}
		return []*redis.XMessageSliceCmd{p.XRangeN(ctx, q.name, first, last, int64(examined))}
	}
	cmds := make([]*redis.XMessageSliceCmd, len(entries))
	for i, e := range entries {
		cmds[i] = p.XRange(ctx, q.name, e.ID, e.ID)
	}
	return cmds
}

// apply runs a batch's transaction (see commit) and records its outcome.
func (j *Job) apply(ctx context.Context, t *watch.Tx, b redriveBatch, moves, parks []redriveEntry, skipped, gone int) error {
	q := j.q
	key := q.jobKey(j.id)
	now := q.c.Clock().Now().UnixMilli()
	p := j.Progress()
	moved, parkedN := p.Moved+int64(len(moves)), p.Parked+int64(len(parks))
	skippedN, goneN := p.Skipped+int64(skipped), p.Gone+int64(gone)
	streams, _ := redriveTargets(moves)
	adds := make([]*redis.StringCmd, len(moves))
	parkAdds := make([]*redis.StringCmd, len(parks))
	after := make(map[string]*redis.XInfoGroupsCmd, len(streams))
	var del *redis.IntCmd
	var hset *redis.IntCmd
	if q.hooks.beforeExec != nil {
		q.hooks.beforeExec()
	}
	dones := j.beginRedrives(ctx, moves)
	defer dones.endAll(errNotRedriven)
	_, err := t.Exec(ctx, func(pipe redis.Pipeliner) {
		var ids []string
		for i, e := range moves {
			a := &redis.XAddArgs{Stream: e.Stream, Values: redriveFields(e)}
			if j.idmp {
				a.ProducerID, a.IdempotentID = redriveProducer, q.name+"/"+e.ID
			}
			adds[i] = pipe.XAdd(ctx, a)
			ids = append(ids, e.ID)
		}
		for i, e := range parks {
			parkAdds[i] = pipe.XAdd(ctx, &redis.XAddArgs{Stream: q.parkedName(), Values: parkedFields(e, now)})
			ids = append(ids, e.ID)
		}
		if len(ids) > 0 {
			del = pipe.XDel(ctx, q.name, ids...)
			pipe.HDel(ctx, q.notesKey(), ids...) // their reprocessing notes go with them
		}
		for _, id := range ids {
			pipe.Set(ctx, q.redrivenMarker(id), j.id, redriveMarkerTTL)
		}
		hset = pipe.HSet(ctx, key, "last", b.last, "moved", moved, "parked", parkedN, "skipped", skippedN, "gone", goneN, "updated", now)
		for _, s := range streams {
			after[s] = pipe.XInfoGroups(ctx, s)
		}
	})
	if errors.Is(err, redis.TxFailedErr) {
		return errRedriveContention
	}
	if hset == nil || hset.Err() != nil {
		if err == nil {
			err = hset.Err()
		}
		return fmt.Errorf("%w: %w", errRedriveUncertain, err)
	}
	// Applied.
	if q.hooks.afterExec != nil {
		if err := q.hooks.afterExec(); err != nil {
			return fmt.Errorf("%w: %w", errRedriveUncertain, err)
		}
	}
	j.last = b.last
	j.mu.Lock()
	j.p.Moved, j.p.Parked, j.p.Skipped, j.p.Gone = moved, parkedN, skippedN, goneN
	j.mu.Unlock()
	if del != nil && del.Val() != int64(len(moves)+len(parks)) {
		q.c.Logger().Warn("dlq: entries were deleted from the dead-letter stream by something else while a redrive moved them",
			"dlq", q.name, "job", j.id, "moved", len(moves)+len(parks), "deleted", del.Val())
	}
	// What did not arrive: an XADD that failed (the key changed type), or
	// a target whose group was deleted between the check and the
	// transaction.
	var failed []redriveUndo
	var problem string
	for i, e := range moves {
		id, err := adds[i].Result()
		if err == nil {
			if pr := redriveTargetProblem(e.Stream, []string{e.Group}, after[e.Stream]); pr != "" {
				failed, problem = append(failed, redriveUndo{e: e, sent: id, moved: true}), pr
			} else {
				dones.end(i, id, nil)
			}
			continue
		}
		failed, problem = append(failed, redriveUndo{e: e, moved: true}), fmt.Sprintf("adding to %q: %v", e.Stream, err)
	}
	for i, e := range parks {
		if err := parkAdds[i].Err(); err != nil {
			failed, problem = append(failed, redriveUndo{e: e}), fmt.Sprintf("adding to %q: %v", q.parkedName(), err)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if err := j.redriveUndo(ctx, failed); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s (the batch's %d entries that went nowhere are back in the dead-letter stream, with new IDs)", ErrTargetGone, problem, len(failed))
}

// errNotRedriven is what the OnRedrive hook hears of an entry its batch
// did not send back: the transaction did not apply (the job tries again),
// or the entry went back to the dead-letter stream.
var errNotRedriven = errors.New("dlq: the entry was not redriven")

// redriveDones are the functions the OnRedrive hook returned for a
// batch's moves, by position; nil where none was returned.
type redriveDones []func(string, error)

// beginRedrives calls the OnRedrive hook for each of moves.
func (j *Job) beginRedrives(ctx context.Context, moves []redriveEntry) redriveDones {
	if j.opts.OnRedrive == nil {
		return nil
	}
	dones := make(redriveDones, len(moves))
	for i, e := range moves {
		dones[i] = j.opts.OnRedrive(ctx, e.DeadLetter)
	}
	return dones
}

// end calls the function of move i with its outcome, once.
func (d redriveDones) end(i int, id string, err error) {
	if i < len(d) && d[i] != nil {
		d[i](id, err)
		d[i] = nil
	}
}

// endAll calls the functions not called yet with err.
func (d redriveDones) endAll(err error) {
	for i := range d {
		d.end(i, "", err)
	}
}

// redriveUndo is an entry a batch moved that must go back to the dead-letter
// stream.
type redriveUndo struct {
	e     redriveEntry
	sent  string // its ID in the target stream, if it was added there
	moved bool   // counted as moved (else as parked)
}

// redriveUndo puts entries back in the dead-letter stream, with new IDs, and
// takes them out of the target streams and the checkpoint's counts, in one
// transaction. Should that fail, each entry is logged with all its fields
// at level Error, so that none is lost silently.
func (j *Job) redriveUndo(ctx context.Context, failed []redriveUndo) error {
	q := j.q
	var m, p int64
	for _, u := range failed {
		if u.moved {
			m++
		} else {
			p++
		}
	}
	_, err := q.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, u := range failed {
			if u.sent != "" {
				pipe.XDel(ctx, u.e.Stream, u.sent)
			}
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: q.name, Values: redriveFieldList(u.e.fields)})
		}
		pipe.HIncrBy(ctx, q.jobKey(j.id), "moved", -m)
		pipe.HIncrBy(ctx, q.jobKey(j.id), "parked", -p)
		return nil
	})
	if err != nil {
		for _, u := range failed {
			q.c.Logger().Error("dlq: a redriven entry could not be put back in the dead-letter stream",
				"dlq", q.name, "job", j.id, "id", u.e.ID, "stream", u.e.Stream, "sent_id", u.sent, "fields", u.e.fields, "err", err)
		}
		return q.wrap("putting entries back", err)
	}
	j.mu.Lock()
	j.p.Moved -= m
	j.p.Parked -= p
	j.mu.Unlock()
	return nil
}

// redriveFields returns what a redrive adds to the original stream (see
// pelican.AppendRedriven).
func redriveFields(e redriveEntry) []any {
	return pelican.AppendRedriven(make([]any, 0, 2*len(e.Values)+4), &e.DeadLetter)
}

// parkedFields returns a parked entry's fields: all it had, and when it
// was parked.
func parkedFields(e redriveEntry, nowMs int64) []any {
	out := redriveFieldList(e.fields)
	return append(out, FieldParkedAt, nowMs)
}

// redriveFieldList returns an entry's fields, as stored, as XADD's
// field-value list: the message's own fields, then the metadata, each
// sorted by name.
func redriveFieldList(fields map[string]any) []any {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		am, bm := strings.HasPrefix(a, pelican.ReservedPrefix), strings.HasPrefix(b, pelican.ReservedPrefix)
		if am != bm {
			if am {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	out := make([]any, 0, 2*len(keys)+4)
	for _, k := range keys {
		out = append(out, k, fields[k])
	}
	return out
}

// redriveTransact watches keys, sends the commands reads queues (with
// WATCH, in one round trip on a single server), then runs fn, which may
// call t.Exec. The reads' own errors (say, XINFO GROUPS of a missing
// stream) are left to fn; an error of the connection is returned.
func (q *Queue) redriveTransact(ctx context.Context, keys []string, reads func(p redis.Pipeliner), fn func(t *watch.Tx, reads []redis.Cmder) error) error {
	return watch.Run(ctx, q.rdb, keys, reads, func(t *watch.Tx, cmds []redis.Cmder, err error) error {
		if err != nil && !rediserr.IsReply(err) {
			return fmt.Errorf("%w: %w", errRedriveUncertain, err)
		}
		return fn(t, cmds)
	})
}

// redriveHooks let tests act at points of a batch's transaction.
type redriveHooks struct {
	// beforeExec runs between a batch's checks and its transaction: tests
	// change targets there.
	beforeExec func()
	// afterExec runs after a batch's transaction applied and may replace
	// its outcome with an error: tests lose the reply there.
	afterExec func() error
}

// cluster reports whether the queue talks to a Redis Cluster.
func (q *Queue) cluster() bool {
	_, ok := q.rdb.(*redis.ClusterClient)
	return ok
}

// checkRedriveCluster refuses, on Redis Cluster, a dead-letter stream whose
// name has no hash tag: the keys of its jobs would land in other slots.
func (q *Queue) checkRedriveCluster() error {
	if q.cluster() && pelican.HashTag(q.name) == q.name {
		return fmt.Errorf("%w: on Redis Cluster, redrive needs a dead-letter stream named with a hash tag, such as {orders}:dlq, so that its job keys share its slot", pelican.ErrCrossSlot)
	}
	return nil
}
