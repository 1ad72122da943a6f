package dlq

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
)

// Normalising an error's text, in order: quoted values, UUIDs, stream IDs,
// hexadecimal runs, then any number, each replaced by a placeholder, and
// runs of white space collapsed. "order 88214 not found" and "order 91007
// not found" both become "order <n> not found". These expressions are
// the specification; normalize implements them without the regexp engine
// (see normalize.go), several times faster.
var normalisers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`"), "<q>"},
	{regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`), "<uuid>"},
	{regexp.MustCompile(`\b\d+-\d+\b`), "<id>"},
	{regexp.MustCompile(`(?i)\b0x[0-9a-f]+\b|\b[0-9a-f]*\d[0-9a-f]*[a-f][0-9a-f]*\b|\b[0-9a-f]*[a-f][0-9a-f]*\d[0-9a-f]*\b`), "<hex>"},
	{regexp.MustCompile(`[-+]?\d+(?:\.\d+)?`), "<n>"},
	{regexp.MustCompile(`\s+`), " "},
}

// Normalize returns an error text with what varies between occurrences of
// the same problem (numbers, IDs, UUIDs, hexadecimal values, quoted
// values) replaced by placeholders, so that errors differing only there
// compare equal.
func Normalize(text string) string {
	return normalize(text)
}

// Fingerprint identifies the problem an error text describes: the first
// 12 hexadecimal digits of the SHA-256 of Normalize(text). Errors that
// differ only in numbers, IDs and quoted values share a fingerprint.
func Fingerprint(text string) string {
	sum := sha256.Sum256([]byte(Normalize(text)))
	return hex.EncodeToString(sum[:6])
}
