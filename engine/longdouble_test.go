package engine

import "testing"

func TestParseLongDouble(t *testing.T) {
	tests := []struct {
		in     string
		want   string // formatted; "" when refused
		wantOK bool
	}{
		{"1", "1", true},
		{"-2.5", "-2.5", true},
		{"+.5", "0.5", true},
		{"5.", "5", true},
		{"1e3", "1000", true},
		{"1E-2", "0.01", true},
		{"0x10", "16", true},
		{"0x1.8p1", "3", true},
		{"-0", "0", true},
		{"inf", "", true},
		{"-Infinity", "", true},
		{"nan", "", false},
		{"1e5000", "", false},
		{"1e-5000", "", false},
		{"", "", false},
		{" 1", "", false},
		{"1 ", "", false},
		{"1e", "", false},
		{"0x", "", false},
		{"1_000", "", false},
		{"0b1", "", false},
		{"1\x00", "", false},
	}
	for _, tt := range tests {
		f, ok := parseLongDouble([]byte(tt.in))
		if ok != tt.wantOK {
			t.Errorf("parseLongDouble(%q) ok = %v, want %v", tt.in, ok, tt.wantOK)
			continue
		}
		if !ok || f.IsInf() {
			continue
		}
		if got := formatLongDouble(f); got != tt.want {
			t.Errorf("parseLongDouble(%q) formats as %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAddLongDouble(t *testing.T) {
	tests := []struct {
		a, b, want string
	}{
		{"10.5", "0.1", "10.6"},
		{"10.6", "5000", "5010.60000000000000009"}, // long double rounding, as Redis
		{"1.1", "2.2", "3.3"},
		{"0.1", "-0.1", "0"},
		{"3.14159265358979323846", "0", "3.14159265358979324"},
	}
	for _, tt := range tests {
		a, _ := parseLongDouble([]byte(tt.a))
		b, _ := parseLongDouble([]byte(tt.b))
		sum, ok := addLongDouble(a, b)
		if !ok {
			t.Errorf("%s + %s overflowed", tt.a, tt.b)
			continue
		}
		if got := formatLongDouble(sum); got != tt.want {
			t.Errorf("%s + %s = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
	big, _ := parseLongDouble([]byte("1e4932"))
	if _, ok := addLongDouble(big, big); ok {
		t.Error("1e4932 + 1e4932 did not overflow a long double")
	}
}
