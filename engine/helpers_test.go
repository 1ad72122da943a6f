package engine

import (
	"strconv"
	"strings"
	"testing"

	"github.com/pelicanhq/pelican/internal/resp"
)

// do runs one command given as space-separated words and returns its raw
// RESP reply; doArgs takes the words one by one.
func do(c *Client, line string) string {
	return doArgs(c, strings.Fields(line)...)
}

func doArgs(c *Client, args ...string) string {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	c.e.Lock()
	c.ExecLocked(bs)
	c.e.Unlock()
	out := string(c.Output())
	c.ResetOutput()
	return out
}

// expectReplies runs each command and compares its reply with the
// expected one written in a compact form (see compact).
func expectReplies(t *testing.T, c *Client, steps [][2]string) {
	t.Helper()
	for _, s := range steps {
		got := compact(do(c, s[0]))
		if got != s[1] {
			t.Errorf("%s\n got: %s\nwant: %s", s[0], got, s[1])
		}
	}
}

// compact renders RESP replies on one line: simple strings as +s, errors
// as -text, integers as :n, bulk and verbatim strings as "s", nulls as
// nil, doubles and booleans as sent (,1.5 #t), arrays and pushes as
// [a b], maps as %[k v], sets as ~[...]. Bytes that are not RESP end the
// rendering with the Scanner's error in angle brackets.
func compact(raw string) string {
	var b strings.Builder
	s := resp.NewScanner([]byte(raw))
	for s.Pos() < len(raw) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if err := compactOne(&b, s); err != nil {
			b.WriteString("<" + err.Error() + ">")
			break
		}
	}
	return b.String()
}

func compactOne(b *strings.Builder, s *resp.Scanner) error {
	v, err := s.Next()
	if err != nil && !v.IsError() {
		return err
	}
	switch {
	case v.Null():
		b.WriteString("nil")
		return nil
	case v.Kind == resp.KindInt:
		b.WriteString(":" + strconv.FormatInt(v.N, 10))
		return nil
	case v.Kind == resp.KindBool && v.N == 1:
		b.WriteString("#t")
		return nil
	case v.Kind == resp.KindBool:
		b.WriteString("#f")
		return nil
	case v.Kind == resp.KindBulk || v.Kind == resp.KindVerbatim:
		b.WriteString(`"` + string(s.Text(v)) + `"`)
		return nil
	case !v.IsAggregate():
		b.WriteByte(v.Kind)
		b.Write(s.Text(v))
		return nil
	}
	switch v.Kind {
	case resp.KindMap, resp.KindSet, resp.KindAttribute:
		b.WriteByte(v.Kind)
	}
	b.WriteByte('[')
	for i := range v.Elems() {
		if i > 0 {
			b.WriteByte(' ')
		}
		if err := compactOne(b, s); err != nil {
			return err
		}
	}
	b.WriteByte(']')
	if v.Kind == resp.KindAttribute {
		b.WriteByte(' ')
		return compactOne(b, s) // the value the attribute describes
	}
	return nil
}
