package rdb

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Options configure a Writer. The zero value writes a version 10 file
// that Redis 7.0 loads.
type Options struct {
	// Version is the RDB version to write, MinWriteVersion to MaxVersion.
	// If zero, DefaultVersion (10) is used.
	Version int
	// RedisVersion is the "redis-ver" aux field. If empty, the first
	// Redis release of the RDB version is named: "7.0.0" for 10, "7.2.0"
	// for 11, "7.4.0" for 12.
	RedisVersion string
	// CTime is the "ctime" aux field, the creation time in Unix seconds.
	// If zero, the time NewWriter is called is used.
	CTime int64
	// UsedMem is the "used-mem" aux field in bytes; zero is written as 0.
	UsedMem int64
	// AOFBase sets the "aof-base" aux field to 1, as Redis does for the
	// RDB base file of an append-only file.
	AOFBase bool
	// Aux are more aux fields, written after "used-mem" and before
	// "aof-base".
	Aux []AuxField
}

// Writer writes an RDB file: the header and aux fields, then entries,
// each with the SELECTDB before it that its DB needs, then, on Close, the
// EOF opcode and the CRC64. Values are encoded straight to the
// underlying writer, through a buffer: a stream's listpacks are not
// copied.
//
// A Writer's first error sticks: every later call returns it.
type Writer struct {
	opts    Options
	cw      *crcWriter
	bw      *bufio.Writer
	e       encoder
	db      int // selected DB, -1 before the first SELECTDB
	started bool
	closed  bool
	err     error
}

// crcWriter passes writes on, folding them into a CRC64.
type crcWriter struct {
	w   io.Writer
	crc uint64
}

func (c *crcWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.crc = crc64(c.crc, p[:n])
	return n, err
}

// NewWriter returns a Writer to w. Nothing is written until the first
// call; Close does not close w.
func NewWriter(w io.Writer, opts Options) *Writer {
	if opts.CTime == 0 {
		opts.CTime = time.Now().Unix()
	}
	cw := &crcWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	return &Writer{opts: opts, cw: cw, bw: bw, e: encoder{w: bw}, db: -1}
}

// errClosed is returned by calls after Close.
var errClosed = errors.New("rdb: writer is closed")

// start writes the header and aux fields, once.
func (w *Writer) start() error {
	if w.err == nil && w.closed {
		return errClosed
	}
	if w.err != nil || w.started {
		return w.err
	}
	w.started = true
	v, err := writeVersion(w.opts.Version)
	if err != nil {
		w.err = err
		return err
	}
	w.opts.Version = v
	redisVer := w.opts.RedisVersion
	if redisVer == "" {
		redisVer = map[int]string{10: "7.0.0", 11: "7.2.0", 12: "7.4.0"}[v]
	}
	w.e.raw(fmt.Appendf(nil, "REDIS%04d", v))
	aux := []AuxField{
		{"redis-ver", redisVer},
		{"redis-bits", "64"},
		{"ctime", strconv.FormatInt(w.opts.CTime, 10)},
		{"used-mem", strconv.FormatInt(w.opts.UsedMem, 10)},
	}
	aof := "0"
	if w.opts.AOFBase {
		aof = "1"
	}
	aux = append(append(aux, w.opts.Aux...), AuxField{"aof-base", aof})
	for _, a := range aux {
		w.e.byte1(opAux)
		w.e.str([]byte(a.Key))
		w.e.str([]byte(a.Value))
	}
	return w.check("writing the header")
}

func (w *Writer) check(what string) error {
	if w.e.err != nil && w.err == nil {
		w.err = fmt.Errorf("rdb: %s: %w", what, w.e.err)
	}
	return w.err
}

// SelectDB starts database db, with keys and expires, the number of its
// keys and of those with an expiry, as the hint Redis sizes its tables
// by (RESIZEDB). Entries of db may follow. Calling it is optional:
// WriteEntry selects the entry's DB when needed, without the hint.
func (w *Writer) SelectDB(db int, keys, expires uint64) error {
	if err := w.start(); err != nil {
		return err
	}
	if db < 0 {
		return fmt.Errorf("rdb: selecting DB %d: %w", db, ErrInvalidValue)
	}
	w.selectDB(db)
	w.e.byte1(opResizeDB)
	w.e.length(keys)
	w.e.length(expires)
	return w.check("selecting a DB")
}

func (w *Writer) selectDB(db int) {
	w.e.byte1(opSelectDB)
	w.e.length(uint64(db))
	w.db = db
}

// WriteEntry writes one key: its expiry if it has one, its object type,
// its name and its value. An invalid value (see ErrInvalidValue) is
// reported before anything of the entry is written, and does not stop
// the Writer.
func (w *Writer) WriteEntry(e Entry) error {
	if err := w.start(); err != nil {
		return err
	}
	if e.DB < 0 {
		return fmt.Errorf("rdb: key %q in DB %d: %w", e.Key, e.DB, ErrInvalidValue)
	}
	typ, err := objectType(e.Value, w.opts.Version)
	if err != nil {
		return fmt.Errorf("rdb: key %q: %w", e.Key, err)
	}
	if e.DB != w.db {
		w.selectDB(e.DB)
	}
	if e.ExpireAtMs != 0 {
		w.e.byte1(opExpireMs)
		w.e.msTime(e.ExpireAtMs)
	}
	w.e.byte1(typ)
	w.e.str(e.Key)
	w.e.object(typ, e.Value)
	return w.check(fmt.Sprintf("writing key %q", e.Key))
}

// Close ends the file with the EOF opcode and the CRC64 of everything
// before, and flushes. It does not close the underlying writer. Calls
// after Close fail; Close itself may be repeated.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	if err := w.start(); err != nil {
		return err
	}
	w.closed = true
	w.e.byte1(opEOF)
	if err := w.bw.Flush(); err != nil && w.e.err == nil {
		w.e.err = err
	}
	w.e.raw(binary.LittleEndian.AppendUint64(nil, w.cw.crc))
	if err := w.bw.Flush(); err != nil && w.e.err == nil {
		w.e.err = err
	}
	return w.check("closing")
}
