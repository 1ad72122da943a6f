// Package protocodec is Pelican's protobuf codec: a pelican.Codec for
// values that implement proto.Message (google.golang.org/protobuf),
// stored in the binary wire format, as raw bytes, in the field
// pelican.PayloadField. Redis strings are binary-safe, so the payload is
// not base64-encoded.
//
//	c := pelican.New(rdb, pelican.Options{Codec: protocodec.Codec{}})
//	id, err := c.PublishValue(ctx, "orders", &shop.Order{Id: 42}, nil)
//	...
//	var o shop.Order
//	err := m.Decode(&o) // in the handler of a worker of c
//
// The wire format does not name the message type: decoding an entry of
// one type into another succeeds if the bytes happen to parse. Keep one
// message type per stream, or tell types apart by a field of your own.
package protocodec

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/pelicanhq/pelican"
)

// ContentType is the content type of the payloads Codec writes.
const ContentType = "application/x-protobuf"

// ErrNotProto means a value given to Codec does not implement
// proto.Message, or is a nil message.
var ErrNotProto = errors.New("protocodec: the value is not a protobuf message")

// Codec encodes values that implement proto.Message in the protobuf
// binary wire format. Its zero value uses proto's default options; it is
// safe for concurrent use.
type Codec struct {
	// Deterministic makes Encode write map fields in a fixed order, so
	// that equal messages encode to equal bytes.
	Deterministic bool
}

var _ pelican.Codec = Codec{}

// ContentType returns "application/x-protobuf".
func (Codec) ContentType() string { return ContentType }

// Encode marshals v, a proto.Message, into the field "payload".
func (c Codec) Encode(v any) (map[string]string, error) {
	m, err := message(v)
	if err != nil {
		return nil, err
	}
	b, err := proto.MarshalOptions{Deterministic: c.Deterministic}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("protocodec: encoding a %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	return map[string]string{pelican.PayloadField: string(b)}, nil
}

// Decode unmarshals the field "payload" into v, a non-nil proto.Message
// (a pointer to a generated message type), replacing its contents.
func (Codec) Decode(values map[string]string, v any) error {
	m, err := message(v)
	if err != nil {
		return err
	}
	s, ok := values[pelican.PayloadField]
	if !ok {
		return fmt.Errorf("protocodec: the message has no %q field", pelican.PayloadField)
	}
	if err := proto.Unmarshal([]byte(s), m); err != nil {
		return fmt.Errorf("protocodec: decoding a %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	return nil
}

// message returns v as a proto.Message, or ErrNotProto, wrapped with what
// v is, if it is not one or is a nil pointer.
func message(v any) (proto.Message, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrNotProto, v)
	}
	if !m.ProtoReflect().IsValid() {
		return nil, fmt.Errorf("%w: a nil %T", ErrNotProto, v)
	}
	return m, nil
}
