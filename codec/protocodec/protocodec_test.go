package protocodec_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/codec/protocodec"
	"github.com/pelicanhq/pelican/internal/codectest"
)

func TestRoundTrip(t *testing.T) {
	for _, c := range []protocodec.Codec{{}, {Deterministic: true}} {
		want := codectest.NewOrder(42, 3)
		values, err := c.Encode(want)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := proto.MarshalOptions{Deterministic: c.Deterministic}.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(values, map[string]string{pelican.PayloadField: string(raw)}); diff != "" {
			t.Errorf("Encode: the payload is not the wire format as it is (-got +want):\n%s", diff)
		}
		got := codectest.NewOrder(7, 5) // replaced, not merged into
		if err := c.Decode(values, got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, want, protocmp.Transform()); diff != "" {
			t.Errorf("Decode(Encode(v)) (-got +want):\n%s", diff)
		}
	}
	if got := (protocodec.Codec{}).ContentType(); got != "application/x-protobuf" {
		t.Errorf("ContentType() = %q", got)
	}
}

func TestInvalidValues(t *testing.T) {
	var c protocodec.Codec
	good, err := c.Encode(codectest.NewOrder(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		v       any
		values  map[string]string // to decode; nil: only Encode is tried
		notDesc bool              // want ErrNotProto
	}{
		{name: "nil", v: nil, values: good, notDesc: true},
		{name: "not a message", v: codectest.NewPlainOrder(1, 1), values: good, notDesc: true},
		{name: "a pointer to a plain struct", v: new(codectest.PlainOrder), values: good, notDesc: true},
		{name: "a nil message", v: (*codectest.Order)(nil), values: good, notDesc: true},
		{name: "no payload", v: new(codectest.Order), values: map[string]string{"order": "1"}},
		{name: "not the wire format", v: new(codectest.Order), values: map[string]string{pelican.PayloadField: "\xff\xff\xff\xff"}},
		{name: "truncated", v: new(codectest.Order), values: map[string]string{pelican.PayloadField: good[pelican.PayloadField][:5]}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.notDesc {
				if _, err := c.Encode(tt.v); !errors.Is(err, protocodec.ErrNotProto) {
					t.Errorf("Encode: %v, want ErrNotProto", err)
				}
			}
			err := c.Decode(tt.values, tt.v)
			if err == nil {
				t.Fatal("Decode succeeded")
			}
			if got := errors.Is(err, protocodec.ErrNotProto); got != tt.notDesc {
				t.Errorf("Decode: %v; errors.Is(err, ErrNotProto) = %v, want %v", err, got, tt.notDesc)
			}
		})
	}
}

// FuzzDecode checks that no payload makes Decode panic, and that what it
// decodes encodes and decodes back to the same message.
func FuzzDecode(f *testing.F) {
	good, err := protocodec.Codec{}.Encode(codectest.NewOrder(42, 3))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good[pelican.PayloadField])
	f.Add("")
	f.Add("\xff\xff\xff\xff")
	f.Fuzz(func(t *testing.T, payload string) {
		var c protocodec.Codec
		var o codectest.Order
		if err := c.Decode(map[string]string{pelican.PayloadField: payload}, &o); err != nil {
			return
		}
		values, err := c.Encode(&o)
		if err != nil {
			t.Fatalf("Encode of a decoded message: %v", err)
		}
		var again codectest.Order
		if err := c.Decode(values, &again); err != nil {
			t.Fatalf("Decode of a re-encoded message: %v", err)
		}
		if !proto.Equal(&o, &again) {
			t.Fatalf("re-encoded message differs: %v, %v", &o, &again)
		}
	})
}
