package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// source is what the decoder reads from: a *bufio.Reader for files, a
// *bytes.Reader for DUMP payloads.
type source interface {
	io.Reader
	io.ByteReader
}

// errEmpty marks a collection with no elements, which Redis writes only
// by mistake: files skip such keys, as Redis does; DUMP payloads reject
// them.
var errEmpty = fmt.Errorf("rdb: empty collection: %w", ErrCorrupt)

// readChunk bounds each allocation made for a length read from the
// input: longer strings grow as their bytes actually arrive, so a lying
// length fails at the end of the input instead of allocating it.
const readChunk = 1 << 20

// decoder reads RDB encodings. When summing, it folds every byte read
// into crc.
type decoder struct {
	src source
	// sized, when not nil, tells how many bytes remain.
	sized   interface{ Len() int }
	summing bool
	crc     uint64
	buf     [16]byte
}

func newDecoder(r io.Reader) *decoder {
	d := &decoder{}
	if s, ok := r.(source); ok {
		d.src = s
	} else {
		d.src = bufio.NewReaderSize(r, 64<<10)
	}
	if s, ok := r.(interface{ Len() int }); ok {
		d.sized = s
	}
	return d
}

// truncated turns the end of the input into ErrCorrupt.
func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("rdb: unexpected end of data: %w", ErrCorrupt)
	}
	return fmt.Errorf("rdb: reading: %w", err)
}

func (d *decoder) u8() (byte, error) {
	b, err := d.src.ReadByte()
	if err != nil {
		return 0, truncated(err)
	}
	if d.summing {
		d.buf[0] = b
		d.crc = crc64(d.crc, d.buf[:1])
	}
	return b, nil
}

// fill reads exactly len(p) bytes.
func (d *decoder) fill(p []byte) error {
	if _, err := io.ReadFull(d.src, p); err != nil {
		return truncated(err)
	}
	if d.summing {
		d.crc = crc64(d.crc, p)
	}
	return nil
}

// bytes reads n bytes into a new slice.
func (d *decoder) bytes(n uint64) ([]byte, error) {
	if d.sized != nil && n > uint64(d.sized.Len()) {
		return nil, fmt.Errorf("rdb: length %d exceeds the %d bytes left: %w", n, d.sized.Len(), ErrCorrupt)
	}
	if n > math.MaxInt/2 {
		return nil, fmt.Errorf("rdb: length %d: %w", n, ErrCorrupt)
	}
	b := make([]byte, 0, min(n, readChunk))
	for uint64(len(b)) < n {
		k := int(min(n-uint64(len(b)), uint64(max(readChunk, len(b)))))
		if cap(b)-len(b) < k {
			nb := make([]byte, len(b), len(b)+k)
			copy(nb, b)
			b = nb
		}
		if err := d.fill(b[len(b) : len(b)+k]); err != nil {
			return nil, err
		}
		b = b[:len(b)+k]
	}
	return b, nil
}

// capHint bounds a preallocation for n elements read from the input.
func (d *decoder) capHint(n uint64) int {
	limit := uint64(1024)
	if d.sized != nil {
		limit = min(limit, uint64(d.sized.Len()))
	}
	return int(min(n, limit))
}

// lengthOrEnc reads a length, or the 6-bit special encoding that stands
// in for one (encoded set).
func (d *decoder) lengthOrEnc() (n uint64, encoded bool, err error) {
	b, err := d.u8()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3f), false, nil
	case 1:
		c, err := d.u8()
		return uint64(b&0x3f)<<8 | uint64(c), false, err
	case 3:
		return uint64(b & 0x3f), true, nil
	}
	switch b {
	case 0x80:
		err = d.fill(d.buf[:4])
		return uint64(binary.BigEndian.Uint32(d.buf[:4])), false, err
	case 0x81:
		err = d.fill(d.buf[:8])
		return binary.BigEndian.Uint64(d.buf[:8]), false, err
	}
	return 0, false, fmt.Errorf("rdb: length encoding 0x%02x: %w", b, ErrCorrupt)
}

// length reads a length that must not be a special encoding.
func (d *decoder) length() (uint64, error) {
	n, enc, err := d.lengthOrEnc()
	if err == nil && enc {
		err = fmt.Errorf("rdb: string encoding %d where a length belongs: %w", n, ErrCorrupt)
	}
	return n, err
}

// str reads a string in any of its encodings: plain, integer or LZF.
func (d *decoder) str() ([]byte, error) {
	n, enc, err := d.lengthOrEnc()
	if err != nil {
		return nil, err
	}
	if !enc {
		return d.bytes(n)
	}
	switch n {
	case 0:
		b, err := d.u8()
		return strconv.AppendInt(nil, int64(int8(b)), 10), err
	case 1:
		err := d.fill(d.buf[:2])
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(d.buf[:2]))), 10), err
	case 2:
		err := d.fill(d.buf[:4])
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(d.buf[:4]))), 10), err
	case 3:
		clen, err := d.length()
		if err != nil {
			return nil, err
		}
		ulen, err := d.length()
		if err != nil {
			return nil, err
		}
		if ulen > clen*lzfMaxRatio {
			return nil, fmt.Errorf("rdb: lzf string of %d bytes claims %d: %w", clen, ulen, ErrCorrupt)
		}
		c, err := d.bytes(clen)
		if err != nil {
			return nil, err
		}
		return lzfDecompress(c, int(ulen))
	}
	return nil, fmt.Errorf("rdb: string encoding %d: %w", n, ErrCorrupt)
}

// msTime reads a millisecond time: 8 bytes little-endian.
func (d *decoder) msTime() (int64, error) {
	err := d.fill(d.buf[:8])
	return int64(binary.LittleEndian.Uint64(d.buf[:8])), err
}

// rawID reads a stream ID stored as 16 bytes big-endian.
func (d *decoder) rawID() (ID, error) {
	err := d.fill(d.buf[:16])
	return ID{binary.BigEndian.Uint64(d.buf[:8]), binary.BigEndian.Uint64(d.buf[8:16])}, err
}

// binaryDouble reads an IEEE 754 double, little-endian (ZSET_2).
func (d *decoder) binaryDouble() (float64, error) {
	err := d.fill(d.buf[:8])
	return math.Float64frombits(binary.LittleEndian.Uint64(d.buf[:8])), err
}

// textDouble reads the old double encoding (ZSET): a length byte, 253,
// 254 and 255 standing for NaN, +Inf and -Inf, else that many bytes of
// decimal text.
func (d *decoder) textDouble() (float64, error) {
	n, err := d.u8()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	var text [255]byte
	b := text[:n]
	if err := d.fill(b); err != nil {
		return 0, err
	}
	f, perr := strconv.ParseFloat(string(b), 64)
	if perr != nil {
		return 0, fmt.Errorf("rdb: score %q: %w", b, ErrCorrupt)
	}
	return f, nil
}
