package dlq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/watch"
)

// A redrive job's checkpoint is a hash next to the dead-letter stream,
// <dlq>:pelican:redrive:job:<id>, and the set <dlq>:pelican:redrive:jobs
// lists the jobs. Every batch updates the checkpoint in its own
// transaction, so after a crash it says exactly which entries the job has
// handled. Its fields:
//
//	v         format version, 1
//	selector  the Selector, as JSON
//	rate, batch, limit   the options the job last ran with
//	until     the last dead-letter entry ID the job may handle ("" for none)
//	last      the last entry ID it has handled ("" before the first batch)
//	total     the entries selected at the start (absent until counted)
//	moved, parked, skipped, gone   counts
//	state     running, done, cancelled or failed; error says why it failed
//	started, updated         Unix ms
//	owner     the token of the process running it (see ResumeRedrive)
//	cancel    1 when CancelRedrive asked it to stop
//
// A finished job's checkpoint expires after FinishedJobTTL.

// JobState is what a redrive job is doing.
type JobState string

// The states of a redrive job.
const (
	// StateRunning: started and not finished. A job whose process died
	// stays running, its Updated time getting old, until resumed.
	StateRunning JobState = "running"
	// StateDone: every selected entry was handled.
	StateDone JobState = "done"
	// StateCancelled: stopped by a cancel; resumable.
	StateCancelled JobState = "cancelled"
	// StateFailed: stopped by an error (JobInfo.Error); resumable once its
	// cause is fixed.
	StateFailed JobState = "failed"
)

// FinishedJobTTL is how long the checkpoint of a finished job (done,
// cancelled or failed) is kept: time to resume it or look at it.
const FinishedJobTTL = 7 * 24 * time.Hour

// JobInfo describes a redrive job from its checkpoint.
type JobInfo struct {
	// ID is the job's ID.
	ID string
	// State is what it is doing; Error why it failed.
	State JobState
	Error string
	// Selector selected its entries.
	Selector Selector
	// Rate, BatchSize and RedriveLimit are the options it last ran with.
	Rate         float64
	BatchSize    int
	RedriveLimit int
	// Until is the last dead-letter entry ID the job may handle (the last
	// entry when it started; empty if there was none), and Last the last
	// one it has handled.
	Until, Last string
	// Total, Moved, Parked, Skipped and Gone are as in Progress; Counted
	// says whether Total is known yet.
	Total, Moved, Parked, Skipped, Gone int64
	Counted                             bool
	// CancelRequested says that CancelRedrive asked it to stop.
	CancelRequested bool
	// Started and Updated are when it started and last changed.
	Started, Updated time.Time
}

// jobKey is the checkpoint of job id.
func (q *Queue) jobKey(id string) string { return q.name + ":pelican:redrive:job:" + id }

// jobsKey is the set of the queue's job IDs.
func (q *Queue) jobsKey() string { return q.name + ":pelican:redrive:jobs" }

// redriveCheckpoint is a parsed checkpoint.
type redriveCheckpoint struct {
	JobInfo
	owner   string
	counted bool
}

// createCheckpoint writes a new job's checkpoint and adds it to the set
// of jobs, refusing an ID already taken.
func (q *Queue) createCheckpoint(ctx context.Context, j *Job) error {
	sel, err := json.Marshal(j.sel)
	if err != nil {
		return fmt.Errorf("dlq: encoding the selector: %w", err)
	}
	key := q.jobKey(j.id)
	now := q.c.Clock().Now().UnixMilli()
	fields := []any{
		"v", 1, "selector", sel, "until", j.until, "last", "",
		"moved", 0, "parked", 0, "skipped", 0, "gone", 0, "state", string(StateRunning), "error", "",
		"started", now, "updated", now, "owner", j.token,
	}
	fields = append(fields, redriveOptionFields(j.opts)...)
	if j.counted {
		fields = append(fields, "total", j.p.Total)
	}
	err = q.redriveTransact(ctx, []string{key}, func(p redis.Pipeliner) { p.Exists(ctx, key) }, func(t *watch.Tx, reads []redis.Cmder) error {
		if reads[0].(*redis.IntCmd).Val() > 0 {
			return fmt.Errorf("%w: %s", ErrJobExists, j.id)
		}
		_, err := t.Exec(ctx, func(p redis.Pipeliner) {
			p.HSet(ctx, key, fields...)
			p.SAdd(ctx, q.jobsKey(), j.id)
		})
		return err
	})
	if errors.Is(err, redis.TxFailedErr) {
		return fmt.Errorf("%w: %s", ErrJobExists, j.id)
	}
	if err != nil && !errors.Is(err, ErrJobExists) {
		return q.wrap("creating the redrive checkpoint", err)
	}
	return err
}

func redriveOptionFields(o RedriveOptions) []any {
	return []any{"rate", strconv.FormatFloat(o.Rate, 'g', -1, 64), "batch", o.BatchSize, "limit", o.RedriveLimit}
}

// takeOver makes j the owner of its checkpoint and returns what the
// checkpoint held. A finished (done) job is returned as it is.
func (q *Queue) takeOver(ctx context.Context, j *Job) (redriveCheckpoint, error) {
	key := q.jobKey(j.id)
	var cp redriveCheckpoint
	for attempt := 0; ; attempt++ {
		err := q.redriveTransact(ctx, []string{key}, func(p redis.Pipeliner) { p.HGetAll(ctx, key) }, func(t *watch.Tx, reads []redis.Cmder) error {
			m, err := reads[0].(*redis.MapStringStringCmd).Result()
			if err != nil {
				return err
			}
			if len(m) == 0 {
				return fmt.Errorf("%w: %s in %s", ErrUnknownJob, j.id, q.name)
			}
			if cp, err = parseRedriveCheckpoint(j.id, m); err != nil {
				return err
			}
			if cp.State == StateDone {
				return nil
			}
			fields := append([]any{"owner", j.token, "state", string(StateRunning), "error", "",
				"updated", q.c.Clock().Now().UnixMilli()}, redriveOptionFields(j.opts)...)
			_, err = t.Exec(ctx, func(p redis.Pipeliner) {
				p.HSet(ctx, key, fields...)
				p.HDel(ctx, key, "cancel")
				p.Persist(ctx, key)
				p.SAdd(ctx, q.jobsKey(), j.id)
			})
			return err
		})
		if errors.Is(err, redis.TxFailedErr) && attempt < 10 {
			continue // the job's process updated it meanwhile
		}
		if err != nil {
			if errors.Is(err, ErrUnknownJob) || errors.Is(err, ErrBadCheckpoint) {
				return cp, err
			}
			return cp, q.wrap("resuming redrive "+j.id, err)
		}
		return cp, nil
	}
}

// ErrBadCheckpoint means a redrive checkpoint cannot be read: it was
// changed by hand, or by a newer version of Pelican.
var ErrBadCheckpoint = errors.New("dlq: malformed redrive checkpoint")

// parseRedriveCheckpoint reads a checkpoint hash.
func parseRedriveCheckpoint(id string, m map[string]string) (redriveCheckpoint, error) {
	cp := redriveCheckpoint{JobInfo: JobInfo{ID: id}, owner: m["owner"]}
	bad := func(field string) (redriveCheckpoint, error) {
		return cp, fmt.Errorf("%w: job %s, field %q = %q", ErrBadCheckpoint, id, field, m[field])
	}
	if m["v"] != "1" {
		return bad("v")
	}
	if err := json.Unmarshal([]byte(m["selector"]), &cp.Selector); err != nil {
		return bad("selector")
	}
	ints := []struct {
		field string
		into  *int64
	}{{"moved", &cp.Moved}, {"parked", &cp.Parked}, {"skipped", &cp.Skipped}, {"gone", &cp.Gone}}
	for _, f := range ints {
		n, err := strconv.ParseInt(m[f.field], 10, 64)
		if err != nil {
			return bad(f.field)
		}
		*f.into = n
	}
	if s, ok := m["total"]; ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return bad("total")
		}
		cp.Total, cp.counted, cp.Counted = n, true, true
	}
	var err error
	if cp.Rate, err = strconv.ParseFloat(m["rate"], 64); err != nil {
		return bad("rate")
	}
	if cp.BatchSize, err = strconv.Atoi(m["batch"]); err != nil {
		return bad("batch")
	}
	if cp.RedriveLimit, err = strconv.Atoi(m["limit"]); err != nil {
		return bad("limit")
	}
	for _, f := range []struct {
		field string
		into  *time.Time
	}{{"started", &cp.Started}, {"updated", &cp.Updated}} {
		n, err := strconv.ParseInt(m[f.field], 10, 64)
		if err != nil {
			return bad(f.field)
		}
		*f.into = time.UnixMilli(n)
	}
	cp.State, cp.Error = JobState(m["state"]), m["error"]
	switch cp.State {
	case StateRunning, StateDone, StateCancelled, StateFailed:
	default:
		return bad("state")
	}
	cp.Until, cp.Last = m["until"], m["last"]
	cp.CancelRequested = m["cancel"] == "1"
	return cp, nil
}

// ownerWrite queues writes in a transaction that applies only while this
// run still owns the job's checkpoint.
func (j *Job) ownerWrite(ctx context.Context, writes func(p redis.Pipeliner)) error {
	key := j.q.jobKey(j.id)
	for attempt := 0; ; attempt++ {
		err := j.q.redriveTransact(ctx, []string{key}, func(p redis.Pipeliner) { p.HGet(ctx, key, "owner") }, func(t *watch.Tx, reads []redis.Cmder) error {
			owner, err := reads[0].(*redis.StringCmd).Result()
			if err != nil && err != redis.Nil {
				return err
			}
			if owner != j.token {
				return ErrJobTaken
			}
			_, err = t.Exec(ctx, writes)
			return err
		})
		if errors.Is(err, redis.TxFailedErr) && attempt < 10 {
			continue // a CancelRedrive, or a takeover: look again
		}
		return err
	}
}

// saveTotal records the number of selected entries.
func (j *Job) saveTotal(ctx context.Context, total int64) error {
	err := j.ownerWrite(ctx, func(p redis.Pipeliner) {
		p.HSet(ctx, j.q.jobKey(j.id), "total", total, "updated", j.q.c.Clock().Now().UnixMilli())
	})
	if err != nil {
		return err
	}
	j.mu.Lock()
	j.p.Total = total
	j.mu.Unlock()
	return nil
}

// saveState records the job's state, and for a finished job starts the
// checkpoint's expiry.
func (j *Job) saveState(ctx context.Context, state JobState, cause error) error {
	key := j.q.jobKey(j.id)
	msg := ""
	if cause != nil && state == StateFailed {
		msg = cause.Error()
	}
	gone := j.Progress().Gone
	return j.ownerWrite(ctx, func(p redis.Pipeliner) {
		p.HSet(ctx, key, "state", string(state), "error", msg, "gone", gone, "updated", j.q.c.Clock().Now().UnixMilli())
		if state != StateRunning {
			p.PExpire(ctx, key, FinishedJobTTL)
		}
	})
}

// reload reads the job's position and counts back from its checkpoint,
// after a transaction whose outcome is unknown.
func (j *Job) reload(ctx context.Context) error {
	m, err := j.q.rdb.HGetAll(ctx, j.q.jobKey(j.id)).Result()
	if err != nil {
		return j.q.wrap("reading the redrive checkpoint", err)
	}
	if len(m) == 0 {
		return fmt.Errorf("%w: the checkpoint of %s disappeared", ErrUnknownJob, j.id)
	}
	cp, err := parseRedriveCheckpoint(j.id, m)
	if err != nil {
		return err
	}
	if cp.owner != j.token {
		return ErrJobTaken
	}
	j.last = cp.Last
	j.mu.Lock()
	j.p.Moved, j.p.Parked, j.p.Skipped, j.p.Gone = cp.Moved, cp.Parked, cp.Skipped, cp.Gone
	j.mu.Unlock()
	return nil
}

// RedriveJobs lists the redrive jobs of the dead-letter stream whose
// checkpoints exist, oldest first. It forgets the IDs of jobs whose
// checkpoints have expired.
func (q *Queue) RedriveJobs(ctx context.Context) ([]JobInfo, error) {
	ids, err := q.rdb.SMembers(ctx, q.jobsKey()).Result()
	if err != nil {
		return nil, q.wrap("SMEMBERS", err)
	}
	cmds, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.HGetAll(ctx, q.jobKey(id))
		}
		return nil
	})
	if err != nil {
		return nil, q.wrap("HGETALL", err)
	}
	var infos []JobInfo
	var gone []any
	for i, cmd := range cmds {
		m := cmd.(*redis.MapStringStringCmd).Val()
		if len(m) == 0 {
			gone = append(gone, ids[i])
			continue
		}
		cp, err := parseRedriveCheckpoint(ids[i], m)
		if err != nil {
			return nil, err
		}
		infos = append(infos, cp.JobInfo)
	}
	if len(gone) > 0 {
		if err := q.rdb.SRem(ctx, q.jobsKey(), gone...).Err(); err != nil {
			return nil, q.wrap("SREM", err)
		}
	}
	slices.SortFunc(infos, func(a, b JobInfo) int {
		if c := a.Started.Compare(b.Started); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return infos, nil
}

// RedriveJob returns what the checkpoint of job id says, or
// ErrUnknownJob.
func (q *Queue) RedriveJob(ctx context.Context, id string) (JobInfo, error) {
	m, err := q.rdb.HGetAll(ctx, q.jobKey(id)).Result()
	if err != nil {
		return JobInfo{}, q.wrap("HGETALL", err)
	}
	if len(m) == 0 {
		return JobInfo{}, fmt.Errorf("%w: %s in %s", ErrUnknownJob, id, q.name)
	}
	cp, err := parseRedriveCheckpoint(id, m)
	return cp.JobInfo, err
}

// CancelRedrive asks the running job id, in whichever process runs it, to
// stop before its next batch; it then ends with ErrCancelled and can be
// resumed. Cancelling a job that is not running does nothing.
func (q *Queue) CancelRedrive(ctx context.Context, id string) error {
	key := q.jobKey(id)
	for attempt := 0; ; attempt++ {
		err := q.redriveTransact(ctx, []string{key}, func(p redis.Pipeliner) { p.HGet(ctx, key, "state") }, func(t *watch.Tx, reads []redis.Cmder) error {
			state, err := reads[0].(*redis.StringCmd).Result()
			if err == redis.Nil {
				return fmt.Errorf("%w: %s in %s", ErrUnknownJob, id, q.name)
			}
			if err != nil || JobState(state) != StateRunning {
				return err
			}
			_, err = t.Exec(ctx, func(p redis.Pipeliner) { p.HSet(ctx, key, "cancel", 1) })
			return err
		})
		if errors.Is(err, redis.TxFailedErr) && attempt < redriveMaxContention {
			continue // the job wrote its checkpoint meanwhile
		}
		if err != nil && !errors.Is(err, ErrUnknownJob) {
			return q.wrap("cancelling redrive "+id, err)
		}
		return err
	}
}
