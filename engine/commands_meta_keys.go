package engine

// metaGeneric lists the metadata of the generic (keyspace) commands.
var metaGeneric = []cmdMeta{
	{
		name: "copy", arity: -3, flags: "write denyoom", acl: "@keyspace @write @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
			{flags: "OW update", index: 2, find: findRange, keyStep: 1},
		},
		group: "generic", since: "6.2.0",
		summary:    "Copies a key's value to another key.",
		complexity: "O(N), N elements copied",
		args: []cmdArg{
			{name: "source", typ: "key", keySpecPos: 1},
			{name: "destination", typ: "key", keySpecPos: 2},
			{name: "destination-db", typ: "integer", token: "DB", flags: argOptional},
			{name: "replace", typ: "pure-token", token: "REPLACE", flags: argOptional},
		},
	},
	{
		name: "del", arity: -2, flags: "write", acl: "@keyspace @write @slow", tips: "request_policy:multi_shard response_policy:agg_sum",
		keySpecs: []keySpec{
			{flags: "RM delete", index: 1, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "generic", since: "1.0.0",
		summary:    "Removes keys.",
		complexity: "O(N), N keys; a container costs O(M), M elements",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
		},
	},
	{
		name: "dump", arity: 2, flags: "readonly", acl: "@keyspace @read @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "2.6.0",
		summary:    "Serializes a key's value.",
		complexity: "O(1) to find the key, O(N*M) to serialize",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "exists", arity: -2, flags: "readonly fast", acl: "@keyspace @read @fast", tips: "request_policy:multi_shard response_policy:agg_sum",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "generic", since: "1.0.0",
		summary:    "Counts how many of the given keys exist.",
		complexity: "O(N), N keys",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
		},
	},
	{
		name: "expire", arity: -3, flags: "write fast", acl: "@keyspace @write @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "1.0.0",
		summary:    "Sets a key's time to live in seconds.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "seconds", typ: "integer"},
			{name: "condition", typ: "oneof", flags: argOptional, since: "7.0.0", args: []cmdArg{
				{name: "nx", typ: "pure-token", token: "NX"},
				{name: "xx", typ: "pure-token", token: "XX"},
				{name: "gt", typ: "pure-token", token: "GT"},
				{name: "lt", typ: "pure-token", token: "LT"},
			}},
		},
	},
	{
		name: "expireat", arity: -3, flags: "write fast", acl: "@keyspace @write @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "1.2.0",
		summary:    "Sets the Unix time in seconds at which a key expires.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "unix-time-seconds", typ: "unix-time"},
			{name: "condition", typ: "oneof", flags: argOptional, since: "7.0.0", args: []cmdArg{
				{name: "nx", typ: "pure-token", token: "NX"},
				{name: "xx", typ: "pure-token", token: "XX"},
				{name: "gt", typ: "pure-token", token: "GT"},
				{name: "lt", typ: "pure-token", token: "LT"},
			}},
		},
	},
	{
		name: "expiretime", arity: 2, flags: "readonly fast", acl: "@keyspace @read @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "7.0.0",
		summary:    "Returns the Unix time in seconds at which a key expires.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "keys", arity: 2, flags: "readonly", acl: "@keyspace @read @slow @dangerous", tips: "request_policy:all_shards nondeterministic_output_order",
		group: "generic", since: "1.0.0",
		summary:    "Returns the keys matching a pattern.",
		complexity: "O(N), N keys in the database",
		args: []cmdArg{
			{name: "pattern", typ: "pattern"},
		},
	},
	{
		name: "migrate", arity: -6, flags: "write movablekeys", acl: "@keyspace @write @slow @dangerous", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 3, find: findRange, keyStep: 1},
			{flags: "RW access delete incomplete", keyword: "KEYS", startFrom: -2, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "generic", since: "2.6.0",
		summary:    "Moves keys to another server.",
		complexity: "Depends on the keys moved",
		args: []cmdArg{
			{name: "host", typ: "string"},
			{name: "port", typ: "integer"},
			{name: "key-selector", typ: "oneof", args: []cmdArg{
				{name: "key", typ: "key", keySpecPos: 1},
				{name: "empty-string", typ: "pure-token", token: "\"\""},
			}},
			{name: "destination-db", typ: "integer"},
			{name: "timeout", typ: "integer"},
			{name: "copy", typ: "pure-token", token: "COPY", flags: argOptional, since: "3.0.0"},
			{name: "replace", typ: "pure-token", token: "REPLACE", flags: argOptional, since: "3.0.0"},
			{name: "authentication", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "auth", typ: "string", display: "password", token: "AUTH", since: "4.0.7"},
				{name: "auth2", typ: "block", token: "AUTH2", since: "6.0.0", args: []cmdArg{
					{name: "username", typ: "string"},
					{name: "password", typ: "string"},
				}},
			}},
			{name: "keys", typ: "key", display: "key", keySpecPos: 2, token: "KEYS", flags: argOptional | argMultiple, since: "3.0.6"},
		},
	},
	{
		name: "move", arity: 3, flags: "write fast", acl: "@keyspace @write @fast",
		keySpecs: []keySpec{
			{flags: "RW access update", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "1.0.0",
		summary:    "Moves a key to another database.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "db", typ: "integer"},
		},
	},
	{
		name: "object", arity: -2, acl: "@slow",
		group: "generic", since: "2.2.3",
		summary:    "Container of the commands that inspect values.",
		complexity: "Depends on the subcommand",
	},
	{
		name: "object|encoding", arity: 3, flags: "readonly", acl: "@keyspace @read @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO", index: 2, find: findRange, keyStep: 1},
		},
		group: "generic", since: "2.2.3",
		summary:    "Returns how a value is encoded internally.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "object|freq", arity: 3, flags: "readonly", acl: "@keyspace @read @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO", index: 2, find: findRange, keyStep: 1},
		},
		group: "generic", since: "4.0.0",
		summary:    "Returns the access frequency counter of a key.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "object|help", arity: 2, flags: "loading stale", acl: "@keyspace @slow",
		group: "generic", since: "6.2.0",
		summary:    "Lists the OBJECT subcommands.",
		complexity: "O(1)",
	},
	{
		name: "object|idletime", arity: 3, flags: "readonly", acl: "@keyspace @read @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO", index: 2, find: findRange, keyStep: 1},
		},
		group: "generic", since: "2.2.3",
		summary:    "Returns the seconds since a key was last accessed.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "object|refcount", arity: 3, flags: "readonly", acl: "@keyspace @read @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO", index: 2, find: findRange, keyStep: 1},
		},
		group: "generic", since: "2.2.3",
		summary:    "Returns the reference count of a value.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "persist", arity: 2, flags: "write fast", acl: "@keyspace @write @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "2.2.0",
		summary:    "Removes the expiry of a key.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "pexpire", arity: -3, flags: "write fast", acl: "@keyspace @write @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "2.6.0",
		summary:    "Sets a key's time to live in milliseconds.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "milliseconds", typ: "integer"},
			{name: "condition", typ: "oneof", flags: argOptional, since: "7.0.0", args: []cmdArg{
				{name: "nx", typ: "pure-token", token: "NX"},
				{name: "xx", typ: "pure-token", token: "XX"},
				{name: "gt", typ: "pure-token", token: "GT"},
				{name: "lt", typ: "pure-token", token: "LT"},
			}},
		},
	},
	{
		name: "pexpireat", arity: -3, flags: "write fast", acl: "@keyspace @write @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "2.6.0",
		summary:    "Sets the Unix time in milliseconds at which a key expires.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "unix-time-milliseconds", typ: "unix-time"},
			{name: "condition", typ: "oneof", flags: argOptional, since: "7.0.0", args: []cmdArg{
				{name: "nx", typ: "pure-token", token: "NX"},
				{name: "xx", typ: "pure-token", token: "XX"},
				{name: "gt", typ: "pure-token", token: "GT"},
				{name: "lt", typ: "pure-token", token: "LT"},
			}},
		},
	},
	{
		name: "pexpiretime", arity: 2, flags: "readonly fast", acl: "@keyspace @read @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "7.0.0",
		summary:    "Returns the Unix time in milliseconds at which a key expires.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "pttl", arity: 2, flags: "readonly fast", acl: "@keyspace @read @fast", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "2.6.0",
		summary:    "Returns the remaining time to live of a key in milliseconds.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "randomkey", arity: 1, flags: "readonly", acl: "@keyspace @read @slow", tips: "request_policy:all_shards nondeterministic_output",
		group: "generic", since: "1.0.0",
		summary:    "Returns a random key name.",
		complexity: "O(1)",
	},
	{
		name: "rename", arity: 3, flags: "write", acl: "@keyspace @write @slow",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
			{flags: "OW update", index: 2, find: findRange, keyStep: 1},
		},
		group: "generic", since: "1.0.0",
		summary:    "Gives a key a new name, replacing any key of that name.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "newkey", typ: "key", keySpecPos: 2},
		},
	},
	{
		name: "renamenx", arity: 3, flags: "write fast", acl: "@keyspace @write @fast",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
			{flags: "OW insert", index: 2, find: findRange, keyStep: 1},
		},
		group: "generic", since: "1.0.0",
		summary:    "Gives a key a new name only if that name is free.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "newkey", typ: "key", keySpecPos: 2},
		},
	},
	{
		name: "restore", arity: -4, flags: "write denyoom", acl: "@keyspace @write @slow @dangerous",
		keySpecs: []keySpec{
			{flags: "OW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "2.6.0",
		summary:    "Creates a key from a DUMP serialization.",
		complexity: "O(1) to create the key, O(N*M) to deserialize",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "ttl", typ: "integer"},
			{name: "serialized-value", typ: "string"},
			{name: "replace", typ: "pure-token", token: "REPLACE", flags: argOptional, since: "3.0.0"},
			{name: "absttl", typ: "pure-token", token: "ABSTTL", flags: argOptional, since: "5.0.0"},
			{name: "seconds", typ: "integer", token: "IDLETIME", flags: argOptional, since: "5.0.0"},
			{name: "frequency", typ: "integer", token: "FREQ", flags: argOptional, since: "5.0.0"},
		},
	},
	{
		name: "scan", arity: -2, flags: "readonly", acl: "@keyspace @read @slow", tips: "nondeterministic_output request_policy:special",
		group: "generic", since: "2.8.0",
		summary:    "Iterates over the key names of the database.",
		complexity: "O(1) a call, O(N) a full iteration",
		args: []cmdArg{
			{name: "cursor", typ: "integer"},
			{name: "pattern", typ: "pattern", token: "MATCH", flags: argOptional},
			{name: "count", typ: "integer", token: "COUNT", flags: argOptional},
			{name: "type", typ: "string", token: "TYPE", flags: argOptional, since: "6.0.0"},
		},
	},
	{
		name: "sort", arity: -2, flags: "write denyoom movablekeys", acl: "@write @set @sortedset @list @slow @dangerous",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
			{notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", flags: "RO access", find: findUnknown},
			{notes: "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array", flags: "OW update", find: findUnknown},
		},
		group: "generic", since: "1.0.0",
		summary:    "Sorts the elements of a list, set or sorted set, optionally storing the result.",
		complexity: "O(N+M*log(M)), N elements, M returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "by-pattern", typ: "pattern", display: "pattern", keySpecPos: 2, token: "BY", flags: argOptional},
			{name: "limit", typ: "block", token: "LIMIT", flags: argOptional, args: []cmdArg{
				{name: "offset", typ: "integer"},
				{name: "count", typ: "integer"},
			}},
			{name: "get-pattern", typ: "pattern", display: "pattern", keySpecPos: 2, token: "GET", flags: argOptional | argMultiple | argMultipleToken},
			{name: "order", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "asc", typ: "pure-token", token: "ASC"},
				{name: "desc", typ: "pure-token", token: "DESC"},
			}},
			{name: "sorting", typ: "pure-token", token: "ALPHA", flags: argOptional},
			{name: "destination", typ: "key", keySpecPos: 3, token: "STORE", flags: argOptional},
		},
	},
	{
		name: "sort_ro", arity: -2, flags: "readonly movablekeys", acl: "@read @set @sortedset @list @slow @dangerous",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
			{notes: "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort", flags: "RO access", find: findUnknown},
		},
		group: "generic", since: "7.0.0",
		summary:    "Sorts the elements of a list, set or sorted set.",
		complexity: "O(N+M*log(M)), N elements, M returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "by-pattern", typ: "pattern", display: "pattern", keySpecPos: 2, token: "BY", flags: argOptional},
			{name: "limit", typ: "block", token: "LIMIT", flags: argOptional, args: []cmdArg{
				{name: "offset", typ: "integer"},
				{name: "count", typ: "integer"},
			}},
			{name: "get-pattern", typ: "pattern", display: "pattern", keySpecPos: 2, token: "GET", flags: argOptional | argMultiple | argMultipleToken},
			{name: "order", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "asc", typ: "pure-token", token: "ASC"},
				{name: "desc", typ: "pure-token", token: "DESC"},
			}},
			{name: "sorting", typ: "pure-token", token: "ALPHA", flags: argOptional},
		},
	},
	{
		name: "touch", arity: -2, flags: "readonly fast", acl: "@keyspace @read @fast", tips: "request_policy:multi_shard response_policy:agg_sum",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "generic", since: "3.2.1",
		summary:    "Updates the access time of keys and counts those that exist.",
		complexity: "O(N), N keys",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
		},
	},
	{
		name: "ttl", arity: 2, flags: "readonly fast", acl: "@keyspace @read @fast", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "1.0.0",
		summary:    "Returns the remaining time to live of a key in seconds.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "type", arity: 2, flags: "readonly fast", acl: "@keyspace @read @fast",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, keyStep: 1},
		},
		group: "generic", since: "1.0.0",
		summary:    "Returns the type of a key's value.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "unlink", arity: -2, flags: "write fast", acl: "@keyspace @write @fast", tips: "request_policy:multi_shard response_policy:agg_sum",
		keySpecs: []keySpec{
			{flags: "RM delete", index: 1, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "generic", since: "4.0.0",
		summary:    "Removes keys, freeing their memory later.",
		complexity: "O(1) a key, O(M) for a container later",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
		},
	},
	{
		name: "wait", arity: 3, flags: "noscript", acl: "@slow @connection", tips: "request_policy:all_shards response_policy:agg_min",
		group: "generic", since: "3.0.0",
		summary:    "Waits until replicas have acknowledged the writes made so far.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "numreplicas", typ: "integer"},
			{name: "timeout", typ: "integer"},
		},
	},
	{
		name: "waitaof", arity: 4, flags: "blocking", acl: "@slow @blocking @connection", tips: "request_policy:all_shards response_policy:agg_min",
		group: "generic", since: "7.2.0",
		summary:    "Waits until the writes made so far are in the append-only files.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "numlocal", typ: "integer"},
			{name: "numreplicas", typ: "integer"},
			{name: "timeout", typ: "integer"},
		},
	},
}
