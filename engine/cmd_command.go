package engine

import (
	"bytes"
	"sort"
	"strings"

	"github.com/pelicanhq/pelican/internal/glob"
	"github.com/pelicanhq/pelican/internal/resp"
)

// COMMAND and its subcommands: introspection of the command table. Only
// the commands the engine implements are reported; what is reported about
// each comes from the metadata table (commands_meta.go).

func commandSubcommands() []*Command {
	return []*Command{
		{Name: "count", Arity: 2, Run: commandCountCommand},
		{Name: "docs", Arity: -2, Run: commandDocsCommand},
		{Name: "getkeys", Arity: -4, Run: func(c *Client, a [][]byte) { commandGetKeysCommand(c, a, false) }},
		{Name: "getkeysandflags", Arity: -4, Run: func(c *Client, a [][]byte) { commandGetKeysCommand(c, a, true) }},
		{Name: "help", Arity: 2, Run: commandHelpCommand},
		{Name: "info", Arity: -2, Run: commandInfoCommand},
		{Name: "list", Arity: -2, Run: commandListCommand},
	}
}

// commandCommand is COMMAND without a subcommand: COMMAND INFO of every
// command.
func commandCommand(c *Client, args [][]byte) {
	cmds := topLevelCommands()
	c.out.Array(len(cmds))
	for _, cmd := range cmds {
		writeCommandInfo(c.out, cmd)
	}
}

// topLevelCommands returns the engine's commands sorted by name.
func topLevelCommands() []*Command {
	t := table()
	cmds := make([]*Command, 0, len(t))
	for _, cmd := range t {
		cmds = append(cmds, cmd)
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	return cmds
}

func commandCountCommand(c *Client, args [][]byte) { c.out.Int(int64(len(table()))) }

// commandByFullName finds a command by the name COMMAND INFO and COMMAND
// DOCS take: "xadd", or "xgroup|create" for a subcommand; case does not
// matter.
func commandByFullName(name []byte) *Command {
	parts := bytes.Split(name, []byte("|"))
	if len(parts) > 2 {
		return nil
	}
	base := table()[lowerName(parts[0])]
	if base == nil || len(parts) == 1 {
		return base
	}
	if base.subs == nil {
		return nil
	}
	return base.subs[lowerName(parts[1])]
}

func commandInfoCommand(c *Client, args [][]byte) {
	if len(args) == 2 {
		commandCommand(c, args)
		return
	}
	c.out.Array(len(args) - 2)
	for _, name := range args[2:] {
		if cmd := commandByFullName(name); cmd != nil {
			writeCommandInfo(c.out, cmd)
		} else {
			c.out.NullArray()
		}
	}
}

func commandDocsCommand(c *Client, args [][]byte) {
	w := c.out
	if len(args) == 2 {
		cmds := topLevelCommands()
		w.Map(len(cmds))
		for _, cmd := range cmds {
			w.BulkString(cmd.fullName)
			writeCommandDocs(w, cmd)
		}
		return
	}
	d := w.Defer(resp.KindMap)
	n := 0
	for _, name := range args[2:] {
		cmd := commandByFullName(name)
		if cmd == nil {
			continue
		}
		w.BulkString(cmd.fullName)
		writeCommandDocs(w, cmd)
		n++
	}
	w.SetLen(d, n)
}

func commandListCommand(c *Client, args [][]byte) {
	var filter func(*Command) bool
	for i := 2; i < len(args); i += 3 {
		if !equalFold(args[i], "FILTERBY") || len(args)-1-i != 2 {
			c.errorReply(errSyntax)
			return
		}
		kind, arg := args[i+1], string(args[i+2])
		switch {
		case equalFold(kind, "MODULE"):
			// Pelican has no modules.
			filter = func(*Command) bool { return false }
		case equalFold(kind, "ACLCAT"):
			cat := "@" + strings.ToLower(arg)
			filter = func(cmd *Command) bool {
				m := metaFor(cmd.fullName)
				return m != nil && hasWord(m.acl, cat)
			}
		case equalFold(kind, "PATTERN"):
			filter = func(cmd *Command) bool { return glob.MatchString(arg, cmd.fullName, true) }
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	w := c.out
	d := w.Defer(resp.KindArray)
	n := 0
	add := func(cmd *Command) {
		if filter == nil || filter(cmd) {
			w.BulkString(cmd.fullName)
			n++
		}
	}
	for _, cmd := range topLevelCommands() {
		add(cmd)
		for _, sub := range cmd.Subcommands {
			add(sub)
		}
	}
	w.SetLen(d, n)
}

// hasWord reports whether the space-separated list has word.
func hasWord(list, word string) bool {
	for _, f := range strings.Fields(list) {
		if f == word {
			return true
		}
	}
	return false
}

var commandHelp = []string{
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
}

func commandHelpCommand(c *Client, args [][]byte) {
	c.writeHelp("COMMAND", commandHelp)
}

// writeStatusSet writes a space-separated list as a set of simple
// strings, the form of COMMAND INFO's flags and ACL categories.
func writeStatusSet(w *resp.Writer, list string) {
	fields := strings.Fields(list)
	w.Set(len(fields))
	for _, f := range fields {
		w.Simple(f)
	}
}

// writeCommandInfo writes one command's entry of COMMAND INFO: name,
// arity, flags, first key, last key, step, ACL categories, tips, key specs
// and subcommands.
func writeCommandInfo(w *resp.Writer, cmd *Command) {
	m := metaFor(cmd.fullName)
	if m == nil {
		m = fallbackMeta(cmd)
	}
	w.Array(10)
	w.BulkString(cmd.fullName)
	w.Int(int64(cmd.Arity))
	writeStatusSet(w, m.flags)
	first, last, step := m.legacyRange()
	w.Int(int64(first))
	w.Int(int64(last))
	w.Int(int64(step))
	writeStatusSet(w, m.acl)
	tips := strings.Fields(m.tips)
	w.Set(len(tips))
	for _, t := range tips {
		w.BulkString(t)
	}
	w.Set(len(m.keySpecs))
	for i := range m.keySpecs {
		writeKeySpec(w, &m.keySpecs[i])
	}
	if len(cmd.Subcommands) == 0 {
		w.Set(0)
		return
	}
	w.Array(len(cmd.Subcommands))
	for _, sub := range cmd.Subcommands {
		writeCommandInfo(w, sub)
	}
}

func writeKeySpec(w *resp.Writer, ks *keySpec) {
	if ks.notes != "" {
		w.Map(4)
		w.BulkString("notes")
		w.BulkString(ks.notes)
	} else {
		w.Map(3)
	}
	w.BulkString("flags")
	writeStatusSet(w, ks.flags)

	w.BulkString("begin_search")
	w.Map(2)
	w.BulkString("type")
	switch {
	case ks.index > 0:
		w.BulkString("index")
		w.BulkString("spec")
		w.Map(1)
		w.BulkString("index")
		w.Int(int64(ks.index))
	case ks.keyword != "":
		w.BulkString("keyword")
		w.BulkString("spec")
		w.Map(2)
		w.BulkString("keyword")
		w.BulkString(ks.keyword)
		w.BulkString("startfrom")
		w.Int(int64(ks.startFrom))
	default:
		w.BulkString("unknown")
		w.BulkString("spec")
		w.Map(0)
	}

	w.BulkString("find_keys")
	w.Map(2)
	w.BulkString("type")
	switch ks.find {
	case findRange:
		w.BulkString("range")
		w.BulkString("spec")
		w.Map(3)
		w.BulkString("lastkey")
		w.Int(int64(ks.lastKey))
		w.BulkString("keystep")
		w.Int(int64(ks.keyStep))
		w.BulkString("limit")
		w.Int(int64(ks.limit))
	case findKeynum:
		w.BulkString("keynum")
		w.BulkString("spec")
		w.Map(3)
		w.BulkString("keynumidx")
		w.Int(int64(ks.keyNumIdx))
		w.BulkString("firstkey")
		w.Int(int64(ks.firstKey))
		w.BulkString("keystep")
		w.Int(int64(ks.keyStep))
	default:
		w.BulkString("unknown")
		w.BulkString("spec")
		w.Map(0)
	}
}

// writeCommandDocs writes one command's entry of COMMAND DOCS.
func writeCommandDocs(w *resp.Writer, cmd *Command) {
	m := metaFor(cmd.fullName)
	if m == nil {
		m = fallbackMeta(cmd)
	}
	n := 2 // summary, group
	for _, s := range []string{m.since, m.complexity, m.docFlags, m.deprecatedSince, m.replacedBy} {
		if s != "" {
			n++
		}
	}
	if len(m.args) > 0 {
		n++
	}
	if len(cmd.Subcommands) > 0 {
		n++
	}
	w.Map(n)
	w.BulkString("summary")
	w.BulkString(m.summary)
	if m.since != "" {
		w.BulkString("since")
		w.BulkString(m.since)
	}
	w.BulkString("group")
	w.BulkString(m.group)
	if m.complexity != "" {
		w.BulkString("complexity")
		w.BulkString(m.complexity)
	}
	if m.docFlags != "" {
		w.BulkString("doc_flags")
		writeStatusSet(w, m.docFlags)
	}
	if m.deprecatedSince != "" {
		w.BulkString("deprecated_since")
		w.BulkString(m.deprecatedSince)
	}
	if m.replacedBy != "" {
		w.BulkString("replaced_by")
		w.BulkString(m.replacedBy)
	}
	if len(m.args) > 0 {
		w.BulkString("arguments")
		writeArgs(w, m.args)
	}
	if len(cmd.Subcommands) > 0 {
		w.BulkString("subcommands")
		w.Map(len(cmd.Subcommands))
		for _, sub := range cmd.Subcommands {
			w.BulkString(sub.fullName)
			writeCommandDocs(w, sub)
		}
	}
}

// writeArgs writes an argument tree as COMMAND DOCS does (Redis 7.2 and
// later: every argument but a oneof or block has a display_text).
func writeArgs(w *resp.Writer, args []cmdArg) {
	w.Array(len(args))
	for i := range args {
		a := &args[i]
		container := a.typ == "oneof" || a.typ == "block"
		n := 2
		if !container {
			n++ // display_text
		}
		for _, s := range []string{a.token, a.since, a.deprecatedSince} {
			if s != "" {
				n++
			}
		}
		if a.keySpecPos > 0 {
			n++
		}
		if a.flags != 0 {
			n++
		}
		if container {
			n++ // arguments
		}
		w.Map(n)
		w.BulkString("name")
		w.BulkString(a.name)
		w.BulkString("type")
		w.BulkString(a.typ)
		if !container {
			w.BulkString("display_text")
			if a.display != "" {
				w.BulkString(a.display)
			} else {
				w.BulkString(a.name)
			}
		}
		if a.keySpecPos > 0 {
			w.BulkString("key_spec_index")
			w.Int(int64(a.keySpecPos - 1))
		}
		if a.token != "" {
			w.BulkString("token")
			w.BulkString(a.token)
		}
		if a.since != "" {
			w.BulkString("since")
			w.BulkString(a.since)
		}
		if a.deprecatedSince != "" {
			w.BulkString("deprecated_since")
			w.BulkString(a.deprecatedSince)
		}
		if a.flags != 0 {
			w.BulkString("flags")
			var fl []string
			if a.flags&argOptional != 0 {
				fl = append(fl, "optional")
			}
			if a.flags&argMultiple != 0 {
				fl = append(fl, "multiple")
			}
			if a.flags&argMultipleToken != 0 {
				fl = append(fl, "multiple_token")
			}
			w.Set(len(fl))
			for _, f := range fl {
				w.Simple(f)
			}
		}
		if container {
			w.BulkString("arguments")
			writeArgs(w, a.args)
		}
	}
}

// fallbackMeta describes a command that has no metadata row, from what the
// command table knows. Tests make sure no command needs it.
func fallbackMeta(cmd *Command) *cmdMeta {
	m := &cmdMeta{name: cmd.fullName, arity: cmd.Arity, acl: "@slow", group: "server", summary: "Pelican command."}
	var fl []string
	if cmd.Flags&flagWrite != 0 {
		fl = append(fl, "write")
		m.acl = "@write @slow"
	}
	if cmd.Flags&flagNoAuth != 0 {
		fl = append(fl, "no_auth")
	}
	if cmd.Flags&flagNoMulti != 0 {
		fl = append(fl, "no_multi")
	}
	m.flags = strings.Join(fl, " ")
	return m
}

func commandGetKeysCommand(c *Client, args [][]byte, withFlags bool) {
	line := args[2:]
	cmd := c.e.lookupCommand(line)
	if cmd == nil {
		c.errorReply("ERR Invalid command specified")
		return
	}
	m := metaFor(cmd.fullName)
	if m == nil || !hasKeys(m) {
		c.errorReply("ERR The command has no key arguments")
		return
	}
	if (cmd.Arity > 0 && cmd.Arity != len(line)) || len(line) < -cmd.Arity {
		c.errorReply("ERR Invalid number of arguments specified for command")
		return
	}
	keys, ok := keysFromSpecs(m, line)
	if !ok || len(keys) == 0 {
		if hasWord(m.flags, "no_mandatory_keys") {
			c.out.Array(0)
			return
		}
		c.errorReply("ERR Invalid arguments specified for command")
		return
	}
	c.out.Array(len(keys))
	for _, k := range keys {
		if !withFlags {
			c.out.Bulk(line[k.pos])
			continue
		}
		c.out.Array(2)
		c.out.Bulk(line[k.pos])
		writeStatusSet(c.out, k.flags)
	}
}

// hasKeys reports whether a command has a key spec for real keys.
func hasKeys(m *cmdMeta) bool {
	for i := range m.keySpecs {
		if !hasWord(m.keySpecs[i].flags, "not_key") {
			return true
		}
	}
	return false
}

type keyRef struct {
	pos   int
	flags string
}

// keysFromSpecs finds the keys of a command line with its key specs, as
// Redis's getKeysUsingKeySpecs does. It fails when a spec cannot be
// applied (unknown or incomplete specs, malformed key counts).
func keysFromSpecs(m *cmdMeta, line [][]byte) ([]keyRef, bool) {
	argc := len(line)
	var keys []keyRef
	for i := range m.keySpecs {
		ks := &m.keySpecs[i]
		if hasWord(ks.flags, "not_key") {
			continue
		}
		first := 0
		switch {
		case ks.index > 0:
			first = ks.index
		case ks.keyword != "":
			start, end := ks.startFrom, argc-1
			if ks.startFrom <= 0 {
				start, end = argc+ks.startFrom, 1
			}
			step := 1
			if start > end {
				step = -1
			}
			// The end position itself is never a keyword: keys must follow.
			for j := start; j != end && j >= 1 && j < argc; j += step {
				if bytes.EqualFold(line[j], []byte(ks.keyword)) {
					first = j + 1
					break
				}
			}
			if first == 0 {
				continue
			}
		default:
			return nil, false
		}
		var last, step int
		switch ks.find {
		case findRange:
			step = ks.keyStep
			switch {
			case ks.lastKey >= 0:
				last = first + ks.lastKey
			case ks.limit == 0:
				last = argc + ks.lastKey
			default:
				last = first + (argc-first)/ks.limit + ks.lastKey
			}
		case findKeynum:
			step = ks.keyStep
			if first+ks.keyNumIdx >= argc {
				return nil, false
			}
			n, ok := resp.ParseInt(line[first+ks.keyNumIdx])
			if !ok || n < 0 || n > int64(argc) {
				return nil, false
			}
			first += ks.firstKey
			last = first + int(n) - 1
		default:
			return nil, false
		}
		if last >= argc || last < first || first >= argc {
			return nil, false
		}
		for j := first; j <= last; j += step {
			keys = append(keys, keyRef{pos: j, flags: ks.flags})
		}
		if hasWord(ks.flags, "incomplete") {
			return nil, false
		}
	}
	return keys, true
}
