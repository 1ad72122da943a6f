package glob

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		nocase     bool
		want       bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, false}, // as in Redis: callers special-case a lone "*"
		{"*", "anything", false, true},
		{"**", "x", false, true},
		{"a*", "a", false, true},
		{"a*b", "a", false, false},
		{"a*b", "axxb", false, true},
		{"a*b", "axxbc", false, false},
		{"*a*", "bab", false, true},
		{"*?", "a", false, true},
		{"?", "", false, false},
		{"h?llo", "hello", false, true},
		{"h?llo", "hllo", false, false},
		{"h[ae]llo", "hallo", false, true},
		{"h[ae]llo", "hillo", false, false},
		{"h[^e]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-b]llo", "hbllo", false, true},
		{"h[b-a]llo", "hallo", false, true}, // reversed range
		{"h[a-b]llo", "hcllo", false, false},
		{"[\\]]", "]", false, true},
		{"[\\a]", "a", false, true},
		{"\\*", "*", false, true},
		{"\\*", "a", false, false},
		{"a\\", "a\\", false, true},
		{"[ab", "a", false, true}, // unterminated set ends with the pattern
		{"[ab", "ab", false, false},
		{"[", "a", false, false},
		{"HELLO", "hello", false, false},
		{"HELLO", "hello", true, true},
		{"h[A-C]llo", "hbllo", true, true},
		{"h[A-C]llo", "hbllo", false, false},
		{"maxmemory*", "maxmemory-policy", true, true},
		{"*max-*-entries*", "stream-node-max-entries", false, false},
		{"*-max-*", "stream-node-max-entries", false, true},
	}
	for _, tt := range tests {
		if got := MatchString(tt.pattern, tt.s, tt.nocase); got != tt.want {
			t.Errorf("MatchString(%q, %q, %v) = %v, want %v", tt.pattern, tt.s, tt.nocase, got, tt.want)
		}
	}
}

func TestMatchManyStarsEnds(t *testing.T) {
	// A pattern of many stars against a string that cannot match must end
	// quickly instead of trying every split.
	pattern := []byte("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
	s := make([]byte, 4000)
	for i := range s {
		s[i] = 'a'
	}
	if Match(pattern, s, false) {
		t.Fatal("pattern ending in b matched a string of a's")
	}
}
