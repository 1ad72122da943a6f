package engine

import (
	"math/big"
	"strings"
)

// INCRBYFLOAT and HINCRBYFLOAT compute in C's long double, which on the
// platforms Redis runs on is the x87 80-bit format: a 64-bit significand
// and exponents up to 16383. Pelican computes with big.Float at 64 bits
// of precision, rounding to nearest even, which gives the same results for
// normal numbers, and formats them as Redis does ("%.17Lf" with trailing
// zeros removed). Subnormal long doubles are not reproduced bit for bit.

// longDoublePrec is the significand width of an x87 long double.
const longDoublePrec = 64

// longDoubleMaxExp is the largest big.Float exponent (for a mantissa in
// [0.5, 1)) of a finite long double.
const longDoubleMaxExp = 16384

// longDoubleMinExp is the smallest big.Float exponent of a nonzero
// (subnormal) long double; anything smaller underflows to zero.
const longDoubleMinExp = -16444

// maxLongDoubleChars is Redis's MAX_LONG_DOUBLE_CHARS: longer numbers are
// refused.
const maxLongDoubleChars = 5 * 1024

// parseLongDouble parses a number as Redis's string2ld does with
// strtold: the whole argument must be a decimal or hexadecimal float, or
// an infinity, with no leading space; NaN, overflow and underflow to zero
// are refused. Infinities are returned as big.Float infinities.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= maxLongDoubleChars || isCSpace(b[0]) {
		return nil, false
	}
	s := string(b)
	body := s
	neg := false
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	lower := strings.ToLower(body)
	if lower == "inf" || lower == "infinity" {
		return new(big.Float).SetInf(neg), true
	}
	base := 10
	if len(lower) > 2 && lower[0] == '0' && lower[1] == 'x' {
		if !validFloat(lower[2:], true) {
			return nil, false
		}
		base = 0
	} else if !validFloat(lower, false) {
		return nil, false
	}
	f, _, err := big.ParseFloat(s, base, longDoublePrec, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	if f.Sign() != 0 {
		exp := f.MantExp(nil)
		if exp > longDoubleMaxExp || exp < longDoubleMinExp {
			return nil, false
		}
	}
	return f, true
}

// validFloat reports whether s (lower case, without sign or "0x") is
// digits with an optional point and an optional exponent, with at least
// one digit in the mantissa: the part of a number strtold consumes, which
// must be all of the argument.
func validFloat(s string, hex bool) bool {
	isDigit := func(c byte) bool {
		return c >= '0' && c <= '9' || hex && c >= 'a' && c <= 'f'
	}
	expMark := byte('e')
	if hex {
		expMark = 'p'
	}
	i, digits := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != expMark {
		return false
	}
	i++
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i == len(s) {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// addLongDouble returns a+b rounded to a long double, and false if the
// sum is not finite.
func addLongDouble(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	sum := new(big.Float).SetPrec(longDoublePrec).SetMode(big.ToNearestEven)
	sum.Add(a, b)
	if sum.Sign() != 0 && sum.MantExp(nil) > longDoubleMaxExp {
		return nil, false
	}
	return sum, true
}

// formatLongDouble formats a finite value as Redis's human-friendly
// long double format: "%.17Lf" without trailing zeros after the point,
// and "0" for negative zero.
func formatLongDouble(f *big.Float) string {
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
