package dlq

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// normalizeRegexp is Normalize as its specification states it: the
// regular expressions of normalisers, in order.
func normalizeRegexp(text string) string {
	for _, n := range normalisers {
		text = n.re.ReplaceAllString(text, n.with)
	}
	return strings.TrimSpace(text)
}

// normalizeCases are texts where the passes interact or stop at an edge.
var normalizeCases = []string{
	"", " ", "order 88214 not found", `say "hi \"there\"" now`, `unterminated "quote`, `a\"b`,
	`'it''s'`, "`cmd 1`", "`open", `"esc\` + "\n" + `"`, `"a\\"b"`, "5-3f2b9a1c-0d4e-4a5b-9c7d-1e2f3a4b5c6d",
	"3F2B9A1C-0D4E-4A5B-9C7D-1E2F3A4B5C6Dx", "abcdefab-abcd-abcd-abcd-abcdefabcdef", "12-34-56", "12-34x", "x12-34",
	"0x1f 0X1F 0x 0xg 0x1fg", "deadbeef01 beef dead 1a2b3c _1a", "1.2.3 -4 +5 - 6 a-7 .8 9.", "v2.3.4-rc1",
	"tab\there\n\nnewline\r\f\v end", "héllo 12é3 \xff12\xfe", `"\é"`, "1_000 a_1f", "<q>1f", "café1f",
	"entry 1700000000000-3 missing", "timeout after 2.5s", "payment gateway returned 502 after 31ms",
	"user 3f2b9a1c-0d4e-4a5b-9c7d-000000000042 is locked", "coupon 'SAVE12' is not valid",
}

func TestNormalizeMatchesItsSpecification(t *testing.T) {
	t.Parallel()
	for _, text := range normalizeCases {
		if got, want := Normalize(text), normalizeRegexp(text); got != want {
			t.Errorf("Normalize(%q) = %q, the expressions give %q", text, got, want)
		}
	}
	// Random texts from the characters the passes care about.
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed))
	const alphabet = "0123456789abcdefxX-+. \t\n\"'`\\_gq<>é\xff"
	for range 5000 { // FuzzNormalize explores further
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		text := string(b)
		if got, want := Normalize(text), normalizeRegexp(text); got != want {
			t.Fatalf("seed %d: Normalize(%q) = %q, the expressions give %q", seed, text, got, want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, text := range normalizeCases {
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := Normalize(text), normalizeRegexp(text); got != want {
			t.Errorf("Normalize(%q) = %q, the expressions give %q", text, got, want)
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	texts := []string{"order 88214 not found", `product "SKU-77" is discontinued`,
		"user 3f2b9a1c-0d4e-4a5b-9c7d-000000000042 is locked", "connection refused"}
	b.Run("passes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, t := range texts {
				normalize(t)
			}
		}
	})
	b.Run("regexp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, t := range texts {
				normalizeRegexp(t)
			}
		}
	})
}
