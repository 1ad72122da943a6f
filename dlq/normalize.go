package dlq

import "strings"

// normalize does what the regular expressions of normalisers do, in
// order, each as a hand-written pass over the text: Failures normalises
// every entry of a dead-letter stream, and the regular expressions cost
// several microseconds an entry. Each pass has the semantics of Go's
// ReplaceAllString with its expression: leftmost matches, scanning on
// after each; \b and \w are ASCII; the text is the output of the pass
// before. normalize_test.go checks the two agree, on examples and by
// fuzzing.
func normalize(text string) string {
	var hasQuote, hasDash, hasDigit, hasSpace bool
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '"' || c == '\'' || c == '`':
			hasQuote = true
		case c == '-':
			hasDash = true
		case isDigit(c):
			hasDigit = true
		case isSpace(c):
			hasSpace = true
		}
	}
	if hasQuote {
		text = replaceQuoted(text)
	}
	if hasDash {
		text = replaceUUIDs(text)
	}
	if hasDigit {
		text = replaceIDs(text)
		text = replaceHex(text)
		text = replaceNumbers(text)
	}
	if hasSpace {
		text = collapseSpace(text)
	}
	return strings.TrimSpace(text)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isHexLetter(c byte) bool { return 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// isWord reports whether c is an ASCII word character (\w); bytes of
// multi-byte characters are not, as \b sees them.
func isWord(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// isSpace reports whether c is in \s: [\t\n\f\r ].
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// wordStart reports whether a \b precedes the word character at s[i].
func wordStart(s string, i int) bool { return i == 0 || !isWord(s[i-1]) }

// wordEnd reports whether a \b follows a word character ending at s[i].
func wordEnd(s string, i int) bool { return i == len(s) || !isWord(s[i]) }

// replacer builds a pass's output, copying nothing until the first
// replacement.
type replacer struct {
	s    string
	b    strings.Builder
	done int // s[:done] is in b
	used bool
}

// replace puts with in place of s[i:j].
func (r *replacer) replace(i, j int, with string) {
	if !r.used {
		r.used = true
		r.b.Grow(len(r.s))
	}
	r.b.WriteString(r.s[r.done:i])
	r.b.WriteString(with)
	r.done = j
}

func (r *replacer) result() string {
	if !r.used {
		return r.s
	}
	r.b.WriteString(r.s[r.done:])
	return r.b.String()
}

// replaceQuoted: "(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*` → <q>.
func replaceQuoted(s string) string {
	r := replacer{s: s}
	for i := 0; i < len(s); {
		end := -1
		switch c := s[i]; c {
		case '"', '\'':
			end = quotedEnd(s, i, c)
		case '`':
			if k := strings.IndexByte(s[i+1:], '`'); k >= 0 {
				end = i + 1 + k + 1
			}
		}
		if end < 0 {
			i++
			continue
		}
		r.replace(i, end, "<q>")
		i = end
	}
	return r.result()
}

// quotedEnd returns the end of the string quoted with q that starts at
// s[i], backslash escaping any character but a newline (as . does); -1
// if it does not close.
func quotedEnd(s string, i int, q byte) int {
	for k := i + 1; k < len(s); {
		switch s[k] {
		case q:
			return k + 1
		case '\\':
			if k+1 >= len(s) || s[k+1] == '\n' {
				return -1
			}
			k += 2
		default:
			k++
		}
	}
	return -1
}

// replaceUUIDs: (?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b → <uuid>.
func replaceUUIDs(s string) string {
	r := replacer{s: s}
	for i := 0; i+36 <= len(s); i++ {
		if isHex(s[i]) && wordStart(s, i) && isUUID(s[i:i+36]) && wordEnd(s, i+36) {
			r.replace(i, i+36, "<uuid>")
			i += 35
		}
	}
	return r.result()
}

func isUUID(u string) bool {
	for k := 0; k < 36; k++ {
		if k == 8 || k == 13 || k == 18 || k == 23 {
			if u[k] != '-' {
				return false
			}
		} else if !isHex(u[k]) {
			return false
		}
	}
	return true
}

// replaceIDs: \b\d+-\d+\b → <id>.
func replaceIDs(s string) string {
	r := replacer{s: s}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || !wordStart(s, i) {
			continue
		}
		j := digitsEnd(s, i)
		if j == len(s) || s[j] != '-' {
			i = j - 1
			continue
		}
		k := digitsEnd(s, j+1)
		if k > j+1 && wordEnd(s, k) {
			r.replace(i, k, "<id>")
			i = k - 1
		}
	}
	return r.result()
}

func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// replaceHex: (?i)\b0x[0-9a-f]+\b|\b[0-9a-f]*\d[0-9a-f]*[a-f][0-9a-f]*\b|\b[0-9a-f]*[a-f][0-9a-f]*\d[0-9a-f]*\b
// → <hex>. Every alternative begins and ends at \b and consumes word
// characters only, so a match is a whole word: 0x and hexadecimal digits,
// or hexadecimal digits with at least one decimal digit and one letter.
func replaceHex(s string) string {
	r := replacer{s: s}
	for i := 0; i < len(s); {
		if !isWord(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isWord(s[j]) {
			j++
		}
		if isHexWord(s[i:j]) {
			r.replace(i, j, "<hex>")
		}
		i = j
	}
	return r.result()
}

func isHexWord(w string) bool {
	if len(w) > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'X') && allHex(w[2:]) {
		return true
	}
	var digit, letter bool
	for k := 0; k < len(w); k++ {
		switch c := w[k]; {
		case isDigit(c):
			digit = true
		case isHexLetter(c):
			letter = true
		default:
			return false
		}
	}
	return digit && letter
}

func allHex(w string) bool {
	for k := 0; k < len(w); k++ {
		if !isHex(w[k]) {
			return false
		}
	}
	return true
}

// replaceNumbers: [-+]?\d+(?:\.\d+)? → <n>.
func replaceNumbers(s string) string {
	r := replacer{s: s}
	for i := 0; i < len(s); {
		j := i
		if (s[j] == '-' || s[j] == '+') && j+1 < len(s) && isDigit(s[j+1]) {
			j++
		}
		if !isDigit(s[j]) {
			i++
			continue
		}
		j = digitsEnd(s, j)
		if j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
			j = digitsEnd(s, j+1)
		}
		r.replace(i, j, "<n>")
		i = j
	}
	return r.result()
}

// collapseSpace: \s+ → a space.
func collapseSpace(s string) string {
	r := replacer{s: s}
	for i := 0; i < len(s); {
		if !isSpace(s[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j-i > 1 || s[i] != ' ' {
			r.replace(i, j, " ")
		}
		i = j
	}
	return r.result()
}
