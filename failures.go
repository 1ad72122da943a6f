package pelican

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The failure taxonomy. What a handler returns decides what happens to the
// message (docs/failures.md has the full rules):
//
//   - nil: processed; the message is acknowledged.
//   - an error wrapping ErrPermanent: it can never succeed; it goes to the
//     dead-letter stream at once.
//   - an error wrapping ErrUnavailable: something the handler depends on is
//     down; the message goes back to the group at once without spending
//     an attempt.
//   - any other error (or a panic, or running past the handler timeout):
//     the attempt is spent; the message is delivered again after the
//     backoff, or after the delay of RetryAfter, and goes to the
//     dead-letter stream once MaxDeliveries attempts have failed.
var (
	// ErrPermanent marks a failure no retry can fix.
	ErrPermanent = errors.New("pelican: permanent failure")
	// ErrUnavailable marks a failure of a dependency, not of the message.
	ErrUnavailable = errors.New("pelican: dependency unavailable")
)

// Permanent wraps err as a permanent failure.
func Permanent(err error) error { return &kindError{kind: ErrPermanent, err: err} }

// Unavailable wraps err as a failure of a dependency.
func Unavailable(err error) error { return &kindError{kind: ErrUnavailable, err: err} }

// kindError is err marked with one of the failure kinds, ErrPermanent or
// ErrUnavailable: errors.Is finds both. (fmt.Errorf("%w: %w") would do the
// same, at several times the cost on a path taken once per message.)
type kindError struct{ kind, err error }

// Error returns the wrapped error's text: the kind is a mark, not part of
// the message, so that failures group by their cause in the dead-letter
// stream.
func (e *kindError) Error() string {
	if e.err == nil {
		return e.kind.Error()
	}
	return e.err.Error()
}

func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// RetryAfter wraps err as a failure to retry after d instead of after the
// backoff. The delay is capped at the worker's ClaimMinIdle: a message
// idle that long may be claimed by any worker.
func RetryAfter(d time.Duration, err error) error { return &retryAfterError{d: d, err: err} }

type retryAfterError struct {
	d   time.Duration
	err error
}

// Error returns the wrapped error's text (see kindError.Error).
func (e *retryAfterError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("retry after %v", e.d)
	}
	return e.err.Error()
}

func (e *retryAfterError) Unwrap() error { return e.err }

// Failure classes, recorded with each failure and in dead-letter metadata.
const (
	ClassHandler       = "handler"        // the handler returned an error
	ClassPanic         = "panic"          // the handler panicked
	ClassTimeout       = "timeout"        // the handler ran past its time limit
	ClassPermanent     = "permanent"      // the handler returned ErrPermanent
	ClassUnavailable   = "unavailable"    // the handler returned ErrUnavailable
	ClassMaxDeliveries = "max-deliveries" // delivered more than MaxDeliveries times without success
	ClassShutdown      = "shutdown"       // the worker shut down before the handler finished
	ClassCrash         = "crash"          // the worker died (crashed, was killed) while the handler ran
)

// panicError is what a recovered handler panic becomes: its value, whose
// text is the error's, and the stack where it happened.
type panicError struct {
	v     any
	stack string
}

func (e *panicError) Error() string { return fmt.Sprint(e.v) }

// maxStack bounds the part of a panic's stack kept with its failure
// record and dead letter; the log gets all of it.
const maxStack = 4096

// panicStack returns the stack of a recovered panic from debug.Stack's
// output, starting at the frame that panicked: the frames of debug.Stack,
// the worker's recover and the runtime's panic come first and say nothing.
func panicStack(b []byte) string {
	s := string(b)
	if i := strings.Index(s, "\npanic("); i >= 0 {
		// The line after panic's two lines (call and file) is the frame
		// that panicked.
		rest := s[i+1:]
		for range 2 {
			if j := strings.IndexByte(rest, '\n'); j >= 0 {
				rest = rest[j+1:]
			}
		}
		header := s[:strings.IndexByte(s, '\n')+1] // "goroutine N [running]:"
		s = header + rest
	}
	return s
}

// stackOf returns the bounded stack to keep with a failure: that of a
// panic in err's chain, cut at maxStack bytes; "" for other errors.
func stackOf(err error) string {
	var pe *panicError
	if !errors.As(err, &pe) {
		return ""
	}
	if len(pe.stack) > maxStack {
		return pe.stack[:maxStack]
	}
	return pe.stack
}

// causeText returns the text of a handler's failure as kept in failure
// records and dead letters: the handler's own error, without the marks of
// Permanent, Unavailable and RetryAfter (their Error methods leave them
// out), so that failures group by their real cause.
func causeText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// outcome is what a handler's result means for its message.
type outcome int

const (
	outcomeAck      outcome = iota // processed
	outcomeRetry                   // attempt spent: retry after a delay, or dead-letter
	outcomeDead                    // dead-letter now
	outcomeGiveBack                // back to the group, attempt not spent
)

// classify maps a handler's error, and the error of the context it ran
// under, to an outcome, a failure class, and for retries the delay the
// handler asked for (zero: use the backoff).
func classify(err, ctxErr error) (outcome, string, time.Duration) {
	if err == nil {
		return outcomeAck, "", 0
	}
	switch {
	case errors.Is(err, ErrPermanent):
		return outcomeDead, ClassPermanent, 0
	case errors.Is(err, ErrUnavailable):
		return outcomeGiveBack, ClassUnavailable, 0
	case isPanic(err):
		return outcomeRetry, ClassPanic, 0
	}
	if d, ok := retryDelay(err); ok {
		return outcomeRetry, ClassHandler, d
	}
	switch {
	case ctxErr == context.DeadlineExceeded:
		return outcomeRetry, ClassTimeout, 0
	case ctxErr == context.Canceled:
		// The worker is shutting down: not the message's fault.
		return outcomeGiveBack, ClassShutdown, 0
	}
	return outcomeRetry, ClassHandler, 0
}

// isPanic reports whether err is a recovered handler panic.
func isPanic(err error) bool {
	var pe *panicError
	return errors.As(err, &pe)
}

// retryDelay returns the delay of a RetryAfter error in err's chain.
func retryDelay(err error) (time.Duration, bool) {
	var ra *retryAfterError
	if errors.As(err, &ra) {
		return ra.d, true
	}
	return 0, false
}
