package engine

import (
	"time"
)

// blockState is the state of a client blocked on stream keys (XREAD or
// XREADGROUP with BLOCK).
//
// A blocked client is served the way Redis 7.2 and later serve it: when
// one of its keys is signalled ready, its command runs again from the
// start, with "$" already replaced by the ID it stood for; if it finds
// nothing it blocks again, keeping its original deadline.
type blockState struct {
	cmd      *Command
	args     [][]byte // owned copy, with "$" rewritten
	db       *keyspace
	keys     []string
	deadline time.Time // zero: wait forever
	// unblockOnNoKey wakes the client when a key is deleted or replaced
	// by another type, so XREADGROUP can report that its group is gone.
	unblockOnNoKey bool
	// pending is true while the client waits.
	pending bool
	// recheckAt, when not zero, is the Unix ms at which the command is run
	// again even if no key was signalled: XREADGROUP with CLAIM waits for
	// pending entries to become idle enough, as well as for new ones.
	recheckAt int64
}

// readyKey is a key that got new data, or was deleted, while clients
// were blocked on it.
type readyKey struct {
	db  *keyspace
	key string
}

// blockLocked makes c wait on keys. args is the command to run again when
// a key is ready. A command that blocks again while being re-run keeps its
// first deadline.
func (e *Engine) blockLocked(c *Client, cmd *Command, args [][]byte, keys [][]byte, timeout time.Duration, unblockOnNoKey bool) {
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
	b.unblockOnNoKey = unblockOnNoKey
	b.pending = true
	b.keys = b.keys[:0]
	for _, k := range keys {
		ks := string(k)
		dup := false
		for _, have := range b.keys {
			if have == ks {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		b.keys = append(b.keys, ks)
		c.db.blocking[ks] = append(c.db.blocking[ks], c)
	}
	e.numBlocked++
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
	for _, k := range b.keys {
		list := b.db.blocking[k]
		for i, x := range list {
			if x == c {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(b.db.blocking, k)
		} else {
			b.db.blocking[k] = list
		}
	}
	b.pending = false
	e.numBlocked--
}

// signalKeyAsReadyLocked queues key for serving the clients blocked on it.
func (e *Engine) signalKeyAsReadyLocked(db *keyspace, key string) {
	if len(db.blocking[key]) == 0 {
		return
	}
	rk := readyKey{db, key}
	if e.readySet[rk] {
		return
	}
	e.readySet[rk] = true
	e.readyKeys = append(e.readyKeys, rk)
}

// signalDeletedKeyAsReadyLocked queues a key that was deleted or replaced,
// if an XREADGROUP waits on it.
func (e *Engine) signalDeletedKeyAsReadyLocked(db *keyspace, key string) {
	for _, c := range db.blocking[key] {
		if c.block != nil && c.block.unblockOnNoKey {
			e.signalKeyAsReadyLocked(db, key)
			return
		}
	}
}

// handleClientsBlockedOnKeysLocked serves the clients blocked on ready
// keys, in the order they blocked, re-running their commands. Keys
// signalled while serving are handled in the same call.
func (e *Engine) handleClientsBlockedOnKeysLocked() {
	for len(e.readyKeys) > 0 {
		keys := e.readyKeys
		e.readyKeys = nil
		clear(e.readySet)
		for _, rk := range keys {
			waiting := append([]*Client(nil), rk.db.blocking[rk.key]...)
			for _, bc := range waiting {
				b := bc.block
				if b == nil || !b.pending {
					continue // served through another key already
				}
				o := rk.db.keys[rk.key]
				if o != nil && e.isExpiredLocked(rk.db, rk.key) {
					o = nil
				}
				if (o != nil && o.kind == kindStream) || b.unblockOnNoKey {
					e.serveBlockedLocked(bc)
				}
			}
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
