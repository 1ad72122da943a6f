package dlq

import (
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
)

// Entry is one message in a dead-letter stream: the dead letter as the
// worker wrote it (pelican.DeadLetter: its ID in the dead-letter stream,
// its own fields in Values, and its metadata), with what the operations
// API adds.
type Entry struct {
	pelican.DeadLetter
	// Fingerprint is Error normalised (see Fingerprint).
	Fingerprint string
	// Malformed lists the metadata fields that were missing or could not
	// be parsed: an entry written by hand, or by something else than
	// Pelican (see pelican.ParseDeadLetter). Such an entry is still
	// listed, counted and deletable; operations that need a missing field
	// say so in their errors.
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
	var e Entry
	var err error
	if values {
		e.DeadLetter, err = pelican.ParseDeadLetter(m)
	} else {
		e.DeadLetter, err = pelican.ParseDeadLetterMeta(m)
	}
	var malformed *pelican.MalformedDeadLetterError
	if errors.As(err, &malformed) {
		e.Malformed = malformed.Fields
	}
	return e
}
