package aof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strings"
)

// Kind is what an Item is.
type Kind int

// The kinds of Item.
const (
	// KindCommand is a command: Args.
	KindCommand Kind = iota + 1
	// KindTransaction is MULTI ... EXEC: Txn holds what came between.
	KindTransaction
	// KindClock is a clock annotation: Clock.
	KindClock
	// KindExtension is a Pelican-only command: Args.
	KindExtension
	// KindSkip says that the next Skip commands stand in, for Redis, for
	// the extension before them: Pelican skips them.
	KindSkip
)

// Item is one thing a Reader yields.
type Item struct {
	Kind Kind
	// Args are a command's or an extension's arguments, name first.
	Args [][]byte
	// Clock is a clock annotation's Unix time in milliseconds.
	Clock int64
	// Skip is the number of commands a KindSkip item covers.
	Skip int
	// Txn holds a transaction's commands, clocks and extensions between
	// MULTI and EXEC, which are not included.
	Txn []Item
	// End is the offset in the file just after the item: the file cut
	// at End holds it and everything before. An item from a frame has
	// the frame's end, because a frame is kept or dropped whole.
	End int64
}

// Reader reads the items of one AOF file, written by Pelican (framed) or
// by Redis (plain commands); see the package documentation for the
// format. Errors are sticky: after one, Next returns it again.
type Reader struct {
	name string
	src  streamSource
	// valid is the offset after the last whole unit outside an open
	// transaction: the length of the sound prefix. While a transaction
	// is open it stays before its MULTI.
	valid int64
	// txn is the transaction opened by an unframed MULTI, or nil.
	txn *Item
	// pending holds the items of a verified frame not yet returned.
	pending []Item
	err     error
}

// NewReader returns a Reader of r, named name in errors. If r has a Size
// or Stat method (as *os.File, vfs.File and *bytes.Reader do), the size
// bounds what a damaged length can make the Reader allocate.
func NewReader(r io.Reader, name string) *Reader {
	size := int64(-1)
	switch s := r.(type) {
	case interface{ Size() int64 }:
		size = s.Size()
	case interface{ Stat() (os.FileInfo, error) }:
		if fi, err := s.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	return &Reader{name: name, src: streamSource{br: bufio.NewReaderSize(r, 64<<10), size: size}}
}

// Offset returns the length of the file's sound prefix read so far: the
// end of the last item returned, or of the annotations skipped after it.
func (r *Reader) Offset() int64 { return r.valid }

// Next returns the next item. At the end of a sound file it returns
// io.EOF. A torn tail gives a *TruncatedError, damage before the end a
// *CorruptError, an RDB file ErrRDB; other errors are I/O errors.
func (r *Reader) Next() (Item, error) {
	if len(r.pending) > 0 {
		it := r.pending[0]
		r.pending = r.pending[1:]
		return it, nil
	}
	if r.err != nil {
		return Item{}, r.err
	}
	it, err := r.next()
	if err != nil {
		r.err = err
	}
	return it, err
}

func (r *Reader) next() (Item, error) {
	s := &r.src
	if s.off == 0 && bytes.Equal(s.peek(5), []byte("REDIS")) {
		return Item{}, ErrRDB
	}
	for {
		start := s.off
		if len(s.peek(1)) == 0 {
			if _, err := s.br.Peek(1); err != nil && err != io.EOF {
				return Item{}, fmt.Errorf("aof: reading %s: %w", r.name, err)
			}
			if r.txn != nil {
				return Item{}, r.truncated() // Redis reverts an unfinished MULTI
			}
			return Item{}, io.EOF
		}
		u, err := parseUnit(s)
		if err != nil {
			return Item{}, r.damaged(start, err)
		}
		if u.kind == unitFrame {
			if r.txn != nil {
				return Item{}, r.corrupt(start, "a frame starts inside a transaction")
			}
			if err := r.readFrame(start, u); err != nil {
				return Item{}, err
			}
			r.valid = s.off
			if len(r.pending) > 0 {
				it := r.pending[0]
				r.pending = r.pending[1:]
				return it, nil
			}
			continue
		}
		it, done, err := addUnit(&r.txn, u, s.off)
		if err != nil {
			return Item{}, r.corrupt(start, err.Error())
		}
		if r.txn == nil {
			r.valid = s.off
		}
		if done {
			return it, nil
		}
	}
}

// isCmd reports whether args is the command named name.
func isCmd(args [][]byte, name string) bool {
	return len(args) == 1 && strings.EqualFold(string(args[0]), name)
}

// addUnit applies u, which ends at end, to the transaction state *txn.
// It returns the item to yield, if done; an item inside a transaction is
// kept until EXEC.
func addUnit(txn **Item, u unit, end int64) (Item, bool, error) {
	var it Item
	switch u.kind {
	case unitSkip:
		return Item{}, false, nil
	case unitClock:
		it = Item{Kind: KindClock, Clock: u.ms, End: end}
	case unitExtension:
		it = Item{Kind: KindExtension, Args: u.args, End: end}
	case unitSkipNext:
		it = Item{Kind: KindSkip, Skip: int(u.ms), End: end}
	case unitCommand:
		switch {
		case isCmd(u.args, "MULTI") && *txn != nil:
			return Item{}, false, errors.New("MULTI inside a transaction")
		case isCmd(u.args, "MULTI"):
			*txn = &Item{Kind: KindTransaction}
			return Item{}, false, nil
		case isCmd(u.args, "EXEC") && *txn == nil:
			return Item{}, false, errors.New("EXEC without MULTI")
		case isCmd(u.args, "EXEC"):
			t := *txn
			*txn = nil
			t.End = end
			return *t, true, nil
		}
		it = Item{Kind: KindCommand, Args: u.args, End: end}
	}
	if *txn != nil {
		(*txn).Txn = append((*txn).Txn, it)
		return Item{}, false, nil
	}
	return it, true, nil
}

// readFrame reads the content of the frame whose header u starts at
// start, verifies it and queues its items.
func (r *Reader) readFrame(start int64, u unit) error {
	s := &r.src
	content, err := s.take(u.frameLen)
	if err != nil {
		return r.damaged(start, err)
	}
	if crc32.Checksum(content, crcTable) != u.frameCRC {
		// A frame cut short by a crash, its end zero-filled or garbage,
		// is torn if nothing but zeros follows it.
		at := s.off
		zero, err := s.restIsZero()
		if err != nil {
			return fmt.Errorf("aof: reading %s: %w", r.name, err)
		}
		if zero {
			return r.truncated()
		}
		return &CorruptError{File: r.name, Offset: start,
			Reason: fmt.Sprintf("checksum mismatch in the frame of %d bytes ending at offset %d", u.frameLen, at)}
	}
	end := s.off
	ms := &memSource{data: content, base: end - int64(len(content))}
	var txn *Item
	for ms.pos < len(content) {
		ustart := ms.offset()
		fu, err := parseUnit(ms)
		if err == nil && fu.kind == unitFrame {
			err = errors.New("a frame inside a frame")
		}
		var it Item
		var done bool
		if err == nil {
			it, done, err = addUnit(&txn, fu, end)
		}
		if err != nil {
			r.pending = nil
			return r.corrupt(ustart, "in a frame whose checksum matches: "+describe(err))
		}
		if done {
			r.pending = append(r.pending, it)
		}
	}
	if txn != nil {
		r.pending = nil
		return r.corrupt(start, "a transaction does not end in its frame")
	}
	return nil
}

func describe(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "a command or annotation is cut off at the frame's end"
	}
	return err.Error()
}

// damaged classifies err, met parsing the unit at start, as a torn tail
// or corruption.
func (r *Reader) damaged(start int64, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return r.truncated()
	}
	var fe *formatError
	if !errors.As(err, &fe) {
		return fmt.Errorf("aof: reading %s at offset %d: %w", r.name, start, err)
	}
	if r.src.nz <= fe.at { // the parse went wrong in zero bytes
		zero, rerr := r.src.restIsZero()
		if rerr != nil {
			return fmt.Errorf("aof: reading %s: %w", r.name, rerr)
		}
		if zero {
			return r.truncated()
		}
	}
	return r.corrupt(start, fe.reason)
}

func (r *Reader) corrupt(at int64, reason string) error {
	return &CorruptError{File: r.name, Offset: at, Reason: reason}
}

// truncated reports a torn tail after the sound prefix, consuming the rest
// of the file to count its bytes.
func (r *Reader) truncated() error {
	if _, err := r.src.restIsZero(); err != nil {
		return fmt.Errorf("aof: reading %s: %w", r.name, err)
	}
	return &TruncatedError{File: r.name, ValidUpTo: r.valid, Dropped: r.src.off - r.valid}
}
