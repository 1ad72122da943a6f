package pelican

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Worker consumes a stream in a consumer group. Create one with
// Client.NewWorker and start it with Run.
//
// A worker is a set of small components, each owning its state (and lock,
// if it has one):
//
//	inFlight     inflight.go   the messages the worker owns (its invariants are stated there)
//	processor    processor.go  the lanes that run handlers, and the queue that feeds them
//	reader       reader.go     the lanes' reads, which carry the settler's acknowledgements
//	settler      settler.go    acknowledgements, failure records, dead-letter moves, giving back
//	recovery     recover.go    messages recovered from dead workers, each run alone
//	retrier      retry.go      the retry scan of the worker's failed messages
//	claimer      claim.go      the claim pass over the group's abandoned messages
//	heartbeater  heartbeat.go  liveness and idle-time resets for the messages the worker holds
//	janitor      janitor.go    hands over and deletes dead consumers
//	mover        scheduler.go  moves the stream's scheduled messages into it as they fall due
//	watchdog     watchdog.go   abandons handlers that overrun their time limit
//	groupKeeper  group.go      creates the group, and creates it again if it disappears
//	health       health.go     outages: logging, counting, backoff
//
// Run starts them in this order: the group and the consumer name (start),
// the replay of the consumer's own pending messages (queued before any
// lane runs), the settler, the heartbeater and the watchdog, the lanes,
// then the retrier, the claimer, the janitor and the mover. It stops them in reverse
// (see shutdown): the retrier, claimer, janitor and mover and the reads first,
// then the lanes, then the settler's last writes, the heartbeater and the
// watchdog.
//
// Locks are taken in this order: heartbeater.sem (taken with a deadline,
// and held across round trips: by a heartbeat and by giving back), then
// groupKeeper.mu (held across the round trips of re-creating the group),
// then processor.mu, settler.mu or retrier.mu, then inFlight.mu;
// health.mu is a leaf. No other lock is held across a round trip.
type Worker struct {
	c    *Client
	cfg  WorkerConfig
	keys groupKeys
	log  *slog.Logger
	caps Capabilities
	// self identifies this process in beats; defaultName is set when the
	// consumer name is the default one, which claimName may change.
	self        *process
	defaultName bool
	// epoch is when the worker was made: handler start times are
	// monotonic offsets from it.
	epoch time.Time
	// after is Run's context without its cancellation: what follows a
	// handler (its outcome) is written under it even at shutdown.
	after context.Context

	inflight    *inFlight
	processor   *processor
	reader      *reader
	settler     *settler
	recovery    *recovery
	retrier     *retrier
	claimer     *claimer
	heartbeater *heartbeater
	janitor     *janitor
	watchdog    *watchdog
	groups      *groupKeeper
	health      *health

	stats workerStats
	// handlerTimes are the handlers' run times (see metrics.go).
	handlerTimes durationHistogram
	ran          atomic.Bool

	// boxed holds configuration strings converted to interface values once,
	// rather than once per dead letter.
	boxed struct{ stream, group, consumer any }

	// handler is cfg.Handler wrapped by cfg.Middleware (see chain).
	handler Handler
}

// workerStats are the worker's counters: those of WorkerStats, then
// those only WorkerMetrics reports.
type workerStats struct {
	processed, failed, deadLettered, givenBack, lostToTrim, duplicates, notOurs, redeliveries,
	abandoned, recovered, groupsRecreated, outages atomic.Int64
	deliveries, claimed, retried, panics atomic.Int64
}

// NewWorker returns a worker with cfg, after checking it (see
// WorkerConfig.Validate) and that it fits the client: a go-redis pool
// with room for it, a dead-letter stream in the stream's Redis Cluster
// slot.
func (c *Client) NewWorker(cfg WorkerConfig) (*Worker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	w := &Worker{c: c, cfg: cfg, self: thisProcess(), epoch: time.Now(), handler: chain(cfg.Handler, cfg.Middleware)}
	if w.cfg.Codec == nil {
		w.cfg.Codec = c.opts.Codec
	}
	if w.cfg.Consumer == "" {
		w.cfg.Consumer, w.defaultName = defaultConsumer(cfg.Stream, cfg.Group), true
	}
	w.keys = groupKeys{stream: cfg.Stream, group: cfg.Group, dlq: cfg.DeadLetterStream}
	w.log = c.log.With("stream", cfg.Stream, "group", cfg.Group, "consumer", w.cfg.Consumer)
	if err := w.checkClient(c.rdb); err != nil {
		return nil, err
	}
	w.after = context.Background()
	w.inflight = newInFlight()
	w.processor = newProcessor(w)
	w.reader = &reader{w: w}
	w.settler = newSettler(w)
	w.recovery = &recovery{w: w}
	w.retrier = newRetrier(w)
	w.claimer = newClaimer(w)
	w.heartbeater = newHeartbeater(w)
	w.janitor = &janitor{w: w}
	w.watchdog = &watchdog{w: w}
	w.groups = &groupKeeper{w: w}
	w.health = &health{w: w}
	return w, nil
}

// Consumer returns the worker's consumer name: the configured one, or
// the default one it chose.
func (w *Worker) Consumer() string { return w.cfg.Consumer }

// Stats returns the worker's counters.
func (w *Worker) Stats() WorkerStats {
	s := &w.stats
	return WorkerStats{
		Processed: s.processed.Load(), Failed: s.failed.Load(), DeadLettered: s.deadLettered.Load(),
		GivenBack: s.givenBack.Load(), LostToTrim: s.lostToTrim.Load(), Duplicates: s.duplicates.Load(),
		NotOurs: s.notOurs.Load(), Redeliveries: s.redeliveries.Load(), Abandoned: s.abandoned.Load(),
		Recovered: s.recovered.Load(), GroupsRecreated: s.groupsRecreated.Load(), Outages: s.outages.Load(),
	}
}

// ErrWorkerRan means Run was called on a worker that has run already.
var ErrWorkerRan = errors.New("pelican: a worker runs once; make a new one with NewWorker")

// Run processes messages until ctx ends, then shuts down within
// ShutdownGrace: it stops reading, gives back the messages no handler has
// started, lets running handlers finish, writes what they leave to write,
// gives back the messages of handlers still running when the grace
// period is over, and returns. It returns nil after a clean shutdown,
// including one that comes while the worker is starting, and an error if
// it cannot start: an invalid configuration, a consumer name held by a
// live worker (ErrConsumerInUse), a key of the wrong type. A server that
// cannot be reached is waited for, at start as later.
func (w *Worker) Run(ctx context.Context) error {
	if !w.ran.CompareAndSwap(false, true) {
		return ErrWorkerRan
	}
	if err := w.start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting: nothing to shut down
		}
		return err
	}
	w.after = context.WithoutCancel(ctx)
	// Handlers run under work, which outlives ctx until the grace period
	// is nearly over. The heartbeat, the watchdog and the settler run
	// under bg, until the lanes are done; the retrier, the claimer and
	// the janitor under ctx, since they only bring new work.
	work, stopWork := context.WithCancel(w.after)
	defer stopWork()
	bg, stopBG := context.WithCancel(w.after)
	defer stopBG()

	if err := w.recovery.replay(ctx); err != nil && ctx.Err() == nil {
		w.health.report(err)
		w.log.Warn("pelican: replaying this consumer's pending messages failed; the retry scan takes them later", "err", err)
	}
	var loops, bgLoops sync.WaitGroup
	goLoop := func(wg *sync.WaitGroup, f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	goLoop(&bgLoops, func() { w.settler.run(bg) })
	goLoop(&bgLoops, func() { w.heartbeater.run(bg) })
	goLoop(&bgLoops, func() { w.watchdog.run(bg, work) })
	w.processor.start(work)
	goLoop(&loops, func() { w.retrier.run(ctx) })
	goLoop(&loops, func() { w.claimer.run(ctx) })
	if w.cfg.DeadConsumerAfter > 0 {
		goLoop(&loops, func() { w.janitor.run(ctx) })
	}
	if w.cfg.ScheduleInterval > 0 {
		m := newMover(w.c, w.cfg.Stream, w.cfg.ScheduleInterval, defaultScheduleBatch, func(ctx context.Context, err error) {
			w.failed(ctx, "moving scheduled messages into the stream", err)
		})
		goLoop(&loops, func() { m.run(ctx) })
	}

	<-ctx.Done()
	w.shutdown(time.Now(), stopWork, &loops, stopBG, &bgLoops)
	return nil
}

// start gets the worker ready: the server's capabilities, the group, the
// consumer name. An unreachable server is waited for with backoff.
func (w *Worker) start(ctx context.Context) error {
	for {
		caps, err := w.c.Capabilities(ctx)
		if err == nil {
			w.caps = caps
			_, err = w.groups.ensure(ctx)
		}
		if err == nil {
			err = w.claimName(ctx)
		}
		if err == nil {
			w.health.report(nil)
			w.boxed.stream, w.boxed.group, w.boxed.consumer = w.cfg.Stream, w.cfg.Group, w.cfg.Consumer
			return nil
		}
		if ctx.Err() != nil || !isTransient(err) {
			return err
		}
		w.health.report(err)
		sleep(ctx, w.health.backoff())
	}
}

// shutdown stops the worker, whose Run's context ended at t0 (see Run),
// returning by t0 + ShutdownGrace.
func (w *Worker) shutdown(t0 time.Time, stopWork func(), loops *sync.WaitGroup, stopBG func(), bgLoops *sync.WaitGroup) {
	grace := w.cfg.ShutdownGrace
	reserve := min(grace/5, time.Second) // for the last writes
	end, cancel := context.WithDeadline(w.after, t0.Add(grace))
	defer cancel()

	queued, suspects := w.processor.stop()
	w.settler.giveBack(end, claimedOnly(w, queued)...)
	for _, id := range suspects {
		// Still pending to this consumer: replayed by a worker restarted
		// under its name, or handed over by another.
		w.inflight.releaseID(id)
	}
	handlers, cancelHandlers := context.WithDeadline(w.after, t0.Add(grace-reserve))
	defer cancelHandlers()
	if !w.processor.wait(handlers) {
		// Time is nearly up: end the handlers' contexts and give them a
		// moment to return.
		stopWork()
		last, cancelLast := context.WithDeadline(w.after, t0.Add(grace-reserve/2))
		done := w.processor.wait(last)
		cancelLast()
		if !done {
			if msgs := w.processor.abandonAll(); len(msgs) > 0 {
				w.stats.abandoned.Add(int64(len(msgs)))
				w.log.Error("pelican: handlers still running when the shutdown grace period ran out were abandoned; their messages go back to the group",
					"count", len(msgs), "shutdown_grace", grace)
				w.settler.giveBack(end, msgs...)
			}
		}
	}
	stopWork()
	waitGroup(end, loops)
	for w.settler.flush(end) != nil && end.Err() == nil {
		sleep(end, w.health.backoff())
	}
	stopBG()
	waitGroup(end, bgLoops)
	w.heartbeater.stopped(end)
}

// claimedOnly returns the messages of msgs that the worker has claimed,
// letting go of the others: retry tickets, which are not claimed until a
// lane takes them (see retrier.claimTicket). Giving one back would take
// back a delivery it never counted; it stays pending to this consumer, its
// failure record saying when it is due.
func claimedOnly(w *Worker, msgs []*Message) []*Message {
	claimed := msgs[:0]
	for _, m := range msgs {
		if m.ticket != nil {
			w.inflight.releaseID(m.ID)
			continue
		}
		claimed = append(claimed, m)
	}
	return claimed
}

// waitGroup waits for wg until ctx ends, and reports whether wg was done.
func waitGroup(ctx context.Context, wg *sync.WaitGroup) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// sinceEpoch returns the time since the worker was made, on the monotonic
// clock.
func (w *Worker) sinceEpoch() time.Duration { return time.Since(w.epoch) }

// message returns the message of entry xm, delivered for the first time.
func (w *Worker) message(xm redis.XMessage) *Message {
	m := new(Message)
	w.fill(m, xm)
	return m
}

// fill sets the ID and fields of m to those of entry xm, delivered for
// the first time, keeping its ownership.
func (w *Worker) fill(m *Message, xm redis.XMessage) {
	m.ID, m.Stream, m.Group = xm.ID, w.cfg.Stream, w.cfg.Group
	m.Values = toStrings(xm.Values)
	if xm.Values == nil {
		m.Values = nil
	}
	m.Deliveries, m.MaxDeliveries = 1, w.cfg.MaxDeliveries
	m.claimIdle = -1
}

// String describes the worker for logs.
func (w *Worker) String() string {
	return fmt.Sprintf("pelican worker %s of group %s on %s", w.cfg.Consumer, w.cfg.Group, w.cfg.Stream)
}
