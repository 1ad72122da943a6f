package engine

import (
	"strings"
	"sync"
)

// cmdFlags are the behaviours of a command the dispatcher acts on.
type cmdFlags uint32

const (
	// flagNoAuth commands run before the client has authenticated.
	flagNoAuth cmdFlags = 1 << iota
	// flagNoMulti commands are refused inside MULTI.
	flagNoMulti
	// flagTxControl commands run at once inside MULTI instead of being
	// queued (MULTI, EXEC, DISCARD, WATCH, QUIT, RESET).
	flagTxControl
	// flagWrite commands change data.
	flagWrite
	// flagAllowBusy commands run while a script is busy (COMMAND INFO's
	// allow_busy); the others are answered BUSY.
	flagAllowBusy
)

// Command is one entry of the command table: a command, or a subcommand of
// a container command such as XGROUP.
type Command struct {
	// Name is the lower-case name ("xadd", or "create" for XGROUP CREATE).
	Name string
	// Arity is Redis's arity: the exact number of arguments including the
	// name when positive, the minimum when negative. A subcommand's arity
	// counts the container's name too.
	Arity int
	// Flags are behaviours the dispatcher enforces.
	Flags cmdFlags
	// Run executes the command. It is nil for a container.
	Run func(c *Client, args [][]byte)
	// Subcommands of a container command.
	Subcommands []*Command

	fullName string // "xgroup|create"
	index    int    // position in the table, for per-engine statistics
	// noScript, write and denyOOM are the COMMAND INFO flags scripts and
	// the maxmemory check read, taken from the metadata once.
	noScript, write, denyOOM bool
	// newerThanAOF marks write commands Redis 7.0 does not know: their
	// effects are journaled as extensions only Pelican replays.
	newerThanAOF bool
	parent       *Command
	subs         map[string]*Command
}

// FullName returns the name Redis uses in errors and statistics:
// "xgroup|create" for a subcommand.
func (c *Command) FullName() string { return c.fullName }

// commandTable maps lower-case names to commands. It is built once.
var (
	tableOnce    sync.Once
	commandTable map[string]*Command
)

// allCommands lists every command family's table.
func allCommands() []*Command {
	var cmds []*Command
	for _, family := range [][]*Command{
		connectionCommands(),
		serverCommands(),
		transactionCommands(),
		keyCommands(),
		dumpCommands(),
		saveCommands(),
		stringCommands(),
		hashCommands(),
		setCommands(),
		zsetCommands(),
		listCommands(),
		streamCommands(),
		memoryCommands(),
		objectCommands(),
		scriptingCommands(),
		persistenceCommands(),
		pubsubCommands(),
	} {
		cmds = append(cmds, family...)
	}
	return cmds
}

func buildTable() {
	commandTable = make(map[string]*Command)
	index := 0
	for _, c := range allCommands() {
		c.fullName = c.Name
		c.index = index
		index++
		if _, dup := commandTable[c.Name]; dup {
			panic("engine: command registered twice: " + c.Name)
		}
		commandTable[c.Name] = c
		c.noScript, c.write, c.denyOOM = c.hasMetaFlag("noscript"), c.hasMetaFlag("write"), c.hasMetaFlag("denyoom")
		if c.hasMetaFlag("allow_busy") {
			c.Flags |= flagAllowBusy
		}
		c.newerThanAOF = newerThanAOF[c.Name]
		if len(c.Subcommands) > 0 {
			c.subs = make(map[string]*Command)
			for _, s := range c.Subcommands {
				s.parent = c
				s.fullName = c.Name + "|" + s.Name
				s.index = index
				index++
				c.subs[s.Name] = s
				s.noScript, s.write, s.denyOOM = s.hasMetaFlag("noscript"), s.hasMetaFlag("write"), s.hasMetaFlag("denyoom")
				if s.hasMetaFlag("allow_busy") {
					s.Flags |= flagAllowBusy
				}
			}
		}
	}
}

// newerThanAOF lists the write commands added to Redis after 7.0, whose
// effects a Redis 7 loading Pelican's files must not see.
var newerThanAOF = map[string]bool{
	"xackdel": true, "xdelex": true, "xnack": true, "xcfgset": true,
}

func table() map[string]*Command {
	tableOnce.Do(buildTable)
	return commandTable
}

// lowerName returns the lower-case form of a command name, without
// allocating for names that are already lower case.
func lowerName(b []byte) string {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			return strings.ToLower(string(b))
		}
	}
	return string(b)
}

// lookupCommand finds the command for an argument vector, descending into
// a container's subcommands when there is a second argument, as Redis's
// lookupCommandLogic does. It returns nil for an unknown command or
// subcommand.
func (e *Engine) lookupCommand(args [][]byte) *Command {
	base := lookupName(table(), args[0])
	if base == nil {
		return nil
	}
	if len(args) == 1 || base.subs == nil {
		return base
	}
	return lookupName(base.subs, args[1])
}

// lookupName returns the command of table named name, in any case. Names
// of up to 32 bytes are lowered on the stack, so that a lookup allocates
// nothing.
func lookupName(table map[string]*Command, name []byte) *Command {
	if isLower(name) {
		return table[string(name)]
	}
	var buf [32]byte
	if len(name) > len(buf) {
		return table[lowerName(name)]
	}
	lower := buf[:len(name)]
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	return table[string(lower)]
}

// lookupContainer returns the command named by name if it has
// subcommands.
func (e *Engine) lookupContainer(name []byte) *Command {
	c := table()[lowerName(name)]
	if c != nil && c.subs != nil {
		return c
	}
	return nil
}

func isLower(b []byte) bool {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return true
}

// equalFold reports whether an argument equals a keyword, ignoring ASCII
// case. kw must be upper case.
func equalFold(arg []byte, kw string) bool {
	if len(arg) != len(kw) {
		return false
	}
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != kw[i] {
			return false
		}
	}
	return true
}
