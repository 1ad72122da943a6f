package engine

import (
	"strconv"
	"strings"

	"github.com/pelicanhq/pelican/internal/glob"
	"github.com/pelicanhq/pelican/internal/resp"
)

// Server commands: TIME, CONFIG, FUNCTION FLUSH, SCRIPT FLUSH, and the
// registration of the connection and introspection commands (CLIENT,
// INFO, COMMAND, RESET).

func serverCommands() []*Command {
	return []*Command{
		{Name: "client", Arity: -2, Subcommands: clientSubcommands()},
		{Name: "command", Arity: -1, Run: commandCommand, Subcommands: commandSubcommands()},
		{Name: "config", Arity: -2, Subcommands: configSubcommands()},
		{Name: "function", Arity: -2, Subcommands: []*Command{
			{Name: "flush", Arity: -2, Flags: flagWrite, Run: functionFlushCommand},
			{Name: "help", Arity: 2, Run: func(c *Client, _ [][]byte) { c.writeHelp("FUNCTION", functionHelp) }},
		}},
		{Name: "info", Arity: -1, Run: infoCommand},
		{Name: "reset", Arity: 1, Flags: flagNoAuth | flagTxControl, Run: resetCommand},
		{Name: "script", Arity: -2, Subcommands: scriptSubcommands()},
		{Name: "time", Arity: 1, Run: timeCommand},
	}
}

// timeCommand replies the current time as seconds and microseconds.
func timeCommand(c *Client, args [][]byte) {
	now := c.e.clock()
	c.out.Array(2)
	c.out.BulkInt(now.Unix())
	c.out.BulkInt(int64(now.Nanosecond() / 1000))
}

// flushMode checks FLUSH's optional SYNC or ASYNC argument.
func flushMode(args [][]byte) bool {
	return len(args) == 2 || equalFold(args[2], "SYNC") || equalFold(args[2], "ASYNC")
}

// functionFlushCommand is FUNCTION FLUSH [ASYNC|SYNC]. Pelican runs no
// functions, so there is nothing to delete.
func functionFlushCommand(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.errorReply(subcommandSyntax("FUNCTION", args[1]))
		return
	}
	if !flushMode(args) {
		c.errorReply("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	c.out.Simple("OK")
}

// scriptFlushCommand is SCRIPT FLUSH [ASYNC|SYNC]. Pelican caches no
// scripts.
func scriptFlushCommand(c *Client, args [][]byte) {
	if len(args) > 3 || !flushMode(args) {
		c.errorReply("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	if s := c.e.scripting; s != nil {
		// A new interpreter, as Redis makes: nothing a script left in the
		// old one survives.
		s.close()
		c.e.scripting = nil
	}
	c.out.Simple("OK")
}

var functionHelp = []string{
	"FLUSH [ASYNC|SYNC]",
	"    Delete all the libraries.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the libraries.",
	"    * SYNC: Synchronously flush the libraries.",
}

var scriptHelp = []string{
	"EXISTS <sha1> [<sha1> ...]",
	"    Return information about the existence of the scripts in the script cache.",
	"FLUSH [ASYNC|SYNC]",
	"    Flush the Lua scripts cache. Very dangerous on replicas.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the scripts cache.",
	"    * SYNC: Synchronously flush the scripts cache.",
	"KILL",
	"    Kill the currently executing Lua script.",
	"LOAD <script>",
	"    Load a script into the scripts cache without executing it.",
}

// CONFIG

func configSubcommands() []*Command {
	return []*Command{
		{Name: "get", Arity: -3, Run: configGetCommand},
		{Name: "set", Arity: -4, Run: configSetCommand},
		{Name: "resetstat", Arity: 2, Run: configResetStatCommand},
		{Name: "rewrite", Arity: 2, Run: func(c *Client, _ [][]byte) {
			c.errorReply("ERR The server is running without a config file")
		}},
		{Name: "help", Arity: 2, Run: func(c *Client, _ [][]byte) { c.writeHelp("CONFIG", configHelp) }},
	}
}

var configHelp = []string{
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
}

// configParam is one setting CONFIG GET and CONFIG SET know.
type configParam struct {
	name string
	get  func(e *Engine) string
	// set validates a value and returns a function that applies it, or
	// Redis's error detail. It is nil for an immutable setting.
	set func(e *Engine, v []byte) (apply func(), errDetail string)
}

// configParams are Pelican's settings. Those Pelican does not act upon
// report the value describing its behaviour (sixteen databases, no
// listening address restriction); setting them to that value succeeds, setting
// them to another fails as for an immutable setting.
var configParams = []configParam{
	{name: "busy-reply-threshold", get: getBusyReplyThreshold, set: setBusyReplyThreshold},
	{name: "databases", get: fixed(strconv.Itoa(NumDatabases))},
	{name: "hz",
		get: func(e *Engine) string { return strconv.FormatInt(e.settings.hz, 10) },
		set: intSetting(0, 1<<31-1, false, func(e *Engine, n int64) { e.settings.hz = n })},
	{name: "client-output-buffer-limit", get: formatOutputLimits, set: outputLimitsSetting},
	{name: "client-query-buffer-limit",
		get: func(e *Engine) string { return strconv.FormatInt(e.settings.queryBufferLimit, 10) },
		set: intSetting(1024*1024, 1<<63-1, true, func(e *Engine, n int64) { e.settings.queryBufferLimit = n })},
	{name: "maxclients",
		get: func(e *Engine) string { return strconv.FormatInt(e.settings.maxClients, 10) },
		set: maxClientsSetting},
	{name: "maxmemory",
		get: func(e *Engine) string { return strconv.FormatUint(e.mem.limit, 10) },
		set: maxmemorySetting},
	{name: "maxmemory-policy", get: fixed("noeviction"), set: maxmemoryPolicySetting},
	{name: "io-threads", get: func(e *Engine) string { return strconv.Itoa(max(e.cfg.IOThreads, 1)) }},
	{name: "lua-time-limit", get: getBusyReplyThreshold, set: setBusyReplyThreshold},
	{name: "port",
		get: func(e *Engine) string { return strconv.Itoa(e.cfg.Port) },
		set: func(e *Engine, v []byte) (func(), string) {
			return fixedInt(int64(e.cfg.Port), 0, 65535, false)(e, v)
		}},
	{name: "proto-max-bulk-len",
		get: func(e *Engine) string { return strconv.FormatInt(e.settings.protoMaxBulkLen, 10) },
		set: intSetting(1024*1024, 1<<63-1, true, func(e *Engine, n int64) { e.settings.protoMaxBulkLen = n })},
	{name: "requirepass",
		get: func(e *Engine) string { return e.settings.requirePass },
		set: func(e *Engine, v []byte) (func(), string) {
			pass := string(v)
			return func() { e.settings.requirePass = pass }, ""
		}},
	{name: "save", get: fixed(""), set: saveSetting},
	{name: "stream-node-max-bytes",
		get: func(e *Engine) string { return strconv.Itoa(e.settings.limits.NodeMaxBytes) },
		set: intSetting(0, 1<<63-1, true, func(e *Engine, n int64) { e.settings.limits.NodeMaxBytes = int(n) })},
	{name: "stream-node-max-entries",
		get: func(e *Engine) string { return strconv.Itoa(e.settings.limits.NodeMaxEntries) },
		set: intSetting(0, 1<<63-1, false, func(e *Engine, n int64) { e.settings.limits.NodeMaxEntries = int(n) })},
	{name: "zset-max-listpack-entries", get: getZsetEntries, set: setZsetEntries},
	{name: "zset-max-listpack-value", get: getZsetValue, set: setZsetValue},
	{name: "zset-max-ziplist-entries", get: getZsetEntries, set: setZsetEntries},
	{name: "zset-max-ziplist-value", get: getZsetValue, set: setZsetValue},
	{name: "timeout",
		get: func(e *Engine) string { return strconv.FormatInt(e.settings.timeout, 10) },
		set: intSetting(0, 1<<31-1, false, func(e *Engine, n int64) { e.settings.timeout = n })},
}

// busy-reply-threshold and its alias lua-time-limit, in milliseconds.
var (
	getBusyReplyThreshold = func(e *Engine) string { return strconv.FormatInt(e.settings.busyReplyThreshold, 10) }
	setBusyReplyThreshold = intSetting(0, 1<<63-1, false, func(e *Engine, n int64) { e.settings.busyReplyThreshold = n })
)

// zset-max-listpack-entries and zset-max-listpack-value, and their aliases
// zset-max-ziplist-entries and zset-max-ziplist-value.
var (
	getZsetEntries = func(e *Engine) string { return strconv.FormatInt(e.settings.zsetListpackEntries, 10) }
	setZsetEntries = intSetting(0, 1<<63-1, false, func(e *Engine, n int64) { e.settings.zsetListpackEntries = n })
	getZsetValue   = func(e *Engine) string { return strconv.FormatInt(e.settings.zsetListpackValue, 10) }
	setZsetValue   = intSetting(0, 1<<63-1, true, func(e *Engine, n int64) { e.settings.zsetListpackValue = n })
)

const errImmutable = "can't set immutable config"

func fixed(v string) func(*Engine) string { return func(*Engine) string { return v } }

// parseMemory parses a byte count with an optional unit (b, k, kb, m, mb,
// g, gb; case does not matter), as Redis's memtoull does.
func parseMemory(v []byte) (uint64, bool) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	// No digits read as 0 ("mb" is 0 bytes); a sign is not accepted.
	var mul uint64
	switch strings.ToLower(string(v[i:])) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	n := uint64(0)
	if i > 0 {
		var err error
		n, err = strconv.ParseUint(string(v[:i]), 10, 64)
		if err != nil {
			n = 1<<64 - 1 // too many digits saturate, as with strtoull
		}
	}
	return n * mul, true
}

// parseNumber parses a numeric setting: a memory value for memory
// settings, otherwise a plain integer.
func parseNumber(v []byte, memory bool) (int64, string) {
	if memory {
		n, ok := parseMemory(v)
		if !ok {
			return 0, "argument must be a memory value"
		}
		return int64(n), ""
	}
	n, ok := resp.ParseInt(v)
	if !ok {
		return 0, "argument couldn't be parsed into an integer"
	}
	return n, ""
}

func boundsError(min, max int64) string {
	return "argument must be between " + strconv.FormatInt(min, 10) + " and " + strconv.FormatUint(uint64(max), 10) + " inclusive"
}

// intSetting is a numeric setting in [min, max] that set applies.
func intSetting(min, max int64, memory bool, set func(*Engine, int64)) func(*Engine, []byte) (func(), string) {
	return func(e *Engine, v []byte) (func(), string) {
		n, msg := parseNumber(v, memory)
		if msg != "" {
			return nil, msg
		}
		if n < min || n > max {
			return nil, boundsError(min, max)
		}
		return func() { set(e, n) }, ""
	}
}

// fixedInt is a numeric setting whose only accepted value is want.
func fixedInt(want, min, max int64, memory bool) func(*Engine, []byte) (func(), string) {
	return func(e *Engine, v []byte) (func(), string) {
		n, msg := parseNumber(v, memory)
		if msg != "" {
			return nil, msg
		}
		if n < min || n > max {
			return nil, boundsError(min, max)
		}
		if n != want {
			return nil, errImmutable
		}
		return func() {}, ""
	}
}

func fixedBool(want string) func(*Engine, []byte) (func(), string) {
	return func(e *Engine, v []byte) (func(), string) {
		if !equalFold(v, "YES") && !equalFold(v, "NO") {
			return nil, "argument must be 'yes' or 'no'"
		}
		if !strings.EqualFold(string(v), want) {
			return nil, errImmutable
		}
		return func() {}, ""
	}
}

func fixedString(want string) func(*Engine, []byte) (func(), string) {
	return func(e *Engine, v []byte) (func(), string) {
		if string(v) != want {
			return nil, errImmutable
		}
		return func() {}, ""
	}
}

// saveSetting accepts the save setting's syntax (pairs of seconds and
// changes, or "" for none) but only the empty value: Pelican does not
// save snapshots.
func saveSetting(e *Engine, v []byte) (func(), string) {
	fields := strings.Fields(string(v))
	if len(fields)%2 != 0 {
		return nil, "Invalid save parameters"
	}
	for i, f := range fields {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || (i%2 == 0 && n < 1) || (i%2 == 1 && n < 0) {
			return nil, "Invalid save parameters"
		}
	}
	if len(fields) > 0 {
		return nil, errImmutable
	}
	return func() {}, ""
}

func lookupConfig(name []byte) *configParam {
	for i := range configParams {
		if strings.EqualFold(configParams[i].name, string(name)) {
			return &configParams[i]
		}
	}
	return nil
}

// configGetCommand is CONFIG GET pattern [pattern ...]: a map of the
// matching settings. A name without glob characters is looked up (case
// does not matter) and reported as written; patterns report canonical
// names. Each setting appears once.
func configGetCommand(c *Client, args [][]byte) {
	type match struct{ name, value string }
	var matches []match
	seen := make(map[string]bool)
	for _, a := range args[2:] {
		pat := cstr(a)
		if !strings.ContainsAny(pat, "[*?") {
			p := lookupConfig([]byte(pat))
			if p == nil || seen[p.name] {
				continue
			}
			seen[p.name] = true
			matches = append(matches, match{pat, p.get(c.e)})
			continue
		}
		for i := range configParams {
			p := &configParams[i]
			if seen[p.name] || !glob.MatchString(pat, p.name, true) {
				continue
			}
			seen[p.name] = true
			matches = append(matches, match{p.name, p.get(c.e)})
		}
	}
	c.out.Map(len(matches))
	for _, m := range matches {
		c.out.BulkString(m.name)
		c.out.BulkString(m.value)
	}
}

// configSetCommand is CONFIG SET name value [name value ...]. Either all
// the settings change or none does.
func configSetCommand(c *Client, args [][]byte) {
	if len(args)%2 != 0 {
		c.errorReply(errSyntax)
		return
	}
	n := (len(args) - 2) / 2
	params := make([]*configParam, n)
	// The first problem with the names is reported.
	var unknown, errName, errDetail string
	isUnknown := false
	for i := 0; i < n && !isUnknown && errDetail == ""; i++ {
		name := args[2+2*i]
		p := lookupConfig(name)
		switch {
		case p == nil:
			unknown, isUnknown = cstr(name), true
		case p.set == nil:
			errName, errDetail = cstr(name), errImmutable
		default:
			for j := 0; j < i; j++ {
				if params[j] == p {
					errName, errDetail = cstr(name), "duplicate parameter"
				}
			}
		}
		params[i] = p
	}
	if isUnknown {
		c.errorReply("ERR Unknown option or number of arguments for CONFIG SET - '" + unknown + "'")
		return
	}
	if errDetail != "" {
		c.errorReply("ERR CONFIG SET failed (possibly related to argument '" + errName + "') - " + errDetail)
		return
	}
	applies := make([]func(), n)
	for i, p := range params {
		apply, msg := p.set(c.e, args[3+2*i])
		if msg != "" {
			c.errorReply("ERR CONFIG SET failed (possibly related to argument '" + p.name + "') - " + msg)
			return
		}
		applies[i] = apply
	}
	for _, apply := range applies {
		apply()
	}
	c.out.Simple("OK")
}

// configResetStatCommand zeroes the statistics INFO reports.
func configResetStatCommand(c *Client, args [][]byte) {
	c.e.stats.init()
	c.out.Simple("OK")
}
