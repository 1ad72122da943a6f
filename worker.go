package pelican

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// WorkerConfig configures a Worker. Stream, Group and Handler are
// required; every other field has a default.
type WorkerConfig struct {
	// Stream is the stream to consume.
	Stream string
	// Group is the consumer group, created (with the stream, if missing)
	// when the worker starts.
	Group string
	// Consumer is this worker's name in the group. It must be stable
	// across restarts, so that a restarted worker finds its own pending
	// messages, and unique among the group's live workers. If empty, the
	// host name is used.
	Consumer string
	// Handler processes the messages.
	Handler Handler

	// Concurrency is how many messages are processed at once: the number
	// of read loops, each handling its batch in order. If zero, 1. Each
	// loop holds a connection while its read blocks, and the worker's
	// background loops use up to four more: give the go-redis client a
	// PoolSize of at least Concurrency + 4.
	Concurrency int
	// BatchSize is how many messages one read asks for. If zero, 64.
	BatchSize int
	// Block is how long a read waits for new messages. If zero, 1s. It
	// also bounds how long shutdown waits for a read to return.
	Block time.Duration
	// HandlerTimeout bounds one handler call. If zero, 30s.
	HandlerTimeout time.Duration

	// MaxDeliveries is how many deliveries may fail before the message is
	// dead-lettered. If zero, 3.
	MaxDeliveries int
	// Backoff spaces the retries of a failed message. If nil,
	// ExponentialBackoff{Base: time.Second, Max: time.Minute, Jitter: 0.2}.
	// Delays are capped at ClaimMinIdle.
	Backoff Backoff
	// RetryInterval is how often the worker looks for failed messages due
	// for a retry. If zero, 1s (or less, to match a shorter backoff).
	RetryInterval time.Duration

	// ClaimMinIdle is how long a message must stay pending without
	// progress before any worker may claim it: its worker is presumed
	// dead. If zero, 5m.
	ClaimMinIdle time.Duration
	// ClaimInterval is how often the worker goes through the group's
	// pending messages with XAUTOCLAIM, claiming such messages and
	// dropping (and counting) those deleted from the stream while pending.
	// On servers with XREADGROUP CLAIM every read also claims them. If
	// zero, ClaimMinIdle/4.
	ClaimInterval time.Duration
	// HeartbeatInterval is how often the worker tells the group that its
	// slow handlers are still at work (resetting their messages' idle
	// time) and that it is alive. If zero, ClaimMinIdle/4.
	HeartbeatInterval time.Duration
	// DeadConsumerAfter is how long a consumer may go without heartbeat or
	// read before the worker hands its pending messages to itself and
	// deletes it from the group. If zero, 10×ClaimMinIdle; negative
	// disables the cleanup.
	DeadConsumerAfter time.Duration

	// DeadLetterStream receives failed messages. If empty, Stream+":dlq".
	DeadLetterStream string
	// OnDeadLetter, if set, is called after a message was moved to the
	// dead-letter stream.
	OnDeadLetter func(ctx context.Context, d DeadLetter)

	// ExactlyOnce runs the handler in exactly-once mode: its Redis writes,
	// queued on Message.Tx, are applied with a marker and the
	// acknowledgement in one transaction; a redelivered message whose
	// marker exists is acknowledged without running the handler again.
	ExactlyOnce bool
	// MarkerTTL is how long exactly-once markers live. If zero, 24h.
	MarkerTTL time.Duration

	// ShutdownGrace is how long in-flight handlers may finish after Run's
	// context ends. If zero, 10s. What is not done by then is given back.
	ShutdownGrace time.Duration
	// StartID is where a new group starts reading: "0" (the default, the
	// whole stream) or "$" (only new messages).
	StartID string
}

func (cfg *WorkerConfig) setDefaults() error {
	if cfg.Stream == "" || cfg.Group == "" {
		return errors.New("pelican: WorkerConfig needs a Stream and a Group")
	}
	if cfg.Handler == nil {
		return errors.New("pelican: WorkerConfig needs a Handler")
	}
	if cfg.Consumer == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			return errors.New("pelican: no Consumer name given and no host name to use")
		}
		cfg.Consumer = host
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 64
	}
	def(&cfg.Block, time.Second)
	def(&cfg.HandlerTimeout, 30*time.Second)
	if cfg.MaxDeliveries <= 0 {
		cfg.MaxDeliveries = 3
	}
	if cfg.Backoff == nil {
		cfg.Backoff = ExponentialBackoff{Base: time.Second, Max: time.Minute, Jitter: 0.2}
	}
	def(&cfg.ClaimMinIdle, 5*time.Minute)
	def(&cfg.ClaimInterval, cfg.ClaimMinIdle/4)
	def(&cfg.HeartbeatInterval, cfg.ClaimMinIdle/4)
	if cfg.DeadConsumerAfter == 0 {
		cfg.DeadConsumerAfter = 10 * cfg.ClaimMinIdle
	}
	def(&cfg.RetryInterval, min(time.Second, max(cfg.Backoff.Delay(1)/2, 10*time.Millisecond)))
	if cfg.DeadLetterStream == "" {
		cfg.DeadLetterStream = DeadLetterStreamOf(cfg.Stream)
	}
	if cfg.DeadLetterStream == cfg.Stream || strings.Contains(cfg.DeadLetterStream, ":pelican:") {
		return fmt.Errorf("pelican: the dead-letter stream %q cannot be the stream or one of Pelican's own keys", cfg.DeadLetterStream)
	}
	def(&cfg.MarkerTTL, 24*time.Hour)
	def(&cfg.ShutdownGrace, 10*time.Second)
	if cfg.StartID == "" {
		cfg.StartID = "0"
	}
	if cfg.HeartbeatInterval >= cfg.ClaimMinIdle {
		return fmt.Errorf("pelican: HeartbeatInterval (%v) must be shorter than ClaimMinIdle (%v), or slow handlers lose their messages", cfg.HeartbeatInterval, cfg.ClaimMinIdle)
	}
	return nil
}

// Worker consumes a stream in a consumer group. Create one with
// Client.NewWorker and start it with Run.
type Worker struct {
	c    *Client
	cfg  WorkerConfig
	keys groupKeys
	log  *slog.Logger
	caps Capabilities
	// readArgs is the XREADGROUP command of the read loops (readGroupArgs).
	readArgs []any

	mu       sync.Mutex
	inFlight map[string]time.Time // messages owned one by one, and since when
	// held are the read loops' batches of first deliveries being handled,
	// owned a batch at a time (see ownRead).
	held map[*[]*Message]struct{}
	// adopted are the messages the janitor took over from dead consumers,
	// and when: the retry scan takes them without waiting for
	// ClaimMinIdle (see retryDue).
	adopted map[string]time.Time
	// beatMu is held by a heartbeat from listing the messages in flight
	// until it has reset their idle time (claiming them to this worker),
	// and by giving messages back: a heartbeat must not claim back a
	// message given back after it was listed.
	beatMu    sync.Mutex
	nextRetry time.Time     // the earliest retry this worker scheduled, if any
	retryKick chan struct{} // wakes the retry loop when nextRetry moves earlier

	stats workerStats

	// boxed holds configuration strings converted to interface values once,
	// rather than once per dead letter.
	boxed struct{ stream, group, consumer any }

	// afterRead, when set (by tests), runs after each read of a read loop
	// that returned messages, before the loop takes them in hand;
	// beforeRetryClaim after a retry scan has chosen what is due, before
	// it claims them.
	afterRead, beforeRetryClaim func()
}

type workerStats struct {
	processed, failed, deadLettered, givenBack, lostToTrim, duplicates, notOurs, redeliveries atomic.Int64
}

// WorkerStats are a worker's counters since it was created.
type WorkerStats struct {
	// Processed counts the messages handled successfully. In
	// at-least-once mode they are added once their batch has been
	// handled, and acknowledged with the lane's next read; in exactly-once
	// mode each is added when its transaction has committed.
	Processed int64
	// Failed counts failed deliveries (an attempt spent).
	Failed int64
	// DeadLettered messages were moved to the dead-letter stream by this
	// worker.
	DeadLettered int64
	// GivenBack messages went back to the group without spending an
	// attempt (ErrUnavailable, shutdown).
	GivenBack int64
	// LostToTrim counts pending messages whose entries had been deleted
	// or trimmed from the stream before they could be processed.
	LostToTrim int64
	// Duplicates counts redeliveries an exactly-once worker recognised as
	// already processed.
	Duplicates int64
	// NotOurs counts redriven messages meant for another group (their
	// FieldRedriveGroup names it), acknowledged without running the
	// handler.
	NotOurs int64
	// Redeliveries counts the messages this worker handled (or
	// dead-lettered without running the handler) that had been delivered
	// before: retries and claimed messages.
	Redeliveries int64
}

// NewWorker returns a worker with cfg, after checking it.
func (c *Client) NewWorker(cfg WorkerConfig) (*Worker, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if err := checkSlots(c.rdb, cfg.Stream, cfg.DeadLetterStream); err != nil {
		return nil, err
	}
	w := &Worker{
		c:         c,
		cfg:       cfg,
		keys:      groupKeys{stream: cfg.Stream, group: cfg.Group, dlq: cfg.DeadLetterStream},
		log:       c.log.With("stream", cfg.Stream, "group", cfg.Group, "consumer", cfg.Consumer),
		inFlight:  make(map[string]time.Time),
		held:      make(map[*[]*Message]struct{}),
		adopted:   make(map[string]time.Time),
		retryKick: make(chan struct{}, 1),
	}
	w.boxed.stream, w.boxed.group, w.boxed.consumer = cfg.Stream, cfg.Group, cfg.Consumer
	return w, nil
}

// Stats returns the worker's counters.
func (w *Worker) Stats() WorkerStats {
	return WorkerStats{
		Processed:    w.stats.processed.Load(),
		Failed:       w.stats.failed.Load(),
		DeadLettered: w.stats.deadLettered.Load(),
		GivenBack:    w.stats.givenBack.Load(),
		LostToTrim:   w.stats.lostToTrim.Load(),
		NotOurs:      w.stats.notOurs.Load(),
		Redeliveries: w.stats.redeliveries.Load(),
		Duplicates:   w.stats.duplicates.Load(),
	}
}

// Run processes messages until ctx ends, then shuts down gracefully: it
// stops reading, lets in-flight handlers finish within ShutdownGrace,
// acknowledges what completed and gives the rest back to the group. It
// returns nil after a clean shutdown, including one that comes while the
// worker is starting, and an error if it cannot start.
func (w *Worker) Run(ctx context.Context) error {
	caps, err := w.c.Capabilities(ctx)
	if err == nil {
		w.caps = caps
		w.readArgs = w.readGroupArgs()
		err = w.ensureGroup(ctx)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting: nothing to shut down
		}
		return err
	}
	// Handlers run under work, which outlives ctx by the grace period.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	go func() {
		<-ctx.Done()
		t := time.NewTimer(w.cfg.ShutdownGrace)
		defer t.Stop()
		select {
		case <-t.C:
			stopWork()
		case <-work.Done():
		}
	}()

	if err := w.replayOwn(ctx, work); err != nil && ctx.Err() == nil {
		w.log.Warn("pelican: replaying own pending messages failed", "err", err)
	}

	var wg sync.WaitGroup
	for i := 0; i < w.cfg.Concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.readLoop(ctx, work)
		}()
	}
	// The claim pass runs even where reads claim (XREADGROUP CLAIM): those
	// skip entries deleted while pending, which only XAUTOCLAIM drops from
	// the PEL and reports, to be counted as lost to trim.
	background := []func(ctx, work context.Context){w.retryLoop, w.heartbeatLoop, w.claimLoop}
	if w.cfg.DeadConsumerAfter > 0 {
		background = append(background, w.janitorLoop)
	}
	for _, loop := range background {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loop(ctx, work)
		}()
	}
	wg.Wait()
	w.publishStats(context.WithoutCancel(ctx))
	return nil
}

// ensureGroup creates the group, and the stream if missing.
func (w *Worker) ensureGroup(ctx context.Context) error {
	err := w.c.rdb.XGroupCreateMkStream(ctx, w.cfg.Stream, w.cfg.Group, w.cfg.StartID).Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("pelican: creating group %s of %s: %w", w.cfg.Group, w.cfg.Stream, err)
	}
	return nil
}

// readLoop is one lane: read a batch of new (and, where the server can,
// abandoned) messages, handle them in order, and acknowledge the
// successes with the next read, in the same round trip.
func (w *Worker) readLoop(ctx, work context.Context) {
	var acks []string
	release := func() {} // lets go of the messages acks acknowledges
	defer func() {
		if len(acks) > 0 {
			w.ack(work, acks)
		}
		release()
	}()
	for ctx.Err() == nil {
		msgs, err := w.readBatch(ctx, acks)
		if err != nil {
			// The acknowledgements may not have been applied: keep them,
			// and their messages, for the next round.
			if ctx.Err() == nil {
				w.log.Warn("pelican: reading failed", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		release() // acknowledged with the read
		if w.afterRead != nil && len(msgs) > 0 {
			w.afterRead()
		}
		acks, release = w.handleRead(work, msgs, acks[:0])
	}
}

// readBatch acknowledges acks and reads the next batch in one round trip.
func (w *Worker) readBatch(ctx context.Context, acks []string) ([]*Message, error) {
	if len(acks) > 0 {
		crashPoint("before-ack")
	}
	var raw *redis.RawCmd
	var generic *redis.Cmd
	_, err := w.c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if len(acks) > 0 {
			p.XAck(ctx, w.cfg.Stream, w.cfg.Group, acks...)
		}
		if w.c.cluster {
			generic = p.Do(ctx, w.readArgs...)
		} else {
			raw = redis.NewRawCmd(ctx, w.readArgs...)
			p.Process(ctx, raw)
		}
		return nil
	})
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if generic != nil {
		return w.parseReadGroup(generic.Val())
	}
	return w.parseReadGroupRaw(raw.Val())
}

// message returns the message of entry xm, delivered for the first time.
func (w *Worker) message(xm redis.XMessage) *Message {
	m := new(Message)
	w.fill(m, xm)
	return m
}

// fill sets m to the message of entry xm, delivered for the first time.
func (w *Worker) fill(m *Message, xm redis.XMessage) {
	*m = Message{
		ID:            xm.ID,
		Stream:        w.cfg.Stream,
		Group:         w.cfg.Group,
		Values:        toStrings(xm.Values),
		Deliveries:    1,
		MaxDeliveries: w.cfg.MaxDeliveries,
	}
}

// ack acknowledges ids.
func (w *Worker) ack(ctx context.Context, ids []string) {
	if err := w.c.rdb.XAck(ctx, w.cfg.Stream, w.cfg.Group, ids...).Err(); err != nil {
		w.log.Warn("pelican: acknowledging failed; the messages will be delivered again", "count", len(ids), "err", err)
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
