// Package engine is Pelican's embedded database: sixteen keyspaces holding
// streams and the other Redis types the processing patterns need
// (strings, lists, sets, hashes, sorted sets), a
// table of commands with Redis's exact replies and errors, transactions,
// and clients blocked on stream reads.
//
// The engine executes commands given as argument vectors and writes RESP
// replies into each client's buffer; it knows nothing of sockets (package
// server does). One mutex serialises every command, as Redis's single
// thread does, so each command, and each MULTI/EXEC block, is atomic.
//
// Lock order: Engine.mu is the only engine lock. Code that expects it held
// ends in Locked. Nothing does network or disk I/O while holding it.
package engine

import (
	"log/slog"
	"sync"
	"time"

	"github.com/pelicanhq/pelican/internal/aof"
	"github.com/pelicanhq/pelican/stream"
)

// NumDatabases is the number of logical databases (SELECT 0-15).
const NumDatabases = 16

// Clock returns the current time. Tests substitute one they control.
type Clock func() time.Time

// Config holds the engine's settings. The zero value works.
type Config struct {
	// RequirePass, if set, is the password clients must AUTH with.
	RequirePass string
	// Clock returns the current time. If nil, time.Now is used.
	Clock Clock
	// ActiveExpiry enables the background sweep that deletes expired keys
	// nobody reads. If false, keys still expire lazily on access.
	ActiveExpiry bool
	// Version is the Redis version the engine reports (INFO, HELLO).
	// If empty, "8.10.0" is used.
	Version string
	// Port is reported in INFO; zero for an engine without a listener.
	Port int
	// Bind lists the addresses the server listens on, as CONFIG GET bind
	// reports them.
	Bind []string
	// IOThreads is reported as io-threads (CONFIG GET): how many threads
	// run the server's code at once. If zero, 1 is reported, Redis's
	// default.
	IOThreads int
	// Unprotected turns Redis's protected mode off (protected-mode no):
	// see Engine.AdmitClient.
	Unprotected bool
	// ScriptTimeLimit, if positive, stops a Lua script that runs longer
	// with an error; what it wrote before stays written, as when a
	// process dies mid-way. Redis has no such limit, and neither has
	// Pelican by default: as in Redis, a script that runs longer than
	// busy-reply-threshold (CONFIG SET, 5 seconds by default) makes the
	// engine answer other clients BUSY until it ends, SCRIPT KILL stops
	// it (if it has not written) or SHUTDOWN NOSAVE.
	ScriptTimeLimit time.Duration
	// Persistence says where the data is kept; see Open. New ignores it.
	Persistence Persistence
	// Shutdown, if set, is called (in its own goroutine) when a client
	// sends SHUTDOWN: the owner stops serving and closes the engine.
	// Without it SHUTDOWN is refused.
	Shutdown func()
	// MaxMemory is Redis's maxmemory, in bytes: when the data the engine
	// holds exceeds it, commands that may add data are refused with
	// Redis's OOM error while reads, acknowledgements and deletions run
	// (the noeviction policy). CONFIG SET maxmemory changes it. If zero,
	// there is no limit.
	MaxMemory uint64
	// MaxClients is the initial maxclients: how many clients may be
	// connected at once. If zero, DefaultMaxClients is used.
	MaxClients int
	// ClientsAllowed, if set, returns how many of the given number of
	// clients the process can serve (its open file limit, which the
	// function may raise). It lowers MaxClients at start, and CONFIG SET
	// maxclients refuses a value above what it allows, as Redis does.
	// pelican server sets it to server.AdjustOpenFilesLimit.
	ClientsAllowed func(maxClients int) int
	// Logger receives what the engine reports (the data it loaded, a
	// damaged file it repaired). If nil, slog.Default() is used.
	Logger *slog.Logger
}

// Engine is an in-memory, Redis-compatible database.
type Engine struct {
	mu sync.Mutex // guards everything below, and every Client's state

	cfg       Config
	clock     Clock
	realClock bool // clock is time.Now: command durations can be measured
	wall      wallClock
	version   string
	dbs       [NumDatabases]*keyspace
	started   time.Time
	runID     string

	settings settings

	clients map[int64]*Client
	nextID  int64
	// pubsub maps each channel with subscribers to them (cmd_pubsub.go).
	pubsub     map[string]map[*Client]struct{}
	readyKeys  []readyKey
	readySet   map[readyKey]bool
	numBlocked int
	// blockSeq counts blockLocked calls: it orders blocked clients.
	blockSeq uint64

	stats stats
	// mem is the memory accounting and the maxmemory limit.
	mem memory

	// scripting is the Lua interpreter and script cache, made on the
	// first EVAL or SCRIPT LOAD.
	scripting *scripting
	// scriptNow, while a script runs, is the time it started, Unix ms:
	// time stands still for it, as in Redis (keys do not expire midway).
	scriptNow int64
	// scriptRun is the running script's state shared with goroutines
	// that do not hold mu (its own lock; see script_busy.go).
	scriptRun scriptRun

	// fx journals the effects of writes when persistence is on.
	fx effects
	// loading is set while the engine replays its files: nothing expires
	// and nothing is journaled.
	loading bool
	// loadNow is the time the commands being replayed first ran (Unix
	// ms), 0 when the file does not say.
	loadNow int64
	// disk is the persistence state; nil when data is kept in memory.
	disk *disk
	// dirty counts the write commands that succeeded since the last
	// save (INFO's rdb_changes_since_last_save).
	dirty int64
	// noSaveOnClose is set by SHUTDOWN NOSAVE: closing an engine without
	// an append-only file does not save dump.rdb.
	noSaveOnClose bool
	// saves is the state of SAVE and BGSAVE.
	saves saveState

	stopExpiry chan struct{}
	expiryDone chan struct{}
	stopSweep  chan struct{}
	sweepDone  chan struct{}
	closed     bool
}

// settings are the values CONFIG GET and CONFIG SET work on.
type settings struct {
	limits          stream.Limits
	protoMaxBulkLen int64
	requirePass     string
	// hz is the configured frequency of the active expiry cycle.
	hz int64
	// appendFsync is appendfsync for an engine without a log (CONFIG SET
	// keeps it; it applies to nothing).
	appendFsync aof.Policy
	// autoRewritePercentage and autoRewriteMinSize are Redis's
	// auto-aof-rewrite-percentage and auto-aof-rewrite-min-size.
	autoRewritePercentage, autoRewriteMinSize int64
	// unprotected is protected-mode no (AdmitClient).
	unprotected bool
	// Connection limits (see limits.go): maxclients, timeout in seconds,
	// client-query-buffer-limit and client-output-buffer-limit.
	maxClients       int64
	timeout          int64
	queryBufferLimit int64
	outputLimits     [numOutputClasses]OutputLimit
	// busyReplyThreshold is busy-reply-threshold (alias lua-time-limit),
	// in milliseconds: how long a script runs before the engine is busy.
	busyReplyThreshold int64
	// zsetListpackEntries and zsetListpackValue are
	// zset-max-listpack-entries and zset-max-listpack-value (aliases
	// zset-max-ziplist-*): the limits of a sorted set's listpack encoding.
	zsetListpackEntries, zsetListpackValue int64
}

// New returns an engine with empty keyspaces, kept in memory (Open keeps
// them on disk). Call Close to stop its background work.
func New(cfg Config) *Engine {
	cfg.Persistence = Persistence{}
	e := newEngine(cfg)
	e.startBackground()
	return e
}

// newEngine returns an engine with empty keyspaces and no background work.
func newEngine(cfg Config) *Engine {
	e := &Engine{
		cfg:      cfg,
		clock:    cfg.Clock,
		version:  cfg.Version,
		clients:  make(map[int64]*Client),
		readySet: make(map[readyKey]bool),
		pubsub:   make(map[string]map[*Client]struct{}),
	}
	if e.clock == nil {
		e.clock = time.Now
		e.realClock = true
	}
	if e.version == "" {
		e.version = "8.10.0"
	}
	for i := range e.dbs {
		e.dbs[i] = newKeyspace(i)
	}
	e.settings = settings{
		limits:          stream.DefaultLimits,
		protoMaxBulkLen: 512 * 1024 * 1024,
		requirePass:     cfg.RequirePass,
		unprotected:     cfg.Unprotected,
		hz:              10,

		autoRewritePercentage: 100,
		autoRewriteMinSize:    64 << 20,

		maxClients:         initialMaxClients(cfg),
		queryBufferLimit:   1 << 30,
		outputLimits:       defaultOutputLimits,
		busyReplyThreshold: 5000,

		zsetListpackEntries: defaultZsetListpackEntries,
		zsetListpackValue:   defaultZsetListpackValue,
	}
	e.mem.limit = cfg.MaxMemory
	e.fx.db = -1
	e.started = e.clock()
	e.runID = newRunID()
	e.stats.init()
	// While loading, the clock is the time the replayed commands ran.
	base := e.clock
	e.clock = func() time.Time {
		if e.loading && e.loadNow != 0 {
			return time.UnixMilli(e.loadNow)
		}
		return base()
	}
	return e
}

// startBackground starts the active expiry cycle, if configured, and the
// journal's sweep.
func (e *Engine) startBackground() {
	if e.cfg.ActiveExpiry {
		e.stopExpiry = make(chan struct{})
		e.expiryDone = make(chan struct{})
		go e.expiryLoop()
	}
	if e.fx.recording() {
		e.stopSweep = make(chan struct{})
		e.sweepDone = make(chan struct{})
		go e.sweepLoop()
	}
}

// sweepLoop journals, once a second, what waits for no command.
func (e *Engine) sweepLoop() {
	defer close(e.sweepDone)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-e.stopSweep:
			return
		case <-t.C:
			e.lockBetweenScripts()
			e.sweepJournalLocked()
			e.watchJournalLocked()
			e.maybeAutoRewriteLocked()
			e.mu.Unlock()
		}
	}
}

// Close stops the engine's background work and, with persistence, writes
// and fsyncs what is pending and releases the data directory; it returns
// the error of that last write. Clients keep working, in memory. A script
// running is stopped first (see StopScript).
func (e *Engine) Close() error {
	e.StopScript()
	e.lockBetweenScripts()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	if e.scripting != nil {
		e.scripting.close()
		e.scripting = nil
	}
	e.mu.Unlock()
	if e.stopExpiry != nil {
		close(e.stopExpiry)
		<-e.expiryDone
	}
	if e.stopSweep != nil {
		close(e.stopSweep)
		<-e.sweepDone
	}
	e.lockBetweenScripts()
	e.sweepJournalLocked()
	// Later writes are not journaled: the files are closed.
	e.fx.journal = nil
	e.mu.Unlock()
	e.waitSaves()
	return e.closeDisk()
}

// Lock acquires the engine lock; the server holds it while it executes a
// batch of pipelined commands with Client.ExecLocked.
func (e *Engine) Lock() {
	e.mu.Lock()
	e.wall.unchain() // the last command may have ended long ago
}

// Unlock releases the engine lock.
func (e *Engine) Unlock() {
	e.wall.unchain() // the next command may come much later
	e.mu.Unlock()
}

// nowMs returns the current Unix time in milliseconds.
func (e *Engine) nowMs() int64 {
	if e.scriptNow != 0 {
		return e.scriptNow
	}
	return e.clock().UnixMilli()
}

// ProtoMaxBulkLen returns the current proto-max-bulk-len.
func (e *Engine) ProtoMaxBulkLen() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.settings.protoMaxBulkLen
}

// AuthRequired reports whether clients must authenticate.
func (e *Engine) AuthRequired() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.settings.requirePass != ""
}

// effectiveHz is the frequency the background work runs at: the hz
// setting, kept between 1 and 500 as Redis does.
func (e *Engine) effectiveHz() int {
	return int(min(max(e.settings.hz, 1), 500))
}

// expiryLoop runs the active expiry cycle hz times a second (ten by
// default), as Redis's serverCron does.
func (e *Engine) expiryLoop() {
	defer close(e.expiryDone)
	e.mu.Lock()
	hz := e.effectiveHz()
	e.mu.Unlock()
	t := time.NewTicker(time.Second / time.Duration(hz))
	defer t.Stop()
	for {
		select {
		case <-e.stopExpiry:
			return
		case <-t.C:
			e.lockBetweenScripts()
			e.activeExpireCycleLocked()
			now := e.effectiveHz()
			e.mu.Unlock()
			if now != hz {
				hz = now
				t.Reset(time.Second / time.Duration(hz))
			}
		}
	}
}

// activeExpireCycleLocked samples keys with a TTL in each database and
// deletes the expired ones, repeating while more than a quarter of a
// sample was expired, within a small time budget.
func (e *Engine) activeExpireCycleLocked() {
	if e.loading {
		return
	}
	const sample = 20
	deadline := time.Now().Add(2 * time.Millisecond)
	now := e.nowMs()
	for _, db := range e.dbs {
		for len(db.expires) > 0 {
			checked, expired := 0, 0
			for k, at := range db.expires {
				if checked == sample {
					break
				}
				checked++
				if at <= now {
					e.expireKeyLocked(db, k)
					expired++
				}
			}
			if expired*4 <= checked || time.Now().After(deadline) {
				break
			}
		}
	}
}
