package aof

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// source is what units are parsed from: the file itself (streamSource) or
// a frame's verified content (memSource). Either returns
// io.ErrUnexpectedEOF when its data ends inside a unit.
type source interface {
	// peek returns the next n bytes without consuming them, fewer at
	// the end of the data.
	peek(n int) []byte
	// line consumes and returns the next line, '\n' included; a line
	// longer than max is a formatError.
	line(max int) ([]byte, error)
	// take consumes and returns the next n bytes.
	take(n int64) ([]byte, error)
	// offset returns the offset of the next byte in the file.
	offset() int64
}

// formatError is bytes that break the format, at offset at.
type formatError struct {
	at     int64
	reason string
}

func (e *formatError) Error() string { return e.reason }

func badFormat(at int64, format string, args ...any) error {
	return &formatError{at: at, reason: fmt.Sprintf(format, args...)}
}

// streamSource reads the file through a bufio.Reader.
type streamSource struct {
	br  *bufio.Reader
	off int64
	// size is the file's size if known, else -1.
	size int64
	// nz is the offset just after the last non-zero byte consumed, so a
	// formatError at or after nz lies in zero bytes.
	nz int64
}

func (s *streamSource) offset() int64 { return s.off }

func (s *streamSource) peek(n int) []byte {
	b, _ := s.br.Peek(n)
	return b
}

// consumed advances the offset over b, just consumed.
func (s *streamSource) consumed(b []byte) {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0 {
			s.nz = s.off + int64(i) + 1
			break
		}
	}
	s.off += int64(len(b))
}

func (s *streamSource) line(max int) ([]byte, error) {
	start := s.off
	b, err := s.br.ReadSlice('\n')
	s.consumed(b)
	switch {
	case err == bufio.ErrBufferFull || (err == nil && len(b) > max):
		return nil, badFormat(start+int64(max), "line longer than %d bytes", max)
	case err == io.EOF:
		return nil, io.ErrUnexpectedEOF
	case err != nil:
		return nil, err
	}
	return b, nil
}

// takeChunk bounds the memory a lying length can make take allocate
// before the data is seen: larger reads grow as data arrives.
const takeChunk = 1 << 20

func (s *streamSource) take(n int64) ([]byte, error) {
	if s.size >= 0 && s.off+n > s.size {
		// Not there: skip what there is without allocating for it.
		m, err := s.br.Discard(int(s.size - s.off))
		s.off += int64(m)
		if err != nil && err != io.EOF {
			return nil, err
		}
		return nil, io.ErrUnexpectedEOF
	}
	b := make([]byte, 0, min(n, takeChunk))
	for int64(len(b)) < n {
		k := min(n-int64(len(b)), takeChunk)
		if int64(cap(b)-len(b)) < k {
			b = append(b, make([]byte, k)...)[:len(b)]
		}
		m, err := io.ReadFull(s.br, b[len(b):len(b)+int(k)])
		s.consumed(b[len(b) : len(b)+m])
		b = b[:len(b)+m]
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, io.ErrUnexpectedEOF
		}
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// restIsZero consumes the rest of the file and reports whether it is all
// zero bytes.
func (s *streamSource) restIsZero() (bool, error) {
	zero := true
	buf := make([]byte, 32<<10)
	for {
		n, err := s.br.Read(buf)
		if zero && bytes.ContainsFunc(buf[:n], func(r rune) bool { return r != 0 }) {
			zero = false
		}
		s.off += int64(n)
		if err == io.EOF {
			return zero, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// memSource reads a frame's content.
type memSource struct {
	data []byte
	pos  int
	base int64 // file offset of data[0]
}

func (s *memSource) offset() int64 { return s.base + int64(s.pos) }

func (s *memSource) peek(n int) []byte { return s.data[s.pos:min(s.pos+n, len(s.data))] }

func (s *memSource) line(max int) ([]byte, error) {
	rest := s.data[s.pos:]
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return nil, io.ErrUnexpectedEOF
	}
	if i+1 > max {
		return nil, badFormat(s.offset()+int64(max), "line longer than %d bytes", max)
	}
	s.pos += i + 1
	return rest[:i+1], nil
}

func (s *memSource) take(n int64) ([]byte, error) {
	if n > int64(len(s.data)-s.pos) {
		s.pos = len(s.data)
		return nil, io.ErrUnexpectedEOF
	}
	b := s.data[s.pos : s.pos+int(n)]
	s.pos += int(n)
	return b, nil
}

// unitKind is what one unit of a file is.
type unitKind int

const (
	unitCommand unitKind = iota
	unitClock
	unitExtension
	unitFrame
	unitSkip     // an annotation Pelican does not use, such as Redis's #TS
	unitSkipNext // "#S:<n>": skip the next n commands (n in ms)
)

// unit is one command, annotation or frame header.
type unit struct {
	kind     unitKind
	args     [][]byte // unitCommand, unitExtension
	ms       int64    // unitClock
	frameLen int64    // unitFrame
	frameCRC uint32   // unitFrame
}

// maxHeaderLine bounds "*<n>\r\n" and "$<len>\r\n" lines.
const maxHeaderLine = 32

// parseUnit parses the next unit of s, which must not be at its end.
func parseUnit(s source) (unit, error) {
	start := s.offset()
	switch c := s.peek(1)[0]; c {
	case '*':
		args, err := parseCommand(s)
		return unit{kind: unitCommand, args: args}, err
	case '#':
		return parseAnnotation(s)
	default:
		return unit{}, badFormat(start, "a command or annotation should start here, found byte 0x%02x", c)
	}
}

// parseCommand parses "*<n>\r\n" and n "$<len>\r\n<bytes>\r\n".
func parseCommand(s source) ([][]byte, error) {
	n, err := parseHeaderLine(s, '*', 1<<31-1)
	if err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, badFormat(s.offset()-3, "command with %d arguments", n)
	}
	args := make([][]byte, 0, min(n, 64))
	for i := int64(0); i < n; i++ {
		if len(s.peek(1)) == 0 {
			return nil, io.ErrUnexpectedEOF
		}
		l, err := parseHeaderLine(s, '$', MaxBulkLen)
		if err != nil {
			return nil, err
		}
		b, err := s.take(l + 2)
		if err != nil {
			return nil, err
		}
		if b[l] != '\r' || b[l+1] != '\n' {
			at := s.offset() - 2 // the first byte that is wrong
			if b[l] == '\r' {
				at++
			}
			return nil, badFormat(at, "argument of %d bytes not followed by \\r\\n", l)
		}
		args = append(args, b[:l:l])
	}
	return args, nil
}

// parseHeaderLine parses "<prefix><decimal>\r\n" with the value at most max.
func parseHeaderLine(s source, prefix byte, max int64) (int64, error) {
	start := s.offset()
	b, err := s.line(maxHeaderLine)
	if err != nil {
		return 0, err
	}
	if b[0] != prefix {
		return 0, badFormat(start, "expected %q, found byte 0x%02x", prefix, b[0])
	}
	if len(b) < 3 || b[len(b)-2] != '\r' {
		return 0, badFormat(start+1, "bad %q line %q", prefix, b)
	}
	v, ok := parseDecimal(b[1 : len(b)-2])
	if !ok {
		return 0, badFormat(start+1, "bad %q line %q", prefix, b)
	}
	if v > max {
		return 0, badFormat(start+1, "length %d exceeds the limit of %d", v, max)
	}
	return v, nil
}

// parseDecimal parses a non-empty run of ASCII digits.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// parseAnnotation parses an annotation line, or the lines of an extension.
func parseAnnotation(s source) (unit, error) {
	start := s.offset()
	b, err := s.line(MaxAnnotationLine)
	if err != nil {
		return unit{}, err
	}
	body, crlf := bytes.CutSuffix(b, []byte("\r\n"))
	switch {
	case bytes.HasPrefix(b, []byte("#C:")):
		if !crlf {
			return unit{}, badFormat(start, "frame header %q lacks \\r\\n", b)
		}
		return parseFrameHeader(start, body[3:])
	case bytes.HasPrefix(b, []byte("#T:")):
		neg := bytes.HasPrefix(body[3:], []byte("-"))
		ms, ok := parseDecimal(bytes.TrimPrefix(body[3:], []byte("-")))
		if !ok || !crlf {
			return unit{}, badFormat(start, "bad clock annotation %q", b)
		}
		if neg {
			ms = -ms
		}
		return unit{kind: unitClock, ms: ms}, nil
	case bytes.HasPrefix(b, []byte("#S:")):
		n, ok := parseDecimal(body[3:])
		if !ok || !crlf || n > 1<<20 {
			return unit{}, badFormat(start, "bad skip annotation %q", b)
		}
		return unit{kind: unitSkipNext, ms: n}, nil
	case bytes.HasPrefix(b, []byte("#x:")), bytes.HasPrefix(b, []byte("#X:")):
		return parseExtension(s, start, b)
	}
	return unit{kind: unitSkip}, nil
}

// parseFrameHeader parses the "<len> <crc>" of a "#C:" line.
func parseFrameHeader(start int64, b []byte) (unit, error) {
	lenText, crcText, ok := bytes.Cut(b, []byte(" "))
	n, okLen := parseDecimal(lenText)
	if !ok || !okLen || len(crcText) != 8 || n > MaxFrameLen {
		return unit{}, badFormat(start, "bad frame header %q", b)
	}
	var crc uint32
	for _, c := range crcText {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		default:
			return unit{}, badFormat(start, "bad frame checksum %q", crcText)
		}
		crc = crc<<4 | uint32(d)
	}
	return unit{kind: unitFrame, frameLen: n, frameCRC: crc}, nil
}

// parseExtension reads the extension whose first line is first: "#x:"
// lines up to a "#X:" line, then decodes the command they carry.
func parseExtension(s source, start int64, first []byte) (unit, error) {
	var enc []byte
	line := first
	for {
		body, crlf := bytes.CutSuffix(line, []byte("\r\n"))
		if !crlf {
			return unit{}, badFormat(start, "extension line lacks \\r\\n")
		}
		enc = append(enc, body[3:]...)
		if line[1] == 'X' {
			break
		}
		p := s.peek(3)
		if len(p) < 3 && bytes.HasPrefix([]byte("#x:"), p) || len(p) < 3 && bytes.HasPrefix([]byte("#X:"), p) {
			return unit{}, io.ErrUnexpectedEOF
		}
		if !bytes.Equal(p, []byte("#x:")) && !bytes.Equal(p, []byte("#X:")) {
			return unit{}, badFormat(s.offset(), "extension continues with %q, not an extension line", p)
		}
		var err error
		if line, err = s.line(MaxAnnotationLine); err != nil {
			return unit{}, err
		}
	}
	resp := make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
	n, err := base64.StdEncoding.Decode(resp, enc)
	if err != nil {
		return unit{}, badFormat(start, "extension is not base64: %v", err)
	}
	ms := &memSource{data: resp[:n]}
	args, err := parseCommand(ms)
	if err == nil && ms.pos != n {
		err = errors.New("trailing bytes")
	}
	if err != nil {
		return unit{}, badFormat(start, "extension does not hold one command: %v", err)
	}
	return unit{kind: unitExtension, args: args}, nil
}
