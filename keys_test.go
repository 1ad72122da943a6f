package pelican

import (
	"testing"
)

func TestHashTag(t *testing.T) {
	for key, want := range map[string]string{
		"orders": "orders", "{orders}": "orders", "{orders}:dlq": "orders",
		"a{b}c{d}": "b", "{}x": "{}x", "x{": "x{", "{a": "{a",
	} {
		if got := HashTag(key); got != want {
			t.Errorf("HashTag(%q) = %q, want %q", key, got, want)
		}
	}
}
