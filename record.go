package pelican

import (
	"strconv"
	"strings"
	"time"
)

// failureRecord is what Pelican remembers about a message's failures, in
// the group's failures hash (see docs/keys.md); the PEL itself only holds
// the delivery count and the time of the last delivery.
//
// Encoded as "1|<first ms>|<last ms>|<retry-at ms>|<class>|<error>": the
// version, the Unix ms of the first and the latest failure, when the next
// attempt is due, the latest failure's class and error text (last, since
// it may contain '|'). A failure with a stack (a panic) is encoded as
// version 2, "2|<first ms>|<last ms>|<retry-at ms>|<class>|<error
// length>|<error><stack>", the error's length in bytes telling where the
// stack begins. Readers take both.
type failureRecord struct {
	First, Last time.Time
	RetryAt     time.Time
	Class       string
	Err         string
	// Stack is the bounded stack of a panic, "" for other failures.
	Stack string
}

func (r *failureRecord) encode() string {
	var b strings.Builder
	b.Grow(40 + len(r.Class) + len(r.Err) + len(r.Stack))
	if r.Stack == "" {
		b.WriteString("1|")
	} else {
		b.WriteString("2|")
	}
	b.WriteString(strconv.FormatInt(r.First.UnixMilli(), 10))
	b.WriteByte('|')
	b.WriteString(strconv.FormatInt(r.Last.UnixMilli(), 10))
	b.WriteByte('|')
	b.WriteString(strconv.FormatInt(r.RetryAt.UnixMilli(), 10))
	b.WriteByte('|')
	b.WriteString(r.Class)
	b.WriteByte('|')
	if r.Stack != "" {
		b.WriteString(strconv.Itoa(len(r.Err)))
		b.WriteByte('|')
	}
	b.WriteString(r.Err)
	b.WriteString(r.Stack)
	return b.String()
}

// decodeFailure parses a record; it reports false for anything malformed
// (which is then treated as absent).
func decodeFailure(s string) (*failureRecord, bool) {
	version, rest, ok := strings.Cut(s, "|")
	if !ok || version != "1" && version != "2" {
		return nil, false
	}
	parts := strings.SplitN(rest, "|", 5)
	if len(parts) != 5 {
		return nil, false
	}
	var ms [3]int64
	for i := range ms {
		v, err := strconv.ParseInt(parts[i], 10, 64)
		if err != nil {
			return nil, false
		}
		ms[i] = v
	}
	r := &failureRecord{
		First:   time.UnixMilli(ms[0]),
		Last:    time.UnixMilli(ms[1]),
		RetryAt: time.UnixMilli(ms[2]),
		Class:   parts[3],
		Err:     parts[4],
	}
	if version == "2" {
		n, text, ok := strings.Cut(parts[4], "|")
		length, err := strconv.Atoi(n)
		if !ok || err != nil || length < 0 || length > len(text) {
			return nil, false
		}
		r.Err, r.Stack = text[:length], text[length:]
	}
	return r, true
}

// crashRecord returns the record a recovered message carries while it is
// attempted (see recovery.attempt): if its worker dies during the
// attempt, the next one to recover it knows that the attempt was made.
// prev is its earlier record, if any.
func crashRecord(prev *failureRecord, now time.Time) *failureRecord {
	r := &failureRecord{First: now, Last: now, RetryAt: now, Class: ClassCrash, Err: crashText}
	if prev != nil {
		r.First = prev.First
	}
	return r
}

// crashText is the error text of a failure of class ClassCrash.
const crashText = "the worker stopped while handling the message (crashed, was killed or lost its host)"
