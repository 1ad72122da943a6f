package engine

import (
	"errors"
	"strconv"
	"strings"
)

// The memory accounting and the maxmemory limit.
//
// used_memory is an accounting of the bytes the data holds, kept as
// commands change it, not a reading of the Go heap: it costs a load to
// check before every write, it belongs to this engine alone (an
// application embedding the engine, or a test process running several,
// does not count against it), and it goes down as soon as consumers
// delete, where the heap waits for the garbage collector. Each key
// carries the size it was last measured at (object.size, the figure
// MEMORY USAGE reports); each keyspace the sum of its keys' sizes.
//
// A write command records the keys it looks up or stores; when it ends,
// each is measured again (objectSize takes constant time, or time
// proportional to a stream's consumer groups) and the difference is added
// to the sums. Deleting or replacing a key subtracts its size at once.
//
// With maxmemory set and the sum above it, the policy is noeviction, the
// only one Pelican offers: commands that may grow the data (Redis's
// denyoom flag) are refused with errOOM, while reads, acknowledgements
// and deletions run, so that consumers can drain the backlog.

// errOOM is Redis's reply to a command refused for maxmemory.
const errOOM = "OOM command not allowed when used memory > 'maxmemory'."

// memory is the engine's memory accounting. Engine.mu guards it.
type memory struct {
	// used is the sum of every keyspace's used; peak its largest value.
	used, peak int64
	// limit is maxmemory in bytes; 0 means no limit.
	limit uint64
	// oomAtStart says whether used was above limit when the running
	// top-level command started: a script may then not start writing
	// with a denyoom command (Redis's pre_command_oom_state).
	oomAtStart bool
	// collecting counts the write commands under way; while it is
	// positive, the keys looked up or stored are recorded in touched,
	// to be measured when the outermost one ends. A key aliases the
	// command's arguments, which outlive the command.
	collecting int
	touched    []touchedKey
	// reshaped says that a key was added or removed since collecting
	// began: a touched key's object may then no longer be the one under
	// its name, and endWriteLocked looks each up again. Otherwise (the
	// common case: XADD to an existing stream) it measures the objects
	// recorded, without a lookup.
	reshaped bool
}

// touchedKey is a key a write command touched, with the object found
// under it (nil if the key was being stored).
type touchedKey struct {
	db  *keyspace
	key []byte
	o   *object
}

// outOfMemoryLocked reports whether maxmemory is set and exceeded.
func (e *Engine) outOfMemoryLocked() bool {
	return e.mem.limit > 0 && e.mem.used >= 0 && uint64(e.mem.used) > e.mem.limit
}

// beginWriteLocked starts recording the keys a write command touches.
func (e *Engine) beginWriteLocked() { e.mem.collecting++ }

// endWriteLocked measures the keys the write command touched again.
func (e *Engine) endWriteLocked() {
	m := &e.mem
	m.collecting--
	if m.collecting > 0 {
		return
	}
	for i, t := range m.touched {
		o := t.o
		if m.reshaped || o == nil {
			o = t.db.keys[string(t.key)]
		}
		if o != nil {
			e.measureLocked(t.db, t.key, o)
		}
		m.touched[i] = touchedKey{}
	}
	m.touched = m.touched[:0]
	m.reshaped = false
}

// touchedLocked records that the running write command may change key,
// which holds o.
func (e *Engine) touchedLocked(db *keyspace, key []byte, o *object) {
	m := &e.mem
	if m.collecting == 0 {
		return
	}
	if n := len(m.touched); n > 0 && m.touched[n-1].o == o && !m.reshaped {
		return // looked up again: measured once is enough
	}
	m.touched = append(m.touched, touchedKey{db, key, o})
}

// measureLocked sets key's accounted size to what its value holds now.
func (e *Engine) measureLocked(db *keyspace, key []byte, o *object) {
	size := int64(len(key) + objectSize(o))
	if d := size - o.size; d != 0 {
		o.size = size
		db.used += d
		e.mem.used += d
		if e.mem.used > e.mem.peak {
			e.mem.peak = e.mem.used
		}
	}
}

// accountNewLocked counts a value just stored under key: at once, or,
// inside a write command, when the command ends and the value is
// complete.
func (e *Engine) accountNewLocked(db *keyspace, key []byte, o *object) {
	if e.mem.collecting > 0 {
		e.mem.touched = append(e.mem.touched, touchedKey{db: db, key: key})
		e.mem.reshaped = true
		return
	}
	e.measureLocked(db, key, o)
}

// forgetLocked subtracts the size of a value leaving the keyspace.
func (e *Engine) forgetLocked(db *keyspace, o *object) {
	e.mem.reshaped = true
	db.used -= o.size
	e.mem.used -= o.size
	o.size = 0
}

// forgetAllLocked subtracts the size of a keyspace being emptied.
func (e *Engine) forgetAllLocked(db *keyspace) {
	e.mem.reshaped = true
	e.mem.used -= db.used
	db.used = 0
}

// refuseForMemory reports whether the command must be refused because
// maxmemory is exceeded, as Redis's processCommand decides: a command
// flagged denyoom, an EXEC whose transaction holds one, and inside MULTI
// any command but those ending the transaction, since queueing takes
// memory too. It also records the state for scripts. Replaying the
// data files at start is never refused: that data was accepted already.
func (c *Client) refuseForMemory(cmd *Command) bool {
	e := c.e
	if e.mem.limit == 0 || e.loading {
		e.mem.oomAtStart = false
		return false
	}
	oom := e.outOfMemoryLocked()
	e.mem.oomAtStart = oom
	if !oom {
		return false
	}
	if cmd.denyOOM {
		return true
	}
	if cmd.parent == nil {
		switch cmd.Name {
		case "exec":
			for _, q := range c.queued {
				if q.cmd.denyOOM {
					return true
				}
			}
			return false
		case "discard", "quit", "reset":
			return false
		}
	}
	return c.inMulti
}

// maxmemoryPolicies are the values Redis accepts for maxmemory-policy.
var maxmemoryPolicies = []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
	"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}

// maxmemoryPolicySetting accepts noeviction, in any case, as Redis
// accepts its policy names. Redis's other policies evict keys, which
// would silently drop a queue's messages: they are refused with a reason.
func maxmemoryPolicySetting(e *Engine, v []byte) (func(), string) {
	for _, p := range maxmemoryPolicies {
		if !strings.EqualFold(string(v), p) {
			continue
		}
		if p != "noeviction" {
			return nil, "Pelican supports only the noeviction policy: evicting keys would drop queued messages"
		}
		return func() {}, ""
	}
	return nil, "argument(s) must be one of the following: " + strings.Join(maxmemoryPolicies, ", ")
}

// maxmemorySetting parses maxmemory as Redis does: a memory value from 0
// up to the largest unsigned 64-bit number.
func maxmemorySetting(e *Engine, v []byte) (func(), string) {
	n, ok := parseMemory(v)
	if !ok {
		return nil, "argument must be a memory value"
	}
	return func() { e.mem.limit = n }, ""
}

// ParseMemory parses a byte count with Redis's memory units ("100mb",
// "1g", "4096"), as redis.conf and CONFIG SET maxmemory take them.
func ParseMemory(s string) (uint64, error) {
	n, ok := parseMemory([]byte(s))
	if !ok || s == "" {
		return 0, errors.New("engine: " + strconv.Quote(s) + " is not a memory value (a number of bytes, optionally followed by k, kb, m, mb, g or gb)")
	}
	return n, nil
}
