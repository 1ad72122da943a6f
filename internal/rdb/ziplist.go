package rdb

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/pelicanhq/pelican/internal/listpack"
)

// This file decodes the packed blobs older encodings keep inside an RDB
// string, and the listpacks newer ones keep, into lists of elements.

// Ziplist (Redis before 7.0):
//
//	+---------+---------+-------+-------+-----+-------+------+
//	| zlbytes | zltail  | zllen | entry | ... | entry | 0xFF |
//	| u32 LE  | u32 LE  | u16 LE|       |     |       |      |
//	+---------+---------+-------+-------+-----+-------+------+
//
// zltail is the offset of the last entry; zllen the entry count, or 65535
// when it must be counted. Each entry is <prevlen> <encoding> <data>:
// prevlen, the size of the previous entry, is one byte below 254, else
// 0xFE and 4 bytes LE. Encodings:
//
//	00xxxxxx             string of up to 63 bytes
//	01xxxxxx xxxxxxxx    string of up to 16383 bytes (length big-endian)
//	10000000 <u32 BE>    longer string
//	11000000             int16 LE      11010000   int32 LE
//	11100000             int64 LE      11110000   int24 LE
//	11111110             int8          1111xxxx   xxxx-1 (0..12), xxxx in 1..13
const (
	zipHeader   = 10
	zipEnd      = 0xFF
	zipBigPrev  = 254
	zipLenCount = 0xFFFF
)

// ziplistElements decodes a ziplist, checking every offset and length.
func ziplistElements(zl []byte) ([][]byte, error) {
	bad := func(what string) ([][]byte, error) {
		return nil, fmt.Errorf("rdb: ziplist: %s: %w", what, ErrCorrupt)
	}
	if len(zl) < zipHeader+1 || int(binary.LittleEndian.Uint32(zl)) != len(zl) || zl[len(zl)-1] != zipEnd {
		return bad("bad header or terminator")
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	count := int(binary.LittleEndian.Uint16(zl[8:]))
	var out [][]byte
	p, prevSize, last := zipHeader, 0, zipHeader
	for zl[p] != zipEnd {
		start := p
		prev := int(zl[p])
		p++
		if prev == zipBigPrev {
			if p+4 > len(zl) {
				return bad("truncated prevlen")
			}
			prev = int(binary.LittleEndian.Uint32(zl[p:]))
			p += 4
		}
		if prev != prevSize {
			return bad(fmt.Sprintf("entry at %d has prevlen %d, want %d", start, prev, prevSize))
		}
		el, next, err := ziplistEntry(zl, p)
		if err != nil {
			return nil, err
		}
		out = append(out, el)
		last, prevSize, p = start, next-start, next
	}
	if p != len(zl)-1 || tail != last || (count != zipLenCount && count != len(out)) {
		return bad("header disagrees with entries")
	}
	return out, nil
}

// ziplistEntry decodes the encoding and data at p, the position just
// after a prevlen, and returns the element and the next entry's position.
// Only the terminator's position (len(zl)-1) is out of bounds for data.
func ziplistEntry(zl []byte, p int) ([]byte, int, error) {
	end := len(zl) - 1
	need := func(n int) bool { return n >= 0 && p+n <= end }
	if !need(1) {
		return nil, 0, fmt.Errorf("rdb: ziplist: truncated entry: %w", ErrCorrupt)
	}
	c := zl[p]
	var n, hdr int
	switch c >> 6 {
	case 0:
		n, hdr = int(c&0x3f), 1
	case 1:
		if !need(2) {
			return nil, 0, fmt.Errorf("rdb: ziplist: truncated entry: %w", ErrCorrupt)
		}
		n, hdr = int(c&0x3f)<<8|int(zl[p+1]), 2
	case 2:
		if !need(5) {
			return nil, 0, fmt.Errorf("rdb: ziplist: bad string encoding 0x%02x: %w", c, ErrCorrupt)
		}
		u := binary.BigEndian.Uint32(zl[p+1:])
		if uint64(u) > uint64(end) {
			return nil, 0, fmt.Errorf("rdb: ziplist: string of %d bytes: %w", u, ErrCorrupt)
		}
		n, hdr = int(u), 5
	}
	if c>>6 != 3 {
		if !need(hdr + n) {
			return nil, 0, fmt.Errorf("rdb: ziplist: string overruns: %w", ErrCorrupt)
		}
		return zl[p+hdr : p+hdr+n], p + hdr + n, nil
	}
	var v int64
	switch {
	case c == 0xC0 && need(3):
		v, n = int64(int16(binary.LittleEndian.Uint16(zl[p+1:]))), 3
	case c == 0xD0 && need(5):
		v, n = int64(int32(binary.LittleEndian.Uint32(zl[p+1:]))), 5
	case c == 0xE0 && need(9):
		v, n = int64(binary.LittleEndian.Uint64(zl[p+1:])), 9
	case c == 0xF0 && need(4):
		u := uint32(zl[p+1]) | uint32(zl[p+2])<<8 | uint32(zl[p+3])<<16
		v, n = int64(int32(u<<8)>>8), 4
	case c == 0xFE && need(2):
		v, n = int64(int8(zl[p+1])), 2
	case c >= 0xF1 && c <= 0xFD:
		v, n = int64(c&0x0f)-1, 1
	default:
		return nil, 0, fmt.Errorf("rdb: ziplist: bad encoding 0x%02x: %w", c, ErrCorrupt)
	}
	return strconv.AppendInt(nil, v, 10), p + n, nil
}

// Zipmap (hashes before Redis 2.6):
//
//	<zmlen> { <len> field <len> <free> value <free bytes> } ... 0xFF
//
// zmlen is the pair count below 254. Each len is one byte below 254, else
// 0xFE and 4 bytes LE; free is one byte counting unused bytes after the
// value.
func zipmapElements(zm []byte) ([][]byte, error) {
	bad := func(what string) ([][]byte, error) {
		return nil, fmt.Errorf("rdb: zipmap: %s: %w", what, ErrCorrupt)
	}
	if len(zm) < 2 {
		return bad("too short")
	}
	p := 1
	readLen := func() (int, bool) {
		if p >= len(zm) {
			return 0, false
		}
		n := int(zm[p])
		p++
		if n == 254 {
			if p+4 > len(zm) {
				return 0, false
			}
			n = int(binary.LittleEndian.Uint32(zm[p:]))
			p += 4
		}
		return n, true
	}
	var out [][]byte
	for {
		if p >= len(zm) {
			return bad("no terminator")
		}
		if zm[p] == 0xFF {
			break
		}
		for half := 0; half < 2; half++ {
			n, ok := readLen()
			if !ok || n == 255 {
				return bad("truncated length")
			}
			free := 0
			if half == 1 {
				if p >= len(zm) {
					return bad("truncated free count")
				}
				free = int(zm[p])
				p++
			}
			if n > len(zm)-p || free > len(zm)-p-n {
				return bad("string overruns")
			}
			out = append(out, zm[p:p+n])
			p += n + free
		}
	}
	if p != len(zm)-1 || (zm[0] < 254 && int(zm[0]) != len(out)/2) {
		return bad("header disagrees with entries")
	}
	return out, nil
}

// Intset:
//
//	<width: u32 LE, 2, 4 or 8> <count: u32 LE> <count integers, LE, ascending>
func intsetElements(is []byte) ([][]byte, error) {
	if len(is) < 8 {
		return nil, fmt.Errorf("rdb: intset: too short: %w", ErrCorrupt)
	}
	width := binary.LittleEndian.Uint32(is)
	count := uint64(binary.LittleEndian.Uint32(is[4:]))
	if (width != 2 && width != 4 && width != 8) || uint64(len(is)-8) != count*uint64(width) {
		return nil, fmt.Errorf("rdb: intset: width %d and count %d do not fit %d bytes: %w", width, count, len(is), ErrCorrupt)
	}
	out := make([][]byte, count)
	prev := int64(math.MinInt64)
	for i := range out {
		b := is[8+i*int(width):]
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(b)))
		default:
			v = int64(binary.LittleEndian.Uint64(b))
		}
		if i > 0 && v <= prev {
			return nil, fmt.Errorf("rdb: intset: members out of order: %w", ErrCorrupt)
		}
		prev = v
		out[i] = strconv.AppendInt(nil, v, 10)
	}
	return out, nil
}

// listpackElements validates a listpack and returns its elements,
// integers in decimal. Strings alias lp.
func listpackElements(lp []byte) ([][]byte, error) {
	if !listpack.Validate(lp) {
		return nil, fmt.Errorf("rdb: malformed listpack: %w", ErrCorrupt)
	}
	var out [][]byte
	for p := listpack.First(lp); p >= 0; p = listpack.Next(lp, p) {
		s, v, isInt := listpack.Get(lp, p)
		if isInt {
			s = strconv.AppendInt(nil, v, 10)
		}
		out = append(out, s)
	}
	return out, nil
}

// pairsToHash turns alternating names and values into a hash, rejecting
// duplicate names.
func pairsToHash(els [][]byte) (Hash, error) {
	if len(els)%2 != 0 {
		return nil, fmt.Errorf("rdb: hash with an odd number of elements: %w", ErrCorrupt)
	}
	h := make(Hash, 0, len(els)/2)
	for i := 0; i < len(els); i += 2 {
		h = append(h, Field{Name: els[i], Value: els[i+1]})
	}
	return h, checkHash(h)
}

// pairsToZSet turns alternating members and scores into a sorted set.
func pairsToZSet(els [][]byte) (ZSet, error) {
	if len(els)%2 != 0 {
		return nil, fmt.Errorf("rdb: sorted set with an odd number of elements: %w", ErrCorrupt)
	}
	z := make(ZSet, 0, len(els)/2)
	for i := 0; i < len(els); i += 2 {
		f, err := strconv.ParseFloat(string(els[i+1]), 64)
		if err != nil || math.IsNaN(f) {
			return nil, fmt.Errorf("rdb: sorted set score %q: %w", els[i+1], ErrCorrupt)
		}
		z = append(z, ZMember{Member: els[i], Score: f})
	}
	return z, checkZSet(z)
}

// checkUnique reports the first of n names that repeats, if any.
func checkUnique(n int, name func(int) []byte, what string) error {
	seen := make(map[string]struct{}, n)
	for i := 0; i < n; i++ {
		k := name(i)
		if _, dup := seen[string(k)]; dup {
			return fmt.Errorf("rdb: duplicate %s %q: %w", what, k, ErrCorrupt)
		}
		seen[string(k)] = struct{}{}
	}
	if n == 0 {
		return errEmpty
	}
	return nil
}

func checkSet(s Set) error {
	return checkUnique(len(s), func(i int) []byte { return s[i] }, "set member")
}

func checkHash(h Hash) error {
	return checkUnique(len(h), func(i int) []byte { return h[i].Name }, "hash field")
}

func checkZSet(z ZSet) error {
	return checkUnique(len(z), func(i int) []byte { return z[i].Member }, "sorted set member")
}

func compareID(a, b ID) int {
	if c := cmp.Compare(a.Ms, b.Ms); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}
