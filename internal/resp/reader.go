// Package resp reads Redis commands and writes Redis replies in the Redis
// serialization protocol, versions 2 and 3.
//
// The Reader parses the requests a client sends: multibulk arrays
// ("*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n") and inline commands ("PING hi\r\n"),
// with Redis's limits and Redis's exact protocol error texts. It keeps every
// pipelined command in one buffer and hands out arguments that alias that
// buffer, so parsing allocates nothing per command; callers copy what they
// keep.
//
// The Writer appends replies to a byte slice, choosing the RESP2 or RESP3
// form of maps, sets, nulls, doubles and booleans from the protocol version
// the connection negotiated.
//
// The Scanner reads replies back, of either protocol, in place in a byte
// slice: clients that turn a reply straight into their own types (the
// worker's XREADGROUP), and tests that look at what a server sent.
package resp

import (
	"errors"
	"io"
	"strconv"

	"github.com/pelicanhq/pelican/internal/intconv"
)

// Limits that mirror Redis's compile-time constants.
const (
	// InlineMaxSize bounds an inline command, and the length lines of a
	// multibulk request, that arrive without a newline.
	InlineMaxSize = 64 * 1024
	// DefaultMaxBulkLen is the default proto-max-bulk-len: 512 MB.
	DefaultMaxBulkLen = 512 * 1024 * 1024
	// MaxMultibulkLen is the largest multibulk count Redis accepts.
	MaxMultibulkLen = 1<<31 - 1
	// unauthMultibulkLen and unauthBulkLen bound requests of clients that
	// have not authenticated yet on a server with a password.
	unauthMultibulkLen = 10
	unauthBulkLen      = 16384
	// readChunk is how much the reader asks the connection for at a time.
	readChunk = 16 * 1024
	// shrinkAbove is the buffer size above which a buffer that a large
	// command grew is given back once that command is consumed.
	shrinkAbove = 4 * readChunk
)

// ProtocolError is a malformed request. Its Msg is the text Redis replies
// with (after "ERR "); Redis closes the connection after sending it.
type ProtocolError struct {
	Msg string
}

func (e *ProtocolError) Error() string { return "ERR " + e.Msg }

// ErrIncomplete is returned by Parse when the buffer holds no complete
// command yet.
var ErrIncomplete = errors.New("resp: incomplete command")

// Reader parses commands from a connection. It is not safe for concurrent
// use.
//
// Invariant: buf[r:w] holds bytes received and not yet consumed; a command
// being parsed starts at r, and its arguments found so far are recorded as
// offsets relative to r, so the buffer may be moved or compacted between
// reads without invalidating them.
type Reader struct {
	rd   io.Reader
	buf  []byte
	r, w int

	// MaxBulkLen is proto-max-bulk-len. If zero, DefaultMaxBulkLen is used.
	MaxBulkLen int64
	// Unauthenticated applies Redis's tighter limits for clients that
	// still have to authenticate.
	Unauthenticated bool

	// Partial multibulk state, kept between calls so that a large command
	// arriving in pieces is not parsed again from its start.
	mbLeft  int      // arguments still to read; 0 when not inside a multibulk
	bulkLen int      // length of the argument being read, or -1
	pos     int      // parse position relative to r
	offs    [][2]int // argument offsets relative to r
	args    [][]byte
}

// NewReader returns a Reader that reads from rd.
func NewReader(rd io.Reader) *Reader {
	return &Reader{rd: rd, buf: make([]byte, readChunk), bulkLen: -1}
}

// Buffered reports how many received bytes are not yet consumed.
func (r *Reader) Buffered() int { return r.w - r.r }

// Fill reads once from the underlying reader, appending to the buffer. It
// returns the number of bytes read.
func (r *Reader) Fill() (int, error) {
	r.makeRoom()
	n, err := r.rd.Read(r.buf[r.w:])
	r.w += n
	return n, err
}

// Feed appends p to the buffer as if it had been read. Tests and fuzzers
// use it instead of Fill.
func (r *Reader) Feed(p []byte) {
	for len(p) > 0 {
		r.makeRoom()
		n := copy(r.buf[r.w:], p)
		r.w += n
		p = p[n:]
	}
}

// Shrink replaces a buffer that a large command grew by a small one, if
// what is left unconsumed fits in one, and reports whether it did. Fill
// does this before reading; a caller about to wait for the client may call
// it first so that the memory is not held meanwhile.
func (r *Reader) Shrink() bool {
	if len(r.buf) <= shrinkAbove || r.w-r.r > readChunk {
		return false
	}
	nb := make([]byte, 2*readChunk)
	r.w = copy(nb, r.buf[r.r:r.w])
	r.r, r.buf = 0, nb
	clear(r.args[:cap(r.args)]) // the last command's arguments, in the old buffer
	return true
}

// Cap reports the size of the reader's buffer.
func (r *Reader) Cap() int { return len(r.buf) }

// makeRoom ensures free space at the end of the buffer before a read.
//
// A buffer that a large command grew is replaced by a small one once what
// is left of it fits in one, so that the memory goes back after the burst.
// Otherwise the unconsumed bytes move to the front; and if the buffer is
// still full, it doubles, but never beyond what the argument being read
// still needs (as far as it is known): growth costs at most four times the
// bytes that have arrived, whatever length a request declares, and copying
// stays linear in the size of the command.
func (r *Reader) makeRoom() {
	if r.Shrink() {
		return
	}
	if r.w < len(r.buf) {
		return
	}
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
		if r.w < len(r.buf) {
			return
		}
	}
	size := 2 * len(r.buf)
	if r.bulkLen >= 0 {
		// The rest of the argument and its CRLF, plus room for the next
		// request line; allocated at once when within four times what
		// has arrived, which saves a generation of copies.
		need := r.pos + r.bulkLen + 2 + readChunk
		if need > len(r.buf) && need < 4*len(r.buf) {
			size = need
		}
	}
	nb := make([]byte, size)
	copy(nb, r.buf[:r.w])
	r.buf = nb
}

// Reset discards everything buffered, and shrinks a buffer that grew large
// for one big command.
func (r *Reader) Reset() {
	r.r, r.w = 0, 0
	r.resetCommand()
	if len(r.buf) > 4*readChunk {
		r.buf = make([]byte, readChunk)
	}
}

func (r *Reader) resetCommand() {
	r.mbLeft = 0
	r.bulkLen = -1
	r.pos = 0
	r.offs = r.offs[:0]
}

// Parse returns the next complete command in the buffer. The returned
// slices alias the reader's buffer and stay valid until the next call to
// Parse, Fill, Feed or Reset. A command with no arguments (an empty line, or
// "*0") yields an empty, non-nil slice. Parse returns ErrIncomplete when more
// bytes are needed, and a *ProtocolError for malformed input, after which
// the reader must not be used again.
func (r *Reader) Parse() ([][]byte, error) {
	if r.r == r.w {
		return nil, ErrIncomplete
	}
	var err error
	if r.mbLeft == 0 && r.pos == 0 && r.buf[r.r] != '*' {
		err = r.parseInline()
	} else {
		err = r.parseMultibulk()
	}
	if err != nil {
		return nil, err
	}
	r.args = r.args[:0]
	for _, o := range r.offs {
		r.args = append(r.args, r.buf[r.r+o[0]:r.r+o[1]:r.r+o[1]])
	}
	if r.args == nil {
		r.args = [][]byte{}
	}
	r.r += r.pos
	r.resetCommand()
	if r.r == r.w {
		// Nothing left: rewind so the next read starts at the front. The
		// returned arguments stay valid because nothing is overwritten
		// until the next Fill.
		r.r, r.w = 0, 0
	}
	return r.args, nil
}

// parseMultibulk parses "*<n>\r\n" followed by n "$<len>\r\n<data>\r\n".
func (r *Reader) parseMultibulk() error {
	data := r.buf[r.r:r.w]
	if r.mbLeft == 0 {
		nl := indexByte(data, '\r')
		if nl < 0 {
			if len(data) > InlineMaxSize {
				return &ProtocolError{"Protocol error: too big mbulk count string"}
			}
			return ErrIncomplete
		}
		if nl+1 >= len(data) {
			return ErrIncomplete // the \n has not arrived yet
		}
		n, ok := ParseInt(data[1:nl])
		if !ok || n > MaxMultibulkLen {
			return &ProtocolError{"Protocol error: invalid multibulk length"}
		}
		if n > unauthMultibulkLen && r.Unauthenticated {
			return &ProtocolError{"Protocol error: unauthenticated multibulk length"}
		}
		r.pos = nl + 2
		if n <= 0 {
			return nil
		}
		r.mbLeft = int(n)
		// The offsets' array is kept from command to command; it is
		// made anew when too small for this one (up to 1024 arguments:
		// beyond, append grows it as they arrive), or to give back one
		// that a command with many arguments grew.
		if c := min(r.mbLeft, 1024); cap(r.offs) < c || cap(r.offs) > 4096 {
			r.offs = make([][2]int, 0, c)
		}
	}
	maxBulk := r.MaxBulkLen
	if maxBulk == 0 {
		maxBulk = DefaultMaxBulkLen
	}
	for r.mbLeft > 0 {
		if r.bulkLen < 0 {
			rest := data[r.pos:]
			nl := indexByte(rest, '\r')
			if nl < 0 {
				if len(rest) > InlineMaxSize {
					return &ProtocolError{"Protocol error: too big bulk count string"}
				}
				return ErrIncomplete
			}
			if nl+1 >= len(rest) {
				return ErrIncomplete
			}
			if rest[0] != '$' {
				return &ProtocolError{"Protocol error: expected '$', got '" + string(rest[0]) + "'"}
			}
			n, ok := ParseInt(rest[1:nl])
			if !ok || n < 0 || n > maxBulk {
				return &ProtocolError{"Protocol error: invalid bulk length"}
			}
			if n > unauthBulkLen && r.Unauthenticated {
				return &ProtocolError{"Protocol error: unauthenticated bulk length"}
			}
			r.pos += nl + 2
			r.bulkLen = int(n)
		}
		if len(data)-r.pos < r.bulkLen+2 {
			return ErrIncomplete
		}
		r.offs = append(r.offs, [2]int{r.pos, r.pos + r.bulkLen})
		r.pos += r.bulkLen + 2 // Redis does not check the trailing CRLF either
		r.bulkLen = -1
		r.mbLeft--
	}
	return nil
}

// parseInline parses a command written as a line of space separated words,
// with Redis's quoting rules.
func (r *Reader) parseInline() error {
	data := r.buf[r.r:r.w]
	nl := indexByte(data, '\n')
	if nl < 0 {
		if len(data) > InlineMaxSize {
			return &ProtocolError{"Protocol error: too big inline request"}
		}
		return ErrIncomplete
	}
	end := nl
	if end > 0 && data[end-1] == '\r' {
		end--
	}
	words, ok := SplitArgs(data[:end])
	if !ok {
		return &ProtocolError{"Protocol error: unbalanced quotes in request"}
	}
	// Inline words are rewritten in place: SplitArgs never produces more
	// bytes than it consumed, so each word fits where the line was.
	off := 0
	for _, w := range words {
		copy(data[off:], w)
		r.offs = append(r.offs, [2]int{off, off + len(w)})
		off += len(w)
	}
	r.pos = nl + 1
	return nil
}

// SplitArgs splits an inline command line into words the way redis-cli and
// Redis's inline protocol do: words are separated by white space, may be
// "double quoted" with C-like escapes (\n, \r, \t, \b, \a, \xHH) or 'single
// quoted' (where only \' is an escape). A closing quote must be followed by
// white space or the end of the line. It reports false for unbalanced
// quotes.
func SplitArgs(line []byte) ([][]byte, bool) {
	var words [][]byte
	i := 0
	at := func(j int) byte { // C string semantics: NUL past the end
		if j < len(line) {
			return line[j]
		}
		return 0
	}
	for {
		for at(i) != 0 && isSpace(at(i)) {
			i++
		}
		if at(i) == 0 {
			return words, true
		}
		var cur []byte
		inq, insq, done := false, false, false
		for !done {
			c := at(i)
			switch {
			case inq:
				switch {
				case c == '\\' && at(i+1) == 'x' && isHex(at(i+2)) && isHex(at(i+3)):
					cur = append(cur, hexVal(at(i+2))<<4|hexVal(at(i+3)))
					i += 3
				case c == '\\' && at(i+1) != 0:
					i++
					switch e := at(i); e {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, e)
					}
				case c == '"':
					if n := at(i + 1); n != 0 && !isSpace(n) {
						return nil, false
					}
					done = true
				case c == 0:
					return nil, false
				default:
					cur = append(cur, c)
				}
			case insq:
				switch {
				case c == '\\' && at(i+1) == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if n := at(i + 1); n != 0 && !isSpace(n) {
						return nil, false
					}
					done = true
				case c == 0:
					return nil, false
				default:
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if at(i) != 0 {
				i++
			}
		}
		if cur == nil {
			cur = []byte{}
		}
		words = append(words, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// ParseInt parses a signed 64-bit decimal integer with Redis's strictness
// (see intconv.ParseInt).
func ParseInt(b []byte) (int64, bool) { return intconv.ParseInt(b) }

// AppendInt appends the decimal form of n.
func AppendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }
