package rdb

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/pelicanhq/pelican/internal/intconv"
	"github.com/pelicanhq/pelican/internal/listpack"
)

// Limits that choose compact encodings, Redis's defaults: a hash of at
// most hashListpackEntries fields, none longer than hashListpackValue
// bytes, is written as one listpack; a set of at most setIntsetEntries
// canonical integers as an intset; a sorted set of at most
// zsetListpackEntries members, none longer than zsetListpackValue bytes,
// as one listpack; list nodes hold up to
// listNodeBytes bytes of listpack (list-max-listpack-size -2).
const (
	hashListpackEntries = 128
	hashListpackValue   = 64
	setIntsetEntries    = 512
	zsetListpackEntries = 128
	zsetListpackValue   = 64
	listNodeBytes       = 8192
)

// maxFieldExpire is the latest hash field expiry Redis accepts (2^48-1 ms).
const maxFieldExpire = 1<<48 - 1

// encoder writes RDB encodings to w. The first write error sticks in err
// and turns later writes into no-ops.
type encoder struct {
	w   io.Writer
	err error
	buf [16]byte
}

func (e *encoder) raw(p []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(p)
	}
}

func (e *encoder) byte1(b byte) {
	e.buf[0] = b
	e.raw(e.buf[:1])
}

// length writes n in the length encoding:
//
//	00xxxxxx                 6-bit length
//	01xxxxxx xxxxxxxx        14-bit length, big-endian
//	10000000 <4 bytes BE>    32-bit length
//	10000001 <8 bytes BE>    64-bit length
//	11xxxxxx                 a special string encoding follows (see str)
func (e *encoder) length(n uint64) {
	b := e.buf[:0]
	switch {
	case n < 1<<6:
		b = append(b, byte(n))
	case n < 1<<14:
		b = append(b, byte(n>>8)|0x40, byte(n))
	case n <= math.MaxUint32:
		b = append(b, 0x80)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	default:
		b = append(b, 0x81)
		b = binary.BigEndian.AppendUint64(b, n)
	}
	e.raw(b)
}

// str writes a string: as an 8, 16 or 32-bit integer (0xC0, 0xC1, 0xC2
// then the value little-endian) when it is the canonical decimal form of
// one, else as its length and bytes.
func (e *encoder) str(s []byte) {
	if len(s) <= 11 {
		if v, ok := intconv.ParseInt(s); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
			b := e.buf[:0]
			switch {
			case v >= math.MinInt8 && v <= math.MaxInt8:
				b = append(b, 0xC0, byte(v))
			case v >= math.MinInt16 && v <= math.MaxInt16:
				b = append(b, 0xC1, byte(v), byte(v>>8))
			default:
				b = append(b, 0xC2, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
			}
			e.raw(b)
			return
		}
	}
	e.length(uint64(len(s)))
	e.raw(s)
}

// msTime writes a millisecond time as 8 bytes little-endian.
func (e *encoder) msTime(t int64) {
	e.raw(binary.LittleEndian.AppendUint64(e.buf[:0], uint64(t)))
}

// rawID writes a stream ID as 16 bytes big-endian, as PELs store it.
func (e *encoder) rawID(id ID) {
	e.raw(appendRawID(e.buf[:0], id))
}

func appendRawID(b []byte, id ID) []byte {
	b = binary.BigEndian.AppendUint64(b, id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

// objectType checks that v can be written in version and returns the
// object type it is written as.
func objectType(v Value, version int) (byte, error) {
	switch v := v.(type) {
	case String:
		return typeString, nil
	case List:
		if len(v) == 0 {
			return 0, fmt.Errorf("rdb: empty list: %w", ErrInvalidValue)
		}
		return typeListQuicklist2, nil
	case Set:
		if len(v) == 0 {
			return 0, fmt.Errorf("rdb: empty set: %w", ErrInvalidValue)
		}
		if isIntset(v) {
			return typeSetIntset, nil
		}
		return typeSet, nil
	case Hash:
		return hashType(v, version)
	case ZSet:
		if len(v) == 0 {
			return 0, fmt.Errorf("rdb: empty sorted set: %w", ErrInvalidValue)
		}
		for _, m := range v {
			if math.IsNaN(m.Score) {
				return 0, fmt.Errorf("rdb: sorted set member %q has a NaN score: %w", m.Member, ErrInvalidValue)
			}
		}
		if isSmallZSet(v) {
			return typeZSetListpack, nil
		}
		return typeZSet2, nil
	case *Stream:
		if v == nil {
			return 0, fmt.Errorf("rdb: nil stream: %w", ErrInvalidValue)
		}
		for i, n := range v.Nodes {
			if len(n.Listpack) == 0 {
				return 0, fmt.Errorf("rdb: stream node %d has no listpack: %w", i, ErrInvalidValue)
			}
		}
		if version >= 11 {
			return typeStreamListpacks3, nil
		}
		return typeStreamListpacks2, nil
	case nil:
		return 0, fmt.Errorf("rdb: nil value: %w", ErrInvalidValue)
	}
	return 0, fmt.Errorf("rdb: value of type %T: %w", v, ErrInvalidValue)
}

func hashType(h Hash, version int) (byte, error) {
	if len(h) == 0 {
		return 0, fmt.Errorf("rdb: empty hash: %w", ErrInvalidValue)
	}
	small := len(h) <= hashListpackEntries
	ttl := false
	for _, f := range h {
		if len(f.Name) > hashListpackValue || len(f.Value) > hashListpackValue {
			small = false
		}
		if f.ExpireAtMs < 0 || f.ExpireAtMs > maxFieldExpire {
			return 0, fmt.Errorf("rdb: hash field %q expires at %d: %w", f.Name, f.ExpireAtMs, ErrInvalidValue)
		}
		ttl = ttl || f.ExpireAtMs != 0
	}
	switch {
	case ttl && version < 12:
		return 0, fmt.Errorf("rdb: hash field TTLs need RDB version 12, not %d: %w", version, ErrInvalidValue)
	case ttl:
		return typeHashMetadata, nil
	case small:
		return typeHashListpack, nil
	}
	return typeHash, nil
}

func isSmallZSet(z ZSet) bool {
	if len(z) > zsetListpackEntries {
		return false
	}
	for _, m := range z {
		if len(m.Member) > zsetListpackValue {
			return false
		}
	}
	return true
}

func isIntset(s Set) bool {
	if len(s) > setIntsetEntries {
		return false
	}
	for _, m := range s {
		if _, ok := intconv.ParseInt(m); !ok {
			return false
		}
	}
	return true
}

// object writes the body of v, whose type objectType returned as typ.
func (e *encoder) object(typ byte, v Value) {
	switch typ {
	case typeString:
		e.str(v.(String))
	case typeListQuicklist2:
		e.quicklist(v.(List))
	case typeSetIntset:
		e.str(intsetBlob(v.(Set)))
	case typeSet:
		s := v.(Set)
		e.length(uint64(len(s)))
		for _, m := range s {
			e.str(m)
		}
	case typeHashListpack:
		lp := listpack.New(256)
		for _, f := range v.(Hash) {
			lp = listpack.Append(lp, f.Name)
			lp = listpack.Append(lp, f.Value)
		}
		e.str(lp)
	case typeHash:
		h := v.(Hash)
		e.length(uint64(len(h)))
		for _, f := range h {
			e.str(f.Name)
			e.str(f.Value)
		}
	case typeHashMetadata:
		e.hashMetadata(v.(Hash))
	case typeZSetListpack:
		e.str(zsetListpack(v.(ZSet)))
	case typeZSet2:
		z := v.(ZSet)
		e.length(uint64(len(z)))
		for _, m := range z {
			e.str(m.Member)
			e.raw(binary.LittleEndian.AppendUint64(e.buf[:0], math.Float64bits(m.Score)))
		}
	case typeStreamListpacks2, typeStreamListpacks3:
		e.stream(typ, v.(*Stream))
	default:
		panic(fmt.Sprintf("rdb: object type %d has no encoder", typ))
	}
}

// quicklist writes a list as nodes of listpacks, each (unless one element
// alone is larger) at most listNodeBytes long:
//
//	<node count> { <container: 2 (packed)> <listpack as a string> } ...
func (e *encoder) quicklist(l List) {
	var ends []int // index just past each node's last element
	size := 0
	for i, s := range l {
		es := listpack.ElementSize(s)
		if size > 0 && 7+size+es > listNodeBytes {
			ends = append(ends, i)
			size = 0
		}
		size += es
	}
	ends = append(ends, len(l))
	e.length(uint64(len(ends)))
	start := 0
	for _, end := range ends {
		lp := listpack.New(listNodeBytes)
		for _, s := range l[start:end] {
			lp = listpack.Append(lp, s)
		}
		e.length(containerPacked)
		e.str(lp)
		start = end
	}
}

// intsetBlob encodes a set of integers as an intset: a little-endian
// uint32 width in bytes (2, 4 or 8), a uint32 count, then the members in
// ascending order, little-endian, each of that width.
func intsetBlob(s Set) []byte {
	vals := make([]int64, len(s))
	width := 2
	for i, m := range s {
		v, _ := intconv.ParseInt(m)
		vals[i] = v
		switch {
		case v < math.MinInt32 || v > math.MaxInt32:
			width = 8
		case (v < math.MinInt16 || v > math.MaxInt16) && width < 4:
			width = 4
		}
	}
	slices.Sort(vals)
	b := make([]byte, 0, 8+width*len(vals))
	b = binary.LittleEndian.AppendUint32(b, uint32(width))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(vals)))
	for _, v := range vals {
		switch width {
		case 2:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case 4:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		default:
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
	}
	return b
}

// hashMetadata writes a hash with field TTLs: the earliest expiry, the
// field count, then per field its TTL (0 for none, else its expiry minus
// the earliest plus one), name and value.
func (e *encoder) hashMetadata(h Hash) {
	minExp := int64(math.MaxInt64)
	for _, f := range h {
		if f.ExpireAtMs != 0 && f.ExpireAtMs < minExp {
			minExp = f.ExpireAtMs
		}
	}
	e.msTime(minExp)
	e.length(uint64(len(h)))
	for _, f := range h {
		var ttl uint64
		if f.ExpireAtMs != 0 {
			ttl = uint64(f.ExpireAtMs-minExp) + 1
		}
		e.length(ttl)
		e.str(f.Name)
		e.str(f.Value)
	}
}

// zsetListpack encodes a small sorted set as Redis's listpack: members and
// scores alternating, in ascending order of score, then member. A score is
// stored as Redis's listpack holds it: an integer when it is one of
// magnitude up to 2^62 as integers (Redis's double2ll), others as
// d2string writes them: "%.17g", "inf" and "-inf".
func zsetListpack(z ZSet) []byte {
	sorted := slices.Clone(z)
	slices.SortFunc(sorted, func(a, b ZMember) int {
		if c := cmp.Compare(a.Score, b.Score); c != 0 {
			return c
		}
		return bytes.Compare(a.Member, b.Member)
	})
	lp := listpack.New(256)
	var buf []byte
	for _, m := range sorted {
		lp = listpack.Append(lp, m.Member)
		f := m.Score
		switch {
		case math.IsInf(f, 1):
			buf = append(buf[:0], "inf"...)
		case math.IsInf(f, -1):
			buf = append(buf[:0], "-inf"...)
		case f >= -(1<<62) && f <= 1<<62 && f == math.Trunc(f):
			lp = listpack.AppendInt(lp, int64(f))
			continue
		default:
			buf = strconv.AppendFloat(buf[:0], f, 'g', 17, 64)
		}
		lp = listpack.Append(lp, buf)
	}
	return lp
}
