package streamid

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		want ID
		ok   bool
	}{
		{"an ID", "1700000000000-5", ID{1700000000000, 5}, true},
		{"the first", "0-1", ID{0, 1}, true},
		{"the largest", "18446744073709551615-18446744073709551615", Max, true},
		{"leading zeros", "007-01", ID{7, 1}, true},
		{"a bare time", "1700000000000", ID{}, false},
		{"no seq", "5-", ID{}, false},
		{"no ms", "-5", ID{}, false},
		{"a seq of *", "5-*", ID{}, false},
		{"a sign", "+5-1", ID{}, false},
		{"spaces", " 5-1", ID{}, false},
		{"ms overflows", "18446744073709551616-0", ID{}, false},
		{"seq overflows", "0-18446744073709551616", ID{}, false},
		{"two dashes", "1-2-3", ID{}, false},
		{"min", "-", ID{}, false},
		{"max", "+", ID{}, false},
		{"empty", "", ID{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Parse(tt.in)
			if ok != tt.ok || ok && got != tt.want {
				t.Errorf("Parse(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseBound(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		seq  uint64
		want ID
		ok   bool
	}{
		{"an ID", "10-5", math.MaxUint64, ID{10, 5}, true},
		{"a bare start", "10", 0, ID{10, 0}, true},
		{"a bare end", "10", math.MaxUint64, ID{10, math.MaxUint64}, true},
		{"a malformed ID", "10-x", 0, ID{}, false},
		{"not a number", "ten", 0, ID{}, false},
		{"min", "-", 0, ID{}, false},
		{"max", "+", 0, ID{}, false},
		{"empty", "", 0, ID{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseBound(tt.in, tt.seq)
			if ok != tt.ok || ok && got != tt.want {
				t.Errorf("ParseBound(%q, %d) = %v, %v; want %v, %v", tt.in, tt.seq, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	for _, tt := range []struct {
		name string
		a, b string
		want int
	}{
		{"equal", "5-1", "5-1", 0},
		{"by ms", "4-9", "5-0", -1},
		{"by ms, not as text", "10-0", "9-0", 1},
		{"by seq", "5-1", "5-2", -1},
		{"by seq, not as text", "5-10", "5-9", 1},
		{"the largest", "18446744073709551615-18446744073709551615", "18446744073709551615-18446744073709551614", 1},
		{"malformed as 0-0", "junk", "0-0", 0},
		{"malformed before any entry", "junk", "0-1", -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Compare(tt.a, tt.b); got != tt.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := Compare(tt.b, tt.a); got != -tt.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
			}
			if got, want := Less(tt.a, tt.b), tt.want < 0; got != want {
				t.Errorf("Less(%q, %q) = %v, want %v", tt.a, tt.b, got, want)
			}
		})
	}
}

func TestNext(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   ID
		want ID
		ok   bool
	}{
		{"within a millisecond", ID{5, 1}, ID{5, 2}, true},
		{"into the next millisecond", ID{5, math.MaxUint64}, ID{6, 0}, true},
		{"after the largest", Max, ID{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.in.Next()
			if ok != tt.ok || got != tt.want {
				t.Errorf("%v.Next() = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, id := range []ID{{}, {0, 1}, {1700000000000, 42}, Max} {
		got, ok := Parse(id.String())
		if !ok || got != id {
			t.Errorf("Parse(%q) = %v, %v; want %v", id.String(), got, ok, id)
		}
	}
	if got, want := (ID{1700000000000, 3}).String(), "1700000000000-3"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestTime(t *testing.T) {
	got := []time.Time{ID{1700000000123, 9}.Time(), Max.Time()}
	want := []time.Time{time.UnixMilli(1700000000123), time.UnixMilli(math.MaxInt64)}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Time (-got +want):\n%s", diff)
	}
	if !(ID{}).IsZero() || (ID{0, 1}).IsZero() {
		t.Error("IsZero is true only for 0-0")
	}
}
