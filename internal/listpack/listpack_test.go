package listpack

import (
	"bytes"
	"math"
	"math/rand"
	"strconv"
	"testing"
)

func TestIntegerEncodingSizes(t *testing.T) {
	tests := []struct {
		v    int64
		size int // encoding + backlen
	}{
		{0, 2}, {127, 2}, {128, 3}, {-1, 3}, {4095, 3}, {-4096, 3},
		{4096, 4}, {32767, 4}, {-32768, 4}, {32768, 5}, {8388607, 5},
		{-8388608, 5}, {8388608, 6}, {math.MaxInt32, 6}, {math.MinInt32, 6},
		{math.MaxInt32 + 1, 10}, {math.MaxInt64, 10}, {math.MinInt64, 10},
	}
	for _, tt := range tests {
		lp := AppendInt(New(0), tt.v)
		if got := len(lp) - 7; got != tt.size {
			t.Errorf("size of %d = %d, want %d", tt.v, got, tt.size)
		}
		if got := GetInt(lp, First(lp)); got != tt.v {
			t.Errorf("round trip of %d = %d", tt.v, got)
		}
		if got := ElementSize([]byte(strconv.FormatInt(tt.v, 10))); got != tt.size {
			t.Errorf("ElementSize(%d) = %d, want %d", tt.v, got, tt.size)
		}
	}
}

func TestStringToInt(t *testing.T) {
	tests := []struct {
		s  string
		v  int64
		ok bool
	}{
		{"0", 0, true}, {"-0", 0, false}, {"01", 0, false}, {"+1", 0, false},
		{"9223372036854775807", math.MaxInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775808", math.MinInt64, true},
		{"-9223372036854775809", 0, false},
		{"", 0, false}, {"-", 0, false}, {" 1", 0, false}, {"1a", 0, false},
	}
	for _, tt := range tests {
		v, ok := StringToInt([]byte(tt.s))
		if ok != tt.ok || (ok && v != tt.v) {
			t.Errorf("StringToInt(%q) = %d, %v; want %d, %v", tt.s, v, ok, tt.v, tt.ok)
		}
	}
}

func TestStringsOfEverySizeClass(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 4095, 4096, 70000} {
		s := bytes.Repeat([]byte{'x'}, n)
		lp := Append(New(0), s)
		got, _, isInt := Get(lp, First(lp))
		if isInt || !bytes.Equal(got, s) {
			t.Fatalf("string of %d bytes did not round trip", n)
		}
		if want := 7 + ElementSize(s); len(lp) != want {
			t.Errorf("listpack with a %d-byte string is %d bytes, want %d", n, len(lp), want)
		}
		if !Validate(lp) {
			t.Errorf("listpack with a %d-byte string does not validate", n)
		}
	}
}

// TestWalkBothWays checks that Next and Prev visit the same elements.
func TestWalkBothWays(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	lp := New(0)
	var want []string
	for i := 0; i < 500; i++ {
		var s string
		switch rng.Intn(3) {
		case 0:
			s = strconv.FormatInt(rng.Int63n(1<<40)-1<<39, 10)
		case 1:
			s = string(bytes.Repeat([]byte{'a' + byte(i%26)}, rng.Intn(200)))
		default:
			s = string(bytes.Repeat([]byte{'z'}, rng.Intn(5000)))
		}
		lp = Append(lp, []byte(s))
		want = append(want, s)
	}
	if !Validate(lp) {
		t.Fatal("listpack does not validate")
	}
	if got := Len(lp); got != len(want) {
		t.Fatalf("Len = %d, want %d", got, len(want))
	}
	i := 0
	for p := First(lp); p >= 0; p = Next(lp, p) {
		if got := string(AppendValue(nil, lp, p)); got != want[i] {
			t.Fatalf("forward element %d = %q, want %q", i, got, want[i])
		}
		i++
	}
	i = len(want) - 1
	for p := Last(lp); p >= 0; p = Prev(lp, p) {
		if got := string(AppendValue(nil, lp, p)); got != want[i] {
			t.Fatalf("backward element %d = %q, want %q", i, got, want[i])
		}
		i--
	}
	if i != -1 {
		t.Fatalf("backward walk stopped at %d", i)
	}
}

func TestReplaceIntChangesSize(t *testing.T) {
	lp := New(0)
	lp = AppendInt(lp, 127)
	lp = Append(lp, []byte("tail"))
	p := First(lp)
	lp, next := ReplaceInt(lp, p, 128) // one byte longer
	if got := GetInt(lp, p); got != 128 {
		t.Fatalf("replaced value = %d, want 128", got)
	}
	if got := string(AppendValue(nil, lp, next)); got != "tail" {
		t.Fatalf("element after the replaced one = %q, want tail", got)
	}
	lp, _ = ReplaceInt(lp, p, 5) // shorter again
	if got := string(AppendValue(nil, lp, Next(lp, p))); got != "tail" || !Validate(lp) {
		t.Fatalf("after shrinking: next = %q, valid = %v", got, Validate(lp))
	}
}

func FuzzValidate(f *testing.F) {
	f.Add(Append(AppendInt(New(0), 42), []byte("hello")))
	f.Add([]byte{7, 0, 0, 0, 0, 0, 0xFF})
	f.Fuzz(func(t *testing.T, b []byte) {
		if !Validate(b) {
			return
		}
		// A valid listpack can be walked both ways without panicking.
		n := 0
		for p := First(b); p >= 0; p = Next(b, p) {
			AppendValue(nil, b, p)
			n++
		}
		for p := Last(b); p >= 0; p = Prev(b, p) {
			n--
		}
		if n != 0 {
			t.Fatalf("forward and backward walks disagree by %d", n)
		}
	})
}
