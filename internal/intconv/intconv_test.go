package intconv

import (
	"math"
	"testing"
)

func TestParseInt(t *testing.T) {
	tests := []struct {
		s  string
		v  int64
		ok bool
	}{
		{"0", 0, true}, {"-0", 0, false}, {"01", 0, false}, {"+1", 0, false},
		{"123", 123, true}, {"-123", -123, true},
		{"9223372036854775807", math.MaxInt64, true},
		{"9223372036854775808", 0, false},
		{"-9223372036854775808", math.MinInt64, true},
		{"-9223372036854775809", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false}, {"-", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"1a", 0, false}, {"3.0", 0, false},
	}
	for _, tt := range tests {
		v, ok := ParseInt([]byte(tt.s))
		if ok != tt.ok || (ok && v != tt.v) {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, %v", tt.s, v, ok, tt.v, tt.ok)
		}
	}
}
