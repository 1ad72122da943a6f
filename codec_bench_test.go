package pelican_test

import (
	"testing"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/codec/msgpackcodec"
	"github.com/pelicanhq/pelican/codec/protocodec"
	"github.com/pelicanhq/pelican/internal/codectest"
)

// BenchmarkCodec encodes and decodes an order of 1 and of 20 lines with
// each codec, reporting the payload's size. JSON and msgpack take the
// order as a Go struct, protobuf as the generated message.
func BenchmarkCodec(b *testing.B) {
	for _, lines := range []int{1, 20} {
		plain := codectest.NewPlainOrder(42, lines)
		for _, tc := range []struct {
			name  string
			codec pelican.Codec
			value any
			fresh func() any
		}{
			{"json", pelican.JSONCodec{}, &plain, func() any { return new(codectest.PlainOrder) }},
			{"protobuf", protocodec.Codec{}, codectest.NewOrder(42, lines), func() any { return new(codectest.Order) }},
			{"msgpack", msgpackcodec.Codec{}, &plain, func() any { return new(codectest.PlainOrder) }},
		} {
			values, err := tc.codec.Encode(tc.value)
			if err != nil {
				b.Fatal(err)
			}
			size := float64(len(values[pelican.PayloadField]))
			name := tc.name + "/lines=" + map[int]string{1: "1", 20: "20"}[lines]
			b.Run(name+"/encode", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := tc.codec.Encode(tc.value); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(size, "payload-bytes")
			})
			b.Run(name+"/decode", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := tc.codec.Decode(values, tc.fresh()); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(size, "payload-bytes")
			})
		}
	}
}
