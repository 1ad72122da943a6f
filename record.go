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
// it may contain '|').
type failureRecord struct {
	First, Last time.Time
	RetryAt     time.Time
	Class       string
	Err         string
}

func (r *failureRecord) encode() string {
	var b strings.Builder
	b.WriteString("1|")
	b.WriteString(strconv.FormatInt(r.First.UnixMilli(), 10))
	b.WriteByte('|')
	b.WriteString(strconv.FormatInt(r.Last.UnixMilli(), 10))
	b.WriteByte('|')
	b.WriteString(strconv.FormatInt(r.RetryAt.UnixMilli(), 10))
	b.WriteByte('|')
	b.WriteString(r.Class)
	b.WriteByte('|')
	b.WriteString(r.Err)
	return b.String()
}

// decodeFailure parses a record; it reports false for anything malformed
// (which is then treated as absent).
func decodeFailure(s string) (*failureRecord, bool) {
	parts := strings.SplitN(s, "|", 6)
	if len(parts) != 6 || parts[0] != "1" {
		return nil, false
	}
	var ms [3]int64
	for i := range ms {
		v, err := strconv.ParseInt(parts[i+1], 10, 64)
		if err != nil {
			return nil, false
		}
		ms[i] = v
	}
	return &failureRecord{
		First:   time.UnixMilli(ms[0]),
		Last:    time.UnixMilli(ms[1]),
		RetryAt: time.UnixMilli(ms[2]),
		Class:   parts[4],
		Err:     parts[5],
	}, true
}
