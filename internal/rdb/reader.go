package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Reader reads the entries of an RDB file of any version up to
// MaxVersion.
//
// Keys whose value is an empty collection, which old Redis versions
// wrote by mistake, are skipped, as Redis skips them. Aux fields are
// collected as they pass; LRU and LFU hints, RESIZEDB and slot info are
// read and dropped. Module data and function libraries end reading with
// ErrUnsupported.
//
// If the io.Reader given to NewReader is also an io.ByteReader (such as
// a *bufio.Reader), Reader reads nothing past the checksum, so that what
// follows (the tail of an append-only file with an RDB preamble) can be
// read from it next.
type Reader struct {
	d       *decoder
	version int
	db      int
	aux     []AuxField
	started bool
	err     error // sticky; io.EOF once the file has ended well
}

// NewReader returns a Reader of r. Nothing is read until Next.
func NewReader(r io.Reader) *Reader {
	d := newDecoder(r)
	d.summing = true
	return &Reader{d: d}
}

// Version returns the file's RDB version, 0 before Next has read the
// header.
func (r *Reader) Version() int { return r.version }

// Aux returns the aux fields read so far, in file order. Redis writes
// them before the first key.
func (r *Reader) Aux() []AuxField { return r.aux }

// Next returns the next entry. At the end of the file, after the
// checksum has been verified (a stored checksum of 0 means none was
// computed), it returns io.EOF; every error sticks.
func (r *Reader) Next() (Entry, error) {
	if r.err != nil {
		return Entry{}, r.err
	}
	e, err := r.next()
	if err != nil {
		r.err = err
	}
	return e, err
}

func (r *Reader) header() error {
	var magic [9]byte
	if err := r.d.fill(magic[:]); err != nil {
		return fmt.Errorf("rdb: header: %w", err)
	}
	if string(magic[:5]) != "REDIS" {
		return fmt.Errorf("rdb: no REDIS signature: %w", ErrCorrupt)
	}
	v, err := strconv.Atoi(string(magic[5:]))
	if err != nil || v < 1 {
		return fmt.Errorf("rdb: version %q: %w", magic[5:], ErrCorrupt)
	}
	if v > MaxVersion {
		return fmt.Errorf("rdb: file version %d: %w", v, ErrVersion)
	}
	r.version = v
	return nil
}

func (r *Reader) next() (Entry, error) {
	d := r.d
	if !r.started {
		r.started = true
		if err := r.header(); err != nil {
			return Entry{}, err
		}
	}
	var expire int64
	for {
		op, err := d.u8()
		if err != nil {
			return Entry{}, err
		}
		switch op {
		case opExpireSec:
			if err := d.fill(d.buf[:4]); err != nil {
				return Entry{}, err
			}
			expire = int64(int32(binary.LittleEndian.Uint32(d.buf[:4]))) * 1000
		case opExpireMs:
			if expire, err = d.msTime(); err != nil {
				return Entry{}, err
			}
		case opFreq:
			if _, err := d.u8(); err != nil {
				return Entry{}, err
			}
		case opIdle:
			if _, err := d.length(); err != nil {
				return Entry{}, err
			}
		case opSelectDB:
			db, err := d.length()
			if err != nil {
				return Entry{}, err
			}
			if db > math.MaxInt32 {
				return Entry{}, fmt.Errorf("rdb: DB %d: %w", db, ErrCorrupt)
			}
			r.db = int(db)
		case opResizeDB, opSlotInfo:
			n := 2
			if op == opSlotInfo {
				n = 3
			}
			for i := 0; i < n; i++ {
				if _, err := d.length(); err != nil {
					return Entry{}, err
				}
			}
		case opAux:
			if err := r.readAux(); err != nil {
				return Entry{}, err
			}
		case opModuleAux:
			return Entry{}, fmt.Errorf("rdb: module aux data: %w", ErrUnsupported)
		case opFunction2, opFunctionPre:
			return Entry{}, fmt.Errorf("rdb: function library (Pelican has no functions): %w", ErrUnsupported)
		case opEOF:
			if err := r.checksum(); err != nil {
				return Entry{}, err
			}
			return Entry{}, io.EOF
		default:
			e, err := r.entry(op, expire)
			if errors.Is(err, errEmpty) {
				expire = 0
				continue
			}
			return e, err
		}
	}
}

func (r *Reader) readAux() error {
	k, err := r.d.str()
	if err != nil {
		return fmt.Errorf("rdb: aux field: %w", err)
	}
	v, err := r.d.str()
	if err != nil {
		return fmt.Errorf("rdb: aux field %q: %w", k, err)
	}
	r.aux = append(r.aux, AuxField{string(k), string(v)})
	return nil
}

func (r *Reader) entry(typ byte, expire int64) (Entry, error) {
	key, err := r.d.str()
	if err != nil {
		return Entry{}, fmt.Errorf("rdb: key name: %w", err)
	}
	v, err := r.d.object(typ)
	if err != nil {
		return Entry{}, fmt.Errorf("rdb: key %q of type %d: %w", key, typ, err)
	}
	return Entry{DB: r.db, Key: key, ExpireAtMs: expire, Value: v}, nil
}

// checksum reads the CRC64 after the EOF opcode (files of version 5 and
// later) and compares it with the CRC of everything before.
func (r *Reader) checksum() error {
	if r.version < 5 {
		return nil
	}
	want := r.d.crc
	r.d.summing = false
	if err := r.d.fill(r.d.buf[:8]); err != nil {
		return fmt.Errorf("rdb: checksum: %w", err)
	}
	got := binary.LittleEndian.Uint64(r.d.buf[:8])
	if got != 0 && got != want {
		return fmt.Errorf("rdb: file checksum %016x, content sums to %016x: %w", got, want, ErrChecksum)
	}
	return nil
}
