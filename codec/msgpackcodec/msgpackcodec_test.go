package msgpackcodec_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/codec/msgpackcodec"
	"github.com/pelicanhq/pelican/internal/codectest"
)

func TestRoundTrip(t *testing.T) {
	var c msgpackcodec.Codec
	want := codectest.NewPlainOrder(42, 3)
	values, err := c.Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := msgpack.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(values, map[string]string{pelican.PayloadField: string(raw)}); diff != "" {
		t.Errorf("Encode: the payload is not msgpack as it is (-got +want):\n%s", diff)
	}
	var got codectest.PlainOrder
	if err := c.Decode(values, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Decode(Encode(v)) (-got +want):\n%s", diff)
	}
	if got := c.ContentType(); got != "application/msgpack" {
		t.Errorf("ContentType() = %q", got)
	}
}

// With JSONTags, a struct written for JSON keeps its field names, and
// the setting does not leak into the pooled encoders of a codec without
// it.
func TestJSONTags(t *testing.T) {
	type order struct {
		OrderID int64 `json:"order_id"`
	}
	keys := func(c msgpackcodec.Codec) []string {
		values, err := c.Encode(order{OrderID: 7})
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := (msgpackcodec.Codec{}).Decode(values, &m); err != nil {
			t.Fatal(err)
		}
		var out []string
		for k := range m {
			out = append(out, k)
		}
		var back order
		if err := c.Decode(values, &back); err != nil || back.OrderID != 7 {
			t.Errorf("Decode: %+v, %v", back, err)
		}
		return out
	}
	if diff := cmp.Diff(keys(msgpackcodec.Codec{JSONTags: true}), []string{"order_id"}); diff != "" {
		t.Errorf("with JSONTags (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(keys(msgpackcodec.Codec{}), []string{"OrderID"}); diff != "" {
		t.Errorf("without JSONTags (-got +want):\n%s", diff)
	}
}

func TestInvalidValues(t *testing.T) {
	var c msgpackcodec.Codec
	good, err := c.Encode(codectest.NewPlainOrder(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Encode(make(chan int)); err == nil {
		t.Error("Encode(chan int) succeeded")
	}
	for _, tt := range []struct {
		name   string
		v      any
		values map[string]string
	}{
		{"nil", nil, good},
		{"not a pointer", codectest.PlainOrder{}, good},
		{"a nil pointer", (*codectest.PlainOrder)(nil), good},
		{"no payload", new(codectest.PlainOrder), map[string]string{"order": "1"}},
		{"a code msgpack never uses", new(codectest.PlainOrder), map[string]string{pelican.PayloadField: "\xc1"}},
		{"truncated", new(codectest.PlainOrder), map[string]string{pelican.PayloadField: good[pelican.PayloadField][:5]}},
		{"bytes after the value", new(codectest.PlainOrder), map[string]string{pelican.PayloadField: good[pelican.PayloadField] + "\xc0"}},
		{"JSON", new(codectest.PlainOrder), map[string]string{pelican.PayloadField: `{"id":1}`}},
		{"a map claiming 4 billion entries", new(any), map[string]string{pelican.PayloadField: "\xdf\xff\xff\xff\xff"}},
		{"an array claiming 4 billion elements", new([]string), map[string]string{pelican.PayloadField: "\xdd\xff\xff\xff\xff\xa0"}},
		{"a string longer than the payload", new(string), map[string]string{pelican.PayloadField: "\xdb\x00\x00\x01\x00abc"}},
		{"arrays nested 20,000 deep", new(any), map[string]string{pelican.PayloadField: strings.Repeat("\x91", 20000) + "\xc0"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Decode(tt.values, tt.v)
			if err == nil {
				t.Fatal("Decode succeeded")
			}
			if !strings.HasPrefix(err.Error(), "msgpackcodec: ") {
				t.Errorf("Decode: %v, want an error of msgpackcodec", err)
			}
		})
	}
}

// FuzzDecode checks that no payload makes Decode panic.
func FuzzDecode(f *testing.F) {
	good, err := msgpackcodec.Codec{}.Encode(codectest.NewPlainOrder(42, 3))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good[pelican.PayloadField])
	f.Add("")
	f.Add("\xc1")
	f.Add("\xdf\xff\xff\xff\xff") // a map claiming 4 billion entries
	f.Add("\xdd\xff\xff\xff\xff\xa0")
	f.Add(strings.Repeat("\x91", 20000) + "\xc0")
	f.Add("\x92\xd8\x01" + strings.Repeat("x", 16) + "\xc7\x02\x05ab")
	f.Fuzz(func(t *testing.T, payload string) {
		values := map[string]string{pelican.PayloadField: payload}
		var o codectest.PlainOrder
		_ = msgpackcodec.Codec{}.Decode(values, &o)
		var a any
		if err := (msgpackcodec.Codec{}).Decode(values, &a); err != nil {
			return
		}
		// What decodes must check as well-formed when encoded again.
		again, err := msgpackcodec.Codec{}.Encode(a)
		if err != nil {
			t.Fatalf("Encode of a decoded value: %v", err)
		}
		if err := (msgpackcodec.Codec{}).Decode(again, new(any)); err != nil {
			t.Fatalf("Decode of a re-encoded value: %v", err)
		}
	})
}
