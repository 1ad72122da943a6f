package dlq

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/rediserr"
)

// Redrive sends dead letters back to the streams they came from, as a
// managed job: rate-limited, with progress, cancellable, and resumable
// from a checkpoint after a crash without sending anything twice.
//
// A job works in batches. Each batch is one MULTI/EXEC that adds the
// batch's messages to their streams, parks those past the redrive limit,
// deletes both from the dead-letter stream, sets a marker per entry and
// updates the job's checkpoint: a crash leaves every entry either in the
// dead-letter stream or moved, and the checkpoint says exactly which.
// The transaction watches the entries' markers, so two jobs (or two
// processes resuming one job) racing on an entry move it once.
//
// A redriven message carries its own fields, FieldRedriveGroup naming the
// group that dead-lettered it, and FieldRedrives, its redrive count: the
// workers of other groups reading the stream acknowledge it without
// running their handlers, and if it fails again it returns to the
// dead-letter stream with that count.

// RedriveOptions control a redrive. The zero value redrives at full
// speed, 100 entries per batch, parking entries redriven 3 times before.
type RedriveOptions struct {
	// Rate bounds how many messages per second are sent back to their
	// streams. If zero, there is no bound. With a rate, a batch holds at
	// most Rate/20 messages (at least 1), so that the job sends steadily
	// and stops promptly when cancelled.
	Rate float64
	// BatchSize is how many entries one transaction handles. If zero, 100.
	BatchSize int
	// RedriveLimit is how many times a message may be redriven: an entry
	// whose redrive count has reached it is parked (moved to the parked
	// stream, see Queue.Parked) instead of being sent back again. If zero,
	// 3.
	RedriveLimit int
	// JobID names the job: letters, digits, '.', '_' and '-', at most 64.
	// If empty, one is generated from the time and random digits.
	JobID string
	// OnProgress, if set, is called by the job after each batch and when
	// it ends, from the job's goroutine: it must return quickly.
	OnProgress func(Progress)
	// OnRedrive, if set, is called for each entry the job is about to
	// send back to its stream, right before its batch's transaction, with
	// the entry as it is in the dead-letter stream (its headers
	// included). The function it returns (nil if it needs none) is called
	// once the transaction is over, with the message's new ID in the
	// stream, or the error that kept it from arriving there (the entry
	// then stays in, or returns to, the dead-letter stream). Both are
	// called from the job's goroutine, before OnProgress: they must return
	// quickly. Package pelicanotel uses it to put the redrive on the
	// message's trace.
	OnRedrive func(ctx context.Context, d pelican.DeadLetter) (done func(id string, err error))
}

// Defaults of RedriveOptions.
const (
	DefaultRedriveBatchSize = 100
	DefaultRedriveLimit     = 3
)

// jobIDPattern is what a job ID may be: it becomes part of a key name.
var jobIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withDefaults returns the options with defaults filled in, or an error
// wrapping ErrBadOptions.
func (o RedriveOptions) withDefaults() (RedriveOptions, error) {
	if o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0) {
		return o, fmt.Errorf("%w: Rate %v", ErrBadOptions, o.Rate)
	}
	if o.BatchSize < 0 || o.RedriveLimit < 0 {
		return o, fmt.Errorf("%w: negative BatchSize or RedriveLimit", ErrBadOptions)
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultRedriveBatchSize
	}
	if o.RedriveLimit == 0 {
		o.RedriveLimit = DefaultRedriveLimit
	}
	if o.JobID != "" && !jobIDPattern.MatchString(o.JobID) {
		return o, fmt.Errorf("%w: job ID %q: use at most 64 letters, digits, '.', '_' and '-'", ErrBadOptions, o.JobID)
	}
	return o, nil
}

// batchSize is the number of entries a batch handles: BatchSize, capped
// so that a rate-limited batch is at most a twentieth of a second's worth.
func (o RedriveOptions) batchSize() int {
	n := o.BatchSize
	if o.Rate > 0 {
		n = min(n, max(1, int(math.Ceil(o.Rate/20))))
	}
	return n
}

// limiter returns the rate limiter of a job, or nil without a rate. Its
// bucket starts empty: the job's rate holds from its first message.
func (o RedriveOptions) limiter(burst int) *rate.Limiter {
	if o.Rate == 0 {
		return nil
	}
	l := rate.NewLimiter(rate.Limit(o.Rate), burst)
	l.AllowN(time.Now(), burst)
	return l
}

// Errors of redrive.
var (
	// ErrBadOptions means RedriveOptions are invalid.
	ErrBadOptions = errors.New("dlq: bad redrive options")
	// ErrTargetGone means the stream an entry is to be sent back to does
	// not exist, is not a stream, or has no consumer group of the entry's
	// group: nobody would read the message. The job stops; what it did not
	// move stays in the dead-letter stream.
	ErrTargetGone = errors.New("dlq: the redrive target stream or its group does not exist")
	// ErrJobExists means a job with the given ID already exists.
	ErrJobExists = errors.New("dlq: a redrive job with this ID already exists")
	// ErrUnknownJob means no checkpoint exists for the job ID.
	ErrUnknownJob = errors.New("dlq: no such redrive job")
	// ErrJobTaken means another process resumed the job: this one stopped
	// without changing anything more.
	ErrJobTaken = errors.New("dlq: the redrive job was resumed elsewhere")
	// ErrCancelled means the job was cancelled (Job.Cancel, its context,
	// or Queue.CancelRedrive) before it finished.
	ErrCancelled = errors.New("dlq: the redrive job was cancelled")
)

// Progress is where a redrive job stands.
type Progress struct {
	// Total is how many entries the selector selected when the job
	// started (up to the dead-letter stream's last entry then: messages
	// that fail again during the job are not redriven by it). It is 0
	// until the job has counted them, at its start.
	Total int64
	// Moved entries were sent back to their streams.
	Moved int64
	// Parked entries had reached the redrive limit and were moved to the
	// parked stream.
	Parked int64
	// Skipped entries cannot be redriven (see SkipReason) and stay in the
	// dead-letter stream.
	Skipped int64
	// Gone entries left the dead-letter stream by other means between the
	// start and the job's reaching them: deleted, reprocessed, or moved by
	// another redrive job. While the job runs it counts those it saw go;
	// once it is done, Total = Moved + Parked + Skipped + Gone.
	Gone int64
	// Done is true once the job has ended, for whatever reason.
	Done bool
	// Err is why the job ended early: nil when it handled every selected
	// entry. ErrCancelled, ErrTargetGone and ErrJobTaken are matched with
	// errors.Is.
	Err error
}

// Job is a redrive running in this process.
type Job struct {
	q     *Queue
	id    string
	token string // this run's claim on the checkpoint (field owner)
	opts  RedriveOptions
	sel   Selector
	until string // the last dead-letter entry ID the job may handle
	last  string // the last entry ID handled (the checkpoint's)

	counted bool
	idmp    bool // the server has XADD IDMP
	stop    chan struct{}
	stopped sync.Once
	done    chan struct{}

	mu sync.Mutex
	p  Progress
}

// ID returns the job's ID, which ResumeRedrive and RedriveJobs know it by.
func (j *Job) ID() string { return j.id }

// Progress returns where the job stands.
func (j *Job) Progress() Progress {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.p
}

// Cancel stops the job after its current batch. What it has not moved
// stays in the dead-letter stream; the job can be resumed.
func (j *Job) Cancel() { j.stopped.Do(func() { close(j.stop) }) }

// Wait waits until the job ends or ctx does, and returns its progress and
// the job's error (Progress.Err), or ctx's error if ctx ended first.
func (j *Job) Wait(ctx context.Context) (Progress, error) {
	select {
	case <-j.done:
		p := j.Progress()
		return p, p.Err
	case <-ctx.Done():
		return j.Progress(), ctx.Err()
	}
}

// Done returns a channel closed when the job has ended.
func (j *Job) Done() <-chan struct{} { return j.done }

// Redrive starts a job that sends the entries sel selects back to the
// streams they came from, and returns at once. Cancelling ctx, like
// Job.Cancel, stops the job after its current batch.
//
// Entries whose redrive count has reached opts.RedriveLimit are parked;
// entries that cannot be redriven (no original stream or group in their
// metadata, a malformed redrive count, a target in another Redis Cluster
// slot) are skipped and stay. Before each batch the job checks that every
// target stream exists and has the entry's group; if one does not, the job
// stops with ErrTargetGone, leaving the rest in the dead-letter stream.
//
// The job handles only the entries present when it starts: a message that
// fails again meanwhile returns to the dead-letter stream after them and
// waits for the next redrive. An absent dead-letter stream gives a job
// that moves nothing.
func (q *Queue) Redrive(ctx context.Context, sel Selector, opts RedriveOptions) (*Job, error) {
	if err := sel.validate(); err != nil {
		return nil, err
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := q.checkRedriveCluster(); err != nil {
		return nil, err
	}
	if opts.JobID == "" {
		opts.JobID = newJobID(q.c.Clock().Now())
	}
	until, length, err := q.lastEntryID(ctx)
	if err != nil {
		return nil, err
	}
	j := q.newJob(opts, sel)
	j.until = until
	if until == "" || sel.selectsAll() {
		// Nothing to redrive, or everything: no need to count.
		j.counted, j.p.Total = true, length
	}
	if err := q.createCheckpoint(ctx, j); err != nil {
		return nil, err
	}
	go j.run(ctx)
	return j, nil
}

// ResumeRedrive continues the job jobID from its checkpoint: after a
// crash, a cancel or a failure (once its cause, such as a deleted target,
// is fixed). It takes the job over from any process still running it,
// which then stops with ErrJobTaken. The selector and the counts come from
// the checkpoint; opts apply as in Redrive, except JobID, which is
// ignored. Resuming a finished job returns a job that is already done.
func (q *Queue) ResumeRedrive(ctx context.Context, jobID string, opts RedriveOptions) (*Job, error) {
	opts.JobID = ""
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if !jobIDPattern.MatchString(jobID) {
		return nil, fmt.Errorf("%w: %q", ErrUnknownJob, jobID)
	}
	if err := q.checkRedriveCluster(); err != nil {
		return nil, err
	}
	opts.JobID = jobID
	j := q.newJob(opts, Selector{})
	cp, err := q.takeOver(ctx, j)
	if err != nil {
		return nil, err
	}
	j.sel, j.until, j.last = cp.Selector, cp.Until, cp.Last
	j.counted = cp.counted
	j.p = Progress{Total: cp.Total, Moved: cp.Moved, Parked: cp.Parked, Skipped: cp.Skipped, Gone: cp.Gone}
	if cp.State == StateDone {
		j.p.Done = true
		close(j.done)
		return j, nil
	}
	go j.run(ctx)
	return j, nil
}

func (q *Queue) newJob(opts RedriveOptions, sel Selector) *Job {
	return &Job{
		q: q, id: opts.JobID, token: redriveRandomHex(8), opts: opts, sel: sel,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
}

// newJobID returns a job ID made of the time and random digits.
func newJobID(now time.Time) string {
	return now.UTC().Format("20060102T150405Z") + "-" + redriveRandomHex(4)
}

func redriveRandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// run is the job's goroutine.
func (j *Job) run(ctx context.Context) {
	defer close(j.done)
	err := j.work(ctx)
	j.finish(context.WithoutCancel(ctx), err)
}

// work counts the selected entries if not yet done, then handles them
// batch by batch. Reads and waits end with ctx or Cancel; a batch's
// transaction, once started, is not interrupted.
func (j *Job) work(ctx context.Context) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-j.stop:
			cancel()
		case <-wctx.Done():
		}
	}()
	io := context.WithoutCancel(ctx)
	cancelled := func() error {
		if cause := ctx.Err(); cause != nil {
			return fmt.Errorf("%w: %w", ErrCancelled, cause)
		}
		return ErrCancelled
	}
	if !j.counted {
		total, err := j.q.countSelected(wctx, j.sel, j.until)
		if wctx.Err() != nil {
			return cancelled()
		}
		if err != nil {
			return err
		}
		if err := j.saveTotal(io, total); err != nil {
			return err
		}
		j.counted = true
	}
	caps, err := j.q.c.Capabilities(io)
	if err != nil {
		return err
	}
	j.idmp = caps.Idempotent
	n := j.opts.batchSize()
	lim := j.opts.limiter(n)
	var contention, failures int
	for {
		if wctx.Err() != nil {
			return cancelled()
		}
		b, err := j.q.readBatch(wctx, j.sel, j.last, j.until, n)
		if wctx.Err() != nil {
			return cancelled()
		}
		if err != nil {
			if failures++; failures > redriveMaxFailures || !rediserr.IsTransient(err) {
				return err
			}
			redrivePause(wctx, failures)
			continue
		}
		if b.last == "" {
			return nil // nothing left
		}
		c := j.classify(b.entries)
		if lim != nil && len(c.moves) > 0 {
			if err := lim.WaitN(wctx, len(c.moves)); err != nil {
				return cancelled()
			}
		}
		err = j.commit(io, b, c)
		switch {
		case errors.Is(err, errRedriveContention):
			if contention++; contention > redriveMaxContention {
				return fmt.Errorf("dlq: redrive %s: the entries kept changing under the job (%d attempts)", j.id, contention)
			}
			continue
		case errors.Is(err, errRedriveUncertain):
			// The transaction may or may not have applied: the checkpoint,
			// written by it, says which.
			if failures++; failures > redriveMaxFailures {
				return err
			}
			redrivePause(wctx, failures)
			if err := j.reload(io); err != nil {
				return err
			}
			continue
		case errors.Is(err, errRedriveCancelRequested):
			return ErrCancelled
		case err != nil:
			return err
		}
		contention, failures = 0, 0
		j.report()
		if b.end {
			return nil
		}
	}
}

// Retry bounds of a job: transactions aborted because a watched key
// changed (another job took some of the batch's entries), and errors of
// the connection.
const (
	redriveMaxContention = 100
	redriveMaxFailures   = 5
)

// redrivePause waits a little before retrying after the n-th failure in a row.
func redrivePause(ctx context.Context, n int) {
	t := time.NewTimer(time.Duration(n*n) * 50 * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// report calls the OnProgress hook with the current progress.
func (j *Job) report() {
	if j.opts.OnProgress != nil {
		j.opts.OnProgress(j.Progress())
	}
}

// finish records how the job ended, in the checkpoint and in Progress.
func (j *Job) finish(ctx context.Context, err error) {
	state := StateDone
	switch {
	case errors.Is(err, ErrCancelled):
		state = StateCancelled
	case err != nil:
		state = StateFailed
	}
	if err != nil && !errors.Is(err, ErrCancelled) {
		err = fmt.Errorf("dlq: redrive %s of %s: %w", j.id, j.q.name, err)
	}
	if state == StateDone {
		// Entries deleted before the job read them never showed up.
		j.mu.Lock()
		if p := &j.p; p.Total > p.Moved+p.Parked+p.Skipped+p.Gone {
			p.Gone = p.Total - p.Moved - p.Parked - p.Skipped
		}
		j.mu.Unlock()
	}
	if !errors.Is(err, ErrJobTaken) {
		if werr := j.saveState(ctx, state, err); werr != nil && !errors.Is(werr, ErrJobTaken) {
			j.q.c.Logger().Warn("dlq: recording the end of a redrive failed; the checkpoint still says running",
				"dlq", j.q.name, "job", j.id, "err", werr)
		}
	}
	j.mu.Lock()
	j.p.Done, j.p.Err = true, err
	p := j.p
	j.mu.Unlock()
	log := j.q.c.Logger()
	attrs := []any{"dlq", j.q.name, "job", j.id, "state", state, "total", p.Total, "moved", p.Moved, "parked", p.Parked, "skipped", p.Skipped, "gone", p.Gone}
	if err != nil && state == StateFailed {
		log.Warn("dlq: redrive failed", append(attrs, "err", err)...)
	} else {
		log.Info("dlq: redrive ended", attrs...)
	}
	j.report()
}

// FieldParkedAt is the field a parked entry gets besides those it had in
// the dead-letter stream: the Unix ms at which it was parked.
const FieldParkedAt = pelican.ReservedPrefix + "parked-at"

// Parked returns the stream where redrive parks entries that reached the
// redrive limit: the dead-letter stream's name + ":parked". Its entries
// keep all their fields, so it can be browsed, and redriven with a higher
// RedriveLimit, like any dead-letter stream.
func (q *Queue) Parked() *Queue { return Open(q.c, q.parkedName()) }

func (q *Queue) parkedName() string { return q.name + ":parked" }
