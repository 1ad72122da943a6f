package pelican

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/streamid"
)

// The codec of an entry in a dead-letter stream, and of a message a
// redrive sends back to its stream (docs/keys.md describes both):
//
//	a dead letter                         a redriven message
//	<own field>        <value>            <own field>            <value>
//	...                (sorted by name)   ...                    (sorted by name)
//	pelican:h:<header> <value>            pelican:h:<header>     <value>
//	...                (sorted by name)   ...                    (sorted by name)
//	pelican:original-id     <ID>          pelican:redrive-group  <group>
//	pelican:original-stream <stream>      pelican:redrives       <n + 1>
//	                                      pelican:content-type   <type>  (if the message had one)
//	pelican:group           <group>
//	pelican:consumer        <consumer>
//	pelican:deliveries      <n>
//	pelican:first-failure   <Unix ms>
//	pelican:last-failure    <Unix ms>
//	pelican:error           <text>
//	pelican:error-class     <class>
//	pelican:redrives        <n>
//	pelican:dead-at         <Unix ms>
//	pelican:stack           <text>        (only after a panic)
//	pelican:content-type    <type>        (if the message had one)

// Fields of a dead-lettered message, besides its original fields. Their
// names carry ReservedPrefix, which publishing refuses, so they cannot
// collide with the message's own.
const (
	FieldOriginalID     = ReservedPrefix + "original-id"     // the message's ID in its stream
	FieldOriginalStream = ReservedPrefix + "original-stream" // the stream it came from
	FieldGroup          = ReservedPrefix + "group"           // the group that gave up on it
	FieldConsumer       = ReservedPrefix + "consumer"        // the consumer that moved it
	FieldDeliveries     = ReservedPrefix + "deliveries"      // its delivery count when moved
	FieldFirstFailure   = ReservedPrefix + "first-failure"   // Unix ms of its first failure
	FieldLastFailure    = ReservedPrefix + "last-failure"    // Unix ms of its last failure
	FieldError          = ReservedPrefix + "error"           // the last error's text
	FieldErrorClass     = ReservedPrefix + "error-class"     // the last error's class (Class*)
	FieldRedrives       = ReservedPrefix + "redrives"        // how often it was redriven to its stream
	FieldDeadAt         = ReservedPrefix + "dead-at"         // Unix ms of the move
	FieldStack          = ReservedPrefix + "stack"           // the start of a handler panic's stack (at most 4 KiB); only after a panic
)

// Fields of a message redriven from a dead-letter stream to its stream.
const (
	// FieldRedriveGroup names the group the message is redriven for:
	// workers of other groups acknowledge it without running their
	// handlers, since they processed it the first time.
	FieldRedriveGroup = ReservedPrefix + "redrive-group"
	// FieldRedrives (above) carries the redrive count: a redriven message
	// that fails again takes it back to the dead-letter stream.
)

// DeadLetter describes a message moved to a dead-letter stream: what a
// worker passes to WorkerConfig.OnDeadLetter, what AppendDeadLetter
// writes and ParseDeadLetter reads back.
type DeadLetter struct {
	// ID is the message's ID in the dead-letter stream.
	ID string
	// OriginalID, Stream and Group say where it came from; Consumer which
	// worker moved it.
	OriginalID, Stream, Group, Consumer string
	// Deliveries is its delivery count when it was moved.
	Deliveries int64
	// FirstFailure and LastFailure bound its failures; DeadAt is when it
	// was moved.
	FirstFailure, LastFailure, DeadAt time.Time
	// Error and Class describe the last failure: Error is the handler's
	// own error text (without the marks of Permanent, Unavailable or
	// RetryAfter, so that failures group by cause).
	Error, Class string
	// Stack is the start of the stack of the handler's panic, when the
	// last failure was one (at most 4 KiB); empty otherwise.
	Stack string
	// Redrives counts the times it was sent back to its stream before.
	Redrives int64
	// ContentType is the message's FieldContentType, the format of its
	// payload; "" if it had none. A redrive puts it back on the message.
	ContentType string
	// Values are its original fields, without the metadata and headers.
	Values map[string]string
	// Headers are the headers it was published with (see HeaderPrefix),
	// by name without the prefix; nil if it has none.
	Headers map[string]string
}

// MalformedDeadLetterError lists the metadata fields of a dead-letter
// stream entry that are missing or do not parse: an entry written by
// hand, or by something other than Pelican.
type MalformedDeadLetterError struct {
	// ID is the entry's ID.
	ID string
	// Fields are the names of those fields (Field constants), in the
	// order of DeadLetter's fields.
	Fields []string
}

// Error names the entry and its malformed fields.
func (e *MalformedDeadLetterError) Error() string {
	return fmt.Sprintf("pelican: dead letter %s: missing or malformed %s", e.ID, strings.Join(e.Fields, ", "))
}

// ParseDeadLetter reads an entry of a dead-letter stream as go-redis
// returns it (XRANGE): the metadata into DeadLetter's fields, the headers
// into Headers, the other fields into Values (never nil).
//
// Malformed metadata does not stop it: each field that is missing or does
// not parse keeps its zero value, and the error, a
// *MalformedDeadLetterError, lists them all. FieldRedrives may be missing
// (a message that was never redriven: 0), and when FieldDeadAt is missing
// or malformed, DeadAt is the time in the entry's ID. Fields with
// ReservedPrefix that are not metadata (such as a parked entry's) are left
// out.
func ParseDeadLetter(m redis.XMessage) (DeadLetter, error) {
	return parseDeadLetter(m, true)
}

// ParseDeadLetterMeta is ParseDeadLetter without Values and Headers,
// which stay nil:
// for a pass over a whole dead-letter stream that needs only the
// metadata, it allocates nothing for a well-formed entry.
func ParseDeadLetterMeta(m redis.XMessage) (DeadLetter, error) {
	return parseDeadLetter(m, false)
}

func parseDeadLetter(m redis.XMessage, values bool) (DeadLetter, error) {
	d := DeadLetter{ID: m.ID}
	if values {
		d.Values = make(map[string]string, len(m.Values))
	}
	// The metadata, looked up by a linear search: cheaper than a map for
	// a dozen fields, and this runs for every entry of a whole-stream pass.
	var buf [16]metaField
	meta := metaFields(buf[:0])
	for k, v := range m.Values {
		if strings.HasPrefix(k, ReservedPrefix) {
			if !isHeader(k) {
				meta = append(meta, metaField{k, v})
			} else if values {
				if d.Headers == nil {
					d.Headers = make(map[string]string)
				}
				d.Headers[k[len(HeaderPrefix):]] = fieldString(v)
			}
		} else if values {
			d.Values[k] = fieldString(v)
		}
	}
	var bad []string
	meta.str(FieldOriginalID, &d.OriginalID, &bad)
	meta.str(FieldOriginalStream, &d.Stream, &bad)
	meta.str(FieldGroup, &d.Group, &bad)
	meta.str(FieldConsumer, &d.Consumer, &bad)
	meta.num(FieldDeliveries, &d.Deliveries, &bad)
	meta.ms(FieldFirstFailure, &d.FirstFailure, &bad)
	meta.ms(FieldLastFailure, &d.LastFailure, &bad)
	meta.str(FieldError, &d.Error, &bad)
	meta.str(FieldErrorClass, &d.Class, &bad)
	if _, ok := meta.get(FieldRedrives); ok {
		meta.num(FieldRedrives, &d.Redrives, &bad)
	}
	d.Stack, _ = meta.get(FieldStack)
	d.ContentType, _ = meta.get(FieldContentType)
	if !meta.ms(FieldDeadAt, &d.DeadAt, &bad) {
		if id, ok := streamid.Parse(m.ID); ok {
			d.DeadAt = id.Time()
		}
	}
	if bad != nil {
		return d, &MalformedDeadLetterError{ID: m.ID, Fields: bad}
	}
	return d, nil
}

// metaField is a field of an entry with ReservedPrefix.
type metaField struct {
	name  string
	value any
}

// metaFields are an entry's fields with ReservedPrefix. Its methods read
// one into a DeadLetter's field, adding its name to bad if it is missing
// or malformed.
type metaFields []metaField

func (f metaFields) get(name string) (string, bool) {
	for _, m := range f {
		if m.name == name {
			return fieldString(m.value), true
		}
	}
	return "", false
}

func (f metaFields) str(name string, into *string, bad *[]string) {
	v, ok := f.get(name)
	if !ok {
		*bad = append(*bad, name)
	}
	*into = v
}

func (f metaFields) num(name string, into *int64, bad *[]string) bool {
	v, ok := f.get(name)
	if ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			*into = n
			return true
		}
	}
	*bad = append(*bad, name)
	return false
}

func (f metaFields) ms(name string, into *time.Time, bad *[]string) bool {
	var n int64
	if !f.num(name, &n, bad) {
		return false
	}
	*into = time.UnixMilli(n)
	return true
}

// fieldString renders a field's value as go-redis returned it: always a
// string for stream entries, but be lenient.
func fieldString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return fmt.Sprint(v)
}

// AppendDeadLetter appends to dst the fields of d's entry in a dead-letter
// stream, as XADD takes them (name, value, name, value...): d.Values
// sorted by name (leaving out any with ReservedPrefix), then d.Headers,
// then the metadata in the order of the Field constants, times in Unix
// ms. d.ID is not written: the stream assigns it. ParseDeadLetter reads
// the entry back.
func AppendDeadLetter(dst []any, d *DeadLetter) []any {
	return appendDeadLetterFields(dst, d, d.Values, nil)
}

// boxedMeta holds metadata values already converted to interface values,
// which appendDeadLetterFields writes instead of converting d's own: a
// worker converts its stream, group and consumer names once, and the time
// of a batch of moves once for all of them. A nil field is converted from
// d.
type boxedMeta struct {
	stream, group, consumer           any // d.Stream, d.Group, d.Consumer
	firstFailure, lastFailure, deadAt any // the times, in Unix ms as int64
}

// appendDeadLetterFields is AppendDeadLetter with the message's fields
// given apart from d (values, whose fields with ReservedPrefix are left
// out, those of a redriven message, but for its headers, which are kept
// with d.Headers) and with the metadata values in b used where set (b may
// be nil).
func appendDeadLetterFields(dst []any, d *DeadLetter, values map[string]string, b *boxedMeta) []any {
	var v boxedMeta
	if b != nil {
		v = *b
	}
	if v.stream == nil {
		v.stream = d.Stream
	}
	if v.group == nil {
		v.group = d.Group
	}
	if v.consumer == nil {
		v.consumer = d.Consumer
	}
	if v.firstFailure == nil {
		v.firstFailure = d.FirstFailure.UnixMilli()
	}
	if v.lastFailure == nil {
		v.lastFailure = d.LastFailure.UnixMilli()
	}
	if v.deadAt == nil {
		v.deadAt = d.DeadAt.UnixMilli()
	}
	dst = appendOwnFields(dst, values)
	dst = appendHeaders(dst, d.Headers)
	dst = append(dst,
		FieldOriginalID, d.OriginalID,
		FieldOriginalStream, v.stream,
		FieldGroup, v.group,
		FieldConsumer, v.consumer,
		FieldDeliveries, d.Deliveries,
		FieldFirstFailure, v.firstFailure,
		FieldLastFailure, v.lastFailure,
		FieldError, d.Error,
		FieldErrorClass, d.Class,
		FieldRedrives, d.Redrives,
		FieldDeadAt, v.deadAt,
	)
	if d.Stack != "" {
		dst = append(dst, FieldStack, d.Stack)
	}
	if d.ContentType != "" {
		dst = append(dst, FieldContentType, d.ContentType)
	}
	return dst
}

// AppendRedriven appends to dst the fields of the message a redrive sends
// back to d.Stream: d.Values sorted by name (leaving out any with
// ReservedPrefix), then d.Headers, then FieldRedriveGroup, d.Group, so that only that
// group's workers process it again, and FieldRedrives, d.Redrives+1,
// which the worker carries into the dead letter should it fail again;
// then FieldContentType, d.ContentType, if set.
func AppendRedriven(dst []any, d *DeadLetter) []any {
	dst = appendOwnFields(dst, d.Values)
	dst = appendHeaders(dst, d.Headers)
	dst = append(dst, FieldRedriveGroup, d.Group, FieldRedrives, d.Redrives+1)
	if d.ContentType != "" {
		dst = append(dst, FieldContentType, d.ContentType)
	}
	return dst
}

// redrivesOf returns the redrive count a redriven message carries in its
// values: 0 if none, or if it does not parse.
func redrivesOf(values map[string]string) int64 {
	v, ok := values[FieldRedrives]
	if !ok {
		return 0 // most messages: not parsed, as ParseInt's error allocates
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

// appendOwnFields appends the fields of values without ReservedPrefix,
// sorted by name, then its headers (see HeaderPrefix), sorted by name, to
// dst.
func appendOwnFields(dst []any, values map[string]string) []any {
	names := make([]string, 0, len(values))
	var headers []string
	for k := range values {
		if !strings.HasPrefix(k, ReservedPrefix) {
			names = append(names, k)
		} else if isHeader(k) {
			headers = append(headers, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		dst = append(dst, k, values[k])
	}
	slices.Sort(headers)
	for _, k := range headers {
		dst = append(dst, k, values[k])
	}
	return dst
}

// userValues returns values without the fields under ReservedPrefix.
func userValues(values map[string]string) map[string]string {
	out := make(map[string]string, len(values))
	for k, v := range values {
		if !strings.HasPrefix(k, ReservedPrefix) {
			out[k] = v
		}
	}
	return out
}
