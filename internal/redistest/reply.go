package redistest

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/pelicanhq/pelican/internal/resp"
)

// Kind is the RESP type of a reply: the byte that starts it on the wire.
type Kind byte

// RESP2 and RESP3 reply types.
const (
	KindSimple    Kind = resp.KindSimple
	KindError     Kind = resp.KindError
	KindInt       Kind = resp.KindInt
	KindBulk      Kind = resp.KindBulk
	KindArray     Kind = resp.KindArray
	KindNull      Kind = resp.KindNull
	KindDouble    Kind = resp.KindDouble
	KindBool      Kind = resp.KindBool
	KindBigNumber Kind = resp.KindBigNumber
	KindBulkError Kind = resp.KindBulkError
	KindVerbatim  Kind = resp.KindVerbatim
	KindMap       Kind = resp.KindMap
	KindSet       Kind = resp.KindSet
	KindPush      Kind = resp.KindPush
	KindAttribute Kind = resp.KindAttribute
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

// ReadReply reads one reply from r, and takes no byte of r past it.
func ReadReply(r *bufio.Reader) (Reply, error) {
	raw, err := resp.ReadReply(r)
	if err != nil {
		return Reply{}, fmt.Errorf("redistest: %w", err)
	}
	return decode(resp.NewScanner(raw))
}

// decode builds the Reply of the next value in s.
func decode(s *resp.Scanner) (Reply, error) {
	v, err := s.Next()
	if err != nil && !v.IsError() {
		return Reply{}, fmt.Errorf("redistest: decoding reply: %w", err)
	}
	r := Reply{Kind: Kind(v.Kind)}
	switch {
	case v.Kind == resp.KindAttribute:
		attrs, err := decodeElems(s, v)
		if err != nil {
			return Reply{}, err
		}
		next, err := decode(s)
		if err != nil {
			return Reply{}, err
		}
		next.Attrs = &Reply{Kind: KindAttribute, Elems: attrs}
		return next, nil
	case v.IsAggregate() && v.Null():
		r.Nil = true
	case v.IsAggregate():
		if r.Elems, err = decodeElems(s, v); err != nil {
			return Reply{}, err
		}
	case v.Kind == resp.KindInt || v.Kind == resp.KindBool:
		r.Int = v.N
	case v.Kind == resp.KindBulk && v.Null():
		r.Nil = true
	case v.Kind != resp.KindNull:
		r.Str = string(s.Text(v))
	}
	return r, nil
}

// decodeElems decodes the elements of aggregate v.
func decodeElems(s *resp.Scanner, v resp.Value) ([]Reply, error) {
	elems := make([]Reply, 0, v.Elems())
	for range v.Elems() {
		e, err := decode(s)
		if err != nil {
			return nil, err
		}
		elems = append(elems, e)
	}
	return elems, nil
}
