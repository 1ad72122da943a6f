package engine

// metaString lists the metadata of the string commands.
var metaString = []cmdMeta{
	{
		name: "append", arity: 3, flags: "write denyoom fast", acl: "@write @string @fast",
		keySpecs: []keySpec{
			{flags: "RW insert", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "2.0.0",
		summary:    "Adds a string to the end of a key's value, creating the key if needed.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "value", typ: "string"},
		},
	},
	{
		name: "decr", arity: 2, flags: "write denyoom fast", acl: "@write @string @fast",
		keySpecs: []keySpec{
			{flags: "RW access update", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "1.0.0",
		summary:    "Subtracts one from an integer value, creating the key as 0 first if needed.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "decrby", arity: 3, flags: "write denyoom fast", acl: "@write @string @fast",
		keySpecs: []keySpec{
			{flags: "RW access update", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "1.0.0",
		summary:    "Subtracts an amount from an integer value, creating the key as 0 first if needed.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "decrement", typ: "integer"},
		},
	},
	{
		name: "get", arity: 2, flags: "readonly fast", acl: "@read @string @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "1.0.0",
		summary:    "Returns a string value.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "getdel", arity: 2, flags: "write fast", acl: "@write @string @fast",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "6.2.0",
		summary:    "Returns a string value and removes its key.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "getex", arity: -2, flags: "write fast", acl: "@write @string @fast",
		keySpecs: []keySpec{
			{notes: "RW and UPDATE because it changes the TTL", flags: "RW access update", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "6.2.0",
		summary:    "Returns a string value and changes its key's expiry.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "expiration", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "seconds", typ: "integer", token: "EX"},
				{name: "milliseconds", typ: "integer", token: "PX"},
				{name: "unix-time-seconds", typ: "unix-time", token: "EXAT"},
				{name: "unix-time-milliseconds", typ: "unix-time", token: "PXAT"},
				{name: "persist", typ: "pure-token", token: "PERSIST"},
			}},
		},
	},
	{
		name: "getrange", arity: 4, flags: "readonly", acl: "@read @string @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "2.4.0",
		summary:    "Returns part of a string value.",
		complexity: "O(N), N bytes returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "start", typ: "integer"},
			{name: "end", typ: "integer"},
		},
	},
	{
		name: "getset", arity: 3, flags: "write denyoom fast", acl: "@write @string @fast",
		keySpecs: []keySpec{
			{flags: "RW access update", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "1.0.0", docFlags: "deprecated", deprecatedSince: "6.2.0", replacedBy: "`SET` with `GET`",
		summary:    "Sets a string value and returns the old one.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "value", typ: "string"},
		},
	},
	{
		name: "incr", arity: 2, flags: "write denyoom fast", acl: "@write @string @fast",
		keySpecs: []keySpec{
			{flags: "RW access update", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "1.0.0",
		summary:    "Adds one to an integer value, creating the key as 0 first if needed.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "incrby", arity: 3, flags: "write denyoom fast", acl: "@write @string @fast",
		keySpecs: []keySpec{
			{flags: "RW access update", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "1.0.0",
		summary:    "Adds an amount to an integer value, creating the key as 0 first if needed.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "increment", typ: "integer"},
		},
	},
	{
		name: "incrbyfloat", arity: 3, flags: "write denyoom fast", acl: "@write @string @fast",
		keySpecs: []keySpec{
			{flags: "RW access update", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "2.6.0",
		summary:    "Adds a floating point number to a value, creating the key as 0 first if needed.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "increment", typ: "double"},
		},
	},
	{
		name: "lcs", arity: -3, flags: "readonly", acl: "@read @string @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, lastKey: 1, keyStep: 1},
		},
		group: "string", since: "7.0.0",
		summary:    "Finds the longest common subsequence of two strings.",
		complexity: "O(N*M), N and M the strings' lengths",
		args: []cmdArg{
			{name: "key1", typ: "key", keySpecPos: 1},
			{name: "key2", typ: "key", keySpecPos: 1},
			{name: "len", typ: "pure-token", token: "LEN", flags: argOptional},
			{name: "idx", typ: "pure-token", token: "IDX", flags: argOptional},
			{name: "min-match-len", typ: "integer", token: "MINMATCHLEN", flags: argOptional},
			{name: "withmatchlen", typ: "pure-token", token: "WITHMATCHLEN", flags: argOptional},
		},
	},
	{
		name: "mget", arity: -2, flags: "readonly fast", acl: "@read @string @fast", tips: "request_policy:multi_shard",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "string", since: "1.0.0",
		summary:    "Returns the values of several keys.",
		complexity: "O(N), N keys",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
		},
	},
	{
		name: "mset", arity: -3, flags: "write denyoom", acl: "@write @string @slow", tips: "request_policy:multi_shard response_policy:all_succeeded",
		keySpecs: []keySpec{
			{flags: "OW update", index: 1, find: findRange, lastKey: -1, keyStep: 2},
		},
		group: "string", since: "1.0.1",
		summary:    "Sets several keys.",
		complexity: "O(N), N keys",
		args: []cmdArg{
			{name: "data", typ: "block", flags: argMultiple, args: []cmdArg{
				{name: "key", typ: "key", keySpecPos: 1},
				{name: "value", typ: "string"},
			}},
		},
	},
	{
		name: "msetnx", arity: -3, flags: "write denyoom", acl: "@write @string @slow", tips: "request_policy:multi_shard response_policy:agg_min",
		keySpecs: []keySpec{
			{flags: "OW insert", index: 1, find: findRange, lastKey: -1, keyStep: 2},
		},
		group: "string", since: "1.0.1",
		summary:    "Sets several keys only if none of them exists.",
		complexity: "O(N), N keys",
		args: []cmdArg{
			{name: "data", typ: "block", flags: argMultiple, args: []cmdArg{
				{name: "key", typ: "key", keySpecPos: 1},
				{name: "value", typ: "string"},
			}},
		},
	},
	{
		name: "psetex", arity: 4, flags: "write denyoom", acl: "@write @string @slow",
		keySpecs: []keySpec{
			{flags: "OW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "2.6.0", docFlags: "deprecated", deprecatedSince: "2.6.12", replacedBy: "`SET` with `PX`",
		summary:    "Sets a string value with a time to live in milliseconds.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "milliseconds", typ: "integer"},
			{name: "value", typ: "string"},
		},
	},
	{
		name: "set", arity: -3, flags: "write denyoom", acl: "@write @string @slow",
		keySpecs: []keySpec{
			{notes: "RW and ACCESS due to the optional `GET` argument", flags: "RW access update variable_flags", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "1.0.0",
		summary:    "Sets a string value, with options for expiry and conditions.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "value", typ: "string"},
			{name: "condition", typ: "oneof", flags: argOptional, since: "2.6.12", args: []cmdArg{
				{name: "nx", typ: "pure-token", token: "NX"},
				{name: "xx", typ: "pure-token", token: "XX"},
			}},
			{name: "get", typ: "pure-token", token: "GET", flags: argOptional, since: "6.2.0"},
			{name: "expiration", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "seconds", typ: "integer", token: "EX", since: "2.6.12"},
				{name: "milliseconds", typ: "integer", token: "PX", since: "2.6.12"},
				{name: "unix-time-seconds", typ: "unix-time", token: "EXAT", since: "6.2.0"},
				{name: "unix-time-milliseconds", typ: "unix-time", token: "PXAT", since: "6.2.0"},
				{name: "keepttl", typ: "pure-token", token: "KEEPTTL", since: "6.0.0"},
			}},
		},
	},
	{
		name: "setex", arity: 4, flags: "write denyoom", acl: "@write @string @slow",
		keySpecs: []keySpec{
			{flags: "OW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "2.0.0", docFlags: "deprecated", deprecatedSince: "2.6.12", replacedBy: "`SET` with `EX`",
		summary:    "Sets a string value with a time to live in seconds.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "seconds", typ: "integer"},
			{name: "value", typ: "string"},
		},
	},
	{
		name: "setnx", arity: 3, flags: "write denyoom fast", acl: "@write @string @fast",
		keySpecs: []keySpec{
			{flags: "OW insert", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "1.0.0", docFlags: "deprecated", deprecatedSince: "2.6.12", replacedBy: "`SET` with `NX`",
		summary:    "Sets a string value only if the key does not exist.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "value", typ: "string"},
		},
	},
	{
		name: "setrange", arity: 4, flags: "write denyoom", acl: "@write @string @slow",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "2.2.0",
		summary:    "Overwrites part of a string value at an offset.",
		complexity: "O(1), or O(M) to copy M bytes",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "offset", typ: "integer"},
			{name: "value", typ: "string"},
		},
	},
	{
		name: "strlen", arity: 2, flags: "readonly fast", acl: "@read @string @fast",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "2.2.0",
		summary:    "Returns the length of a string value.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "substr", arity: 4, flags: "readonly", acl: "@read @string @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "string", since: "1.0.0", docFlags: "deprecated", deprecatedSince: "2.0.0", replacedBy: "`GETRANGE`",
		summary:    "Returns part of a string value.",
		complexity: "O(N), N bytes returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "start", typ: "integer"},
			{name: "end", typ: "integer"},
		},
	},
}
