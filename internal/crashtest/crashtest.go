// Package crashtest is the reliability test of Pelican's processing
// library: messages flow through several worker processes (built from
// cmd/crashworker) while the test kills them with SIGKILL at random and
// restarts them, on Pelican's server and on a real redis-server 7. This
// file holds what the test and the worker program share: the message
// kinds, the keys the handler records its work in, and the handler.
package crashtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
)

// Fields of a published message.
const (
	// FieldKind holds the message's Kind.
	FieldKind = "kind"
	// FieldN holds the message's number, 0 to N-1, which names it in the
	// handler's records.
	FieldN = "n"
)

// Kind says how the handler treats a message.
type Kind string

// The kinds of message.
const (
	// KindOK succeeds.
	KindOK Kind = "ok"
	// KindFlaky fails on the handler's first call for it and succeeds
	// afterwards.
	KindFlaky Kind = "flaky"
	// KindUnavailable is given back (ErrUnavailable) on the handler's
	// first call for it and succeeds afterwards.
	KindUnavailable Kind = "unavailable"
	// KindFail fails on every call: it must end in the dead-letter stream
	// after MaxDeliveries attempts.
	KindFail Kind = "fail"
	// KindPermanent fails permanently: it must end in the dead-letter
	// stream at once.
	KindPermanent Kind = "permanent"
	// KindPoison kills the worker process (SIGKILL, as a crash in a C
	// library or the OOM killer would) every time it is handled: it must
	// end in the dead-letter stream after MaxDeliveries attempts, alone.
	KindPoison Kind = "poison"
)

// Succeeds reports whether messages of kind k are meant to be processed,
// as opposed to dead-lettered.
func (k Kind) Succeeds() bool { return k == KindOK || k == KindFlaky || k == KindUnavailable }

// Keys names what a run writes besides Pelican's own keys.
type Keys struct {
	// Stream is the stream the messages are published to.
	Stream string
}

// Effects is the hash of side effects: field n, value how many times the
// message's side effect was applied. In exactly-once mode the handler
// queues the increment on Message.Tx, so it commits with the
// acknowledgement; in at-least-once mode it applies it directly.
func (k Keys) Effects() string { return k.Stream + ":crash:effects" }

// Calls is the hash of handler calls: field n, value how many times the
// handler was called for the message (written outside any transaction).
func (k Keys) Calls() string { return k.Stream + ":crash:calls" }

// DeadLetters is the dead-letter stream of the group.
func (k Keys) DeadLetters() string { return k.Stream + ":dlq" }

// Errors the handler fails with on purpose.
var (
	errOnPurpose   = errors.New("crashtest: failing on purpose")
	errUnavailable = errors.New("crashtest: dependency down on purpose")
)

// Handler is the handler of the worker program. Each call counts itself
// in Keys.Calls; a message meant to succeed applies its side effect (an
// increment of its field in Keys.Effects), atomically with its
// acknowledgement in exactly-once mode; the others fail as their kind
// says. MaxWork bounds a random pause that stands for the work itself, so
// that kills land in the middle of handlers too.
type Handler struct {
	Redis       redis.UniversalClient
	Keys        Keys
	ExactlyOnce bool
	MaxWork     time.Duration
	// Log, if set, receives a line per call.
	Log *slog.Logger
}

// Handle processes one message.
func (h *Handler) Handle(ctx context.Context, m *pelican.Message) error {
	n, kind := m.Values[FieldN], Kind(m.Values[FieldKind])
	if n == "" {
		return pelican.Permanent(fmt.Errorf("crashtest: message %s has no %q field", m.ID, FieldN))
	}
	calls, err := h.Redis.HIncrBy(ctx, h.Keys.Calls(), n, 1).Result()
	if err != nil {
		return fmt.Errorf("crashtest: counting the call: %w", err)
	}
	if h.Log != nil {
		h.Log.Info("crashtest: handling", "id", m.ID, "n", n, "kind", kind, "deliveries", m.Deliveries, "call", calls)
	}
	if h.MaxWork > 0 {
		time.Sleep(rand.N(h.MaxWork))
	}
	if h.ExactlyOnce {
		// Queued for every kind: the transaction of a failed call must be
		// discarded, so a failing message never shows an effect.
		m.Tx().HIncrBy(ctx, h.Keys.Effects(), n, 1)
	}
	switch kind {
	case KindOK:
	case KindFlaky:
		if calls == 1 {
			return errOnPurpose
		}
	case KindUnavailable:
		if calls == 1 {
			return pelican.Unavailable(errUnavailable)
		}
	case KindFail:
		return errOnPurpose
	case KindPermanent:
		return pelican.Permanent(errOnPurpose)
	case KindPoison:
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // SIGKILL is not delivered synchronously: never go on
	default:
		return pelican.Permanent(fmt.Errorf("crashtest: message %s has unknown kind %q", m.ID, kind))
	}
	if !h.ExactlyOnce {
		if err := h.Redis.HIncrBy(ctx, h.Keys.Effects(), n, 1).Err(); err != nil {
			return fmt.Errorf("crashtest: applying the side effect: %w", err)
		}
	}
	return nil
}

// MaxDeliveries is the workers' delivery limit.
const MaxDeliveries = 3

// WorkerConfig returns the configuration of a worker process: short
// intervals, so that retries, claims and dead-consumer cleanup all happen
// within a run of a few seconds.
func WorkerConfig(stream, group, consumer string, h pelican.Handler, exactlyOnce bool) pelican.WorkerConfig {
	return pelican.WorkerConfig{
		Stream:            stream,
		Group:             group,
		Consumer:          consumer,
		Handler:           h,
		Concurrency:       2,
		BatchSize:         32,
		Block:             50 * time.Millisecond,
		HandlerTimeout:    5 * time.Second,
		MaxDeliveries:     MaxDeliveries,
		Backoff:           pelican.ExponentialBackoff{Base: 20 * time.Millisecond, Max: 100 * time.Millisecond, Jitter: 0.2},
		RetryInterval:     20 * time.Millisecond,
		ClaimMinIdle:      400 * time.Millisecond,
		ClaimInterval:     100 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond,
		DeadConsumerAfter: 2 * time.Second,
		ExactlyOnce:       exactlyOnce,
		ShutdownGrace:     2 * time.Second,
	}
}
