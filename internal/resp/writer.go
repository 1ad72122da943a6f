package resp

import (
	"strconv"

	"github.com/pelicanhq/pelican/internal/floatconv"
)

// Writer appends replies to Buf in the protocol version of its connection.
// The zero value writes RESP2.
type Writer struct {
	Buf []byte
	// Proto is 2 or 3. Any value other than 3 means RESP2.
	Proto int
}

// Deferred marks the place of an aggregate header whose length is not known
// when its first element is written.
type Deferred struct {
	pos  int
	kind byte
}

// RESP3 reports whether the writer produces RESP3.
func (w *Writer) RESP3() bool { return w.Proto == 3 }

// Reset empties the buffer, keeping its memory.
func (w *Writer) Reset() { w.Buf = w.Buf[:0] }

func (w *Writer) header(kind byte, n int64) {
	if n >= 0 && n < 10 {
		w.Buf = append(w.Buf, kind, byte('0'+n), '\r', '\n')
		return
	}
	w.Buf = append(w.Buf, kind)
	w.Buf = strconv.AppendInt(w.Buf, n, 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Array writes the header of an array of n elements.
func (w *Writer) Array(n int) { w.header('*', int64(n)) }

// Map writes the header of a map of n key-value pairs: a RESP3 map, or a
// flat array of 2n elements in RESP2.
func (w *Writer) Map(n int) {
	if w.RESP3() {
		w.header('%', int64(n))
	} else {
		w.header('*', int64(2*n))
	}
}

// Set writes the header of a set of n elements: a RESP3 set, or an array in
// RESP2.
func (w *Writer) Set(n int) {
	if w.RESP3() {
		w.header('~', int64(n))
	} else {
		w.header('*', int64(n))
	}
}

// Push writes the header of an out-of-band push message of n elements.
func (w *Writer) Push(n int) {
	if w.RESP3() {
		w.header('>', int64(n))
	} else {
		w.header('*', int64(n))
	}
}

// Defer reserves the place of an aggregate header of the given kind
// (KindArray, KindMap or KindSet) whose length will be known later.
func (w *Writer) Defer(kind byte) Deferred {
	return Deferred{pos: len(w.Buf), kind: kind}
}

// SetLen writes the header reserved by d, for n elements (n pairs for a
// map), shifting what was written after it.
func (w *Writer) SetLen(d Deferred, n int) {
	var hdr [24]byte
	h := hdr[:0]
	kind := d.kind
	count := int64(n)
	if !w.RESP3() {
		if kind == KindMap {
			count *= 2
		}
		kind = KindArray
	}
	h = append(h, kind)
	h = strconv.AppendInt(h, count, 10)
	h = append(h, '\r', '\n')
	old := len(w.Buf)
	w.Buf = append(w.Buf, h...) // grow by len(h)
	copy(w.Buf[d.pos+len(h):], w.Buf[d.pos:old])
	copy(w.Buf[d.pos:], h)
}

// Bulk writes a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.header('$', int64(len(b)))
	w.Buf = append(w.Buf, b...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkString writes a bulk string.
func (w *Writer) BulkString(s string) {
	w.header('$', int64(len(s)))
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkInt writes n as a bulk string of its decimal digits.
func (w *Writer) BulkInt(n int64) {
	var tmp [24]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// BulkUint writes n as a bulk string of its decimal digits.
func (w *Writer) BulkUint(n uint64) {
	var tmp [24]byte
	w.Bulk(strconv.AppendUint(tmp[:0], n, 10))
}

// Simple writes a simple string such as "OK". s must not contain CR or LF.
func (w *Writer) Simple(s string) {
	w.Buf = append(w.Buf, '+')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Error writes an error reply. msg is the full text, starting with its code
// ("ERR syntax error"); CR and LF in it are replaced by spaces, as Redis
// does.
func (w *Writer) Error(msg string) {
	w.Buf = append(w.Buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.Buf = append(w.Buf, c)
	}
	w.Buf = append(w.Buf, '\r', '\n')
}

// Int writes an integer reply.
func (w *Writer) Int(n int64) { w.header(':', n) }

// NullBulk writes the null that replaces a bulk string: $-1 in RESP2.
func (w *Writer) NullBulk() {
	if w.RESP3() {
		w.Buf = append(w.Buf, '_', '\r', '\n')
	} else {
		w.Buf = append(w.Buf, "$-1\r\n"...)
	}
}

// NullArray writes the null that replaces an array: *-1 in RESP2.
func (w *Writer) NullArray() {
	if w.RESP3() {
		w.Buf = append(w.Buf, '_', '\r', '\n')
	} else {
		w.Buf = append(w.Buf, "*-1\r\n"...)
	}
}

// Bool writes a RESP3 boolean, or the integer 1 or 0 in RESP2.
func (w *Writer) Bool(b bool) {
	switch {
	case w.RESP3() && b:
		w.Buf = append(w.Buf, "#t\r\n"...)
	case w.RESP3():
		w.Buf = append(w.Buf, "#f\r\n"...)
	case b:
		w.Int(1)
	default:
		w.Int(0)
	}
}

// Double writes a RESP3 double, or a bulk string in RESP2, formatted as
// Redis 7.2 and later format doubles (floatconv.Append: "0.1", "3",
// "1e+20", "inf", "-inf").
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	s := floatconv.Append(tmp[:0], f)
	if w.RESP3() {
		w.Buf = append(w.Buf, ',')
		w.Buf = append(w.Buf, s...)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	w.Bulk(s)
}

// Verbatim writes a RESP3 verbatim string with a three-letter format such
// as "txt", or a bulk string in RESP2.
func (w *Writer) Verbatim(format, s string) {
	if !w.RESP3() {
		w.BulkString(s)
		return
	}
	w.header('=', int64(len(s)+4))
	w.Buf = append(w.Buf, format...)
	w.Buf = append(w.Buf, ':')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Raw appends bytes that are already a RESP reply.
func (w *Writer) Raw(b []byte) { w.Buf = append(w.Buf, b...) }
