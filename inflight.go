package pelican

import "sync"

// inFlight is the set of messages a worker owns: read, claimed or
// recovered, and not yet settled. Owning a message means:
//
//   - the worker's own retry scan, claim pass and hand-over leave it
//     alone, so that the worker never runs two copies of one message at
//     once (but for a handler the watchdog abandoned, which Go cannot
//     stop: its message is retried while it runs);
//   - once the worker holds it (it was read, or claimed to be run), the
//     worker's heartbeats keep resetting its idle time, so that no other
//     worker claims it as abandoned. A message owned but still waiting to
//     be claimed (a retry due, a suspect to recover: see retry.go and
//     recover.go) is not covered: another worker may still take it, and
//     the claim, with the idle time it was listed with as its bar, then
//     leaves it to that worker;
//   - it stays owned after its handler finished until its outcome (the
//     acknowledgement, a failure record, the dead-letter move) has
//     reached the server: until then it is still pending, and a retry
//     scan would take a finished message for a failed one.
//
// A message is released by the settler once its outcome is written, when
// it is given back, or when its handler is abandoned.
//
// Messages of a read come in batches and are owned a batch at a time (one
// map operation per read rather than per message); the others (retries,
// claims, recovered messages) one by one. Its lock is a leaf: nothing is
// locked while holding it.
type inFlight struct {
	mu sync.Mutex
	// batches are the read batches with messages still owned; a message of
	// one is owned while its owned flag is set.
	batches map[*readBatch]struct{}
	// single are the messages owned one by one, each true if heartbeats
	// cover it, false while it waits to be claimed.
	single map[string]bool
}

// readBatch is the messages of one read, owned together (see inFlight).
type readBatch struct {
	msgs []*Message
	live int // messages of msgs still owned; guarded by inFlight.mu
}

func newInFlight() *inFlight {
	return &inFlight{batches: make(map[*readBatch]struct{}), single: make(map[string]bool)}
}

// addBatch owns the messages of a read, none of which can be owned
// already: a read with ">" returns only messages never delivered before.
func (f *inFlight) addBatch(msgs []*Message) {
	if len(msgs) == 0 {
		return
	}
	b := &readBatch{msgs: msgs, live: len(msgs)}
	for _, m := range msgs {
		m.batch, m.owned = b, true
	}
	f.mu.Lock()
	f.batches[b] = struct{}{}
	f.mu.Unlock()
}

// add owns the messages of msgs that are not owned already, covered by
// heartbeats, and returns them (filtered in place). A message owned
// already is being handled: the worker's read claims, retry scan and
// claim pass may each pick one that another of them has just taken, and
// the first to own it handles it.
func (f *inFlight) add(msgs []*Message) []*Message {
	owned := msgs[:0]
	f.mu.Lock()
	held := f.batchIDsLocked()
	for _, m := range msgs {
		if f.ownsLocked(m.ID, held) {
			continue
		}
		f.single[m.ID] = true
		m.owned = true
		owned = append(owned, m)
	}
	f.mu.Unlock()
	return owned
}

// tryAdd owns id, not covered by heartbeats until cover is called, if it
// is not owned; it reports whether it did.
func (f *inFlight) tryAdd(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ownsLocked(id, f.batchIDsLocked()) {
		return false
	}
	f.single[id] = false
	return true
}

// cover makes heartbeats cover id, owned with tryAdd, now that the worker
// has claimed it.
func (f *inFlight) cover(id string) {
	f.mu.Lock()
	if _, ok := f.single[id]; ok {
		f.single[id] = true
	}
	f.mu.Unlock()
}

// release ends the ownership of msgs; messages not owned are skipped.
func (f *inFlight) release(msgs ...*Message) {
	if len(msgs) == 0 {
		return
	}
	f.mu.Lock()
	for _, m := range msgs {
		f.releaseLocked(m)
	}
	f.mu.Unlock()
}

func (f *inFlight) releaseLocked(m *Message) {
	if !m.owned {
		return
	}
	m.owned = false
	if b := m.batch; b != nil {
		if b.live--; b.live == 0 {
			delete(f.batches, b)
		}
		return
	}
	delete(f.single, m.ID)
}

// releaseID ends the ownership of a message owned one by one by ID (see
// tryAdd).
func (f *inFlight) releaseID(id string) {
	f.mu.Lock()
	delete(f.single, id)
	f.mu.Unlock()
}

// owned returns the set of IDs owned now; with coveredOnly, only those
// heartbeats cover (the messages the worker holds).
func (f *inFlight) owned(coveredOnly bool) map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := f.batchIDsLocked()
	if ids == nil {
		ids = make(map[string]bool, len(f.single))
	}
	for id, covered := range f.single {
		if covered || !coveredOnly {
			ids[id] = true
		}
	}
	return ids
}

// len returns how many messages are owned.
func (f *inFlight) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.single)
	for b := range f.batches {
		n += b.live
	}
	return n
}

// batchIDsLocked returns the IDs of the batch-owned messages, nil if
// there are none. f.mu must be held.
func (f *inFlight) batchIDsLocked() map[string]bool {
	if len(f.batches) == 0 {
		return nil
	}
	ids := make(map[string]bool)
	for b := range f.batches {
		for _, m := range b.msgs {
			if m.owned {
				ids[m.ID] = true
			}
		}
	}
	return ids
}

// ownsLocked reports whether id is owned, given the IDs batchIDsLocked
// returned. f.mu must be held.
func (f *inFlight) ownsLocked(id string, batchIDs map[string]bool) bool {
	_, ok := f.single[id]
	return ok || batchIDs[id]
}
