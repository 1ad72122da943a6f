package redistest

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Kind is the RESP type of a reply: the byte that starts it on the wire.
type Kind byte

// RESP2 and RESP3 reply types.
const (
	KindSimple    Kind = '+'
	KindError     Kind = '-'
	KindInt       Kind = ':'
	KindBulk      Kind = '$'
	KindArray     Kind = '*'
	KindNull      Kind = '_'
	KindDouble    Kind = ','
	KindBool      Kind = '#'
	KindBigNumber Kind = '('
	KindBulkError Kind = '!'
	KindVerbatim  Kind = '='
	KindMap       Kind = '%'
	KindSet       Kind = '~'
	KindPush      Kind = '>'
	KindAttribute Kind = '|'
)

// Reply is one decoded RESP reply.
//
// Str holds the text of simple strings, errors, bulk strings, verbatim
// strings (with their "txt:" prefix), doubles and big numbers as sent. Int
// holds integers, and booleans as 0 or 1. Elems holds the elements of
// arrays, sets and pushes, and the keys and values of maps alternating.
// Nil marks RESP2's null bulk string ($-1) and null array (*-1). Attrs is a
// RESP3 attribute map that preceded the reply, if any.
//
// Placeholder, when set, stands for a value that depends on the clock or
// the process (an idle time, a generated ID): the reply renders as its kind
// and the placeholder in angle brackets, and its value is ignored.
type Reply struct {
	Kind        Kind
	Str         string
	Int         int64
	Nil         bool
	Elems       []Reply
	Attrs       *Reply
	Placeholder string
}

// IsError reports whether the reply is an error (simple or bulk).
func (r Reply) IsError() bool { return r.Kind == KindError || r.Kind == KindBulkError }

// IsAggregate reports whether the reply has elements.
func (r Reply) IsAggregate() bool {
	switch r.Kind {
	case KindArray, KindMap, KindSet, KindPush:
		return !r.Nil
	}
	return false
}

// Field returns the value for key in a map reply, or in a RESP2 array of
// alternating keys and values, and whether it was found. Keys are matched
// against bulk and simple strings.
func (r Reply) Field(key string) (Reply, bool) {
	i := r.FieldIndex(key)
	if i < 0 {
		return Reply{}, false
	}
	return r.Elems[i], true
}

// FieldIndex returns the index in Elems of the value for key in a map
// reply or a RESP2 array of alternating keys and values, or -1.
func (r Reply) FieldIndex(key string) int {
	if r.Kind != KindMap && r.Kind != KindArray {
		return -1
	}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		k := r.Elems[i]
		if (k.Kind == KindBulk || k.Kind == KindSimple) && !k.Nil && k.Str == key {
			return i + 1
		}
	}
	return -1
}

// String renders the reply in Pelican's canonical one-line form, which
// shows every RESP type:
//
//	+OK                     simple string
//	-ERR syntax error       error
//	:42                     integer
//	$"1-1"                  bulk string (Go-quoted); $nil is the null bulk string
//	*2[$"a" :1]             array; *nil is the null array
//	%1{$"k" $"v"}           RESP3 map (keys and values alternating)
//	~1[$"a"]  >1[$"a"]      RESP3 set and push
//	_  ,1.5  #t  (123       RESP3 null, double, boolean, big number
//	="txt:hi"  !"ERR x"     RESP3 verbatim string and bulk error
//	|1{$"k" $"v"} +OK       RESP3 attribute map before a reply
//	:<idle>  $<auto-1>      a normalised value: its kind and a placeholder
func (r Reply) String() string {
	var b strings.Builder
	r.render(&b)
	return b.String()
}

func (r Reply) render(b *strings.Builder) {
	if r.Attrs != nil {
		b.WriteByte(byte(KindAttribute))
		renderElems(b, *r.Attrs, '{', '}')
		b.WriteByte(' ')
	}
	b.WriteByte(byte(r.Kind))
	if r.Placeholder != "" {
		b.WriteString("<" + r.Placeholder + ">")
		return
	}
	if r.Nil {
		b.WriteString("nil")
		return
	}
	switch r.Kind {
	case KindSimple, KindError, KindDouble, KindBigNumber:
		b.WriteString(r.Str)
	case KindInt:
		b.WriteString(strconv.FormatInt(r.Int, 10))
	case KindBool:
		if r.Int != 0 {
			b.WriteByte('t')
		} else {
			b.WriteByte('f')
		}
	case KindBulk, KindVerbatim, KindBulkError:
		b.WriteString(strconv.Quote(r.Str))
	case KindArray, KindSet, KindPush:
		renderElems(b, r, '[', ']')
	case KindMap:
		renderElems(b, r, '{', '}')
	}
}

func renderElems(b *strings.Builder, r Reply, open, close byte) {
	n := len(r.Elems)
	if r.Kind == KindMap || r.Kind == KindAttribute {
		n /= 2
	}
	b.WriteString(strconv.Itoa(n))
	b.WriteByte(open)
	for i, e := range r.Elems {
		if i > 0 {
			b.WriteByte(' ')
		}
		e.render(b)
	}
	b.WriteByte(close)
}

// Pretty renders the reply over several lines, one element a line,
// indented by depth: the form failure messages diff.
func (r Reply) Pretty() string {
	var b strings.Builder
	r.pretty(&b, "")
	return b.String()
}

func (r Reply) pretty(b *strings.Builder, indent string) {
	if !r.IsAggregate() || r.Placeholder != "" {
		b.WriteString(indent)
		r.render(b)
		b.WriteByte('\n')
		return
	}
	b.WriteString(indent)
	if r.Attrs != nil {
		b.WriteByte(byte(KindAttribute))
		renderElems(b, *r.Attrs, '{', '}')
		b.WriteByte(' ')
	}
	n := len(r.Elems)
	if r.Kind == KindMap {
		n /= 2
	}
	fmt.Fprintf(b, "%c%d\n", r.Kind, n)
	for i, e := range r.Elems {
		if r.Kind == KindMap && i%2 == 1 {
			e.pretty(b, indent+"    ")
			continue
		}
		e.pretty(b, indent+"  ")
	}
}

// ReadReply reads one reply from r.
func ReadReply(r *bufio.Reader) (Reply, error) {
	line, err := readLine(r)
	if err != nil {
		return Reply{}, err
	}
	if len(line) == 0 {
		return Reply{}, fmt.Errorf("redistest: empty reply line")
	}
	k, rest := Kind(line[0]), string(line[1:])
	switch k {
	case KindSimple, KindError, KindDouble, KindBigNumber:
		return Reply{Kind: k, Str: rest}, nil
	case KindInt:
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return Reply{}, fmt.Errorf("redistest: bad integer reply %q: %w", line, err)
		}
		return Reply{Kind: k, Int: n}, nil
	case KindNull:
		return Reply{Kind: k}, nil
	case KindBool:
		switch rest {
		case "t":
			return Reply{Kind: k, Int: 1}, nil
		case "f":
			return Reply{Kind: k}, nil
		}
		return Reply{}, fmt.Errorf("redistest: bad boolean reply %q", line)
	case KindBulk, KindVerbatim, KindBulkError:
		n, err := strconv.Atoi(rest)
		if err != nil {
			return Reply{}, fmt.Errorf("redistest: bad bulk length %q: %w", line, err)
		}
		if n < 0 {
			return Reply{Kind: k, Nil: true}, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return Reply{}, fmt.Errorf("redistest: reading bulk of %d bytes: %w", n, err)
		}
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return Reply{}, fmt.Errorf("redistest: bulk of %d bytes not followed by CRLF", n)
		}
		return Reply{Kind: k, Str: string(buf[:n])}, nil
	case KindArray, KindSet, KindPush, KindMap, KindAttribute:
		n, err := strconv.Atoi(rest)
		if err != nil {
			return Reply{}, fmt.Errorf("redistest: bad aggregate length %q: %w", line, err)
		}
		if n < 0 {
			return Reply{Kind: k, Nil: true}, nil
		}
		count := n
		if k == KindMap || k == KindAttribute {
			count *= 2
		}
		agg := Reply{Kind: k, Elems: make([]Reply, 0, count)}
		for i := 0; i < count; i++ {
			e, err := ReadReply(r)
			if err != nil {
				return Reply{}, err
			}
			agg.Elems = append(agg.Elems, e)
		}
		if k == KindAttribute {
			next, err := ReadReply(r)
			if err != nil {
				return Reply{}, err
			}
			next.Attrs = &agg
			return next, nil
		}
		return agg, nil
	}
	return Reply{}, fmt.Errorf("redistest: unknown reply type in %q", line)
}

func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		full := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			line, err = r.ReadSlice('\n')
			full = append(full, line...)
		}
		line = full
	}
	if err != nil {
		return nil, fmt.Errorf("redistest: reading reply: %w", err)
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, fmt.Errorf("redistest: reply line %q not ended by CRLF", line)
	}
	return line[:len(line)-2], nil
}
