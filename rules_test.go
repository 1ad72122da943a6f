package pelican

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		ctxErr error
		out    outcome
		class  string
		delay  time.Duration
	}{
		{"success", nil, nil, outcomeAck, "", 0},
		{"plain error", errors.New("x"), nil, outcomeRetry, ClassHandler, 0},
		{"wrapped permanent", fmt.Errorf("order: %w", Permanent(errors.New("bad"))), nil, outcomeDead, ClassPermanent, 0},
		{"wrapped unavailable", fmt.Errorf("db: %w", Unavailable(errors.New("down"))), nil, outcomeGiveBack, ClassUnavailable, 0},
		{"retry after", RetryAfter(5*time.Second, errors.New("busy")), nil, outcomeRetry, ClassHandler, 5 * time.Second},
		{"panic", &panicError{v: "boom"}, nil, outcomeRetry, ClassPanic, 0},
		{"timeout", context.DeadlineExceeded, context.DeadlineExceeded, outcomeRetry, ClassTimeout, 0},
		{"shutdown", context.Canceled, context.Canceled, outcomeGiveBack, ClassShutdown, 0},
		// A handler that says its failure is permanent is believed even
		// when its context also ended.
		{"permanent at the deadline", Permanent(errors.New("bad")), context.DeadlineExceeded, outcomeDead, ClassPermanent, 0},
	}
	for _, tt := range tests {
		out, class, delay := classify(tt.err, tt.ctxErr)
		if out != tt.out || class != tt.class || delay != tt.delay {
			t.Errorf("%s: classify = %v, %q, %v; want %v, %q, %v", tt.name, out, class, delay, tt.out, tt.class, tt.delay)
		}
	}
}

func TestBackoffs(t *testing.T) {
	exp := ExponentialBackoff{Base: time.Second, Max: 10 * time.Second}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 50: 10 * time.Second} {
		if got := exp.Delay(attempt); got != want {
			t.Errorf("exponential Delay(%d) = %v, want %v", attempt, got, want)
		}
	}
	jit := ExponentialBackoff{Base: time.Second, Max: time.Minute, Jitter: 0.5}
	for i := 0; i < 200; i++ {
		if d := jit.Delay(2); d < time.Second || d > 3*time.Second {
			t.Fatalf("jittered Delay(2) = %v, outside 2s ± 50%%", d)
		}
	}
	list := Delays{time.Second, 10 * time.Second, time.Minute}
	for attempt, want := range map[int]time.Duration{0: time.Second, 1: time.Second, 2: 10 * time.Second, 3: time.Minute, 9: time.Minute} {
		if got := list.Delay(attempt); got != want {
			t.Errorf("Delays.Delay(%d) = %v, want %v", attempt, got, want)
		}
	}
}

func TestFailureRecordRoundTrip(t *testing.T) {
	r := failureRecord{
		First: time.UnixMilli(1000), Last: time.UnixMilli(2000), RetryAt: time.UnixMilli(3000),
		Class: ClassHandler, Err: "a|b|c", // the error text may contain the separator
	}
	got, ok := decodeFailure(r.encode())
	if !ok || *got != r {
		t.Fatalf("round trip = %+v, %v; want %+v", got, ok, r)
	}
	for _, bad := range []string{"", "2|1|2|3|x|y", "1|a|2|3|x|y", "1|1|2"} {
		if _, ok := decodeFailure(bad); ok {
			t.Errorf("decodeFailure(%q) accepted a malformed record", bad)
		}
	}
}

// TestIsDue states when a failed message is retried: at its record's
// retry time; with no record, once idle for the backoff of its deliveries
// and for the claim threshold (before that it is one a lane is handling).
func TestIsDue(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	b := Delays{time.Second, 5 * time.Second}
	rec := &failureRecord{RetryAt: now.Add(time.Second)}
	tests := []struct {
		name    string
		rec     *failureRecord
		p       redis.XPendingExt
		now     time.Time
		minIdle time.Duration // ClaimMinIdle
		want    bool
	}{
		{"record not yet due", rec, redis.XPendingExt{Idle: time.Hour, RetryCount: 1}, now, time.Minute, false},
		{"record due", rec, redis.XPendingExt{Idle: 0, RetryCount: 1}, now.Add(time.Second), time.Minute, true},
		{"no record, idle short of the backoff", nil, redis.XPendingExt{Idle: 4 * time.Second, RetryCount: 2}, now, time.Second, false},
		{"no record, idle past the backoff", nil, redis.XPendingExt{Idle: 5 * time.Second, RetryCount: 2}, now, time.Second, true},
		{"no record, idle past the backoff, short of the claim threshold", nil, redis.XPendingExt{Idle: 5 * time.Second, RetryCount: 2}, now, time.Minute, false},
		{"no record, idle past both", nil, redis.XPendingExt{Idle: time.Minute, RetryCount: 2}, now, time.Minute, true},
	}
	for _, tt := range tests {
		if got := isDue(tt.rec, tt.p, tt.now, b, tt.minIdle); got != tt.want {
			t.Errorf("%s: isDue = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHashTag(t *testing.T) {
	for key, want := range map[string]string{
		"orders": "orders", "{orders}": "orders", "{orders}:dlq": "orders",
		"a{b}c{d}": "b", "{}x": "{}x", "x{": "x{", "{a": "{a",
	} {
		if got := HashTag(key); got != want {
			t.Errorf("HashTag(%q) = %q, want %q", key, got, want)
		}
	}
}

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
	} {
		if err := bad.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: Validate = %v, want ErrInvalidConfig", bad, err)
		}
	}
}
