package engine

// metaScripting is the metadata of EVAL and its forms.
var metaScripting = []cmdMeta{
	evalMeta("eval", "", "Runs a Lua script.", "RW access update",
		"We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"),
	evalMeta("eval_ro", "readonly ", "Runs a read-only Lua script.", "RO access",
		"We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"),
	evalMeta("evalsha", "", "Runs a cached Lua script by its SHA1 digest.", "RW access update", ""),
	evalMeta("evalsha_ro", "readonly ", "Runs a cached read-only Lua script by its SHA1 digest.", "RO access", ""),
}

// evalMeta is the row of one EVAL form: they differ in name, flags, the
// key spec's flags and notes, and when they came.
func evalMeta(name, flags, summary, keyFlags, notes string) cmdMeta {
	since, first := "2.6.0", "script"
	if flags != "" {
		since = "7.0.0"
	}
	if name == "evalsha" || name == "evalsha_ro" {
		first = "sha1"
	}
	return cmdMeta{
		name: name, arity: -3, flags: flags + "noscript stale skip_monitor no_mandatory_keys movablekeys", acl: "@slow @scripting",
		keySpecs: []keySpec{
			{notes: notes, flags: keyFlags, index: 2, find: findKeynum, keyNumIdx: 0, firstKey: 1, keyStep: 1},
		},
		group: "scripting", since: since,
		summary:    summary,
		complexity: "Depends on the script",
		args: []cmdArg{
			{name: first, typ: "string"},
			{name: "numkeys", typ: "integer"},
			{name: "key", typ: "key", keySpecPos: 1, flags: argOptional | argMultiple},
			{name: "arg", typ: "string", flags: argOptional | argMultiple},
		},
	}
}
