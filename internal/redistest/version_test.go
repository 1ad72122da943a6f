package redistest

import "testing"

func TestVersionAtLeast(t *testing.T) {
	tests := []struct {
		v, min string
		want   bool
	}{
		{"7.0.15", "7.2", false},
		{"7.2.0", "7.2", true},
		{"7.2.4", "7.2", true},
		{"7.4.1", "8.0", false},
		{"8.0.0", "8.0", true},
		{"255.255.255", "8.0", true},
		{"", "7.2", false},
	}
	for _, tt := range tests {
		if got := VersionAtLeast(tt.v, tt.min); got != tt.want {
			t.Errorf("VersionAtLeast(%q, %q) = %v, want %v", tt.v, tt.min, got, tt.want)
		}
	}
}
