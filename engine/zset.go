package engine

import (
	"math"
	"strconv"
	"strings"

	"github.com/pelicanhq/pelican/internal/floatconv"
	"github.com/pelicanhq/pelican/internal/sortedset"
)

// Sorted set values, their encoding, and the double-precision numbers
// their commands parse and print.

// Redis's defaults for zset-max-listpack-entries and
// zset-max-listpack-value.
const (
	defaultZsetListpackEntries = 128
	defaultZsetListpackValue   = 64
)

// zsetValue is a sorted set. Every sorted set is a sortedset.Set; listpack
// records the encoding Redis would use for it, which OBJECT ENCODING
// reports and the RDB writer follows: a set starts as a listpack (unless
// the members about to be added already break zset-max-listpack-entries
// or its first member is longer than zset-max-listpack-value) and becomes
// a skiplist for good once a member is added beyond either limit, or a
// ZADD names more members than zset-max-listpack-entries (Redis 7.2, see
// growZsetLocked). While it is a listpack a score of -0 is kept as 0, as
// Redis's listpack does.
type zsetValue struct {
	set      *sortedset.Set
	listpack bool
}

// newZsetLocked returns an empty sorted set whose encoding is chosen, as
// Redis 7.2 and later do, by the number of members about to be added
// (sizeHint) and the first of them.
func (e *Engine) newZsetLocked(sizeHint int, first []byte) *zsetValue {
	s := &e.settings
	return &zsetValue{
		set:      sortedset.New(),
		listpack: int64(sizeHint) <= s.zsetListpackEntries && int64(len(first)) <= s.zsetListpackValue,
	}
}

// growZsetLocked makes z a skiplist if sizeHint members about to be added
// would exceed zset-max-listpack-entries, whether or not they are new, as
// Redis 7.2's ZADD does before adding them (7.0 converted only when a
// member was added beyond the limit).
func (e *Engine) growZsetLocked(z *zsetValue, sizeHint int) {
	if z.listpack && int64(sizeHint) > e.settings.zsetListpackEntries {
		z.listpack = false
	}
}

// zaddLocked sets a member's score, converting the set to a skiplist
// first if adding the member would break the listpack limits, and reports
// whether the member is new.
func (e *Engine) zaddLocked(z *zsetValue, member []byte, score float64) bool {
	if z.listpack {
		if _, ok := z.set.Score(member); !ok &&
			(int64(z.set.Len())+1 > e.settings.zsetListpackEntries || int64(len(member)) > e.settings.zsetListpackValue) {
			z.listpack = false
		}
	}
	if z.listpack && score == 0 {
		score = 0 // not -0
	}
	return z.set.Add(member, score)
}

// encoding is the name OBJECT ENCODING reports.
func (z *zsetValue) encoding() string {
	if z.listpack {
		return "listpack"
	}
	return "skiplist"
}

// parseDouble parses a score as Redis's getDoubleFromObject does with
// strtod: the whole argument must be a decimal or hexadecimal number or an
// infinity, with no leading space; NaN, overflow, and underflow to zero
// are refused.
func parseDouble(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	f, ok, rangeErr := strtod(b)
	if !ok || math.IsNaN(f) || rangeErr {
		return 0, false
	}
	return f, true
}

// parseRangeDouble parses a score range bound as Redis's zslParseRange
// does with strtod: leading spaces are skipped, an empty argument is 0,
// out-of-range values become infinities or zero; only what is not a
// number, or NaN, is refused.
func parseRangeDouble(b []byte) (float64, bool) {
	b = []byte(cstr(b)) // strtod stops at a NUL, and Redis accepts that
	for len(b) > 0 && isCSpace(b[0]) {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, true
	}
	f, ok, _ := strtod(b)
	if !ok || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// strtod parses all of b as C's strtod would, without leading spaces. ok
// is false for anything that is not a number; rangeErr reports an overflow
// to an infinity or an underflow to zero (C's ERANGE).
func strtod(b []byte) (f float64, ok, rangeErr bool) {
	s := string(b)
	body := s
	neg := false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	lower := strings.ToLower(body)
	if lower == "inf" || lower == "infinity" {
		if neg {
			return math.Inf(-1), true, false
		}
		return math.Inf(1), true, false
	}
	hex := len(lower) > 2 && lower[0] == '0' && lower[1] == 'x'
	if hex {
		if !validFloat(lower[2:], true) {
			return 0, false, false
		}
		if !strings.Contains(lower, "p") {
			s += "p0" // Go wants a binary exponent; C does not
		}
	} else if !validFloat(lower, false) {
		return 0, false, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
			return f, true, true
		}
		return 0, false, false
	}
	if f == 0 && nonzeroMantissa(lower, hex) {
		return f, true, true // a nonzero number too small for a double
	}
	return f, true, false
}

// nonzeroMantissa reports whether a number validFloat accepted has a
// nonzero digit before its exponent.
func nonzeroMantissa(lower string, hex bool) bool {
	mark := "e"
	if hex {
		lower, mark = lower[2:], "p"
	}
	mant, _, _ := strings.Cut(lower, mark)
	return strings.ContainsAny(mant, "123456789abcdef")
}

// formatScoreSkiplist formats a score as ZSCAN shows the scores of a
// skiplist, which Redis (7.0 as 8.x) prints with ld2string's "%.17Lg":
// integers of magnitude below 2^52 as integers, others with "%.17g";
// "-0" keeps its sign.
func formatScoreSkiplist(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0 && math.Signbit(f):
		return "-0"
	case f > -4503599627370495 && f < 4503599627370496 && f == math.Trunc(f):
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}

// listpackIntScore reports whether a listpack stores score as an integer
// (Redis's double2ll: an integral value of magnitude at most 2^62).
func listpackIntScore(f float64) (int64, bool) { return floatconv.Integer(f) }

// formatScoreListpack formats a score as a listpack holds it, the form
// ZSCAN shows the scores of a listpack in: an integer when
// listpackIntScore says so, else as Redis 7.2's d2string writes it
// (floatconv.Append: "0.1", "1e+20"; 7.0 wrote "%.17g").
func formatScoreListpack(f float64) string {
	if n, ok := listpackIntScore(f); ok {
		return strconv.FormatInt(n, 10)
	}
	return floatconv.Format(f)
}
