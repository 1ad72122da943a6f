package engine

import (
	"github.com/google/btree"

	"github.com/pelicanhq/pelican/stream"
)

// keyWaiters are the clients blocked on one key, arranged so that a change
// to the key finds the clients it can serve without looking at the others:
//
//   - XREAD clients are ordered by the ID they wait beyond (then by when
//     they blocked): the entries a stream has serve exactly a prefix of
//     that order.
//   - XREADGROUP clients (always waiting for ">") are queued per group,
//     first come first served: new entries serve the head of the queue,
//     then the next, for as long as the group has undelivered entries.
//
// Every waiter leaves in O(1) (a group queue) or O(log n) (the XREAD
// order), so a client served through one of its keys, timed out or
// disconnected costs nothing to the others.
//
// Invariants: n is the number of waiters in readers and in all groups; a
// keyWaiters with n == 0 is removed from its keyspace's blocking map; a
// group queue that empties is removed from groups.
type keyWaiters struct {
	readers *btree.BTreeG[*waiter] // XREAD clients; nil until the first
	groups  map[string]*waitQueue  // XREADGROUP clients by group name
	n       int
}

// waiter is a blocked client's place among the waiters of one key. A
// client blocked on several keys has one waiter on each; serving it
// through one key takes it off all of them.
type waiter struct {
	c   *Client
	key string
	// seq orders waiters by when their client blocked: lower came first.
	seq uint64
	// after is, for XREAD, the ID after which entries serve the client.
	after stream.ID
	// claim marks an XREADGROUP with CLAIM: idle pending entries of its
	// group serve it too.
	claim bool
	// queue is the group queue of an XREADGROUP waiter, nil for XREAD.
	queue *waitQueue
	// kw is the set the waiter belongs to, nil once it has left.
	kw         *keyWaiters
	prev, next *waiter // in queue
}

// waiterLess orders XREAD waiters by the ID they wait beyond, then by
// arrival.
func waiterLess(a, b *waiter) bool {
	if a.after != b.after {
		return a.after.Less(b.after)
	}
	return a.seq < b.seq
}

// waitQueue is the first-come-first-served queue of the XREADGROUP
// clients of one group on one key, doubly linked so that any of them
// leaves in O(1).
type waitQueue struct {
	group      string
	head, tail *waiter
	// claimers counts the waiters with CLAIM, which entries becoming idle
	// can serve out of turn; without any, a queue whose head cannot be
	// served has nobody to serve.
	claimers int
}

func (q *waitQueue) push(w *waiter) {
	w.queue = q
	w.prev, w.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = w
	} else {
		q.head = w
	}
	q.tail = w
	if w.claim {
		q.claimers++
	}
}

func (q *waitQueue) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		q.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		q.tail = w.prev
	}
	w.prev, w.next = nil, nil
	if w.claim {
		q.claimers--
	}
}

// add puts w among the waiters of key, creating the set if needed. group
// is XREADGROUP's group name, or nil for XREAD.
func (db *keyspace) addWaiter(w *waiter, group []byte) {
	kw := db.blocking[w.key]
	if kw == nil {
		kw = &keyWaiters{}
		db.blocking[w.key] = kw
	}
	w.kw = kw
	kw.n++
	if group == nil {
		if kw.readers == nil {
			kw.readers = btree.NewG(8, waiterLess)
		}
		kw.readers.ReplaceOrInsert(w)
		return
	}
	if kw.groups == nil {
		kw.groups = make(map[string]*waitQueue)
	}
	q := kw.groups[string(group)]
	if q == nil {
		q = &waitQueue{group: string(group)}
		kw.groups[q.group] = q
	}
	q.push(w)
}

// removeWaiter takes w off its key, dropping what becomes empty.
func (db *keyspace) removeWaiter(w *waiter) {
	kw := w.kw
	if kw == nil {
		return
	}
	if q := w.queue; q != nil {
		q.remove(w)
		if q.head == nil && kw.groups[q.group] == q {
			delete(kw.groups, q.group)
		}
	} else {
		kw.readers.Delete(w)
	}
	w.kw = nil
	kw.n--
	if kw.n == 0 && db.blocking[w.key] == kw {
		delete(db.blocking, w.key)
	}
}

// lowerAfter makes an XREAD waiter wait beyond an earlier ID, for a
// command that names its key twice.
func (w *waiter) lowerAfter(id stream.ID) {
	if w.queue != nil || !id.Less(w.after) {
		return
	}
	w.kw.readers.Delete(w)
	w.after = id
	w.kw.readers.ReplaceOrInsert(w)
}
