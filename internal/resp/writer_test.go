package resp

import (
	"math"
	"testing"
)

func TestWriterShapes(t *testing.T) {
	tests := []struct {
		name         string
		write        func(w *Writer)
		resp2, resp3 string
	}{
		{"map", func(w *Writer) { w.Map(1); w.BulkString("k"); w.Int(1) }, "*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"},
		{"set", func(w *Writer) { w.Set(1); w.BulkString("a") }, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n"},
		{"null bulk", func(w *Writer) { w.NullBulk() }, "$-1\r\n", "_\r\n"},
		{"null array", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"bool", func(w *Writer) { w.Bool(true) }, ":1\r\n", "#t\r\n"},
		{"double", func(w *Writer) { w.Double(1.5) }, "$3\r\n1.5\r\n", ",1.5\r\n"},
		{"double shortest", func(w *Writer) { w.Double(0.1) }, "$3\r\n0.1\r\n", ",0.1\r\n"},
		{"double integer", func(w *Writer) { w.Double(5e9) }, "$10\r\n5000000000\r\n", ",5000000000\r\n"},
		{"double exponent", func(w *Writer) { w.Double(1e20) }, "$5\r\n1e+20\r\n", ",1e+20\r\n"},
		{"negative zero", func(w *Writer) { w.Double(math.Copysign(0, -1)) }, "$2\r\n-0\r\n", ",-0\r\n"},
		{"inf", func(w *Writer) { w.Double(math.Inf(1)) }, "$3\r\ninf\r\n", ",inf\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("txt", "hi") }, "$2\r\nhi\r\n", "=6\r\ntxt:hi\r\n"},
		{"error newlines", func(w *Writer) { w.Error("ERR a\r\nb") }, "-ERR a  b\r\n", "-ERR a  b\r\n"},
		{"deferred map", func(w *Writer) {
			d := w.Defer(KindMap)
			w.BulkString("k")
			w.Int(2)
			w.SetLen(d, 1)
		}, "*2\r\n$1\r\nk\r\n:2\r\n", "%1\r\n$1\r\nk\r\n:2\r\n"},
		{"deferred array", func(w *Writer) {
			w.Simple("before")
			d := w.Defer(KindArray)
			for i := 0; i < 12; i++ {
				w.Int(int64(i))
			}
			w.SetLen(d, 12)
		}, "+before\r\n*12\r\n:0\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:7\r\n:8\r\n:9\r\n:10\r\n:11\r\n",
			"+before\r\n*12\r\n:0\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:7\r\n:8\r\n:9\r\n:10\r\n:11\r\n"},
	}
	for _, tt := range tests {
		for _, proto := range []int{2, 3} {
			w := Writer{Proto: proto}
			tt.write(&w)
			want := tt.resp2
			if proto == 3 {
				want = tt.resp3
			}
			if got := string(w.Buf); got != want {
				t.Errorf("%s RESP%d: got %q, want %q", tt.name, proto, got, want)
			}
		}
	}
}
