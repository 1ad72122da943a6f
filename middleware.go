package pelican

import (
	"context"
	"runtime/debug"
)

// Middleware wraps a Handler with behaviour of its own: tracing, a rate
// limit, a circuit breaker, logging. It is the shape net/http users know:
// a middleware returns a Handler that does its part and calls next (or
// does not, to refuse the message with an error of its own).
//
// A middleware sees, for each delivery, the message (its ID, fields and
// delivery count, Message.Deliveries) and what the handler inside it
// returned; OutcomeOf says what that result means for the message: acked,
// retried, dead-lettered or given back, and the failure class. A panic of
// the handler reaches the middleware as an error of class ClassPanic (the
// worker recovers it inside the chain), so that a middleware need not
// recover panics to see them.
type Middleware func(next Handler) Handler

// chain returns h wrapped by mw, the first outermost: chain(h, a, b)
// runs a, then b, then h. With middleware, h is wrapped first in
// recoverPanics, so that the middleware see its panics as errors; the
// worker recovers panics around the whole chain too (see Worker.call), for
// those of the middleware themselves. Without, h is returned as it is:
// the worker's own recover is the only one, as before middleware existed.
func chain(h Handler, mw []Middleware) Handler {
	if len(mw) == 0 {
		return h
	}
	h = recoverPanics(h)
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// recoverPanics returns h with its panics turned into errors of class
// ClassPanic, the stack kept (see panicError).
func recoverPanics(h Handler) Handler {
	return HandlerFunc(func(ctx context.Context, m *Message) (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = &panicError{v: v, stack: panicStack(debug.Stack())}
			}
		}()
		return h.Handle(ctx, m)
	})
}

// Result is what the worker does with a message once its handler has
// returned.
type Result int

// The results of a delivery.
const (
	// ResultAck: processed; the message is acknowledged.
	ResultAck Result = iota
	// ResultRetry: the attempt is spent; the message is delivered again
	// after the backoff (or RetryAfter's delay).
	ResultRetry
	// ResultDeadLetter: the message goes to the dead-letter stream: a
	// permanent failure, or the last attempt failed.
	ResultDeadLetter
	// ResultGiveBack: the message goes back to the group without spending
	// an attempt (ErrUnavailable, or the worker shutting down).
	ResultGiveBack
)

// String returns the result's name: "ack", "retry", "dead-letter" or
// "give-back".
func (r Result) String() string {
	switch r {
	case ResultAck:
		return "ack"
	case ResultRetry:
		return "retry"
	case ResultDeadLetter:
		return "dead-letter"
	case ResultGiveBack:
		return "give-back"
	}
	return "unknown"
}

// Outcome is what a handler's result means for its message.
type Outcome struct {
	// Result is what the worker does with the message.
	Result Result
	// Class is the failure class (ClassHandler, ClassPanic, ClassTimeout,
	// ClassPermanent, ClassUnavailable or ClassShutdown); empty for
	// ResultAck.
	Class string
}

// OutcomeOf returns what the worker makes of err, returned by a handler
// for m under ctx, with the rules of docs/failures.md: the same
// classification the worker applies. ctx must be the context the handler
// (or the middleware calling OutcomeOf) was given: whether it ended tells
// a timeout or a shutdown apart. A middleware calls it with the error its
// next handler returned; the outermost middleware, returning that error
// unchanged, gets exactly the worker's decision.
//
// A message whose failure spends its last attempt (m.Deliveries has
// reached m.MaxDeliveries) is ResultDeadLetter with the failure's class.
func OutcomeOf(ctx context.Context, m *Message, err error) Outcome {
	if err == nil {
		return Outcome{Result: ResultAck}
	}
	o, class, _ := classify(err, ctx.Err())
	switch o {
	case outcomeDead:
		return Outcome{Result: ResultDeadLetter, Class: class}
	case outcomeGiveBack:
		return Outcome{Result: ResultGiveBack, Class: class}
	}
	if m != nil && m.MaxDeliveries > 0 && m.Deliveries >= int64(m.MaxDeliveries) {
		return Outcome{Result: ResultDeadLetter, Class: class}
	}
	return Outcome{Result: ResultRetry, Class: class}
}
