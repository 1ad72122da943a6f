// Package stream is Pelican's stream engine core: stream entries packed in
// listpack nodes, consumer groups, consumers and the Pending Entries List
// (PEL), with Redis's semantics.
//
// The package does no I/O and never reads the clock: every operation that
// depends on time takes the current time, in Unix milliseconds, as an
// argument, and every ID it stores was resolved by the caller. Each change
// is therefore a deterministic function of its arguments, which is what a
// replayable log needs, and tests can advance time by passing a larger
// number.
//
// A Stream is not safe for concurrent use; the engine serialises access.
package stream

import (
	"strconv"

	"github.com/pelicanhq/pelican/internal/intconv"
)

// ID is a stream entry ID: milliseconds and a sequence number. IDs order
// first by Ms, then by Seq.
type ID struct {
	Ms, Seq uint64
}

// Well-known IDs.
var (
	MinID = ID{0, 0}
	MaxID = ID{^uint64(0), ^uint64(0)}
)

// Compare returns -1, 0 or +1 as a is less than, equal to, or greater
// than b.
func (a ID) Compare(b ID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
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

// IsZero reports whether a is 0-0.
func (a ID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Incr returns the ID that follows a, and false if a is the maximum ID.
func (a ID) Incr() (ID, bool) {
	switch {
	case a.Seq < ^uint64(0):
		return ID{a.Ms, a.Seq + 1}, true
	case a.Ms < ^uint64(0):
		return ID{a.Ms + 1, 0}, true
	}
	return ID{}, false
}

// Decr returns the ID that precedes a, and false if a is 0-0.
func (a ID) Decr() (ID, bool) {
	switch {
	case a.Seq > 0:
		return ID{a.Ms, a.Seq - 1}, true
	case a.Ms > 0:
		return ID{a.Ms - 1, ^uint64(0)}, true
	}
	return ID{}, false
}

// String formats the ID as "<ms>-<seq>".
func (a ID) String() string { return string(a.Append(nil)) }

// Append appends the "<ms>-<seq>" form of the ID to b.
func (a ID) Append(b []byte) []byte {
	b = strconv.AppendUint(b, a.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.Seq, 10)
}

// ParseMode says which special forms ParseID accepts.
type ParseMode int

const (
	// Loose accepts "-" (0-0) and "+" (the maximum ID).
	Loose ParseMode = iota
	// Strict rejects "-" and "+".
	Strict
)

// ParsedID is the result of ParseID.
type ParsedID struct {
	ID ID
	// SeqGiven is false for the "<ms>-*" form, which ParseID accepts only
	// with allowSeqStar, and for which the caller generates the sequence.
	SeqGiven bool
}

// ParseID parses a stream ID the way Redis reads one from a command: either
// "<ms>-<seq>" or "<ms>", in which case the sequence is missingSeq. In
// Loose mode "-" and "+" mean the minimum and maximum IDs. With
// allowSeqStar, "<ms>-*" is accepted and reported with SeqGiven false.
func ParseID(b []byte, missingSeq uint64, mode ParseMode, allowSeqStar bool) (ParsedID, bool) {
	if len(b) > 127 {
		return ParsedID{}, false
	}
	// Redis parses a C string copy: a NUL ends it.
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if mode == Strict {
			return ParsedID{}, false
		}
		if b[0] == '-' {
			return ParsedID{MinID, true}, true
		}
		return ParsedID{MaxID, true}, true
	}
	msPart, seqPart, hasDash := b, []byte(nil), false
	for i, c := range b {
		if c == '-' {
			msPart, seqPart, hasDash = b[:i], b[i+1:], true
			break
		}
	}
	ms, ok := ParseUint(msPart)
	if !ok {
		return ParsedID{}, false
	}
	if !hasDash {
		return ParsedID{ID{ms, missingSeq}, true}, true
	}
	if allowSeqStar && len(seqPart) == 1 && seqPart[0] == '*' {
		return ParsedID{ID{ms, 0}, false}, true
	}
	seq, ok := ParseUint(seqPart)
	if !ok {
		return ParsedID{}, false
	}
	return ParsedID{ID{ms, seq}, true}, true
}

// ParseUint parses an unsigned 64-bit integer as Redis's string2ull does:
// strictly canonical decimal first, and failing that, with the leniency of
// C's strtoull (leading white space, a sign, leading zeros), rejecting
// overflow and trailing garbage.
func ParseUint(b []byte) (uint64, bool) {
	if v, ok := intconv.ParseInt(b); ok {
		if v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if v > (^uint64(0)-d)/10 {
			overflow = true
		}
		v = v*10 + d
	}
	if i == start || i != len(b) || overflow || len(b) == 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}
