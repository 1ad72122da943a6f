package engine

import "bytes"

// The persistence commands that act on the append-only files: SHUTDOWN,
// BGREWRITEAOF (rewrite.go), WAITAOF, and DEBUG's LOADAOF.

func persistenceCommands() []*Command {
	return []*Command{
		{Name: "bgrewriteaof", Arity: 1, Run: bgrewriteaofCommand},
		{Name: "shutdown", Arity: -1, Flags: flagNoMulti, Run: shutdownCommand},
		{Name: "waitaof", Arity: 4, Run: waitaofCommand},
		{Name: "debug", Arity: -2, Run: debugCommand},
	}
}

// debugCommand is DEBUG, whose subcommands are not separate commands in
// Redis's table. Pelican has the ones its persistence needs.
func debugCommand(c *Client, args [][]byte) {
	switch {
	case equalFold(args[1], "LOADAOF") && len(args) == 2:
		debugLoadAOFCommand(c, args)
	case equalFold(args[1], "RELOAD"):
		debugReloadCommand(c, args)
	case equalFold(args[1], "HELP") && len(args) == 2:
		c.writeHelp("DEBUG", debugHelp)
	default:
		c.errorReply(unknownSubcommand("DEBUG", args[1]))
	}
}

var debugHelp = []string{
	"RELOAD [NOSAVE]",
	"    Save the RDB in memory, empty the databases and load it back (it does not write dump.rdb: SAVE does).",
	"LOADAOF",
	"    Flush the append only file to disk, empty the databases and load the append only file again.",
	"HELP",
	"    Print this help.",
}

// shutdownCommand is SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. The
// engine's owner (pelican server) stops accepting connections, and the
// engine writes and fsyncs what is pending as it closes; the client gets
// no reply, its connection closes, as in Redis. While a script is busy
// only SHUTDOWN NOSAVE is accepted, and stops the script.
func shutdownCommand(c *Client, args [][]byte) {
	abort, noSave := false, false
	for _, a := range args[1:] {
		switch {
		case equalFold(a, "NOSAVE"):
			noSave = true
		case equalFold(a, "SAVE"), equalFold(a, "NOW"), equalFold(a, "FORCE"):
		case equalFold(a, "ABORT"):
			abort = true
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	if abort {
		if len(args) > 2 {
			c.errorReply(errSyntax)
			return
		}
		c.errorReply("ERR No shutdown in progress.")
		return
	}
	busy := c.e.scriptBusyLocked()
	if busy && !noSave {
		c.errorReply(errBusyScript)
		return
	}
	if c.e.cfg.Shutdown == nil {
		c.e.logger().Warn("pelican: SHUTDOWN refused: this engine runs inside another program, which closes it")
		c.errorReply("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	c.e.logger().Info("pelican: SHUTDOWN requested by a client", "addr", c.addr)
	// NOSAVE skips the snapshot an engine without an append-only file
	// takes on its way out; the append-only file is flushed whatever.
	c.e.noSaveOnClose = noSave
	if busy {
		// The script stops without a reply and without its writes, as
		// Redis exits in the middle of it.
		c.e.stopScript(errScriptShutdown)
	}
	c.closeAfterReply = true
	go c.e.cfg.Shutdown()
}

// waitaofCommand is WAITAOF numlocal numreplicas timeout (Redis 7.2): the
// reply waits until the client's writes are fsynced. Pelican has no
// replicas, so none ever acknowledges; rather than wait out the timeout
// for replicas that do not exist, it replies as soon as the local fsync
// is done.
func waitaofCommand(c *Client, args [][]byte) {
	numLocal, ok := c.rangeArg(args[1], 0, 1, "")
	if !ok {
		return
	}
	numReplicas, ok := c.intArg(args[2], "")
	if !ok {
		return
	}
	if numReplicas < 0 {
		c.errorReply(errOutOfRange)
		return
	}
	if _, ok := c.timeoutMsArg(args[3]); !ok {
		return
	}
	aofOn := c.e.disk != nil && c.e.disk.log != nil
	if numLocal > 0 && !aofOn {
		c.errorReply("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.")
		return
	}
	c.out.Array(2)
	if aofOn {
		// The reply leaves only after the fsync (see JournalWaitLocked).
		c.wantFsync = true
		c.out.Int(1)
	} else {
		c.out.Int(0)
	}
	c.out.Int(0)
}

// debugLoadAOFCommand is DEBUG LOADAOF: write and fsync the log, empty
// the databases and load the files again. Like Redis, it holds everything
// up while it runs (it does its I/O under the engine lock); tests and
// tools use it.
func debugLoadAOFCommand(c *Client, args [][]byte) {
	e := c.e
	d := e.disk
	if d == nil || d.log == nil {
		c.errorReply("ERR Pelican keeps no append-only file: start it with a data directory (--dir) and appendonly yes")
		return
	}
	e.flushUnitLocked()
	if err := d.log.Sync(d.log.End()); err != nil {
		c.errorReply("ERR " + err.Error())
		return
	}
	journal := e.fx.journal
	e.fx.journal = nil
	for _, db := range e.dbs {
		e.flushLocked(db)
	}
	err := e.loadAOF(d)
	e.fx.journal = journal
	e.resetJournalLocked()
	c.propagateNothing()
	if err != nil {
		c.errorReply("ERR " + err.Error())
		return
	}
	e.logger().Warn("pelican: append-only files loaded by DEBUG LOADAOF")
	c.out.Simple("OK")
}

// debugReloadCommand is DEBUG RELOAD [NOSAVE]: the databases go through
// an RDB snapshot and back, as Redis's does through dump.rdb. Pelican
// keeps the snapshot in memory (SAVE writes dump.rdb), so the command
// does no disk I/O. Keys already expired are dropped, as loading an RDB
// file drops them.
func debugReloadCommand(c *Client, args [][]byte) {
	for _, a := range args[2:] {
		if !equalFold(a, "NOSAVE") {
			c.errorReply("ERR DEBUG RELOAD only supports the NOSAVE option in Pelican")
			return
		}
	}
	e := c.e
	var buf bytes.Buffer
	if err := e.snapshotLocked().writeRDB(&buf, false); err != nil {
		c.errorReply("ERR " + err.Error())
		return
	}
	for _, db := range e.dbs {
		e.flushLocked(db)
	}
	if err := e.loadRDB(&buf, false); err != nil {
		// The snapshot was just written: failing to read it is a bug,
		// and the data is gone from memory (it is still in the files).
		e.logger().Error("pelican: DEBUG RELOAD could not load the snapshot it wrote", "err", err)
		c.errorReply("ERR Error trying to load the RDB dump: " + err.Error())
		return
	}
	c.propagateNothing()
	c.out.Simple("OK")
}
