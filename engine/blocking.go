package engine

import (
	"cmp"
	"slices"
	"time"

	"github.com/pelicanhq/pelican/stream"
)

// blockState is the state of a client blocked on stream keys (XREAD or
// XREADGROUP with BLOCK), or waiting for SAVE.
//
// A blocked client is served the way Redis 7.2 and later serve it: when
// one of its keys is signalled ready, its command runs again from the
// start, with "$" already replaced by the ID it stood for; if it finds
// nothing it blocks again, keeping its original deadline. Only the clients
// the change can serve are run again (see keyWaiters): an XADD that
// serves one XREADGROUP reader of a group costs the same whether one
// reader or thousands wait.
type blockState struct {
	cmd      *Command
	args     [][]byte // owned copy, with "$" rewritten
	db       *keyspace
	waits    []*waiter // one per distinct key
	deadline time.Time // zero: wait forever
	// claim is XREADGROUP's CLAIM min idle time, -1 without CLAIM.
	claim int64
	// pending is true while the client waits.
	pending bool
	// recheckAt, when not zero, is the Unix ms at which the command is run
	// again even if no key was signalled: XREADGROUP with CLAIM waits for
	// pending entries to become idle enough, as well as for new ones.
	recheckAt int64
}

// waitFor says what a blocked XREAD or XREADGROUP waits for on its keys.
type waitFor struct {
	// group is XREADGROUP's group name; nil for XREAD.
	group []byte
	// claim is XREADGROUP's CLAIM min idle time, -1 without CLAIM.
	claim int64
	// after, for XREAD, holds for each key the ID after which entries
	// serve the client.
	after []stream.ID
}

// readyKey is a key that got new data, or was deleted, while clients
// were blocked on it.
type readyKey struct {
	db  *keyspace
	key string
}

// blockLocked makes c wait on keys for what wf says (nil for a command
// woken by other means, such as SAVE). args is the command to run again
// when a key is ready. A command that blocks again while being re-run
// keeps its first deadline, but queues behind the clients already
// waiting.
func (e *Engine) blockLocked(c *Client, cmd *Command, args [][]byte, keys [][]byte, timeout time.Duration, wf *waitFor) {
	b := c.block
	if b == nil {
		b = &blockState{}
		if timeout > 0 {
			b.deadline = e.clock().Add(timeout)
		}
		c.block = b
	}
	b.cmd = cmd
	b.args = copyArgs(args)
	b.db = c.db
	b.claim = -1
	b.pending = true
	b.waits = b.waits[:0]
	e.blockSeq++
	if wf != nil {
		b.claim = wf.claim
		e.addWaitersLocked(c, keys, wf)
	}
	e.numBlocked++
}

// addWaitersLocked puts c among the waiters of each distinct key.
func (e *Engine) addWaitersLocked(c *Client, keys [][]byte, wf *waitFor) {
	b := c.block
keys:
	for i, k := range keys {
		var after stream.ID
		if wf.group == nil && i < len(wf.after) {
			after = wf.after[i]
		}
		for _, have := range b.waits {
			if have.key == string(k) {
				have.lowerAfter(after) // served as soon as either would be
				continue keys
			}
		}
		w := &waiter{c: c, key: string(k), seq: e.blockSeq, after: after, claim: wf.claim >= 0}
		c.db.addWaiter(w, wf.group)
		b.waits = append(b.waits, w)
	}
}

// unblockLocked removes c from the wait lists of its keys and ends its
// block.
func (e *Engine) unblockLocked(c *Client) {
	if b := c.block; b != nil && b.pending {
		e.leaveWaitListsLocked(c)
	}
	c.block = nil
}

// leaveWaitListsLocked takes a waiting client off the lists of its keys,
// keeping its block state.
func (e *Engine) leaveWaitListsLocked(c *Client) {
	b := c.block
	for _, w := range b.waits {
		b.db.removeWaiter(w)
	}
	clear(b.waits)
	b.waits = b.waits[:0]
	b.pending = false
	e.numBlocked--
}

// signalKeyAsReadyLocked queues key for serving the clients blocked on it.
// It takes the key as bytes, as commands have it: the key is copied into
// a string only when a client waits on it, not on every write.
func (e *Engine) signalKeyAsReadyLocked(db *keyspace, key []byte) {
	if db.blocking[string(key)] != nil {
		e.queueReadyLocked(db, string(key))
	}
}

// signalDeletedKeyAsReadyLocked queues a key that was deleted or replaced,
// if an XREADGROUP waits on it: it learns that its group is gone. XREAD
// callers keep waiting for a stream to appear under the key.
func (e *Engine) signalDeletedKeyAsReadyLocked(db *keyspace, key string) {
	if kw := db.blocking[key]; kw != nil && len(kw.groups) > 0 {
		e.queueReadyLocked(db, key)
	}
}

// queueReadyLocked adds a key that clients wait on to the ready keys,
// once.
func (e *Engine) queueReadyLocked(db *keyspace, key string) {
	rk := readyKey{db, key}
	if e.readySet[rk] {
		return
	}
	e.readySet[rk] = true
	e.readyKeys = append(e.readyKeys, rk)
}

// handleClientsBlockedOnKeysLocked serves the clients blocked on ready
// keys that the keys' state can serve, in the order they blocked,
// re-running their commands. Keys signalled while serving are handled in
// the same call.
func (e *Engine) handleClientsBlockedOnKeysLocked() {
	for len(e.readyKeys) > 0 {
		keys := e.readyKeys
		e.readyKeys = nil
		clear(e.readySet)
		for _, rk := range keys {
			e.serveKeyLocked(rk.db, rk.key)
		}
	}
}

// serveKeyLocked serves the clients blocked on one key that its state
// can serve. Clients that block while it runs (a re-run command finding
// nothing after all) are left for the next signal, so that it ends.
func (e *Engine) serveKeyLocked(db *keyspace, key string) {
	kw := db.blocking[key]
	if kw == nil {
		return
	}
	last := e.blockSeq // waiters with a later seq blocked during this call
	o := db.keys[key]
	if o != nil && e.isExpiredLocked(db, key) {
		o = nil
	}
	if o == nil || o.kind != kindStream {
		// XREADGROUP callers learn that the key is gone; XREAD callers
		// wait for a stream to appear.
		e.serveGroupsLocked(kw, nil, last)
		return
	}
	e.serveReadersLocked(kw, o.stream, last)
	e.serveGroupsLocked(kw, o.stream, last)
}

// serveReadersLocked serves the XREAD clients that s has entries for: a
// prefix of their order, served in the order they blocked.
func (e *Engine) serveReadersLocked(kw *keyWaiters, s *stream.Stream, last uint64) {
	if kw.readers == nil || kw.readers.Len() == 0 || s.Len() == 0 {
		return
	}
	top := s.LastValidID()
	var due []*waiter
	kw.readers.Ascend(func(w *waiter) bool {
		if !w.after.Less(top) {
			return false
		}
		if w.seq <= last {
			due = append(due, w)
		}
		return true
	})
	slices.SortFunc(due, func(a, b *waiter) int { return cmp.Compare(a.seq, b.seq) })
	for _, w := range due {
		if w.kw != nil { // not served through another key meanwhile
			e.serveBlockedLocked(w.c)
		}
	}
}

// serveGroupsLocked serves the XREADGROUP clients of each group queue
// while s has entries the group has not delivered, or, for clients with
// CLAIM, pending entries idle enough. With s nil (the key is gone or holds
// another type), or the group gone, every client of the queue is served:
// its command replies with the error.
func (e *Engine) serveGroupsLocked(kw *keyWaiters, s *stream.Stream, last uint64) {
	if len(kw.groups) == 0 {
		return
	}
	now := e.clock().UnixMilli()
	for name, q := range kw.groups {
		var g *stream.Group
		if s != nil {
			g = s.Group([]byte(name))
		}
		for w := q.head; w != nil && w.seq <= last; {
			// Serving w re-runs only w's command: the next waiter stays.
			next := w.next
			switch {
			case g == nil || s.Len() > 0 && g.LastID.Less(s.LastValidID()):
				e.serveBlockedLocked(w.c)
			case w.claim && claimableFrom(s, g, w.c.block.claim, now):
				e.serveBlockedLocked(w.c)
			case q.claimers == 0:
				next = nil // nothing left for anyone in this queue
			}
			w = next
		}
	}
}

// serveBlockedLocked re-runs a blocked client's command. Its reply goes to
// the client's served buffer; the client's own goroutine moves it to the
// connection when woken.
func (e *Engine) serveBlockedLocked(c *Client) {
	b := c.block
	cmd, args := b.cmd, b.args
	// Leave the wait lists, but keep the state so that the deadline
	// survives if the command blocks again.
	e.leaveWaitListsLocked(c)

	prevOut := c.out
	c.served.Proto = c.main.Proto
	c.out = &c.served
	c.call(cmd, args)
	c.out = prevOut
	if c.block != nil && c.block.pending {
		return // blocked again
	}
	c.block = nil
	if c.wake != nil {
		c.wake()
	}
}

// Blocked reports whether the client waits in a blocking command.
func (c *Client) Blocked() bool { return c.block != nil && c.block.pending }

// busyPollInterval is how often a blocked client whose deadline has
// passed looks again while a script is busy.
const busyPollInterval = 10 * time.Millisecond

// PollBlockLocked is called by the client's transport after its read was
// interrupted or timed out. It ends a block whose deadline has passed
// (replying with a null), moves the reply of a served block into the
// output, and reports whether the client still waits and until when, in
// real time (zero for no deadline): the transport waits on the network
// with it, while deadlines are kept on the engine's clock, which tests may
// set apart from real time.
func (c *Client) PollBlockLocked() (blocked bool, deadline time.Time) {
	if len(c.served.Buf) > 0 {
		c.main.Buf = append(c.main.Buf, c.served.Buf...)
		c.served.Reset()
	}
	b := c.block
	if b == nil || !b.pending {
		return false, time.Time{}
	}
	now := c.e.clock()
	due := b.recheckAt != 0 && now.UnixMilli() >= b.recheckAt || !b.deadline.IsZero() && !now.Before(b.deadline)
	if due && c.e.scriptBusyLocked() {
		// Neither served nor timed out in the middle of a script: look
		// again shortly.
		return true, time.Now().Add(busyPollInterval)
	}
	if b.recheckAt != 0 && now.UnixMilli() >= b.recheckAt {
		b.recheckAt = 0
		c.e.serveBlockedLocked(c)
		if len(c.e.readyKeys) > 0 {
			c.e.handleClientsBlockedOnKeysLocked()
		}
		return c.PollBlockLocked()
	}
	if !b.deadline.IsZero() && !now.Before(b.deadline) {
		c.e.unblockLocked(c)
		c.main.NullArray()
		return false, time.Time{}
	}
	wake := b.deadline
	if b.recheckAt != 0 {
		if at := time.UnixMilli(b.recheckAt); wake.IsZero() || at.Before(wake) {
			wake = at
		}
	}
	if wake.IsZero() {
		return true, wake
	}
	return true, time.Now().Add(wake.Sub(now))
}

// BlockedClients returns how many clients wait in a blocking command.
func (e *Engine) BlockedClients() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.numBlocked
}
