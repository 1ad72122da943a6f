package engine

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/pelicanhq/pelican/internal/resp"
)

// Client is the state of one connection: selected database, protocol
// version, name, transaction and blocking state, and the buffer its replies
// are written to. Its fields are guarded by the engine lock.
type Client struct {
	e  *Engine
	id int64
	db *keyspace

	// out is where replies go: normally &main, and &served while another
	// client's command serves this one after it blocked. served also
	// receives the pub/sub messages published to the client; the client's
	// goroutine moves it into main (PollBlockLocked), or ExecLocked does
	// after the client's own command.
	out    *resp.Writer
	main   resp.Writer
	served resp.Writer

	name, libName, libVer string
	addr, laddr           string
	authenticated         bool
	created               time.Time
	lastInteraction       int64 // when the last command ran, Unix ms
	lastCmd               string
	closed                bool
	closeAfterReply       bool
	noEvict, noTouch      bool  // CLIENT NO-EVICT, CLIENT NO-TOUCH
	commands              int64 // commands executed, for CLIENT LIST's tot-cmds
	errorReplies          int64 // error replies sent

	// Transaction state.
	inMulti   bool
	dirtyExec bool // a command failed to queue: EXEC aborts
	dirtyCAS  bool // a watched key changed: EXEC returns null
	queued    []queuedCmd
	watched   []watchedKey

	// Blocking state.
	block *blockState

	// channels are the client's pub/sub subscriptions, in the order it
	// made them; nil or empty without any (cmd_pubsub.go).
	channels *orderedMap[struct{}]

	// Hooks set by the transport.
	kill func() // closes the connection
	wake func() // interrupts a read so that a served or timed-out block is noticed

	now int64 // the time of the command being executed, Unix ms
	// denyBlocking is set while EXEC runs its commands.
	denyBlocking bool
	// script is set on the client scripts' commands run as.
	script bool
	// fxCustom is set by a command that journaled its own effects (or
	// declared it had none) instead of the verbatim default.
	fxCustom bool
	// wantFsync makes the client's next replies wait for an fsync
	// (WAITAOF).
	wantFsync bool
}

type queuedCmd struct {
	cmd  *Command
	args [][]byte
}

type watchedKey struct {
	db      *keyspace
	key     string
	expired bool // the key was already expired when watched
}

// ClientInfo describes the transport of a new client.
type ClientInfo struct {
	// Addr and LocalAddr are shown by CLIENT LIST.
	Addr, LocalAddr string
	// RemoteIP is a TCP client's IP address, which protected mode
	// checks (AdmitClient); "" for other transports.
	RemoteIP string
	// Kill closes the connection; CLIENT KILL calls it.
	Kill func()
	// Wake interrupts the connection's pending read; the engine calls it
	// when a blocked command was served.
	Wake func()
}

// NewClient registers a client. The caller must call Close when the
// connection ends.
func (e *Engine) NewClient(info ClientInfo) *Client {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.newClientLocked(info)
}

func (e *Engine) newClientLocked(info ClientInfo) *Client {
	e.nextID++
	now := e.clock()
	c := &Client{
		e:               e,
		id:              e.nextID,
		db:              e.dbs[0],
		addr:            info.Addr,
		laddr:           info.LocalAddr,
		kill:            info.Kill,
		wake:            info.Wake,
		created:         now,
		lastInteraction: now.UnixMilli(),
		authenticated:   e.settings.requirePass == "",
	}
	c.main.Proto = 2
	c.out = &c.main
	e.clients[c.id] = c
	e.stats.connectionsReceived++
	return c
}

// ID returns the client's ID (CLIENT ID).
func (c *Client) ID() int64 { return c.id }

// Close unregisters the client, unblocking and unwatching it.
func (c *Client) Close() {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	c.closeLocked()
}

// closeLocked unregisters the client. The transport's connection is not
// closed (CLIENT KILL calls the kill hook for that).
func (c *Client) closeLocked() {
	e := c.e
	if c.closed {
		return
	}
	c.closed = true
	if c.block != nil {
		e.unblockLocked(c)
	}
	c.unwatchAllLocked()
	c.unsubscribeAllLocked()
	delete(e.clients, c.id)
}

// Output returns the replies written so far. The server sends them and
// then calls ResetOutput.
func (c *Client) Output() []byte { return c.main.Buf }

// ResetOutput empties the reply buffer.
func (c *Client) ResetOutput() {
	if cap(c.main.Buf) > 1<<20 {
		c.main.Buf = nil
	}
	c.main.Reset()
}

// CloseAfterReply reports whether the connection must be closed once the
// pending replies are sent (QUIT, protocol errors, CLIENT KILL of itself).
func (c *Client) CloseAfterReply() bool { return c.closeAfterReply }

// Authenticated reports whether the client may run commands.
func (c *Client) Authenticated() bool { return c.authenticated }

// ProtocolErrorLocked replies to a malformed request; the connection is
// then closed.
func (c *Client) ProtocolErrorLocked(msg string) {
	c.errorReply("ERR " + msg)
	c.closeAfterReply = true
}

// errorReply writes an error reply and counts it in INFO's error
// statistics.
func (c *Client) errorReply(msg string) {
	c.out.Error(msg)
	c.errorReplies++
	c.e.stats.countError(msg)
}

// reject refuses a command before it runs; inside MULTI this also makes the
// EXEC fail.
func (c *Client) reject(cmd *Command, msg string) {
	if cmd != nil {
		c.e.stats.cmd(cmd).rejected++
	}
	if cmd != nil && cmd.parent == nil && cmd.Name == "exec" {
		// A refused EXEC ends the transaction, as Redis's execCommandAbort
		// does, even outside MULTI.
		c.discardTransactionLocked()
		c.errorReply("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
		return
	}
	c.errorReply(msg)
	if c.inMulti {
		c.dirtyExec = true
	}
}

// ExecLocked runs one command and writes its reply. The engine lock must be
// held (Engine.Lock). args may alias a reader's buffer: the engine copies
// what it keeps. After a command that blocks, the caller must stop
// executing this client's pipelined commands until Blocked reports false.
func (c *Client) ExecLocked(args [][]byte) {
	if len(args) == 0 || c.closed {
		return
	}
	e := c.e
	cmd := e.lookupCommand(args)
	if cmd == nil {
		if parent := e.lookupContainer(args[0]); parent != nil && len(args) > 1 {
			c.reject(nil, unknownSubcommand(string(bytes.ToUpper(args[0])), args[1]))
		} else {
			c.reject(nil, unknownCommand(args))
		}
		return
	}
	c.lastCmd = cmd.fullName
	if (cmd.Arity > 0 && cmd.Arity != len(args)) || len(args) < -cmd.Arity {
		c.reject(cmd, wrongArgs(cmd.fullName))
		return
	}
	if !c.authenticated && cmd.Flags&flagNoAuth == 0 {
		c.reject(cmd, errNoAuth)
		return
	}
	if c.inMulti && cmd.Flags&flagNoMulti != 0 {
		c.reject(cmd, errNotInMulti)
		return
	}
	if c.refuseForMemory(cmd) {
		c.reject(cmd, errOOM)
		return
	}
	// Redis refuses PING too while it cannot persist, so that health
	// checks notice.
	if (cmd.write || cmd.Name == "ping" && cmd.parent == nil) && e.disk != nil {
		if msg := e.misconfLocked(); msg != "" {
			c.reject(cmd, msg)
			return
		}
	}
	if c.pubsubRestricted() && !(cmd.parent == nil && pubsubAllowed[cmd.Name]) {
		c.reject(cmd, fmt.Sprintf(errPubSubContext, cmd.fullName))
		return
	}
	// While a script is busy only a few commands run: the others could
	// see its work half done.
	if cmd.Flags&flagAllowBusy == 0 && e.scriptBusyLocked() {
		c.reject(cmd, errBusyScript)
		return
	}
	if c.inMulti && cmd.Flags&flagTxControl == 0 {
		c.queued = append(c.queued, queuedCmd{cmd: cmd, args: copyArgs(args)})
		c.out.Simple("QUEUED")
		return
	}
	c.call(cmd, args)
	if len(e.readyKeys) > 0 && !e.scriptBusyLocked() {
		e.handleClientsBlockedOnKeysLocked()
	}
	if len(c.served.Buf) > 0 && !c.Blocked() {
		// Messages the command published to the client itself follow
		// its reply.
		c.main.Buf = append(c.main.Buf, c.served.Buf...)
		c.served.Reset()
	}
}

// call runs a command, keeping its statistics.
func (c *Client) call(cmd *Command, args [][]byte) {
	e := c.e
	top := !c.script && e.fx.depth == 0 // not inside a transaction or a script
	// Top-level commands that a client sends back to back share their
	// boundary readings (wallClock); not when replaying the data files.
	chain := top && !e.loading
	var start time.Duration // a monotonic reading, when durations are measured
	switch {
	case !e.realClock:
	case chain:
		start = e.wall.start()
	default:
		start = e.wall.mono()
	}
	var now int64
	if e.realClock && !e.loading {
		now = e.wall.unixMilli(start)
	} else {
		now = e.clock().UnixMilli()
	}
	if top {
		// Time stands still inside a transaction and a script, as in
		// Redis 7.2: their commands keep the time of the EXEC or EVAL,
		// which the journal records for all their effects.
		c.now = now
	}
	c.lastInteraction = now
	errsBefore := c.errorReplies
	e.beginCall(c.now)
	outerCustom := c.fxCustom
	c.fxCustom = false
	if cmd.write {
		e.beginWriteLocked()
		cmd.Run(c, args)
		e.endWriteLocked()
	} else {
		cmd.Run(c, args)
	}
	blocked := c.block != nil && c.block.pending
	if cmd.write && !c.fxCustom && !blocked && c.errorReplies == errsBefore && e.fx.recording() {
		if cmd.newerThanAOF {
			e.propagateNativeLocked(c.db.id, args)
		} else {
			e.propagateLocked(c.db.id, args...)
		}
	}
	c.fxCustom = outerCustom
	if cmd.write && !blocked && c.errorReplies == errsBefore {
		e.dirty++
	}
	e.endCall()
	st := e.stats.cmd(cmd)
	if blocked {
		// The command blocked: it is counted when it completes.
		return
	}
	st.calls++
	c.commands++
	switch {
	case !e.realClock:
	case chain:
		st.usec += (e.wall.chainEnd() - start).Microseconds()
	default:
		st.usec += (e.wall.mono() - start).Microseconds()
	}
	if c.errorReplies != errsBefore {
		st.failed++
	}
	e.stats.commandsProcessed++
}

func copyArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	return out
}

// watchOf returns the client's watch record for key in db.
func (c *Client) watchOf(db *keyspace, key []byte) *watchedKey {
	for i := range c.watched {
		if c.watched[i].db == db && c.watched[i].key == string(key) {
			return &c.watched[i]
		}
	}
	return nil
}

func (c *Client) watchLocked(key []byte) {
	if c.watchOf(c.db, key) != nil {
		return
	}
	k := string(key)
	expired := c.e.isExpiredLocked(c.db, k)
	c.watched = append(c.watched, watchedKey{db: c.db, key: k, expired: expired})
	c.db.watchers[k] = append(c.db.watchers[k], c)
}

func (c *Client) unwatchAllLocked() {
	for _, w := range c.watched {
		ws := w.db.watchers[w.key]
		for i, x := range ws {
			if x == c {
				ws = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(w.db.watchers, w.key)
		} else {
			w.db.watchers[w.key] = ws
		}
	}
	c.watched = nil
}

// watchedKeyExpiredLocked reports whether a watched key that was live when
// watched has expired since.
func (c *Client) watchedKeyExpiredLocked() bool {
	for _, w := range c.watched {
		if !w.expired && c.e.isExpiredLocked(w.db, w.key) {
			return true
		}
	}
	return false
}

func (c *Client) discardTransactionLocked() {
	c.queued = nil
	c.inMulti = false
	c.dirtyExec = false
	c.dirtyCAS = false
	c.unwatchAllLocked()
}

// ProtoMaxBulkLenLocked returns proto-max-bulk-len, the largest bulk
// string a request may carry.
func (c *Client) ProtoMaxBulkLenLocked() int64 { return c.e.settings.protoMaxBulkLen }
