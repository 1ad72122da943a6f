package engine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pelicanhq/pelican/internal/aof"
	"github.com/pelicanhq/pelican/internal/vfs"
)

// Persistence says where the engine keeps its data and how. The zero value
// keeps everything in memory.
//
// With a Dir, the engine keeps an append-only directory in Redis 7's
// multi-part format (Dir/AppendDirName: a manifest, a base file and
// incremental files of commands), which a Redis 7 server can load and
// Redis's redis-check-aof can read. See docs/persistence.md.
type Persistence struct {
	// Dir is the data directory. If empty, nothing is persisted.
	Dir string
	// AppendOnly is "yes" or "no" (Redis's appendonly). If empty, "yes"
	// is used. With "no", nothing is written (snapshots only).
	AppendOnly string
	// AppendFsync is "always", "everysec" or "no" (Redis's
	// appendfsync). If empty, "everysec" is used.
	AppendFsync string
	// AppendDirName is the append-only directory's name inside Dir. If
	// empty, "appendonlydir" is used.
	AppendDirName string
	// AppendFilename is the prefix of the append-only files' names. If
	// empty, "appendonly.aof" is used.
	AppendFilename string
	// DBFilename is the name of the RDB file in Dir that SAVE and BGSAVE
	// write and that Open loads when AppendOnly is "no" (Redis's
	// dbfilename). If empty, "dump.rdb" is used.
	DBFilename string
	// FS is the filesystem. If nil, the operating system's is used.
	FS vfs.FS
}

// The defaults, as Redis names them.
// ErrDirInUse is matched (with errors.Is) by the error Open returns when
// another process, or another open in this one, holds the data directory.
var ErrDirInUse = errors.New("engine: data directory in use")

// dirInUseError says which directory is held, and what to do.
type dirInUseError struct{ dir, lock string }

func (e *dirInUseError) Error() string {
	return fmt.Sprintf("engine: data directory %s is in use by another process (it holds %s): stop it, or give this one another directory", e.dir, e.lock)
}

func (e *dirInUseError) Is(target error) bool { return target == ErrDirInUse }

const (
	defaultAppendDirName  = "appendonlydir"
	defaultAppendFilename = "appendonly.aof"
	defaultDBFilename     = "dump.rdb"
	lockFileName          = "pelican.lock"
)

// Validate checks the settings' values (a data directory's problems are
// found when it is opened).
func (p Persistence) Validate() error {
	_, _, err := p.withDefaults()
	return err
}

// withDefaults fills in the defaults and checks the values.
func (p Persistence) withDefaults() (Persistence, aof.Policy, error) {
	if p.AppendOnly == "" {
		p.AppendOnly = "yes"
	}
	p.AppendOnly = strings.ToLower(p.AppendOnly)
	if p.AppendOnly != "yes" && p.AppendOnly != "no" {
		return p, 0, fmt.Errorf("engine: appendonly must be yes or no, not %q", p.AppendOnly)
	}
	if p.AppendFsync == "" {
		p.AppendFsync = "everysec"
	}
	policy, ok := aof.ParsePolicy(p.AppendFsync)
	if !ok {
		return p, 0, fmt.Errorf("engine: appendfsync must be always, everysec or no, not %q", p.AppendFsync)
	}
	if p.AppendDirName == "" {
		p.AppendDirName = defaultAppendDirName
	}
	if p.AppendFilename == "" {
		p.AppendFilename = defaultAppendFilename
	}
	if p.DBFilename == "" {
		p.DBFilename = defaultDBFilename
	}
	for _, name := range []string{p.AppendDirName, p.AppendFilename, p.DBFilename} {
		if strings.ContainsRune(name, '/') || name == "." || name == ".." {
			return p, 0, fmt.Errorf("engine: %q must be a plain name, not a path", name)
		}
	}
	if p.FS == nil {
		p.FS = vfs.Default
	}
	return p, policy, nil
}

// disk is the engine's persistence at run time.
type disk struct {
	cfg    Persistence
	fs     vfs.FS
	aofDir string
	lock   io.Closer
	log    *aof.Log // nil without appendonly

	// mu guards manifest, which the log's writer and rewrites update.
	mu       sync.Mutex
	manifest *aof.Manifest

	loaded struct {
		keys     int64
		duration time.Duration
	}
	rw rewriteState
	bg sync.WaitGroup // background rewrites and saves
	// failing is set while the log cannot write (logged once each way).
	failing bool
}

// Open returns an engine with the data of cfg.Persistence.Dir, creating
// the directory if needed; without a Dir it is New. Close writes and
// fsyncs what is pending and releases the directory.
func Open(cfg Config) (*Engine, error) {
	e := newEngine(cfg)
	if cfg.Persistence.Dir != "" {
		if err := e.openDisk(); err != nil {
			return nil, err
		}
	}
	e.startBackground()
	return e, nil
}

// logger returns the engine's logger.
func (e *Engine) logger() *slog.Logger {
	if e.cfg.Logger != nil {
		return e.cfg.Logger
	}
	return slog.Default()
}

// openDisk takes the data directory, loads what it holds and opens the
// log for appending.
func (e *Engine) openDisk() error {
	p, policy, err := e.cfg.Persistence.withDefaults()
	if err != nil {
		return err
	}
	d := &disk{cfg: p, fs: p.FS, aofDir: filepath.Join(p.Dir, p.AppendDirName)}
	if err := d.fs.MkdirAll(p.Dir); err != nil {
		return fmt.Errorf("engine: creating data directory: %w", err)
	}
	lockPath := filepath.Join(p.Dir, lockFileName)
	d.lock, err = d.fs.Lock(lockPath)
	switch {
	case errors.Is(err, vfs.ErrLocked):
		return &dirInUseError{dir: p.Dir, lock: lockPath}
	case err != nil:
		return fmt.Errorf("engine: data directory %s: %w", p.Dir, err)
	}
	if p.AppendOnly == "no" {
		if err := e.loadDump(d); err != nil {
			d.lock.Close()
			return err
		}
		e.disk = d
		return nil
	}
	if err := d.fs.MkdirAll(d.aofDir); err != nil {
		d.lock.Close()
		return fmt.Errorf("engine: creating %s: %w", d.aofDir, err)
	}
	if err := e.loadAOF(d); err != nil {
		d.lock.Close()
		return err
	}
	fresh := d.manifest.Base == nil && len(d.manifest.Incr) == 0
	if fresh {
		// A directory with a dump.rdb but no append-only files yet (it
		// ran with appendonly no): start the files from it, rather than
		// starting empty and leaving the data behind.
		if err := e.baseFromDump(d); err != nil {
			d.lock.Close()
			return err
		}
	}
	newIncr := len(d.manifest.Incr) == 0
	if newIncr {
		d.manifest.NextIncr(p.AppendFilename)
	}
	last := d.manifest.Incr[len(d.manifest.Incr)-1]
	d.log, err = aof.OpenLog(d.fs, filepath.Join(d.aofDir, last.Name), policy)
	if err != nil {
		d.lock.Close()
		return fmt.Errorf("engine: %w", err)
	}
	if newIncr {
		// The file is created before the manifest names it, as Redis
		// does: writing the manifest syncs the directory, which makes
		// both entries durable, and a crash in between leaves no
		// manifest naming a missing file.
		if err := aof.WriteManifest(d.fs, d.aofDir, aof.ManifestName(p.AppendFilename), d.manifest); err != nil {
			d.log.Close()
			d.lock.Close()
			return fmt.Errorf("engine: %w", err)
		}
	}
	d.updateClosedSize()
	d.rw.baseSize = d.aofSize()
	d.rw.lastOK = true
	e.disk = d
	e.fx.journal = logJournal{d.log}
	e.fx.db = -1
	e.fx.clock = 0
	return nil
}

// logJournal hands the engine's effects to an aof.Log.
type logJournal struct{ log *aof.Log }

func (j logJournal) Append(p []byte) { j.log.Append(p) }

// loadAOF replays the append-only directory's base and incremental files.
func (e *Engine) loadAOF(d *disk) error {
	start := time.Now()
	name := aof.ManifestName(d.cfg.AppendFilename)
	m, err := aof.ReadManifest(d.fs, d.aofDir, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.manifest = &aof.Manifest{}
		e.logger().Info("pelican: no append-only files yet; starting empty", "dir", d.aofDir)
		return nil
	case err != nil:
		return fmt.Errorf("engine: %s: %w", filepath.Join(d.aofDir, name), err)
	}
	d.manifest = m
	e.loading = true
	defer func() { e.loading = false }()
	lc := e.loaderClient()
	if m.Base != nil {
		path := filepath.Join(d.aofDir, m.Base.Name)
		if strings.HasSuffix(m.Base.Name, ".rdb") {
			if err := e.loadRDBFile(d.fs, path, true); err != nil {
				return fmt.Errorf("%w; the base file holds the data every later file builds on: restore %s from a backup", err, d.cfg.Dir)
			}
		} else if err := e.replayFile(d, lc, path, false); err != nil {
			return err
		}
	}
	for i, fi := range m.Incr {
		if err := e.replayFile(d, lc, filepath.Join(d.aofDir, fi.Name), i == len(m.Incr)-1); err != nil {
			return err
		}
	}
	d.loaded.duration = time.Since(start)
	for _, db := range e.dbs {
		d.loaded.keys += int64(len(db.keys))
	}
	e.logger().Info("pelican: data loaded from the append-only files", "dir", d.aofDir,
		"keys", d.loaded.keys, "seconds", fmt.Sprintf("%.3f", d.loaded.duration.Seconds()))
	return nil
}

// loaderClient returns the client replay runs commands as: authenticated,
// its replies discarded.
func (e *Engine) loaderClient() *Client {
	c := &Client{e: e, id: -1, db: e.dbs[0], authenticated: true, created: e.clock()}
	c.main.Proto = 2
	c.out = &c.main
	return c
}

// replayFile runs the commands of one append-only file. A torn tail of
// the last file is cut off, as after a crash mid-write.
func (e *Engine) replayFile(d *disk, c *Client, path string, last bool) error {
	f, err := d.fs.Open(path)
	if err != nil {
		return fmt.Errorf("engine: opening %s: %w", path, err)
	}
	defer f.Close()
	r := aof.NewReader(f, path)
	var rp replayer
	rp.e, rp.c = e, c
	for {
		it, err := r.Next()
		if err == io.EOF {
			return nil
		}
		var te *aof.TruncatedError
		if errors.As(err, &te) && last {
			return e.cutTornTail(d, path, te)
		}
		var ce *aof.CorruptError
		if errors.As(err, &ce) {
			return fmt.Errorf("engine: %w: back up %s, then run 'pelican check --repair %s' to keep what comes before the damage (what follows it is lost)", err, d.cfg.Dir, d.cfg.Dir)
		}
		if err != nil {
			return fmt.Errorf("engine: loading %s: %w", path, err)
		}
		rp.item(it)
		if rp.unknown != nil {
			// As Redis does: skipping it would serve other data.
			return fmt.Errorf("engine: loading %s: unknown command '%s': this build cannot replay it", path, rp.unknown)
		}
	}
}

// cutTornTail truncates a file whose last write was torn.
func (e *Engine) cutTornTail(d *disk, path string, te *aof.TruncatedError) error {
	f, err := d.fs.OpenReadWrite(path)
	if err == nil {
		err = f.Truncate(te.ValidUpTo)
		if err == nil {
			err = f.Sync()
		}
		f.Close()
	}
	if err != nil {
		return fmt.Errorf("engine: cutting the torn tail of %s at %d: %w", path, te.ValidUpTo, err)
	}
	e.logger().Warn("pelican: the append-only file ended in an incomplete write (a crash or power loss while writing); it was cut back to its last complete write",
		"file", path, "dropped_bytes", te.Dropped, "size", te.ValidUpTo)
	return nil
}

// replayer applies the items of an append-only file to the engine.
type replayer struct {
	e    *Engine
	c    *Client
	skip int // standard commands still to skip after an extension
	// unknown is the name of the first command the engine does not
	// know, which stops the load.
	unknown []byte
}

func (rp *replayer) item(it aof.Item) {
	switch it.Kind {
	case aof.KindClock:
		rp.e.loadNow = it.Clock
	case aof.KindCommand:
		rp.command(it.Args)
	case aof.KindExtension:
		rp.run(it.Args)
	case aof.KindSkip:
		rp.skip = it.Skip
	case aof.KindTransaction:
		for _, sub := range it.Txn {
			rp.item(sub)
		}
	}
}

// command runs a standard command, unless it stands in for an extension.
func (rp *replayer) command(args [][]byte) {
	if rp.skip > 0 {
		rp.skip--
		return
	}
	rp.run(args)
}

func (rp *replayer) run(args [][]byte) {
	if equalFold(args[0], consumerTimesCmd) {
		rp.e.replayConsumerTimes(rp.c.db, args)
		return
	}
	if rp.e.lookupCommand(args) == nil {
		if rp.unknown == nil {
			rp.unknown = args[0]
		}
		return
	}
	rp.c.ExecLocked(args)
	rp.c.main.Reset()
}

// misconfLocked returns Redis's MISCONF error when the log cannot write,
// and "" otherwise.
func (e *Engine) misconfLocked() string {
	if e.disk == nil || e.disk.log == nil {
		return ""
	}
	err := e.disk.log.Err()
	if err == nil {
		return ""
	}
	return "MISCONF Errors writing to the AOF file: " + strerror(err)
}

// strerror describes an I/O error as C's strerror does ("No space left
// on device").
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}

// JournalWait is what a client's replies wait for before they leave.
type JournalWait struct {
	end   int64 // journal offset; 0 if nothing
	fsync bool  // fsynced, whatever the policy (WAITAOF)
}

// JournalWaitLocked returns what the client's pending replies must wait
// for (AwaitJournal): everything journaled so far, so that a reply never
// acknowledges, or shows, a write that is not yet as durable as the
// policy promises. It is the zero value without persistence.
func (c *Client) JournalWaitLocked() JournalWait {
	e := c.e
	if e.disk == nil || e.disk.log == nil {
		return JournalWait{}
	}
	w := JournalWait{end: e.disk.log.End(), fsync: c.wantFsync}
	c.wantFsync = false
	return w
}

// AwaitJournal waits until the journal is as durable as w asks: written
// to the file, and with appendfsync always (or after WAITAOF) fsynced.
// Call it without the engine lock. An error means the replies must not be
// sent: what they acknowledge is not in the file (the disk is full, say).
// It stays in memory and is written once the disk recovers, while later
// writes are refused with MISCONF; the client, whose connection is closed,
// cannot tell whether its write will survive a crash, and retries. (Redis
// sends such replies under everysec, and a crash then loses what they
// acknowledged.)
func (e *Engine) AwaitJournal(w JournalWait) error {
	if w.end == 0 {
		return nil
	}
	log := e.disk.log
	if w.fsync || log.Policy() == aof.Always {
		return log.Sync(w.end)
	}
	return log.Flush(w.end)
}

// closeDisk writes and fsyncs what is pending and releases the directory.
func (e *Engine) closeDisk() error {
	d := e.disk
	if d == nil {
		return nil
	}
	d.bg.Wait() // a rewrite in progress
	var err error
	if d.log != nil {
		err = d.log.Close()
	} else {
		// Without an append-only file, the data is saved on the way out,
		// as Redis saves on shutdown when it has save points (unless
		// SHUTDOWN NOSAVE said not to).
		e.lockBetweenScripts()
		noSave := e.noSaveOnClose
		var snap *snapshot
		if !noSave {
			snap = e.snapshotLocked()
		}
		e.mu.Unlock()
		if noSave {
			e.logger().Warn("pelican: closing without saving (SHUTDOWN NOSAVE): changes since the last save are lost")
		} else if err = d.writeDump(snap); err == nil {
			e.logger().Info("pelican: DB saved on disk before closing", "keys", snap.keys())
		}
	}
	if lerr := d.lock.Close(); err == nil && lerr != nil {
		err = lerr
	}
	return err
}

// Fsyncs returns how many fsyncs the append-only file has had since the
// engine opened (0 without one): tests check that concurrent writers
// share them.
func (e *Engine) Fsyncs() int64 {
	if e.disk == nil || e.disk.log == nil {
		return 0
	}
	return e.disk.log.Stats().Fsyncs
}

// watchJournalLocked logs when the log starts failing to write, and when
// it writes again: clients see MISCONF meanwhile, the operator needs to
// know why. The sweep calls it every second.
func (e *Engine) watchJournalLocked() {
	d := e.disk
	if d == nil || d.log == nil {
		return
	}
	err := d.log.Err()
	switch {
	case err != nil && !d.failing:
		d.failing = true
		e.logger().Error("pelican: cannot write the append-only file; writes are refused (MISCONF) until it can, and what is pending is kept in memory", "dir", d.aofDir, "err", err)
	case err == nil && d.failing:
		d.failing = false
		e.logger().Info("pelican: the append-only file is written again; writes are accepted", "dir", d.aofDir)
	}
}

// baseFromDump loads Dir/DBFilename, if it exists, into an engine whose
// append-only directory is new, and writes it as the directory's base
// before anything else, so that the data is in the append-only files
// from the start (the manifest naming the base is written with the first
// incremental file).
func (e *Engine) baseFromDump(d *disk) error {
	if err := e.loadDump(d); err != nil || d.loaded.keys == 0 {
		return err
	}
	base := d.manifest.NewBase(d.cfg.AppendFilename, aof.BaseRDB)
	tmp := filepath.Join(d.aofDir, "temp-"+base.Name)
	if err := writeBase(d, tmp, e.snapshotLocked()); err != nil {
		return err
	}
	if err := d.fs.Rename(tmp, filepath.Join(d.aofDir, base.Name)); err != nil {
		d.fs.Remove(tmp)
		return fmt.Errorf("engine: installing the base made from %s: %w", d.cfg.DBFilename, err)
	}
	e.logger().Info("pelican: the append-only files start from the RDB file, their first base",
		"file", d.cfg.DBFilename, "base", base.Name)
	return nil
}
