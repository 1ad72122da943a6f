package glob

import (
	"strings"
	"testing"
)

func TestMatchLikeRedis(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", false}, // as in Redis; KEYS and SCAN treat a lone "*" as match-all
		{"**", "", false},
		{"*", "anything", true},
		{"", "", true},
		{"", "a", false},
		{"a", "", false},
		{"h?llo", "hello", true},
		{"h?llo", "hllo", false},
		{"h*llo", "hllo", true},
		{"h*llo", "heeeello", true},
		{"h**llo", "hxllo", true},
		{"a*", "a", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-c]llo", "hbllo", true},
		{"h[c-a]llo", "hbllo", true}, // reversed range
		{"h[a-c]llo", "hdllo", false},
		{"h\\*llo", "h*llo", true},
		{"h\\*llo", "hello", false},
		{"[\\]]", "]", true},
		{"[]]", "]", false}, // the set is empty and closes at once
		{"[]", "]", false},
		{"a[", "a", false},
		{"a[b", "ab", true},         // an open set closes at the end
		{"a[^", "ab", true},         // an empty negated set matches anything
		{"a[-]b", "a-b", true},      // a lone '-' is literal
		{"a[a-]b", "a-b", false},    // "a-]" is a range, so the set stays open
		{"x\\", "x\\", true},        // a trailing backslash is literal
		{"x\\", "x", false},         //
		{"*a", "bbb", false},        //
		{"[\x01-\xff]", "a", false}, // 0xff is -1 as a C char: the range is [-1, 1]
		{"[\x01-\xff]", "\x00", true},
		{"[a-\x80]", "b", false}, // [-128, 'a']
		{"[a-\x80]", "\x90", true},
		{"*\x00", "a\x00", true}, // NUL bytes match like any other
		{"?", "\x00", true},
	}
	for _, tt := range tests {
		if got := Match([]byte(tt.pattern), []byte(tt.s), false); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// TestGlobMatchIsBounded checks that a pattern with many stars against a
// long non-matching string finishes (the give-up rule), and that very deep
// star nesting fails instead of recursing without bound.
func TestMatchIsBounded(t *testing.T) {
	pattern := strings.Repeat("a*", 30) + "b"
	s := strings.Repeat("a", 5000)
	if Match([]byte(pattern), []byte(s), false) {
		t.Errorf("%q matched a string of a's", pattern)
	}
	deep := strings.Repeat("*a", 1100)
	if Match([]byte(deep), []byte(strings.Repeat("a", 1100)), false) {
		t.Error("a pattern nesting 1100 stars matched; want the nesting limit to fail it")
	}
	shallow := strings.Repeat("*a", 900)
	if !Match([]byte(shallow), []byte(strings.Repeat("a", 900)), false) {
		t.Error("a pattern nesting 900 stars did not match")
	}
}
