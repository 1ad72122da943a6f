package floatconv

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// The expected texts are what Redis 7.2's fpconv_dtoa and d2string print
// for the same doubles.

func TestAppendShortest(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0.1, "0.1"},
		{0.3, "0.3"},
		{1.5, "1.5"},
		{-2.5, "-2.5"},
		{3, "3"},
		{123.456, "123.456"},
		{12345678.9, "12345678.9"},
		{0.1 + 0.5, "0.6"},
		{1.0000000000000002, "1.0000000000000002"},
		// Plain integers while the exponent is below the digits + 7.
		{1e7, "10000000"},
		{1e8, "1e+8"},
		{5e9, "5e+9"},
		{1e15, "1e+15"},
		{123456789012345678, "123456789012345680"},
		{4611686018427388928, "4611686018427389000"},
		{1e20, "1e+20"},
		{1e22, "1e+22"},
		// Plain decimals down to 10^-6, and with a short exponent.
		{0.000123, "0.000123"},
		{1.5e-05, "0.000015"},
		{1e-5, "0.00001"},
		{1e-6, "0.000001"},
		{1e-7, "1e-7"},
		{1.5e-7, "1.5e-7"},
		{1234.5678e-10, "1.2345678e-7"},
		{5e-324, "5e-324"},
		{2.2250738585072014e-308, "2.2250738585072014e-308"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		// Grisu2 does not always find the shortest digits.
		{math.Float64frombits(0x43683af1ee3a3fd2), "54561681595039376"},
		{math.Float64frombits(0x43d705af56d4d828), "6635699300915519000"},
		{math.Float64frombits(0x3e584a0280abef6c), "2.2620987786915572e-8"},
		{math.Float64frombits(0x98de002d1ac677d7), "-6.7333927899412846e-189"},
		// Specials keep their sign.
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
		{math.Copysign(math.NaN(), -1), "-nan"},
	}
	for _, tt := range tests {
		if got := string(AppendShortest(nil, tt.f)); got != tt.want {
			t.Errorf("AppendShortest(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestAppend(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0.1, "0.1"},
		{-2.5, "-2.5"},
		{1e8, "100000000"},
		{5e9, "5000000000"},
		{123456789012345678, "123456789012345680"},
		{1 << 62, "4611686018427387904"},
		{-(1 << 62), "-4611686018427387904"},
		{4611686018427388928, "4611686018427389000"},
		{1e20, "1e+20"},
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
		{math.Copysign(math.NaN(), -1), "nan"},
	}
	for _, tt := range tests {
		if got := Format(tt.f); got != tt.want {
			t.Errorf("Format(%v) = %q, want %q", tt.f, got, tt.want)
		}
		if got := string(Append([]byte("x"), tt.f)); got != "x"+tt.want {
			t.Errorf("Append(\"x\", %v) = %q, want %q", tt.f, got, "x"+tt.want)
		}
	}
}

// TestAppendShortestReadsBack checks random doubles, of every magnitude,
// read back as themselves, in at most 17 significant digits.
func TestAppendShortestReadsBack(t *testing.T) {
	seed := rand.Uint64()
	r := rand.New(rand.NewPCG(seed, 1))
	for i := 0; i < 200000; i++ {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		s := string(AppendShortest(nil, f))
		got, err := strconv.ParseFloat(s, 64)
		if err != nil || got != f {
			t.Fatalf("seed %d: %v (%#x) printed as %q, which reads back as %v (%v)", seed, f, math.Float64bits(f), s, got, err)
		}
	}
}

// TestCachedPowers compares a few cached powers with Redis's table.
func TestCachedPowers(t *testing.T) {
	tests := []struct {
		i    int
		frac uint64
		exp  int
	}{
		{0, 18054884314459144840, -1220},
		{44, 11258999068426240000, -50},
		{45, 16777216000000000000, -24},
		{46, 12500000000000000000, 3},
		{86, 12648080533535911531, 1066},
	}
	for _, tt := range tests {
		if got := cachedPowers[tt.i]; got.frac != tt.frac || got.exp != tt.exp {
			t.Errorf("cached power %d = %d × 2^%d, want %d × 2^%d", tt.i, got.frac, got.exp, tt.frac, tt.exp)
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 32)
	for i := 0; i < b.N; i++ {
		buf = Append(buf[:0], 1.2345678901234567e-3)
	}
}
