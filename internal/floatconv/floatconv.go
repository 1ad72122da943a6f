// Package floatconv prints doubles as Redis 7.2 and later do: the
// shortest digits Grisu2 finds that read back as the same double
// (Redis's fpconv_dtoa), and, for replies and sorted set listpacks,
// integers as integers (Redis's d2string). Redis 7.0 printed "%.17g"
// ("0.10000000000000001" where 7.2 prints "0.1").
//
// Grisu2 does not always find the shortest digits, nor the closest of
// several shortest, and where it falls short depends on its exact
// arithmetic; Redis's replies show those digits, so this package follows
// the same steps (Loitsch, "Printing Floating-Point Numbers Quickly and
// Accurately with Integers", 2010, section 5) with the same cached powers
// of ten and the same notation rules:
//
//	digits d1..dn, value d1..dn × 10^K
//	K >= 0 and exponent < n+7          plain integer   "1250000000"
//	K < 0 and (K > -7 or exponent < 4) plain decimal   "0.000123", "12.5"
//	otherwise                          scientific      "1e+20", "1.5e-7", "5e+300"
//
// where exponent is |K+n-1|, printed without leading zeros.
package floatconv

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"
)

// Append appends f as Redis's d2string prints it, the form of double
// replies (RESP2 bulk strings and RESP3 doubles) and of the scores a
// sorted set listpack holds: "nan", "inf", "-inf", "0", "-0", integers of
// magnitude up to 2^62 as integers, other numbers as AppendShortest does.
func Append(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case f == 0 && math.Signbit(f):
		return append(dst, "-0"...)
	}
	if n, ok := Integer(f); ok {
		return strconv.AppendInt(dst, n, 10)
	}
	return AppendShortest(dst, f)
}

// Integer reports whether f is an integer of magnitude at most 2^62, which
// Redis prints (and a listpack stores) as an integer (Redis's double2ll).
// -0 is 0.
func Integer(f float64) (int64, bool) {
	if f < -(1<<62) || f > 1<<62 || f != math.Trunc(f) {
		return 0, false
	}
	return int64(f), true
}

// Format returns f as Append prints it.
func Format(f float64) string { return string(Append(nil, f)) }

// AppendShortest appends f as Redis's fpconv_dtoa prints it, without
// Append's integer shortcut: 1e8 is "1e+8". A negative sign is kept on
// zero and NaN ("-0", "-nan").
func AppendShortest(dst []byte, f float64) []byte {
	b := math.Float64bits(f)
	neg := b&signMask != 0
	if neg {
		dst = append(dst, '-')
	}
	switch {
	case f == 0:
		return append(dst, '0')
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 0):
		return append(dst, "inf"...)
	}
	var digits [24]byte
	n, k := grisu2(b, digits[:])
	return appendNotation(dst, digits[:n], k, neg)
}

const (
	fracMask  = 0x000FFFFFFFFFFFFF
	expMask   = 0x7FF0000000000000
	hiddenBit = 0x0010000000000000
	signMask  = 0x8000000000000000
	expBias   = 1023 + 52
)

// diyFP is frac × 2^exp.
type diyFP struct {
	frac uint64
	exp  int
}

// unpack returns the significand and exponent of a finite, nonzero
// double's bits.
func unpack(b uint64) diyFP {
	f := diyFP{frac: b & fracMask, exp: int((b & expMask) >> 52)}
	if f.exp == 0 { // subnormal
		f.exp = -expBias + 1
		return f
	}
	f.frac += hiddenBit
	f.exp -= expBias
	return f
}

// normalized shifts f until its top bit is set.
func normalized(f diyFP) diyFP {
	for f.frac&hiddenBit == 0 {
		f.frac <<= 1
		f.exp--
	}
	f.frac <<= 64 - 53
	f.exp -= 64 - 53
	return f
}

// boundaries returns the points halfway to f's neighbours, normalized
// to the same exponent.
func boundaries(f diyFP) (lower, upper diyFP) {
	upper = diyFP{frac: f.frac<<1 + 1, exp: f.exp - 1}
	for upper.frac&(hiddenBit<<1) == 0 {
		upper.frac <<= 1
		upper.exp--
	}
	upper.frac <<= 64 - 54
	upper.exp -= 64 - 54
	shift := 1
	if f.frac == hiddenBit { // the neighbour below is closer
		shift = 2
	}
	lower = diyFP{frac: f.frac<<shift - 1, exp: f.exp - shift}
	lower.frac <<= uint(lower.exp - upper.exp)
	lower.exp = upper.exp
	return lower, upper
}

// times returns a × b rounded to 64 bits, half up.
func times(a, b diyFP) diyFP {
	hi, lo := bits.Mul64(a.frac, b.frac)
	return diyFP{frac: hi + lo>>63, exp: a.exp + b.exp + 64}
}

// Cached powers of ten: 10^(firstPower + i×powerStep), normalized.
const (
	firstPower = -348
	powerStep  = 8
	numPowers  = 87
	// The exponent window a scaled boundary must land in.
	minScaledExp = -60
	maxScaledExp = -32
)

var cachedPowers = func() [numPowers]diyFP {
	var t [numPowers]diyFP
	for i := range t {
		t[i] = powerOfTen(firstPower + i*powerStep)
	}
	return t
}()

// powerOfTen returns 10^k as a 64-bit significand, rounded to nearest,
// and its binary exponent.
func powerOfTen(k int) diyFP {
	exact := new(big.Float).SetPrec(2048).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(k))), nil))
	if k < 0 {
		exact.Quo(new(big.Float).SetPrec(2048).SetInt64(1), exact)
	}
	r := new(big.Float).SetPrec(64).SetMode(big.ToNearestEven).Set(exact)
	mant := new(big.Float)
	e := r.MantExp(mant) // r = mant × 2^e, 0.5 <= mant < 1
	mant.SetMantExp(mant, 64)
	frac, _ := mant.Uint64()
	return diyFP{frac: frac, exp: e - 64}
}

// cachedPower returns the cached power that scales a boundary of binary
// exponent exp into the window, and its decimal exponent. The first guess
// and the search from it are Redis's, which decide the digits when two
// powers fit.
func cachedPower(exp int) (diyFP, int) {
	const log10of2 = 0.30102999566398114
	guess := int(float64(-(exp + numPowers)) * log10of2)
	i := (guess - firstPower) / powerStep
	for {
		scaled := exp + cachedPowers[i].exp + 64
		switch {
		case scaled < minScaledExp:
			i++
		case scaled > maxScaledExp:
			i--
		default:
			return cachedPowers[i], firstPower + i*powerStep
		}
	}
}

// grisu2 writes the digits of a finite, nonzero double (given as bits)
// to digits and returns their number and the decimal exponent K of the
// last one.
func grisu2(b uint64, digits []byte) (n, k int) {
	w := unpack(b)
	lower, upper := boundaries(w)
	w = normalized(w)
	c, ck := cachedPower(upper.exp)
	w, upper, lower = times(w, c), times(upper, c), times(lower, c)
	lower.frac++ // stay strictly inside the rounding interval
	upper.frac--
	return generateDigits(w, upper, lower, digits, -ck)
}

// tens[i] is 10^(19-i).
var tens = func() [20]uint64 {
	var t [20]uint64
	p := uint64(1)
	for i := 19; i >= 0; i-- {
		t[i] = p
		p *= 10
	}
	return t
}()

// generateDigits produces the digits of upper, scaled, until they are
// within delta of it, then moves the last one toward w.
func generateDigits(w, upper, lower diyFP, digits []byte, k int) (int, int) {
	wfrac := upper.frac - w.frac
	delta := upper.frac - lower.frac
	shift := uint(-upper.exp)
	one := uint64(1) << shift
	part1 := upper.frac >> shift
	part2 := upper.frac & (one - 1)
	n, kappa := 0, 10
	for i := 10; kappa > 0; i++ {
		div := tens[i]
		digit := part1 / div
		if digit != 0 || n != 0 {
			digits[n] = byte(digit) + '0'
			n++
		}
		part1 -= digit * div
		kappa--
		if rest := part1<<shift + part2; rest <= delta {
			weed(digits[:n], delta, rest, div<<shift, wfrac)
			return n, k + kappa
		}
	}
	for unit := 18; ; unit-- {
		part2 *= 10
		delta *= 10
		kappa--
		digit := part2 >> shift
		if digit != 0 || n != 0 {
			digits[n] = byte(digit) + '0'
			n++
		}
		part2 &= one - 1
		if part2 < delta {
			weed(digits[:n], delta, part2, one, wfrac*tens[unit])
			return n, k + kappa
		}
	}
}

// weed lowers the last digit while that brings the number closer to w
// (at distance frac below upper) and keeps it within the interval.
func weed(digits []byte, delta, rest, step, frac uint64) {
	last := len(digits) - 1
	for rest < frac && delta-rest >= step && (rest+step < frac || frac-rest > rest+step-frac) {
		digits[last]--
		rest += step
	}
}

// appendNotation appends digits × 10^k in the notation the package
// comment describes.
func appendNotation(dst, digits []byte, k int, neg bool) []byte {
	n := len(digits)
	exp := abs(k + n - 1)
	switch {
	case k >= 0 && exp < n+7:
		dst = append(dst, digits...)
		for i := 0; i < k; i++ {
			dst = append(dst, '0')
		}
		return dst
	case k < 0 && (k > -7 || exp < 4):
		point := n + k
		if point <= 0 {
			dst = append(dst, '0', '.')
			for i := 0; i < -point; i++ {
				dst = append(dst, '0')
			}
			return append(dst, digits...)
		}
		dst = append(dst, digits[:point]...)
		dst = append(dst, '.')
		return append(dst, digits[point:]...)
	}
	maxDigits := 18 // as Redis's buffer allows; Grisu2 makes at most 17
	if neg {
		maxDigits--
	}
	n = min(n, maxDigits)
	dst = append(dst, digits[0])
	if n > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:n]...)
	}
	dst = append(dst, 'e')
	if k+n-1 < 0 {
		dst = append(dst, '-')
	} else {
		dst = append(dst, '+')
	}
	return strconv.AppendInt(dst, int64(exp), 10)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
