package pelican

import (
	"context"
	"slices"
	"strings"
)

// Headers are fields that code built on Pelican adds to the messages a
// client publishes, beside the message's own: a trace context, for one
// (package pelicanotel adds "traceparent" and "tracestate"). A header
// named h is stored as the field HeaderPrefix + h; since publishing
// refuses the fields named with ReservedPrefix, headers cannot collide
// with the message's own fields, and only a PublishHook adds them.
//
// Headers travel with their message: a dead letter keeps them
// (DeadLetter.Headers), and a redrive sends them back with it, so that
// whatever a header identifies (a trace) can be followed from the
// publish, through failures and the dead-letter stream, to the
// redelivery.

// HeaderPrefix starts the names of the fields that hold headers.
const HeaderPrefix = ReservedPrefix + "h:"

// PublishHook is called for every message a Client publishes (Publish,
// PublishValue, PublishBatch), after its fields were checked and before it
// is sent. It may add headers with setHeader, and returns a function that
// is called once the server has replied, with the message's ID or the
// error (or nil, if it needs no word of it). For PublishBatch, the hook is
// called for each message before the batch is sent, and each function
// after. Hooks run in the order of Options.PublishHooks.
//
// Hooks cost nothing to a client that has none.
type PublishHook func(ctx context.Context, stream string, setHeader func(name, value string)) (done func(id string, err error))

// Header returns the value of m's header name ("" if it has none).
func (m *Message) Header(name string) string { return m.Values[HeaderPrefix+name] }

// Recovered reports whether m was recovered from a worker that may have
// died while handling it: claimed once idle for ClaimMinIdle, handed
// over from a dead consumer, or replayed by this consumer after a
// restart. Such a message runs alone (see docs/failures.md).
func (m *Message) Recovered() bool { return m.suspect }

// isHeader reports whether field name, which has ReservedPrefix, holds a
// header.
func isHeader(name string) bool { return strings.HasPrefix(name, HeaderPrefix) }

// publishFields returns the field-value list XADD adds for a message with
// values: values in a fixed order, then the headers the client's hooks
// add, and the function to call with the outcome (nil without hooks).
func (c *Client) publishFields(ctx context.Context, stream string, values map[string]string) ([]any, func(string, error)) {
	fields := flatten(values)
	hooks := c.opts.PublishHooks
	if len(hooks) == 0 {
		return fields, nil
	}
	set := func(name, value string) { fields = append(fields, HeaderPrefix+name, value) }
	var dones []func(string, error)
	for _, h := range hooks {
		if d := h(ctx, stream, set); d != nil {
			dones = append(dones, d)
		}
	}
	if len(dones) == 0 {
		return fields, nil
	}
	return fields, func(id string, err error) {
		for _, d := range slices.Backward(dones) {
			d(id, err)
		}
	}
}

// withHeaders returns values with the headers the client's publish hooks
// add, for a message that is stored before it is added to the stream (a
// scheduled one), and the hooks' end as publishFields does. Without hooks
// it returns values itself.
func (c *Client) withHeaders(ctx context.Context, stream string, values map[string]string) (map[string]string, func(string, error)) {
	if len(c.opts.PublishHooks) == 0 {
		return values, nil
	}
	fields, done := c.publishFields(ctx, stream, values)
	out := make(map[string]string, len(fields)/2)
	for i := 0; i+1 < len(fields); i += 2 {
		out[fields[i].(string)] = fields[i+1].(string)
	}
	return out, done
}

// headersOf returns the headers among values (names without
// HeaderPrefix), nil if there are none.
func headersOf(values map[string]string) map[string]string {
	var out map[string]string
	for k, v := range values {
		if isHeader(k) {
			if out == nil {
				out = make(map[string]string)
			}
			out[k[len(HeaderPrefix):]] = v
		}
	}
	return out
}

// appendHeaders appends the fields of headers (names without
// HeaderPrefix), sorted by name, to dst.
func appendHeaders(dst []any, headers map[string]string) []any {
	if len(headers) == 0 {
		return dst
	}
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		dst = append(dst, HeaderPrefix+k, headers[k])
	}
	return dst
}
