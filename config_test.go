package pelican

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/syncbuf"
)

func TestDefaultsAndValidation(t *testing.T) {
	h := HandlerFunc(func(ctx context.Context, m *Message) error { return nil })
	cfg := WorkerConfig{Stream: "s", Group: "g", Consumer: "c", Handler: h}
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxDeliveries != 3 || cfg.ClaimMinIdle != 5*time.Minute || cfg.DeadLetterStream != "s:dlq" || cfg.StartID != "0" {
		t.Errorf("defaults: %+v", cfg)
	}
	for _, bad := range []WorkerConfig{
		{Group: "g", Handler: h},
		{Stream: "s", Handler: h},
		{Stream: "s", Group: "g"},
		{Stream: "s", Group: "g", Consumer: "c", Handler: h, ClaimMinIdle: time.Second, HeartbeatInterval: time.Second},
		{Stream: "s", Group: "g", Handler: h, Concurrency: -1},
		{Stream: "s", Group: "g", Handler: h, DeadLetterStream: "s"},
		{Stream: "s", Group: "g", Handler: h, DeadLetterStream: "s:pelican:failures:g"},
		{Stream: "s", Group: "g", Handler: h, Consumer: "a\nb"},
	} {
		if err := bad.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: Validate = %v, want ErrInvalidConfig", bad, err)
		}
	}
}

// NewWorker refuses a go-redis pool too small for the worker, saying how
// large it must be, and logs a backoff longer than ClaimMinIdle.
func TestNewWorkerChecksTheClient(t *testing.T) {
	h := HandlerFunc(func(ctx context.Context, m *Message) error { return nil })
	var log syncbuf.Buffer
	c := New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", PoolSize: 10, ReadTimeout: 3 * time.Second}), Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	defer c.Close()
	if _, err := c.NewWorker(WorkerConfig{Stream: "s", Group: "g", Handler: h, Concurrency: 4}); err != nil {
		t.Errorf("a worker that fits the pool was refused: %v", err)
	}
	_, err := c.NewWorker(WorkerConfig{Stream: "s", Group: "g", Handler: h, Concurrency: 4, ExactlyOnce: true})
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "PoolSize of at least 14") {
		t.Errorf("an exactly-once worker of 4 handlers over a pool of 10: %v; want ErrInvalidConfig asking for a PoolSize of at least 14", err)
	}
	_, err = c.NewWorker(WorkerConfig{Stream: "s", Group: "g", Handler: h, Block: 3 * time.Second})
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "ReadTimeout (3s)") {
		t.Errorf("Block 3s over a ReadTimeout of 3s: %v; want ErrInvalidConfig naming the ReadTimeout", err)
	}
	if _, err := c.NewWorker(WorkerConfig{Stream: "s", Group: "g", Handler: h, ClaimMinIdle: time.Minute, Backoff: Delays{time.Hour}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "longer than ClaimMinIdle") {
		t.Errorf("no warning about a backoff longer than ClaimMinIdle in the log:\n%s", log.String())
	}
}
