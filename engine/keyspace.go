package engine

import (
	"github.com/cespare/xxhash/v2"
	"github.com/google/btree"

	"github.com/pelicanhq/pelican/stream"
)

// kind is the type of a value, as TYPE names it.
type kind uint8

const (
	kindString kind = iota + 1
	kindList
	kindSet
	kindHash
	kindStream
	kindZset
)

func (k kind) String() string {
	switch k {
	case kindString:
		return "string"
	case kindList:
		return "list"
	case kindSet:
		return "set"
	case kindHash:
		return "hash"
	case kindStream:
		return "stream"
	case kindZset:
		return "zset"
	}
	return "none"
}

// object is a value in a keyspace. Exactly one of the value fields is set,
// the one kind names.
type object struct {
	kind   kind
	str    []byte
	list   *listValue
	set    *setValue
	hash   *hashValue
	stream *stream.Stream
	zset   *zsetValue
	// size is the key's and the value's size as last measured, counted in
	// the keyspace's used (see maxmemory.go).
	size int64
}

// scanKey orders keys by a hash of their name so that SCAN's cursor (a hash
// value) stays valid while keys come and go: a key present for a whole scan
// is returned at least once.
type scanKey struct {
	h   uint64
	key string
}

func scanKeyLess(a, b scanKey) bool {
	if a.h != b.h {
		return a.h < b.h
	}
	return a.key < b.key
}

// scanHash returns the SCAN order of a key; never zero, since cursor 0
// means "start".
func scanHash(key string) uint64 { return xxhash.Sum64String(key) | 1 }

// keyspace is one of the sixteen databases.
type keyspace struct {
	id      int
	keys    map[string]*object
	expires map[string]int64 // Unix ms at which the key expires
	// order holds the keys in SCAN order. It is built by the first SCAN or
	// KEYS and kept up to date from then on: workloads that never scan do
	// not pay for it on every new key.
	order *btree.BTreeG[scanKey]

	// watchers lists the clients that WATCH each key.
	watchers map[string][]*Client
	// blocking holds the clients blocked on each key.
	blocking map[string]*keyWaiters
	// used is the sum of the keys' sizes (object.size).
	used int64
}

func newKeyspace(id int) *keyspace {
	return &keyspace{
		id:       id,
		keys:     make(map[string]*object),
		expires:  make(map[string]int64),
		watchers: make(map[string][]*Client),
		blocking: make(map[string]*keyWaiters),
	}
}

// isExpiredLocked reports whether key has a TTL that has passed.
func (e *Engine) isExpiredLocked(db *keyspace, key string) bool {
	if e.loading {
		return false
	}
	at, ok := db.expires[key]
	return ok && at <= e.nowMs()
}

// expireIfNeededLocked deletes key if its TTL has passed and reports
// whether it did.
func (e *Engine) expireIfNeededLocked(db *keyspace, key string) bool {
	if e.loading {
		return false
	}
	at, ok := db.expires[key]
	if !ok || at > e.nowMs() {
		return false
	}
	e.expireKeyLocked(db, key)
	return true
}

// expireKeyLocked deletes an expired key.
func (e *Engine) expireKeyLocked(db *keyspace, key string) {
	e.deleteLocked(db, key)
	e.stats.expiredKeys++
	if e.fx.recording() {
		e.propagateLocked(db.id, []byte("DEL"), []byte(key))
	}
}

// lookupReadLocked returns the live value of key, counting a keyspace hit
// or miss.
func (e *Engine) lookupReadLocked(db *keyspace, key []byte) *object {
	o := e.lookupLocked(db, key)
	if o == nil {
		e.stats.keyspaceMisses++
	} else {
		e.stats.keyspaceHits++
	}
	return o
}

// lookupLocked returns the live value of key, deleting it first if it
// expired.
func (e *Engine) lookupLocked(db *keyspace, key []byte) *object {
	o := db.keys[string(key)]
	if o == nil {
		return nil
	}
	if len(db.expires) > 0 && e.expireIfNeededLocked(db, string(key)) {
		return nil
	}
	e.touchedLocked(db, key, o)
	return o
}

// addLocked stores a value under a key that does not exist.
func (e *Engine) addLocked(db *keyspace, key []byte, o *object) {
	k := string(key)
	db.keys[k] = o
	if db.order != nil {
		db.order.ReplaceOrInsert(scanKey{scanHash(k), k})
	}
	e.accountNewLocked(db, key, o)
	e.signalKeyAsReadyLocked(db, key)
}

// overwriteLocked replaces the value of an existing key, keeping its TTL
// only if keepTTL is set.
func (e *Engine) overwriteLocked(db *keyspace, key []byte, o *object, keepTTL bool) {
	k := string(key)
	old := db.keys[k]
	if old != nil && db.blocking[k] != nil {
		e.signalDeletedKeyAsReadyLocked(db, k)
	}
	db.keys[k] = o
	if old != nil {
		e.forgetLocked(db, old)
	}
	e.accountNewLocked(db, key, o)
	if !keepTTL {
		delete(db.expires, k)
	}
}

// setKeyLocked stores a value whether or not the key exists (SET's
// semantics), and signals the change to watchers.
func (e *Engine) setKeyLocked(db *keyspace, key []byte, o *object, keepTTL bool) {
	if db.keys[string(key)] != nil {
		e.overwriteLocked(db, key, o, keepTTL)
	} else {
		e.addLocked(db, key, o)
	}
	e.touchLocked(db, key)
}

// deleteLocked removes a key and reports whether it existed. It wakes
// blocked XREADGROUP callers on the key and touches watchers.
func (e *Engine) deleteLocked(db *keyspace, key string) bool {
	o, ok := db.keys[key]
	if !ok {
		return false
	}
	e.forgetLocked(db, o)
	delete(db.keys, key)
	delete(db.expires, key)
	if db.order != nil {
		db.order.Delete(scanKey{scanHash(key), key})
	}
	if db.blocking[key] != nil {
		e.signalDeletedKeyAsReadyLocked(db, key)
	}
	e.touchLocked(db, []byte(key))
	return true
}

// deleteIfEmptyLocked removes a container that became empty, as Redis
// does for lists, sets, hashes and sorted sets.
func (e *Engine) deleteIfEmptyLocked(db *keyspace, key []byte, o *object) {
	empty := false
	switch o.kind {
	case kindList:
		empty = o.list.len() == 0
	case kindSet:
		empty = o.set.len() == 0
	case kindHash:
		empty = o.hash.len() == 0
	case kindZset:
		empty = o.zset.set.Len() == 0
	}
	if empty {
		e.deleteLocked(db, string(key))
	}
}

// touchLocked marks the clients watching key as dirty, so that their EXEC
// fails (Redis's signalModifiedKey).
func (e *Engine) touchLocked(db *keyspace, key []byte) {
	if len(db.watchers) == 0 {
		return
	}
	ws := db.watchers[string(key)]
	for _, c := range ws {
		w := c.watchOf(db, key)
		if w != nil && w.expired {
			// The key had already expired when it was watched: deleting
			// it is logically no change.
			if _, exists := db.keys[string(key)]; !exists {
				w.expired = false
				continue
			}
		}
		c.dirtyCAS = true
	}
}

// flushLocked empties a database.
func (e *Engine) flushLocked(db *keyspace) {
	// Watchers of keys that exist see the flush as a change.
	for k := range db.watchers {
		if _, ok := db.keys[k]; ok {
			for _, c := range db.watchers[k] {
				c.dirtyCAS = true
			}
		}
	}
	for k := range db.blocking {
		if _, ok := db.keys[k]; ok {
			e.signalDeletedKeyAsReadyLocked(db, k)
		}
	}
	db.keys = make(map[string]*object)
	db.expires = make(map[string]int64)
	db.order = nil
	e.forgetAllLocked(db)
}

// scanOrder returns the keys in SCAN order, building the index on first
// use.
func (db *keyspace) scanOrder() *btree.BTreeG[scanKey] {
	if db.order == nil {
		db.order = btree.NewG(32, scanKeyLess)
		for k := range db.keys {
			db.order.ReplaceOrInsert(scanKey{scanHash(k), k})
		}
	}
	return db.order
}

// setExpireLocked sets key's expiry to the Unix time at, in ms.
func (e *Engine) setExpireLocked(db *keyspace, key []byte, at int64) {
	db.expires[string(key)] = at
}
