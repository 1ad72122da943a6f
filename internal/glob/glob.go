// Package glob matches strings against Redis's glob-style patterns, the
// syntax of KEYS, SCAN MATCH, CONFIG GET and COMMAND LIST FILTERBY
// PATTERN, with Redis's exact semantics (stringmatchlen):
//
//   - '*' matches any run of bytes, '?' any one byte;
//   - '[...]' matches one byte from a set, '[^...]' one byte not in it;
//     inside a set, 'a-z' is a range (its ends in either order, compared
//     as signed bytes as C's char is), '\x' is a literal x, and a set left
//     open at the end of the pattern is closed there;
//   - '\x' outside a set matches x literally;
//   - a pattern byte beyond the end of the pattern reads as NUL, as the
//     terminator of a C string would.
//
// Matching is bounded: once the rest of a pattern after a '*' fails at
// every position of the string, no earlier '*' is retried with a longer
// match (that could not succeed either), and recursion deeper than
// maxDepth stars fails the match, so hostile patterns stay cheap. Case
// folding, when asked for, is ASCII only.
package glob

// maxDepth bounds the recursion a pattern with many stars can cause.
const maxDepth = 1000

// Match reports whether s matches pattern. If nocase is set, ASCII letters
// match regardless of case.
//
// Like Redis, "*" does not match the empty string: KEYS and SCAN treat a
// lone "*" as "everything" before matching, and callers wanting that
// should too.
func Match(pattern, s []byte, nocase bool) bool {
	m := matcher{pat: pattern, nocase: nocase}
	return m.match(0, s, 0)
}

// MatchString is Match for strings.
func MatchString(pattern, s string, nocase bool) bool {
	return Match([]byte(pattern), []byte(s), nocase)
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

type matcher struct {
	pat    []byte
	nocase bool
	// giveUp is set once the pattern after some '*' failed everywhere:
	// every enclosing '*' then fails at once.
	giveUp bool
}

// at returns the pattern byte at i, or NUL past the end.
func (m *matcher) at(i int) byte {
	if i < len(m.pat) {
		return m.pat[i]
	}
	return 0
}

// match matches the pattern from position p against s.
func (m *matcher) match(p int, s []byte, nesting int) bool {
	if nesting > maxDepth {
		return false
	}
	for p < len(m.pat) && len(s) > 0 {
		switch m.pat[p] {
		case '*':
			for p < len(m.pat) && m.at(p+1) == '*' {
				p++
			}
			if p == len(m.pat)-1 {
				return true
			}
			for len(s) > 0 {
				if m.match(p+1, s, nesting+1) {
					return true
				}
				if m.giveUp {
					return false
				}
				s = s[1:]
			}
			m.giveUp = true
			return false
		case '?':
			s = s[1:]
		case '[':
			var ok bool
			p, ok = m.matchSet(p+1, s[0])
			if !ok {
				return false
			}
			s = s[1:]
		case '\\':
			if len(m.pat)-p >= 2 {
				p++
			}
			if !m.eq(m.pat[p], s[0]) {
				return false
			}
			s = s[1:]
		default:
			if !m.eq(m.pat[p], s[0]) {
				return false
			}
			s = s[1:]
		}
		p++
		if len(s) == 0 {
			for m.at(p) == '*' {
				p++
			}
			break
		}
	}
	return p >= len(m.pat) && len(s) == 0
}

// matchSet matches byte c against the set whose body starts at p (just
// after '['). It returns the position of the set's closing ']' (or of its
// last byte when the set is left open) and whether c matched.
func (m *matcher) matchSet(p int, c byte) (int, bool) {
	negate := m.at(p) == '^'
	if negate {
		p++
	}
	matched := false
	for {
		rest := len(m.pat) - p
		switch {
		case m.at(p) == '\\' && rest >= 2:
			p++
			if m.eq(m.pat[p], c) {
				matched = true
			}
		case m.at(p) == ']':
			return p, matched != negate
		case rest <= 0:
			return p - 1, matched != negate
		case rest >= 3 && m.pat[p+1] == '-':
			lo, hi, v := m.pat[p], m.pat[p+2], c
			if m.nocase {
				lo, hi, v = lower(lo), lower(hi), lower(v)
			}
			// Redis compares the ends as C chars: signed bytes.
			l, h, x := int8(lo), int8(hi), int8(v)
			if l > h {
				l, h = h, l
			}
			if x >= l && x <= h {
				matched = true
			}
			p += 2
		default:
			if m.eq(m.pat[p], c) {
				matched = true
			}
		}
		p++
	}
}
