// Package listpack implements the listpack: a compact, serialised list of
// strings and integers in one byte slice, the encoding Redis uses for the
// nodes of a stream.
//
// Pelican stores stream entries in exactly this encoding so that node sizes,
// and therefore the points where a stream starts a new node, match Redis
// byte for byte; that is what makes approximate (~) trimming and XINFO's
// radix-tree-keys agree with Redis.
//
// Layout:
//
//	+-------------+-------------+---------+-----+---------+------+
//	| total-bytes | num-elements| element | ... | element | 0xFF |
//	|  uint32 LE  |  uint16 LE  |         |     |         |      |
//	+-------------+-------------+---------+-----+---------+------+
//
// Each element is its encoding and data followed by "backlen", the size of
// encoding plus data written so that it can be read from right to left:
//
//	+----------+------+---------+
//	| encoding | data | backlen |
//	+----------+------+---------+
//
// Encodings (first byte):
//
//	0xxxxxxx                    7-bit unsigned integer 0..127
//	10xxxxxx                    string of up to 63 bytes
//	110xxxxx yyyyyyyy           13-bit signed integer
//	1110xxxx yyyyyyyy           string of up to 4095 bytes
//	11110000 <4 bytes LE len>   string of up to 2^32-1 bytes
//	11110001 <2 bytes>          16-bit signed integer
//	11110010 <3 bytes>          24-bit signed integer
//	11110011 <4 bytes>          32-bit signed integer
//	11110100 <8 bytes>          64-bit signed integer
//	11111111                    end of listpack
//
// A string that is the canonical decimal form of a 64-bit integer is stored
// as that integer.
//
// Positions are byte offsets into the slice. Functions that change the
// listpack return the (possibly reallocated) slice.
package listpack

import (
	"encoding/binary"
	"strconv"

	"github.com/pelicanhq/pelican/internal/intconv"
)

const (
	headerSize = 6
	eof        = 0xFF
	// numUnknown is stored in the header when there are 65535 elements or
	// more.
	numUnknown = 0xFFFF
)

// New returns an empty listpack with room for capHint bytes.
func New(capHint int) []byte {
	if capHint < headerSize+1 {
		capHint = headerSize + 1
	}
	lp := make([]byte, headerSize+1, capHint)
	lp[headerSize] = eof
	setTotal(lp)
	return lp
}

func setTotal(lp []byte) { binary.LittleEndian.PutUint32(lp[0:4], uint32(len(lp))) }

// Len returns the number of elements.
func Len(lp []byte) int {
	n := int(binary.LittleEndian.Uint16(lp[4:6]))
	if n != numUnknown {
		return n
	}
	n = 0
	for p := First(lp); p >= 0; p = Next(lp, p) {
		n++
	}
	return n
}

func addNum(lp []byte, delta int) {
	n := int(binary.LittleEndian.Uint16(lp[4:6]))
	if n == numUnknown {
		return
	}
	n += delta
	if n >= numUnknown {
		n = numUnknown
	}
	binary.LittleEndian.PutUint16(lp[4:6], uint16(n))
}

// StringToInt reports whether s is the canonical decimal form of an int64
// (no '+', no leading zeros, no spaces) and returns its value. Such strings
// are stored as integers.
func StringToInt(s []byte) (int64, bool) { return intconv.ParseInt(s) }

// intEncoding appends the encoding of v to dst.
func intEncoding(dst []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 127:
		return append(dst, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v)
		if v < 0 {
			u = uint64(1<<13 + v)
		}
		return append(dst, byte(u>>8)|0xC0, byte(u))
	case v >= -32768 && v <= 32767:
		u := uint16(v)
		return append(dst, 0xF1, byte(u), byte(u>>8))
	case v >= -8388608 && v <= 8388607:
		u := uint32(v)
		return append(dst, 0xF2, byte(u), byte(u>>8), byte(u>>16))
	case v >= -2147483648 && v <= 2147483647:
		u := uint32(v)
		return append(dst, 0xF3, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	default:
		u := uint64(v)
		return append(dst, 0xF4, byte(u), byte(u>>8), byte(u>>16), byte(u>>24),
			byte(u>>32), byte(u>>40), byte(u>>48), byte(u>>56))
	}
}

// IntEncodedSize returns the size of v's encoding, without backlen.
func IntEncodedSize(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= -32768 && v <= 32767:
		return 3
	case v >= -8388608 && v <= 8388607:
		return 4
	case v >= -2147483648 && v <= 2147483647:
		return 5
	default:
		return 9
	}
}

// backlenSize returns how many bytes the backlen of an element of encoded
// size l takes.
func backlenSize(l int) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	default:
		return 5
	}
}

func appendBacklen(dst []byte, l int) []byte {
	switch backlenSize(l) {
	case 1:
		return append(dst, byte(l))
	case 2:
		return append(dst, byte(l>>7), byte(l&127)|128)
	case 3:
		return append(dst, byte(l>>14), byte((l>>7)&127)|128, byte(l&127)|128)
	case 4:
		return append(dst, byte(l>>21), byte((l>>14)&127)|128, byte((l>>7)&127)|128, byte(l&127)|128)
	default:
		return append(dst, byte(l>>28), byte((l>>21)&127)|128, byte((l>>14)&127)|128,
			byte((l>>7)&127)|128, byte(l&127)|128)
	}
}

// ElementSize returns the bytes an element holding s would take, backlen
// included.
func ElementSize(s []byte) int {
	var l int
	if v, ok := StringToInt(s); ok {
		l = IntEncodedSize(v)
	} else {
		l = stringEncodedSize(len(s))
	}
	return l + backlenSize(l)
}

func stringEncodedSize(n int) int {
	switch {
	case n < 64:
		return 1 + n
	case n < 4096:
		return 2 + n
	default:
		return 5 + n
	}
}

// appendElement writes an encoded element (without backlen) in place of the
// terminator and re-terminates the listpack.
func appendElement(lp []byte, enc func([]byte) []byte) []byte {
	lp = lp[:len(lp)-1] // drop EOF
	start := len(lp)
	lp = enc(lp)
	lp = appendBacklen(lp, len(lp)-start)
	lp = append(lp, eof)
	setTotal(lp)
	addNum(lp, 1)
	return lp
}

// AppendInt appends the integer v.
func AppendInt(lp []byte, v int64) []byte {
	return appendElement(lp, func(b []byte) []byte { return intEncoding(b, v) })
}

// Append appends the string s, stored as an integer when it is the
// canonical form of one.
func Append(lp []byte, s []byte) []byte {
	if v, ok := StringToInt(s); ok {
		return AppendInt(lp, v)
	}
	return appendElement(lp, func(b []byte) []byte { return appendString(b, s) })
}

func appendString(b []byte, s []byte) []byte {
	n := len(s)
	switch {
	case n < 64:
		b = append(b, byte(n)|0x80)
	case n < 4096:
		b = append(b, byte(n>>8)|0xE0, byte(n))
	default:
		b = append(b, 0xF0, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	}
	return append(b, s...)
}

// encodedSize returns the size of the encoding and data of the element at
// p, without backlen. The common one-byte encodings are tested first.
func encodedSize(lp []byte, p int) int {
	c := lp[p]
	switch {
	case c < 0x80: // 7-bit unsigned integer
		return 1
	case c < 0xC0: // 6-bit string length
		return 1 + int(c&0x3F)
	case c < 0xE0: // 13-bit integer
		return 2
	case c < 0xF0: // 12-bit string length
		return 2 + (int(c&0x0F)<<8 | int(lp[p+1]))
	}
	switch c {
	case 0xF0:
		return 5 + int(binary.LittleEndian.Uint32(lp[p+1:p+5]))
	case 0xF1:
		return 3
	case 0xF2:
		return 4
	case 0xF3:
		return 5
	case 0xF4:
		return 9
	}
	panic("listpack: bad encoding byte " + strconv.Itoa(int(c)))
}

// First returns the position of the first element, or -1 if there is none.
func First(lp []byte) int {
	if lp[headerSize] == eof {
		return -1
	}
	return headerSize
}

// Next returns the position of the element after p, or -1 at the end.
func Next(lp []byte, p int) int {
	l := encodedSize(lp, p)
	if l <= 127 {
		p += l + 1
	} else {
		p += l + backlenSize(l)
	}
	if lp[p] == eof {
		return -1
	}
	return p
}

// Skip returns the position just after the element at p, which is the
// next element or the terminator. It is small enough to inline for the
// one-byte encodings that dominate stream entries.
func Skip(lp []byte, p int) int {
	if c := lp[p]; c < 0x80 {
		return p + 2
	} else if c < 0xC0 {
		return p + 2 + int(c&0x3F)
	}
	return skipSlow(lp, p)
}

func skipSlow(lp []byte, p int) int {
	l := encodedSize(lp, p)
	return p + l + backlenSize(l)
}

// IntNext returns the integer at p (see GetInt) and the position of the
// element after it, or -1 at the end. It is the fast path for walking the
// integer fields of stream entries.
func IntNext(lp []byte, p int) (int64, int) {
	c := lp[p]
	var v int64
	var next int
	switch {
	case c < 0x80:
		v, next = int64(c), p+2
	case c >= 0xC0 && c < 0xE0:
		u := uint64(c&0x1F)<<8 | uint64(lp[p+1])
		v = int64(u)
		if u >= 1<<12 {
			v -= 1 << 13
		}
		next = p + 3
	default:
		return GetInt(lp, p), Next(lp, p)
	}
	if lp[next] == eof {
		return v, -1
	}
	return v, next
}

// Last returns the position of the last element, or -1 if there is none.
func Last(lp []byte) int {
	return Prev(lp, len(lp)-1)
}

// Prev returns the position of the element before p (p may be the position
// of the terminator), or -1 if p is the first.
func Prev(lp []byte, p int) int {
	if p <= headerSize {
		return -1
	}
	// Decode the backlen that ends at p-1, reading right to left.
	q := p - 1
	var l, shift int
	for {
		l |= int(lp[q]&127) << shift
		if lp[q]&128 == 0 {
			break
		}
		shift += 7
		q--
	}
	return p - l - backlenSize(l)
}

// Get returns the element at p: either its string bytes (aliasing lp) or
// its integer value with isInt set.
func Get(lp []byte, p int) (s []byte, v int64, isInt bool) {
	c := lp[p]
	switch {
	case c < 0x80:
		return nil, int64(c), true
	case c < 0xC0:
		n := int(c & 0x3F)
		return lp[p+1 : p+1+n], 0, false
	case c < 0xE0:
		u := uint64(c&0x1F)<<8 | uint64(lp[p+1])
		if u >= 1<<12 {
			return nil, int64(u) - 1<<13, true
		}
		return nil, int64(u), true
	case c < 0xF0:
		n := int(c&0x0F)<<8 | int(lp[p+1])
		return lp[p+2 : p+2+n], 0, false
	}
	switch c {
	case 0xF0:
		n := int(binary.LittleEndian.Uint32(lp[p+1 : p+5]))
		return lp[p+5 : p+5+n], 0, false
	case 0xF1:
		return nil, int64(int16(binary.LittleEndian.Uint16(lp[p+1:]))), true
	case 0xF2:
		u := uint32(lp[p+1]) | uint32(lp[p+2])<<8 | uint32(lp[p+3])<<16
		return nil, int64(int32(u<<8) >> 8), true
	case 0xF3:
		return nil, int64(int32(binary.LittleEndian.Uint32(lp[p+1:]))), true
	case 0xF4:
		return nil, int64(binary.LittleEndian.Uint64(lp[p+1:])), true
	}
	panic("listpack: bad encoding byte " + strconv.Itoa(int(c)))
}

// GetInt returns the element at p as an integer. Elements written with
// AppendInt, and strings that are canonical integers, are integers.
func GetInt(lp []byte, p int) int64 {
	s, v, isInt := Get(lp, p)
	if isInt {
		return v
	}
	v, _ = StringToInt(s)
	return v
}

// AppendValue appends the element at p to dst as a string: integers in
// decimal.
func AppendValue(dst []byte, lp []byte, p int) []byte {
	s, v, isInt := Get(lp, p)
	if isInt {
		return strconv.AppendInt(dst, v, 10)
	}
	return append(dst, s...)
}

// Equal reports whether the element at p equals the string s.
func Equal(lp []byte, p int, s []byte) bool {
	es, v, isInt := Get(lp, p)
	if !isInt {
		return string(es) == string(s)
	}
	w, ok := StringToInt(s)
	return ok && w == v
}

// ReplaceInt replaces the element at p with the integer v, moving what
// follows when the new encoding has another size. It returns the listpack
// and the position after the replaced element.
func ReplaceInt(lp []byte, p int, v int64) ([]byte, int) {
	oldEnc := encodedSize(lp, p)
	oldLen := oldEnc + backlenSize(oldEnc)
	var tmp [16]byte
	el := intEncoding(tmp[:0], v)
	el = appendBacklen(el, len(el))
	diff := len(el) - oldLen
	switch {
	case diff > 0:
		lp = append(lp, make([]byte, diff)...)
		copy(lp[p+len(el):], lp[p+oldLen:len(lp)-diff])
	case diff < 0:
		copy(lp[p+len(el):], lp[p+oldLen:])
		lp = lp[:len(lp)+diff]
	}
	copy(lp[p:], el)
	setTotal(lp)
	return lp, p + len(el)
}

// ShrinkToFit returns lp in a slice whose capacity equals its length.
func ShrinkToFit(lp []byte) []byte {
	if cap(lp) == len(lp) {
		return lp
	}
	out := make([]byte, len(lp))
	copy(out, lp)
	return out
}

// Validate checks that lp is a well-formed listpack: header, elements that
// stay inside the slice, backlens that agree, and the terminator. It is
// used on data loaded from outside and by fuzz tests.
func Validate(lp []byte) bool {
	if len(lp) < headerSize+1 || int(binary.LittleEndian.Uint32(lp[0:4])) != len(lp) || lp[len(lp)-1] != eof {
		return false
	}
	// One pass, each element's size computed once: loading a stream of
	// a million entries validates every node.
	end := len(lp) - 1
	p := headerSize
	n := 0
	for p < end {
		l, ok := checkedSize(lp, p, end)
		if !ok {
			return false
		}
		q := p + l + backlenSize(l)
		if q > end || backlenEndingAt(lp, q-1, p+l) != l {
			return false
		}
		p = q
		n++
	}
	hdr := int(binary.LittleEndian.Uint16(lp[4:6]))
	return hdr == numUnknown || hdr == n
}

// checkedSize returns the size of the encoding and data of the element at
// p, reporting false if its encoding is invalid or it does not end before
// end.
func checkedSize(lp []byte, p, end int) (int, bool) {
	c := lp[p]
	var l int
	switch {
	case c < 0x80:
		l = 1
	case c < 0xC0:
		l = 1 + int(c&0x3F)
	case c < 0xE0:
		l = 2
	case c < 0xF0:
		if p+1 >= end {
			return 0, false
		}
		l = 2 + (int(c&0x0F)<<8 | int(lp[p+1]))
	case c == 0xF0:
		if p+5 > end {
			return 0, false
		}
		l = 5 + int(binary.LittleEndian.Uint32(lp[p+1:p+5]))
	case c >= 0xF1 && c <= 0xF4:
		l = [...]int{3, 4, 5, 9}[c-0xF1]
	default:
		return 0, false
	}
	return l, p+l <= end
}

// backlenEndingAt decodes the backlen whose last byte is at i, reading
// right to left and not below lo; -1 if it is malformed.
func backlenEndingAt(lp []byte, i, lo int) int {
	v, shift := 0, 0
	for ; i >= lo; i-- {
		v |= int(lp[i]&127) << shift
		if lp[i]&128 == 0 {
			return v
		}
		shift += 7
		if shift > 28 {
			return -1
		}
	}
	return -1
}
