package pelican

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// A codec turns a typed payload into a message's fields and back. The
// codec a publisher encodes with names itself in the message's
// FieldContentType, and Message.Decode checks that name against the codec
// it decodes with: a message in another format fails with a *DecodeError,
// a permanent failure, rather than being misread. JSON is the default and
// lives here; codecs with dependencies of their own live in packages of
// their own (codec/protocodec, codec/msgpackcodec), so that an application
// links only the libraries of the formats it uses. docs/codecs.md has the
// details.

// Codec turns typed payloads into a message's fields and back. A Codec
// must be safe for concurrent use.
type Codec interface {
	// ContentType names the encoding, as FieldContentType records it: a
	// media type such as "application/json".
	ContentType() string
	// Encode turns v into the fields of a message. It must not use field
	// names with ReservedPrefix.
	Encode(v any) (map[string]string, error)
	// Decode reads the fields Encode wrote into v. It must return an error,
	// never panic, for fields that do not decode and for a v it cannot
	// decode into (nil, or of the wrong kind).
	Decode(values map[string]string, v any) error
}

// FieldContentType is the field in which PublishValue records the content
// type of the payload (its codec's ContentType), so that a consumer can
// tell what it got. It is the one field with ReservedPrefix that Publish
// accepts, for a producer that encodes payloads itself. A dead-letter
// entry keeps it (DeadLetter.ContentType), and a redrive puts it back on
// the message.
const FieldContentType = ReservedPrefix + "content-type"

// PayloadField is the field the codecs keep the encoded payload in.
const PayloadField = "payload"

// ContentTypeJSON is JSONCodec's content type.
const ContentTypeJSON = "application/json"

// JSONCodec stores a payload as JSON (encoding/json) in the field
// "payload". It is the default codec of clients and workers.
type JSONCodec struct{}

// ContentType returns "application/json".
func (JSONCodec) ContentType() string { return ContentTypeJSON }

// Encode marshals v to JSON.
func (JSONCodec) Encode(v any) (map[string]string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("pelican: encoding the payload as JSON: %w", err)
	}
	return map[string]string{PayloadField: string(b)}, nil
}

// Decode unmarshals the payload field into v, which must be a non-nil
// pointer.
func (JSONCodec) Decode(values map[string]string, v any) error {
	s, ok := values[PayloadField]
	if !ok {
		return fmt.Errorf("pelican: the message has no %q field", PayloadField)
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("pelican: decoding the JSON payload: %w", err)
	}
	return nil
}

// ErrNilValue means PublishValue was given nil, or a nil pointer: there
// is nothing to publish.
var ErrNilValue = errors.New("pelican: cannot publish a nil value")

// ErrContentTypeMismatch means a message's content type is not the one of
// the codec decoding it. It comes wrapped in a *DecodeError.
var ErrContentTypeMismatch = errors.New("pelican: content type mismatch")

// DecodeError is what Message.Decode returns when a message's payload
// cannot be decoded: it is in another format than the codec's (Err is
// ErrContentTypeMismatch), or the codec failed (Err is the codec's error:
// bytes that do not decode, a missing field, a target value that is nil
// or of the wrong kind). It is a permanent failure: errors.Is finds
// ErrPermanent in it, so a handler that returns it (wrapped or not) sends
// its message to the dead-letter stream at once, where the error's text
// says what happened.
type DecodeError struct {
	// ContentType is the message's FieldContentType, "" when it has none.
	ContentType string
	// Codec is the content type of the codec that decoded it.
	Codec string
	// Err is ErrContentTypeMismatch or the codec's error.
	Err error
}

// Error says what the message was and what decoded it.
func (e *DecodeError) Error() string {
	if errors.Is(e.Err, ErrContentTypeMismatch) {
		return fmt.Sprintf("pelican: content type mismatch: the message is %s, the codec decodes %s", e.ContentType, e.Codec)
	}
	return e.Err.Error()
}

// Unwrap returns ErrPermanent and Err.
func (e *DecodeError) Unwrap() []error { return []error{ErrPermanent, e.Err} }

// decodeValues decodes values with c into v: it checks their content type,
// if they name one, against c's; values without one are taken to be in
// c's format (messages published before content types were recorded, or
// by other producers).
func decodeValues(c Codec, values map[string]string, v any) error {
	want := c.ContentType()
	got, ok := values[FieldContentType]
	if ok && !sameMediaType(got, want) {
		return &DecodeError{ContentType: got, Codec: want, Err: ErrContentTypeMismatch}
	}
	if err := c.Decode(values, v); err != nil {
		return &DecodeError{ContentType: got, Codec: want, Err: err}
	}
	return nil
}

// sameMediaType reports whether content types a and b name the same media
// type: compared without case, leaving out parameters (";...") and
// surrounding spaces.
func sameMediaType(a, b string) bool {
	a, _, _ = strings.Cut(a, ";")
	b, _, _ = strings.Cut(b, ";")
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// encodeValue encodes v with c for publishing, recording c's content
// type.
func encodeValue(c Codec, v any) (map[string]string, error) {
	if isNil(v) {
		return nil, ErrNilValue
	}
	values, err := c.Encode(v)
	if err != nil {
		return nil, err
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("pelican: the %s codec encoded no fields", c.ContentType())
	}
	values[FieldContentType] = c.ContentType()
	return values, nil
}

// isNil reports whether v is nil or a nil pointer.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	return r.Kind() == reflect.Pointer && r.IsNil()
}
