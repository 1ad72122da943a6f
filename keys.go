package pelican

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Every key Pelican writes starts with the name of the stream it serves,
// so that when the stream's name has a Redis Cluster hash tag ("{orders}")
// all of them share its slot and one MULTI/EXEC can touch them together.
// docs/keys.md lists them all.

// groupKeys names the keys of one stream and consumer group.
type groupKeys struct {
	stream, group, dlq string
}

// failures is the hash of failure records: field <id>, value a record
// (see failureRecord).
func (k groupKeys) failures() string { return k.stream + ":pelican:failures:" + k.group }

// workers is the hash of worker heartbeats: field <consumer>, value the
// Unix ms of its last heartbeat.
func (k groupKeys) workers() string { return k.stream + ":pelican:workers:" + k.group }

// counters is the hash of worker counters: field <consumer>, value its
// WorkerStats as of its last heartbeat (see encodeStats).
func (k groupKeys) counters() string { return k.stream + ":pelican:stats:" + k.group }

// deadMarker is set, with a TTL, when message id is moved to the
// dead-letter stream, so that two workers racing on it move it once.
func (k groupKeys) deadMarker(id string) string {
	return k.stream + ":pelican:dead:" + k.group + ":" + id
}

// doneMarker records, with a TTL, that message id was processed in
// exactly-once mode.
func (k groupKeys) doneMarker(id string) string {
	return k.stream + ":pelican:done:" + k.group + ":" + id
}

// idempotencyMarker remembers, with a TTL, the ID a deduplicated publish
// added (on servers without XADD IDMP).
func idempotencyMarker(stream, key string) string { return stream + ":pelican:idem:" + key }

// ReservedPrefix starts the names of the fields Pelican adds to messages
// (dead-letter metadata). Publishing refuses fields with it, so they can
// never collide with the user's.
const ReservedPrefix = "pelican:"

// ErrCrossSlot means a stream and the keys Pelican derives from it would
// live in different Redis Cluster slots.
var ErrCrossSlot = errors.New("pelican: keys would span Redis Cluster slots")

// ErrNoStream means a stream that an operation reads does not exist. The
// operations packages return it wrapped with the stream's name
// (trim.ErrNoStream and monitor.ErrNoStream are this same value).
var ErrNoStream = errors.New("pelican: no such stream")

// ErrWrongType means a key that Pelican reads or writes as a stream (or
// as one of its own hashes) holds another type: Redis's WRONGTYPE. The
// operations packages return it wrapped with the key's name
// (dlq.ErrWrongType, trim.ErrWrongType and monitor.ErrWrongType are this
// same value).
var ErrWrongType = errors.New("pelican: the key holds another type")

// HashTag returns the part of key Redis Cluster hashes: the text between
// the first '{' and the next '}', when not empty; else the whole key. Keys
// with the same hash tag share a slot.
func HashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

// checkSlots verifies, on a cluster client, that the stream and its
// dead-letter stream hash to the same slot, which holds if the stream's
// name has a hash tag and the dead-letter stream's has the same one.
func checkSlots(rdb redis.UniversalClient, stream, dlq string) error {
	if _, cluster := rdb.(*redis.ClusterClient); !cluster {
		return nil
	}
	tag := HashTag(stream)
	if tag == stream {
		return fmt.Errorf("%w: on Redis Cluster name the stream with a hash tag, such as {%s}, so that %s:dlq and Pelican's other keys share its slot", ErrCrossSlot, stream, "{"+stream+"}")
	}
	if HashTag(dlq) != tag {
		return fmt.Errorf("%w: dead-letter stream %q must carry the stream's hash tag {%s}", ErrCrossSlot, dlq, tag)
	}
	return nil
}
