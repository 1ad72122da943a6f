package engine

import (
	"strings"
	"testing"
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

// compact renders a RESP reply on one line: simple strings as +s, errors
// as -text, integers as :n, bulk strings as "s", nulls as nil, arrays and
// maps as [a b], %[k v], sets as ~[...].
func compact(raw string) string {
	var b strings.Builder
	rest := raw
	for len(rest) > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		rest = compactOne(&b, rest)
	}
	return b.String()
}

func compactOne(b *strings.Builder, s string) string {
	line, rest, _ := strings.Cut(s, "\r\n")
	kind, body := line[0], line[1:]
	switch kind {
	case '+':
		b.WriteString("+" + body)
	case '-':
		b.WriteString("-" + body)
	case ':':
		b.WriteString(":" + body)
	case '_':
		b.WriteString("nil")
	case '#', ',':
		b.WriteString(line)
	case '$', '=':
		if body == "-1" {
			b.WriteString("nil")
			return rest
		}
		n := atoi(body)
		b.WriteString(`"` + rest[:n] + `"`)
		return rest[n+2:]
	case '*', '%', '~', '>':
		if body == "-1" {
			b.WriteString("nil")
			return rest
		}
		n := atoi(body)
		if kind == '%' {
			n *= 2
			b.WriteString("%")
		} else if kind == '~' {
			b.WriteString("~")
		}
		b.WriteByte('[')
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			rest = compactOne(b, rest)
		}
		b.WriteByte(']')
	}
	return rest
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
