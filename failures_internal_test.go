package pelican

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
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
