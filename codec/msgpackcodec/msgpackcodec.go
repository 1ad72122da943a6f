// Package msgpackcodec is Pelican's MessagePack codec: a pelican.Codec
// that stores values in MessagePack (github.com/vmihailenco/msgpack/v5),
// as raw bytes, in the field pelican.PayloadField. Redis strings are
// binary-safe, so the payload is not base64-encoded.
//
//	c := pelican.New(rdb, pelican.Options{Codec: msgpackcodec.Codec{}})
//	id, err := c.PublishValue(ctx, "orders", Order{ID: 42}, nil)
//	...
//	var o Order
//	err := m.Decode(&o) // in the handler of a worker of c
//
// Struct fields are named as msgpack names them: by the `msgpack` tag, or
// else the field's name (set Codec.JSONTags to use `json` tags).
package msgpackcodec

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pelicanhq/pelican"
)

// ContentType is the content type of the payloads Codec writes.
const ContentType = "application/msgpack"

// Codec encodes values in MessagePack. Its zero value uses msgpack's
// defaults; it is safe for concurrent use.
type Codec struct {
	// JSONTags names struct fields by their `json` tags when they have no
	// `msgpack` tag, so that types written for JSON keep their names.
	JSONTags bool
}

var _ pelican.Codec = Codec{}

// ContentType returns "application/msgpack".
func (Codec) ContentType() string { return ContentType }

// Encode marshals v into the field "payload".
func (c Codec) Encode(v any) (map[string]string, error) {
	var buf bytes.Buffer
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(&buf)
	if c.JSONTags {
		enc.SetCustomStructTag("json")
	}
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("msgpackcodec: encoding a %T: %w", v, err)
	}
	return map[string]string{pelican.PayloadField: buf.String()}, nil
}

// Decode unmarshals the field "payload", which must hold exactly one
// value, into v, a non-nil pointer. The payload is checked first, so that
// a malformed one (say, a map header claiming billions of entries) gives
// an error rather than an allocation in proportion to what it claims.
func (c Codec) Decode(values map[string]string, v any) error {
	s, ok := values[pelican.PayloadField]
	if !ok {
		return fmt.Errorf("msgpackcodec: the message has no %q field", pelican.PayloadField)
	}
	if err := check(s); err != nil {
		return fmt.Errorf("msgpackcodec: decoding into a %T: %w", v, err)
	}
	r := strings.NewReader(s)
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(r)
	if c.JSONTags {
		dec.SetCustomStructTag("json")
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("msgpackcodec: decoding into a %T: %w", v, err)
	}
	return nil
}
