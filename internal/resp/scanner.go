package resp

import (
	"errors"
	"fmt"
	"math"

	"github.com/pelicanhq/pelican/internal/intconv"
)

// Errors a Scanner reports for bytes that are not a whole, well-formed
// reply.
var (
	// ErrTruncated means the input ends inside a value: more bytes could
	// complete it.
	ErrTruncated = errors.New("resp: reply ends early")
	// ErrMalformed means the input breaks the protocol: an unknown type
	// byte, a length or integer that is not canonical decimal, a line or
	// string not ended by CRLF.
	ErrMalformed = errors.New("resp: malformed reply")
)

// Error is an error reply: the text of a simple error (-ERR text) or of a
// RESP3 bulk error (!8 ERR text). Like go-redis's own error replies it has
// the RedisError marker method, so callers that match redis.Error with
// errors.As treat both alike.
type Error string

func (e Error) Error() string { return string(e) }

// RedisError marks e as an error the server sent.
func (Error) RedisError() {}

// Value is the start of one value in a Scanner's input: its type byte and
// what its header line says, and for strings where their text is.
type Value struct {
	// Kind is the type byte: KindBulk, KindArray, and so on.
	Kind byte
	// N is an integer's value; 1 or 0 for a boolean; the length of a bulk
	// string, verbatim string or bulk error; the number of elements of an
	// array, set or push, and of pairs of a map or attribute; and -1 for
	// the nulls ($-1, *-1 and _). It is 0 for other kinds.
	N int64
	// Start and End delimit the text of simple strings, errors, doubles,
	// big numbers, bulk strings, verbatim strings (with their "txt:"
	// prefix) and bulk errors in the input: input[Start:End]. Both are 0
	// for other kinds and for nulls.
	Start, End int
}

// Null reports whether v is a null: RESP3's _, or RESP2's $-1 or *-1.
func (v Value) Null() bool {
	return v.Kind == KindNull || v.N == -1 && v.Kind != KindInt
}

// IsError reports whether v is an error reply (simple or bulk).
func (v Value) IsError() bool { return v.Kind == KindError || v.Kind == KindBulkError }

// IsAggregate reports whether v is an array, map, set, push or attribute
// header, which its elements follow.
func (v Value) IsAggregate() bool {
	switch v.Kind {
	case KindArray, KindMap, KindSet, KindPush, KindAttribute:
		return true
	}
	return false
}

// Elems returns how many values follow an aggregate header v: its
// elements, two per pair of a map or attribute (at most math.MaxInt64). It
// is 0 for a null and for other kinds.
func (v Value) Elems() int64 {
	switch {
	case !v.IsAggregate() || v.N <= 0:
		return 0
	case v.Kind != KindMap && v.Kind != KindAttribute:
		return v.N
	case v.N > math.MaxInt64/2:
		return math.MaxInt64
	}
	return 2 * v.N
}

// Scanner reads the RESP2 and RESP3 replies in a byte slice, one value at a
// time, in place: it reports where strings are in the input rather than
// copying them, and allocates nothing. A value starts with a header line,
// a type byte and text ended by CRLF; a string with a length goes on with
// its bytes and CRLF, an aggregate with its elements, each a value:
//
//	*2\r\n  $3\r\n 1-1 \r\n  :5\r\n
//	└array┘ └bulk─────────┘  └int┘
//
// After an error other than an Error reply the Scanner's position is
// unspecified: start again with Reset.
type Scanner struct {
	b   []byte
	pos int
}

// NewScanner returns a Scanner at the start of b.
func NewScanner(b []byte) *Scanner { return &Scanner{b: b} }

// Reset starts the Scanner again at the start of b.
func (s *Scanner) Reset(b []byte) { s.b, s.pos = b, 0 }

// Input returns the bytes the Scanner reads.
func (s *Scanner) Input() []byte { return s.b }

// Pos returns the offset in the input of the next value.
func (s *Scanner) Pos() int { return s.pos }

// Text returns the text of a string or error v as a slice of the input.
func (s *Scanner) Text(v Value) []byte { return s.b[v.Start:v.End] }

// Next reads the header of the next value and, for a string, its bytes;
// an aggregate's elements are the values that follow. An error reply comes
// back as its Value together with an Error holding its text; the Scanner
// moves past it as past any other value.
func (s *Scanner) Next() (Value, error) {
	v, err := s.next()
	if err == nil && v.IsError() {
		err = s.errorReply(v)
	}
	return v, err
}

// errorReply returns the error reply v as an Error.
func (s *Scanner) errorReply(v Value) error { return Error(s.b[v.Start:v.End]) }

// next is Next without turning error replies into errors, so that Skip
// passes over them without allocating.
func (s *Scanner) next() (Value, error) {
	if s.pos >= len(s.b) {
		return Value{}, ErrTruncated
	}
	kind := s.b[s.pos]
	if !known[kind] {
		return Value{}, ErrMalformed
	}
	// Header lines are short, and most hold a length or count: one pass
	// finds their end and reads their digits.
	start := s.pos + 1
	end := start
	var n int64
	digits := true
	for ; end < len(s.b); end++ {
		c := s.b[end]
		if c == '\r' {
			break
		}
		d := c - '0'
		if d > 9 {
			digits = false
		}
		n = n*10 + int64(d)
	}
	if end+1 >= len(s.b) {
		return Value{}, ErrTruncated
	}
	if s.b[end+1] != '\n' {
		return Value{}, ErrMalformed
	}
	s.pos = end + 2
	line := s.b[start:end]
	v := Value{Kind: kind}
	switch kind {
	case KindSimple, KindError, KindDouble, KindBigNumber:
		v.Start, v.End = start, end
		return v, nil
	case KindNull:
		if len(line) != 0 {
			return Value{}, ErrMalformed
		}
		v.N = -1
		return v, nil
	case KindBool:
		switch {
		case len(line) == 1 && line[0] == 't':
			v.N = 1
		case len(line) == 1 && line[0] == 'f':
		default:
			return Value{}, ErrMalformed
		}
		return v, nil
	}
	if !digits || len(line) == 0 || len(line) > 18 || line[0] == '0' {
		// Zero, negative, long or not a number: the digits read above
		// may not be the value.
		var ok bool
		if n, ok = intconv.ParseInt(line); !ok {
			return Value{}, ErrMalformed
		}
	}
	v.N = n
	switch kind {
	case KindInt:
		return v, nil
	case KindBulk, KindVerbatim, KindBulkError:
		if n == -1 && kind == KindBulk {
			return v, nil
		}
		return s.body(v)
	}
	// An aggregate: only RESP2's arrays and RESP3's other aggregates but
	// attributes have a null form.
	if n < -1 || n == -1 && kind == KindAttribute {
		return Value{}, ErrMalformed
	}
	return v, nil
}

// body reads the bytes of a string with a length, and the CRLF after them.
func (s *Scanner) body(v Value) (Value, error) {
	if v.N < 0 {
		return Value{}, ErrMalformed
	}
	if v.N > int64(len(s.b)-s.pos-2) {
		return Value{}, ErrTruncated
	}
	v.Start = s.pos
	v.End = s.pos + int(v.N)
	if s.b[v.End] != '\r' || s.b[v.End+1] != '\n' {
		return Value{}, ErrMalformed
	}
	s.pos = v.End + 2
	return v, nil
}

// known holds true for the kind bytes of RESP2 and RESP3.
var known = [256]bool{
	KindSimple: true, KindError: true, KindInt: true, KindBulk: true, KindArray: true,
	KindNull: true, KindDouble: true, KindBool: true, KindBigNumber: true, KindBulkError: true,
	KindVerbatim: true, KindMap: true, KindSet: true, KindPush: true, KindAttribute: true,
}

// Skip passes over one whole value: an aggregate with all its elements, an
// attribute with the value it describes. Error replies are values like
// any other, skipped without error.
func (s *Scanner) Skip() error {
	// left counts the values still to pass, this one included. Every
	// value takes at least three bytes ("_\r\n"), so once more are due
	// than the rest of the input could hold, it is truncated; that also
	// keeps left far from overflowing.
	for left := int64(1); left > 0; left-- {
		v, err := s.next()
		if err != nil {
			return err
		}
		rest := int64(len(s.b) - s.pos)
		if v.Elems() > rest {
			return ErrTruncated
		}
		left += v.Elems()
		if v.Kind == KindAttribute {
			left++ // the value the attribute describes
		}
		if (left-1)*3 > rest {
			return ErrTruncated
		}
	}
	return nil
}

// Aggregate reads the header of an array, map, set or push, and returns
// its kind and its number of elements (of pairs for a map), or -1 for a
// null of either protocol. An error reply comes back as an Error.
func (s *Scanner) Aggregate() (kind byte, n int64, err error) {
	v, err := s.next()
	if err != nil {
		return 0, 0, err
	}
	switch v.Kind {
	case KindArray, KindMap, KindSet, KindPush, KindNull:
		return v.Kind, v.N, nil
	case KindError, KindBulkError:
		return 0, 0, s.errorReply(v)
	}
	return 0, 0, unexpected(v.Kind, "an aggregate")
}

// Bulk reads a bulk string, or a simple string, and returns where its text
// is in the input; null reports a null of either protocol. An error reply
// comes back as an Error.
func (s *Scanner) Bulk() (start, end int, null bool, err error) {
	v, err := s.next()
	if err != nil {
		return 0, 0, false, err
	}
	switch v.Kind {
	case KindBulk, KindSimple, KindNull:
		return v.Start, v.End, v.Null(), nil
	case KindError, KindBulkError:
		return 0, 0, false, s.errorReply(v)
	}
	return 0, 0, false, unexpected(v.Kind, "a string")
}

// unexpected reports a well-formed value of a kind the caller did not
// expect.
func unexpected(kind byte, want string) error {
	return fmt.Errorf("resp: %q where %s was expected", kind, want)
}
