package aof

// The manifest quotes file names the way Redis's configuration files do:
// a name with spaces, quotes, backslashes or bytes outside printable ASCII
// is written in double quotes with C-like escapes, and lines are split into
// words honouring double and single quotes.

import (
	"errors"
	"fmt"
	"strings"
)

// needsQuote reports whether name must be quoted in a manifest line.
func needsQuote(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '\\' || c == '"' || c < 0x21 || c > 0x7e {
			return true
		}
	}
	return false
}

// quote returns s in double quotes with the escapes splitWords reads back.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c <= 0x7e {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

var errQuotes = errors.New("unbalanced quotes, or a closing quote not followed by a space")

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// splitWords splits line into words as Redis splits a manifest line:
// blanks separate words; "double quotes" allow \n \r \t \b \a \xHH and
// \<any> escapes; 'single quotes' allow only \'. A closing quote must be
// followed by a blank or the end of the line. Like Redis, which works on C
// strings, it stops at a NUL byte.
func splitWords(line string) ([]string, error) {
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	var words []string
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p == len(line) {
			return words, nil
		}
		w, next, err := splitWord(line, p)
		if err != nil {
			return nil, err
		}
		words = append(words, w)
		p = next
	}
}

// splitWord reads the word starting at line[p] and returns it and the
// index after it.
func splitWord(line string, p int) (string, int, error) {
	var w []byte
	at := func(i int) byte { // line[i], or 0 past the end as in C
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	inq, insq := false, false
	for {
		c := at(p)
		switch {
		case inq:
			h1, ok1 := unhex(at(p + 2))
			h2, ok2 := unhex(at(p + 3))
			switch {
			case c == '\\' && at(p+1) == 'x' && ok1 && ok2:
				w = append(w, h1<<4|h2)
				p += 3
			case c == '\\' && at(p+1) != 0:
				p++
				w = append(w, unescape(line[p]))
			case c == '"':
				if n := at(p + 1); n != 0 && !isSpace(n) {
					return "", 0, errQuotes
				}
				return string(w), p + 1, nil
			case c == 0:
				return "", 0, errQuotes
			default:
				w = append(w, c)
			}
		case insq:
			switch {
			case c == '\\' && at(p+1) == '\'':
				p++
				w = append(w, '\'')
			case c == '\'':
				if n := at(p + 1); n != 0 && !isSpace(n) {
					return "", 0, errQuotes
				}
				return string(w), p + 1, nil
			case c == 0:
				return "", 0, errQuotes
			default:
				w = append(w, c)
			}
		default:
			switch c {
			case ' ', '\n', '\r', '\t', 0:
				return string(w), p, nil
			case '"':
				inq = true
			case '\'':
				insq = true
			default:
				w = append(w, c)
			}
		}
		p++
	}
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}
