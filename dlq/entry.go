package dlq

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/streamid"
)

// Entry is one message in a dead-letter stream.
type Entry struct {
	// ID is the entry's ID in the dead-letter stream.
	ID string
	// Values are the message's own fields, without the metadata.
	Values map[string]string
	// OriginalID, Stream and Group say where it came from; Consumer which
	// worker moved it.
	OriginalID, Stream, Group, Consumer string
	// Deliveries is its delivery count when it was moved.
	Deliveries int64
	// FirstFailure, LastFailure and DeadAt are when it first and last
	// failed and when it was moved.
	FirstFailure, LastFailure, DeadAt time.Time
	// Error and Class describe its last failure.
	Error, Class string
	// Redrives counts the times it was sent back to its stream before.
	Redrives int64
	// Fingerprint is Error normalised (see Fingerprint).
	Fingerprint string
	// Malformed lists the metadata fields that were missing or could not
	// be parsed: an entry written by hand, or by something else than
	// Pelican. Such an entry is still listed, counted and deletable;
	// operations that need a missing field say so in their errors.
	Malformed []string
	// Reprocessed, when not nil, records the failed attempts to reprocess
	// the entry in place (see Queue.Reprocess). Get and List fill it in;
	// entries passed to other callbacks leave it nil unless documented.
	Reprocessed *Note
}

// parseEntry reads a dead-letter stream entry. Missing or malformed
// metadata never fails: the fields keep their zero values and are listed
// in Malformed. DeadAt falls back to the time in the entry's ID.
func parseEntry(m redis.XMessage) Entry {
	e := parseMeta(m, true)
	e.Fingerprint = Fingerprint(e.Error)
	return e
}

// parseMeta is parseEntry without the fingerprint, and without Values
// unless values is set: the parts a pass over a whole stream (Stats,
// Failures) needs of every entry.
func parseMeta(m redis.XMessage, values bool) Entry {
	e := Entry{ID: m.ID}
	if values {
		e.Values = make(map[string]string, len(m.Values))
	}
	// The metadata, looked up by a linear search: cheaper than a map for
	// a dozen fields, and this runs for every entry of a whole-stream pass.
	var buf [16]struct{ k, v string }
	meta := buf[:0]
	for k, v := range m.Values {
		s, ok := v.(string)
		if !ok {
			s = toString(v)
		}
		if strings.HasPrefix(k, pelican.ReservedPrefix) {
			meta = append(meta, struct{ k, v string }{k, s})
		} else if values {
			e.Values[k] = s
		}
	}
	get := func(field string) (string, bool) {
		for _, kv := range meta {
			if kv.k == field {
				return kv.v, true
			}
		}
		return "", false
	}
	str := func(field string, into *string) {
		v, ok := get(field)
		if !ok {
			e.Malformed = append(e.Malformed, field)
		}
		*into = v
	}
	num := func(field string, into *int64) bool {
		v, ok := get(field)
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			e.Malformed = append(e.Malformed, field)
			return false
		}
		*into = n
		return true
	}
	ms := func(field string, into *time.Time) bool {
		var n int64
		if !num(field, &n) {
			return false
		}
		*into = time.UnixMilli(n)
		return true
	}
	str(pelican.FieldOriginalID, &e.OriginalID)
	str(pelican.FieldOriginalStream, &e.Stream)
	str(pelican.FieldGroup, &e.Group)
	str(pelican.FieldConsumer, &e.Consumer)
	num(pelican.FieldDeliveries, &e.Deliveries)
	ms(pelican.FieldFirstFailure, &e.FirstFailure)
	ms(pelican.FieldLastFailure, &e.LastFailure)
	str(pelican.FieldError, &e.Error)
	str(pelican.FieldErrorClass, &e.Class)
	if _, ok := get(pelican.FieldRedrives); ok {
		num(pelican.FieldRedrives, &e.Redrives)
	} // absent means never redriven: not malformed
	if !ms(pelican.FieldDeadAt, &e.DeadAt) {
		if id, ok := streamid.Parse(m.ID); ok {
			e.DeadAt = id.Time()
		}
	}
	return e
}

// toString renders a value go-redis returned (always a string for
// stream fields, but be lenient).
func toString(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(v)
}
