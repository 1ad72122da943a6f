package engine

// metaStream lists the metadata of the stream commands.
//
// Commands and options newer than Redis 7.0 follow the command pages of
// redis.io: XADD's KEEPREF/DELREF/ACKED (8.2) and IDMPAUTO/IDMP (8.6),
// XTRIM's KEEPREF/DELREF/ACKED (8.2), XREADGROUP's CLAIM (8.4), XREAD's and
// XREADGROUP's MAXCOUNT and MAXSIZE (8.10), and the commands XACKDEL and
// XDELEX (8.2), XCFGSET (8.6) and XNACK (8.8). Their ACL categories are
// the ones Redis derives from their flags (write, fast).
var metaStream = []cmdMeta{
	{
		name: "xack", arity: -4, flags: "write fast", acl: "@write @stream @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Removes entries from a consumer group's pending entries list.",
		complexity: "O(1) an ID",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "group", typ: "string"},
			{name: "ID", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "xackdel", arity: -6, flags: "write fast", acl: "@write @stream @fast",
		keySpecs: []keySpec{
			{flags: "RW update delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "8.2.0",
		summary:    "Acknowledges entries of a consumer group and deletes them from the stream.",
		complexity: "O(1) an ID",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "group", typ: "string"},
			{name: "condition", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "keepref", typ: "pure-token", token: "KEEPREF"},
				{name: "delref", typ: "pure-token", token: "DELREF"},
				{name: "acked", typ: "pure-token", token: "ACKED"},
			}},
			{name: "ids", typ: "block", token: "IDS", args: []cmdArg{
				{name: "numids", typ: "integer"},
				{name: "id", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "xadd", arity: -5, flags: "write denyoom fast", acl: "@write @stream @fast", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{notes: "UPDATE instead of INSERT because of the optional trimming feature", flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Appends an entry to a stream, creating the key if needed.",
		complexity: "O(1), plus O(N) for N entries trimmed",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "nomkstream", typ: "pure-token", token: "NOMKSTREAM", flags: argOptional, since: "6.2.0"},
			{name: "condition", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "keepref", typ: "pure-token", token: "KEEPREF"},
				{name: "delref", typ: "pure-token", token: "DELREF"},
				{name: "acked", typ: "pure-token", token: "ACKED"},
			}},
			{name: "idmp", typ: "oneof", flags: argOptional, since: "8.6.0", args: []cmdArg{
				{name: "pid", typ: "string", display: "producer-id", token: "IDMPAUTO"},
				{name: "idmp", typ: "block", token: "IDMP", args: []cmdArg{
					{name: "pid", typ: "string", display: "producer-id"},
					{name: "iid", typ: "string", display: "idempotent-id"},
				}},
			}},
			{name: "trim", typ: "block", flags: argOptional, args: []cmdArg{
				{name: "strategy", typ: "oneof", args: []cmdArg{
					{name: "maxlen", typ: "pure-token", token: "MAXLEN"},
					{name: "minid", typ: "pure-token", token: "MINID", since: "6.2.0"},
				}},
				{name: "operator", typ: "oneof", flags: argOptional, args: []cmdArg{
					{name: "equal", typ: "pure-token", token: "="},
					{name: "approximately", typ: "pure-token", token: "~"},
				}},
				{name: "threshold", typ: "string"},
				{name: "count", typ: "integer", token: "LIMIT", flags: argOptional, since: "6.2.0"},
			}},
			{name: "id-selector", typ: "oneof", args: []cmdArg{
				{name: "auto-id", typ: "pure-token", token: "*"},
				{name: "id", typ: "string"},
			}},
			{name: "data", typ: "block", flags: argMultiple, args: []cmdArg{
				{name: "field", typ: "string"},
				{name: "value", typ: "string"},
			}},
		},
	},
	{
		name: "xautoclaim", arity: -6, flags: "write fast", acl: "@write @stream @fast", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "6.2.0",
		summary:    "Takes over pending entries idle for long enough, scanning from an ID.",
		complexity: "O(1) with a fixed COUNT",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "group", typ: "string"},
			{name: "consumer", typ: "string"},
			{name: "min-idle-time", typ: "string"},
			{name: "start", typ: "string"},
			{name: "count", typ: "integer", token: "COUNT", flags: argOptional},
			{name: "justid", typ: "pure-token", token: "JUSTID", flags: argOptional},
		},
	},
	{
		name: "xcfgset", arity: -2, flags: "write fast", acl: "@write @stream @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "8.6.0",
		summary:    "Changes a stream's idempotent production settings.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "idmp-duration", typ: "integer", token: "IDMP-DURATION", flags: argOptional},
			{name: "idmp-maxsize", typ: "integer", token: "IDMP-MAXSIZE", flags: argOptional},
		},
	},
	{
		name: "xclaim", arity: -6, flags: "write fast", acl: "@write @stream @fast", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Takes over pending entries from other consumers.",
		complexity: "O(log N), N pending entries",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "group", typ: "string"},
			{name: "consumer", typ: "string"},
			{name: "min-idle-time", typ: "string"},
			{name: "ID", typ: "string", flags: argMultiple},
			{name: "ms", typ: "integer", token: "IDLE", flags: argOptional},
			{name: "unix-time-milliseconds", typ: "unix-time", token: "TIME", flags: argOptional},
			{name: "count", typ: "integer", token: "RETRYCOUNT", flags: argOptional},
			{name: "force", typ: "pure-token", token: "FORCE", flags: argOptional},
			{name: "justid", typ: "pure-token", token: "JUSTID", flags: argOptional},
			{name: "lastid", typ: "string", token: "LASTID", flags: argOptional},
		},
	},
	{
		name: "xdel", arity: -3, flags: "write fast", acl: "@write @stream @fast",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Removes entries from a stream.",
		complexity: "O(1) an entry",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "ID", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "xdelex", arity: -5, flags: "write fast", acl: "@write @stream @fast",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "8.2.0",
		summary:    "Removes entries from a stream, choosing what happens to consumer group references.",
		complexity: "O(1) an entry",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "condition", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "keepref", typ: "pure-token", token: "KEEPREF"},
				{name: "delref", typ: "pure-token", token: "DELREF"},
				{name: "acked", typ: "pure-token", token: "ACKED"},
			}},
			{name: "ids", typ: "block", token: "IDS", args: []cmdArg{
				{name: "numids", typ: "integer"},
				{name: "id", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "xgroup", arity: -2, acl: "@slow",
		group: "stream", since: "5.0.0",
		summary:    "Container of the consumer group commands.",
		complexity: "Depends on the subcommand",
	},
	{
		name: "xgroup|create", arity: -5, flags: "write denyoom", acl: "@write @stream @slow",
		keySpecs: []keySpec{
			{flags: "RW insert", index: 2, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Creates a consumer group.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "group", typ: "string"},
			{name: "id-selector", typ: "oneof", args: []cmdArg{
				{name: "id", typ: "string"},
				{name: "new-id", typ: "pure-token", token: "$"},
			}},
			{name: "mkstream", typ: "pure-token", token: "MKSTREAM", flags: argOptional},
			{name: "entriesread", typ: "integer", display: "entries-read", token: "ENTRIESREAD", flags: argOptional},
		},
	},
	{
		name: "xgroup|createconsumer", arity: 5, flags: "write denyoom", acl: "@write @stream @slow",
		keySpecs: []keySpec{
			{flags: "RW insert", index: 2, find: findRange, keyStep: 1},
		},
		group: "stream", since: "6.2.0",
		summary:    "Creates a consumer in a consumer group.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "group", typ: "string"},
			{name: "consumer", typ: "string"},
		},
	},
	{
		name: "xgroup|delconsumer", arity: 5, flags: "write", acl: "@write @stream @slow",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 2, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Removes a consumer from a consumer group.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "group", typ: "string"},
			{name: "consumer", typ: "string"},
		},
	},
	{
		name: "xgroup|destroy", arity: 4, flags: "write", acl: "@write @stream @slow",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 2, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Removes a consumer group.",
		complexity: "O(N), N pending entries",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "group", typ: "string"},
		},
	},
	{
		name: "xgroup|help", arity: 2, flags: "loading stale", acl: "@stream @slow",
		group: "stream", since: "5.0.0",
		summary:    "Lists the XGROUP subcommands.",
		complexity: "O(1)",
	},
	{
		name: "xgroup|setid", arity: -5, flags: "write", acl: "@write @stream @slow",
		keySpecs: []keySpec{
			{flags: "RW update", index: 2, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Moves the last delivered ID of a consumer group.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "group", typ: "string"},
			{name: "id-selector", typ: "oneof", args: []cmdArg{
				{name: "id", typ: "string"},
				{name: "new-id", typ: "pure-token", token: "$"},
			}},
			{name: "entriesread", typ: "integer", display: "entries-read", token: "ENTRIESREAD", flags: argOptional},
		},
	},
	{
		name: "xinfo", arity: -2, acl: "@slow",
		group: "stream", since: "5.0.0",
		summary:    "Container of the stream inspection commands.",
		complexity: "Depends on the subcommand",
	},
	{
		name: "xinfo|consumers", arity: 4, flags: "readonly", acl: "@read @stream @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO access", index: 2, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Describes the consumers of a consumer group.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "group", typ: "string"},
		},
	},
	{
		name: "xinfo|groups", arity: 3, flags: "readonly", acl: "@read @stream @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 2, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Describes the consumer groups of a stream.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "xinfo|help", arity: 2, flags: "loading stale", acl: "@stream @slow",
		group: "stream", since: "5.0.0",
		summary:    "Lists the XINFO subcommands.",
		complexity: "O(1)",
	},
	{
		name: "xinfo|stream", arity: -3, flags: "readonly", acl: "@read @stream @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 2, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Describes a stream.",
		complexity: "O(1), or O(N) with FULL",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "full-block", typ: "block", flags: argOptional, args: []cmdArg{
				{name: "full", typ: "pure-token", token: "FULL"},
				{name: "count", typ: "integer", token: "COUNT", flags: argOptional},
			}},
		},
	},
	{
		name: "xlen", arity: 2, flags: "readonly fast", acl: "@read @stream @fast",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Returns the number of entries in a stream.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "xnack", arity: -7, flags: "write fast", acl: "@write @stream @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "8.8.0",
		summary:    "Gives pending entries back to a consumer group for redelivery without acknowledging them.",
		complexity: "O(1) an ID",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "group", typ: "string"},
			{name: "mode", typ: "oneof", args: []cmdArg{
				{name: "silent", typ: "pure-token", token: "SILENT"},
				{name: "fail", typ: "pure-token", token: "FAIL"},
				{name: "fatal", typ: "pure-token", token: "FATAL"},
			}},
			{name: "ids", typ: "block", token: "IDS", args: []cmdArg{
				{name: "numids", typ: "integer"},
				{name: "id", typ: "string", flags: argMultiple},
			}},
			{name: "count", typ: "integer", token: "RETRYCOUNT", flags: argOptional},
			{name: "force", typ: "pure-token", token: "FORCE", flags: argOptional},
		},
	},
	{
		name: "xpending", arity: -3, flags: "readonly", acl: "@read @stream @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Describes the pending entries of a consumer group.",
		complexity: "O(N), N entries returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "group", typ: "string"},
			{name: "filters", typ: "block", flags: argOptional, args: []cmdArg{
				{name: "min-idle-time", typ: "integer", token: "IDLE", flags: argOptional, since: "6.2.0"},
				{name: "start", typ: "string"},
				{name: "end", typ: "string"},
				{name: "count", typ: "integer"},
				{name: "consumer", typ: "string", flags: argOptional},
			}},
		},
	},
	{
		name: "xrange", arity: -4, flags: "readonly", acl: "@read @stream @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Returns the entries of a stream between two IDs.",
		complexity: "O(N), N entries returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "start", typ: "string"},
			{name: "end", typ: "string"},
			{name: "count", typ: "integer", token: "COUNT", flags: argOptional},
		},
	},
	{
		name: "xread", arity: -4, flags: "readonly blocking movablekeys", acl: "@read @stream @slow @blocking",
		keySpecs: []keySpec{
			{flags: "RO access", keyword: "STREAMS", startFrom: 1, find: findRange, lastKey: -1, keyStep: 1, limit: 2},
		},
		group: "stream", since: "5.0.0",
		summary:    "Reads entries after given IDs from streams, optionally waiting for new ones.",
		complexity: "O(M), M entries returned",
		args: []cmdArg{
			{name: "count", typ: "integer", token: "COUNT", flags: argOptional},
			{name: "maxcount", typ: "integer", token: "MAXCOUNT", flags: argOptional, since: "8.10.0"},
			{name: "maxsize", typ: "integer", token: "MAXSIZE", flags: argOptional, since: "8.10.0"},
			{name: "milliseconds", typ: "integer", token: "BLOCK", flags: argOptional},
			{name: "streams", typ: "block", token: "STREAMS", args: []cmdArg{
				{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
				{name: "id", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "xreadgroup", arity: -7, flags: "write blocking movablekeys", acl: "@write @stream @slow @blocking",
		keySpecs: []keySpec{
			{flags: "RO access", keyword: "STREAMS", startFrom: 4, find: findRange, lastKey: -1, keyStep: 1, limit: 2},
		},
		group: "stream", since: "5.0.0",
		summary:    "Reads entries from streams for a consumer of a group, optionally waiting for new ones.",
		complexity: "O(M), M entries returned",
		args: []cmdArg{
			{name: "group-block", typ: "block", token: "GROUP", args: []cmdArg{
				{name: "group", typ: "string"},
				{name: "consumer", typ: "string"},
			}},
			{name: "count", typ: "integer", token: "COUNT", flags: argOptional},
			{name: "maxcount", typ: "integer", token: "MAXCOUNT", flags: argOptional, since: "8.10.0"},
			{name: "maxsize", typ: "integer", token: "MAXSIZE", flags: argOptional, since: "8.10.0"},
			{name: "milliseconds", typ: "integer", token: "BLOCK", flags: argOptional},
			{name: "min-idle-time", typ: "integer", token: "CLAIM", flags: argOptional, since: "8.4.0"},
			{name: "noack", typ: "pure-token", token: "NOACK", flags: argOptional},
			{name: "streams", typ: "block", token: "STREAMS", args: []cmdArg{
				{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
				{name: "id", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "xrevrange", arity: -4, flags: "readonly", acl: "@read @stream @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Returns the entries of a stream between two IDs, newest first.",
		complexity: "O(N), N entries returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "end", typ: "string"},
			{name: "start", typ: "string"},
			{name: "count", typ: "integer", token: "COUNT", flags: argOptional},
		},
	},
	{
		name: "xsetid", arity: -3, flags: "write denyoom fast", acl: "@write @stream @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Sets the last ID and counters of a stream.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "last-id", typ: "string"},
			{name: "entries-added", typ: "integer", token: "ENTRIESADDED", flags: argOptional, since: "7.0.0"},
			{name: "max-deleted-id", typ: "string", token: "MAXDELETEDID", flags: argOptional, since: "7.0.0"},
		},
	},
	{
		name: "xtrim", arity: -4, flags: "write", acl: "@write @stream @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "stream", since: "5.0.0",
		summary:    "Removes the oldest entries of a stream.",
		complexity: "O(N), N entries removed",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "trim", typ: "block", args: []cmdArg{
				{name: "strategy", typ: "oneof", args: []cmdArg{
					{name: "maxlen", typ: "pure-token", token: "MAXLEN"},
					{name: "minid", typ: "pure-token", token: "MINID", since: "6.2.0"},
				}},
				{name: "operator", typ: "oneof", flags: argOptional, args: []cmdArg{
					{name: "equal", typ: "pure-token", token: "="},
					{name: "approximately", typ: "pure-token", token: "~"},
				}},
				{name: "threshold", typ: "string"},
				{name: "count", typ: "integer", token: "LIMIT", flags: argOptional, since: "6.2.0"},
			}},
			{name: "condition", typ: "oneof", flags: argOptional, since: "8.2.0", args: []cmdArg{
				{name: "keepref", typ: "pure-token", token: "KEEPREF"},
				{name: "delref", typ: "pure-token", token: "DELREF"},
				{name: "acked", typ: "pure-token", token: "ACKED"},
			}},
		},
	},
}
