// Package glob matches strings against Redis's glob-style patterns, the
// syntax of KEYS, SCAN MATCH, CONFIG GET and COMMAND LIST FILTERBY
// PATTERN.
//
// A pattern is made of:
//
//   - any run of bytes, including an empty one
//     ?       any one byte
//     [abc]   one byte of the set; [^abc] one byte not in it; a-z is a range
//     (reversed ranges such as z-a work too)
//     \x      the byte x itself, also inside a set
//
// An unterminated set ("[ab") ends with the pattern. Matching works on
// bytes; case folding, when asked for, is ASCII only.
package glob

// maxDepth bounds the recursion a pattern with many stars can cause;
// deeper patterns do not match, as in Redis.
const maxDepth = 1000

// Match reports whether s matches pattern. If nocase is set, ASCII letters
// match regardless of case.
//
// Like Redis, a pattern never matches more than its stars allow on an
// empty string: "*" does not match "" (KEYS and SCAN treat a lone "*" as
// "everything" before matching, so callers wanting that should too).
func Match(pattern, s []byte, nocase bool) bool {
	m := matcher{nocase: nocase}
	return m.match(pattern, s, 0)
}

// MatchString is Match for strings.
func MatchString(pattern, s string, nocase bool) bool {
	return Match([]byte(pattern), []byte(s), nocase)
}

type matcher struct {
	nocase bool
	// giveUp is set once the rest of a pattern after a star was found to
	// match nowhere in the remaining string: no earlier star can then
	// produce a match by consuming more, so the search stops.
	giveUp bool
}

func lower(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + ('a' - 'A')
	}
	return b
}

func (m *matcher) eq(a, b byte) bool {
	if m.nocase {
		return lower(a) == lower(b)
	}
	return a == b
}

func (m *matcher) match(p, s []byte, depth int) bool {
	if depth > maxDepth {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for ; len(s) > 0; s = s[1:] {
				if m.match(p[1:], s, depth+1) {
					return true
				}
				if m.giveUp {
					return false
				}
			}
			m.giveUp = true
			return false
		case '?':
			p, s = p[1:], s[1:]
		case '[':
			var ok bool
			p, ok = m.set(p[1:], s[0])
			if !ok {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if !m.eq(p[0], s[0]) {
				return false
			}
			p, s = p[1:], s[1:]
		}
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
		}
	}
	return len(p) == 0 && len(s) == 0
}

// set matches c against the set that starts at p (just after '['), and
// returns the pattern after the set's closing ']'.
func (m *matcher) set(p []byte, c byte) (rest []byte, ok bool) {
	negate := len(p) > 0 && p[0] == '^'
	if negate {
		p = p[1:]
	}
	found := false
	for len(p) > 0 && p[0] != ']' {
		switch {
		case p[0] == '\\' && len(p) >= 2:
			if p[1] == c {
				found = true
			}
			p = p[2:]
		case len(p) >= 3 && p[1] == '-':
			lo, hi, x := p[0], p[2], c
			if lo > hi {
				lo, hi = hi, lo
			}
			if m.nocase {
				lo, hi, x = lower(lo), lower(hi), lower(x)
			}
			if x >= lo && x <= hi {
				found = true
			}
			p = p[3:]
		default:
			if m.eq(p[0], c) {
				found = true
			}
			p = p[1:]
		}
	}
	if len(p) > 0 {
		p = p[1:] // the closing ']'
	}
	return p, found != negate
}
