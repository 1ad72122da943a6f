package pelican

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// WorkerConfig configures a Worker. Stream, Group and Handler are
// required; every other field has a default.
type WorkerConfig struct {
	// Stream is the stream to consume.
	Stream string
	// Group is the consumer group, created (with the stream, if missing)
	// when the worker starts, and again if it disappears while the worker
	// runs.
	Group string
	// Consumer is this worker's name in the group. If empty, a name unique
	// to this process is used: "<host>-<pid>", with "-2", "-3"... for
	// further workers of the same stream and group in one process. A
	// worker refuses to start under a name that a live worker holds (see
	// ErrConsumerInUse). Give a name that stays the same across restarts
	// (a StatefulSet pod's name, say) to have a restarted worker replay
	// its own pending messages at once; with the default, a dead worker's
	// messages are handed over by the survivors (see DeadConsumerAfter).
	Consumer string
	// Handler processes the messages.
	Handler Handler
	// Middleware wrap Handler, the first outermost, as net/http
	// middleware do: Middleware{a, b} runs a, which calls b, which calls
	// Handler. Each sees the message, its delivery count and the outcome
	// of what it wraps (see Middleware and OutcomeOf). If empty, Handler
	// runs alone, at no extra cost.
	Middleware []Middleware

	// Concurrency is how many handlers may run at the same time. If zero,
	// 1. Messages are read in batches and each goes to the next free
	// handler, so a slow message holds up only its own handler.
	Concurrency int
	// BatchSize is the most messages one read asks for. If zero, 64. The
	// worker asks for fewer when its handlers are slow, so that it does
	// not hold messages that another worker's free handlers could run.
	BatchSize int
	// Block is how long a read waits for new messages. If zero, 1s.
	Block time.Duration
	// HandlerTimeout bounds one handler call: its context ends then. A
	// handler that has not returned shortly after (a tenth of the timeout,
	// at most a second) is abandoned: its message counts as a failed
	// attempt and its handler slot goes to the next message. If zero,
	// 30s.
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
	// ClaimInterval is how often the worker looks through the group's
	// pending messages for ones idle for ClaimMinIdle, claiming them and
	// dropping (and counting) those deleted from the stream while pending.
	// On servers with XREADGROUP CLAIM every read also claims them. If
	// zero, ClaimMinIdle/4.
	ClaimInterval time.Duration
	// HeartbeatInterval is how often the worker tells the group that it
	// is alive and that its slow handlers are still at work (resetting
	// their messages' idle time). A worker that misses three heartbeats
	// is taken for dead. If zero, 5s, or ClaimMinIdle/4 if that is
	// shorter.
	HeartbeatInterval time.Duration
	// DeadConsumerAfter is how long a consumer that is not a live Pelican
	// worker may stay idle before the worker hands its pending messages to
	// itself and deletes it from the group. A Pelican worker is dead once
	// it has missed three heartbeats (at once, if it ran on this host and
	// its process is gone), and is handed over then. If zero,
	// 10×ClaimMinIdle; negative disables the hand-over.
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

	// ShutdownGrace bounds shutdown: once Run's context ends, messages not
	// yet started go back to the group at once, running handlers may
	// finish until the grace period is nearly over (their contexts end
	// then), and Run returns within it. If zero, 10s.
	ShutdownGrace time.Duration
	// ScheduleInterval is the longest the worker waits between looks for
	// scheduled messages of its stream that are due (see
	// docs/scheduling.md): it moves them into the stream as they fall due,
	// waking at the earliest due time it has seen, and within
	// ScheduleInterval for messages scheduled since by other processes.
	// Any number of workers and Schedulers may do this at once. If zero,
	// 1s; negative leaves the moving to others.
	ScheduleInterval time.Duration
	// StartID is where a new group starts reading: "0" (the default, the
	// whole stream) or "$" (only new messages).
	StartID string

	// Codec is what Message.Decode decodes payloads with. A message whose
	// content type (FieldContentType) is another codec's fails to decode
	// with a *DecodeError, a permanent failure. If nil, the client's codec
	// (Options.Codec) is used.
	Codec Codec
}

// ErrInvalidConfig is wrapped by the errors of WorkerConfig.Validate.
var ErrInvalidConfig = errors.New("pelican: invalid worker configuration")

// Validate checks cfg for settings that cannot work, as NewWorker does,
// without changing it. The error, wrapping ErrInvalidConfig, says what to
// change.
func (cfg WorkerConfig) Validate() error {
	_, err := cfg.withDefaults()
	return err
}

// withDefaults returns cfg with every unset field set to its default,
// after checking it.
func (cfg WorkerConfig) withDefaults() (WorkerConfig, error) {
	invalid := func(format string, args ...any) (WorkerConfig, error) {
		return cfg, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	if cfg.Stream == "" || cfg.Group == "" {
		return invalid("a Stream and a Group are required")
	}
	if cfg.Handler == nil {
		return invalid("a Handler is required")
	}
	if cfg.Concurrency < 0 || cfg.BatchSize < 0 || cfg.MaxDeliveries < 0 {
		return invalid("Concurrency, BatchSize and MaxDeliveries cannot be negative (zero takes the default)")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 1
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 64
	}
	def(&cfg.Block, time.Second)
	def(&cfg.HandlerTimeout, 30*time.Second)
	if cfg.MaxDeliveries == 0 {
		cfg.MaxDeliveries = 3
	}
	if cfg.Backoff == nil {
		cfg.Backoff = ExponentialBackoff{Base: time.Second, Max: time.Minute, Jitter: 0.2}
	}
	def(&cfg.ClaimMinIdle, 5*time.Minute)
	def(&cfg.ClaimInterval, cfg.ClaimMinIdle/4)
	def(&cfg.HeartbeatInterval, min(5*time.Second, cfg.ClaimMinIdle/4))
	if cfg.DeadConsumerAfter == 0 {
		cfg.DeadConsumerAfter = 10 * cfg.ClaimMinIdle
	}
	def(&cfg.RetryInterval, min(time.Second, max(cfg.Backoff.Delay(1)/2, 10*time.Millisecond)))
	if cfg.DeadLetterStream == "" {
		cfg.DeadLetterStream = DeadLetterStreamOf(cfg.Stream)
	}
	if cfg.DeadLetterStream == cfg.Stream || strings.Contains(cfg.DeadLetterStream, ":pelican:") {
		return invalid("the dead-letter stream %q cannot be the stream or one of Pelican's own keys", cfg.DeadLetterStream)
	}
	def(&cfg.MarkerTTL, 24*time.Hour)
	def(&cfg.ShutdownGrace, 10*time.Second)
	if cfg.ScheduleInterval == 0 {
		cfg.ScheduleInterval = time.Second
	}
	if cfg.StartID == "" {
		cfg.StartID = "0"
	}
	if cfg.HeartbeatInterval >= cfg.ClaimMinIdle {
		return invalid("HeartbeatInterval (%v) must be shorter than ClaimMinIdle (%v), or other workers claim the messages of slow handlers: make HeartbeatInterval at most ClaimMinIdle/4", cfg.HeartbeatInterval, cfg.ClaimMinIdle)
	}
	if cfg.Consumer != "" && strings.ContainsAny(cfg.Consumer, "\r\n") {
		return invalid("the consumer name %q contains a line break", cfg.Consumer)
	}
	return cfg, nil
}

// connsNeeded is how many connections of the go-redis pool a worker with
// cfg may hold at once: its reads, the settler and the five background
// loops (retrier, claimer, janitor, heartbeater, scheduled messages' mover), and in exactly-once mode one per handler (each runs under WATCH
// on a connection of its own).
func (cfg *WorkerConfig) connsNeeded() int {
	n := maxReads(cfg.Concurrency) + 6
	if cfg.ExactlyOnce {
		n += cfg.Concurrency
	}
	return n
}

// checkClient refuses settings that cannot work with rdb: a connection
// pool too small for the worker, a dead-letter stream in another Redis
// Cluster slot. It logs settings that work but surprise.
func (w *Worker) checkClient(rdb redis.UniversalClient) error {
	cfg := &w.cfg
	if err := checkSlots(rdb, cfg.Stream, cfg.DeadLetterStream); err != nil {
		return err
	}
	if pool := poolSize(rdb); pool > 0 && pool < cfg.connsNeeded() {
		return fmt.Errorf("%w: the go-redis client's PoolSize (%d) is smaller than this worker needs (%d with Concurrency %d%s): give the client a PoolSize of at least %d, plus what your handlers use",
			ErrInvalidConfig, pool, cfg.connsNeeded(), cfg.Concurrency, map[bool]string{true: " in exactly-once mode", false: ""}[cfg.ExactlyOnce], cfg.connsNeeded())
	}
	if rt := readTimeout(rdb); rt > 0 && cfg.Block > 0 && cfg.Block+time.Second > rt {
		return fmt.Errorf("%w: Block (%v) must be at least a second shorter than the go-redis client's ReadTimeout (%v), or reads that wait for messages time out: lower Block or raise ReadTimeout",
			ErrInvalidConfig, cfg.Block, rt)
	}
	if d := cfg.Backoff.Delay(cfg.MaxDeliveries); d > cfg.ClaimMinIdle {
		w.log.Warn("pelican: the backoff asks for delays longer than ClaimMinIdle; they are capped at ClaimMinIdle", "backoff", d, "claim_min_idle", cfg.ClaimMinIdle)
	}
	return nil
}

// poolSize returns the connection pool size of rdb, 0 if unknown.
func poolSize(rdb redis.UniversalClient) int {
	switch c := rdb.(type) {
	case interface{ Options() *redis.Options }:
		if o := c.Options(); o.PoolSize > 0 {
			return o.PoolSize
		}
		return 10 * runtime.GOMAXPROCS(0) // go-redis's default
	case *redis.ClusterClient:
		if o := c.Options(); o.PoolSize > 0 {
			return o.PoolSize
		}
		return 5 * runtime.GOMAXPROCS(0) // go-redis's default for a cluster node
	}
	return 0
}

// readTimeout returns the read timeout of rdb's connections (go-redis
// fills in its default), 0 when there is none or it is unknown.
func readTimeout(rdb redis.UniversalClient) time.Duration {
	var rt time.Duration
	switch c := rdb.(type) {
	case interface{ Options() *redis.Options }:
		rt = c.Options().ReadTimeout
	case *redis.ClusterClient:
		rt = c.Options().ReadTimeout
	default:
		return 0
	}
	return max(rt, 0)
}
