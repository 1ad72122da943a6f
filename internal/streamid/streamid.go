// Package streamid reads, orders and writes the IDs of Redis stream
// entries in the text form replies carry, "<ms>-<seq>": two unsigned
// 64-bit decimals, the Unix time in milliseconds of the entry and a
// sequence number among the entries of that millisecond. IDs order by ms,
// then by seq.
//
// It is for the library and its operations packages, which see IDs only as
// the strings go-redis returns. The engine parses IDs of commands with
// Redis's own leniency in package stream.
package streamid

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// ID is a stream entry ID.
type ID struct {
	Ms, Seq uint64
}

// Max is the largest ID, after every other.
var Max = ID{math.MaxUint64, math.MaxUint64}

// Parse reads "<ms>-<seq>", and reports whether s has that form.
func Parse(s string) (ID, bool) {
	a, b, dash := strings.Cut(s, "-")
	if !dash {
		return ID{}, false
	}
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	return ID{ms, seq}, err1 == nil && err2 == nil
}

// ParseBound reads a range bound as XRANGE and XTRIM MINID take it:
// "<ms>-<seq>", or a bare "<ms>", which stands for the ID <ms>-<seq> with
// the seq given (0 for a start, math.MaxUint64 for an inclusive end). The
// special bounds "-" and "+" are not IDs: callers handle them.
func ParseBound(s string, seq uint64) (ID, bool) {
	if strings.Contains(s, "-") {
		return Parse(s)
	}
	ms, err := strconv.ParseUint(s, 10, 64)
	return ID{ms, seq}, err == nil
}

// Compare returns -1, 0 or +1 as a orders before, with or after b.
func (a ID) Compare(b ID) int {
	switch {
	case a.Ms != b.Ms:
		if a.Ms < b.Ms {
			return -1
		}
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// Less reports whether a orders before b.
func (a ID) Less(b ID) bool { return a.Compare(b) < 0 }

// IsZero reports whether a is 0-0, which no entry can have.
func (a ID) IsZero() bool { return a == ID{} }

// Next returns the ID right after a, and false if a is Max.
func (a ID) Next() (ID, bool) {
	switch {
	case a.Seq < math.MaxUint64:
		return ID{a.Ms, a.Seq + 1}, true
	case a.Ms < math.MaxUint64:
		return ID{a.Ms + 1, 0}, true
	}
	return ID{}, false
}

// Time returns the moment in a's milliseconds. Milliseconds beyond what a
// time.Time holds give its latest Unix millisecond.
func (a ID) Time() time.Time {
	return time.UnixMilli(int64(min(a.Ms, math.MaxInt64)))
}

// String writes a as "<ms>-<seq>".
func (a ID) String() string {
	b := make([]byte, 0, 41)
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return string(strconv.AppendUint(b, a.Seq, 10))
}

// Compare orders two IDs in text form as Compare orders them parsed. A
// malformed ID orders as 0-0: replies never hold one, and callers check
// the IDs users give before comparing them.
func Compare(a, b string) int {
	x, _ := Parse(a)
	y, _ := Parse(b)
	return x.Compare(y)
}

// Less reports whether ID a orders before ID b, both in text form (see
// Compare).
func Less(a, b string) bool { return Compare(a, b) < 0 }
