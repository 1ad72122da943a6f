package engine

// metaHashSet lists the metadata of the hash and set commands.
var metaHashSet = []cmdMeta{
	{
		name: "hdel", arity: -3, flags: "write fast", acl: "@write @hash @fast",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.0.0",
		summary:    "Removes fields from a hash.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "field", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "hexists", arity: 3, flags: "readonly fast", acl: "@read @hash @fast",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.0.0",
		summary:    "Tells whether a hash field exists.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "field", typ: "string"},
		},
	},
	{
		name: "hexpire", arity: -6, flags: "write denyoom fast", acl: "@write @hash @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "7.4.0",
		summary:    "Sets the time to live of hash fields in seconds.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "seconds", typ: "integer"},
			{name: "condition", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "nx", typ: "pure-token", token: "NX"},
				{name: "xx", typ: "pure-token", token: "XX"},
				{name: "gt", typ: "pure-token", token: "GT"},
				{name: "lt", typ: "pure-token", token: "LT"},
			}},
			{name: "fields", typ: "block", token: "FIELDS", args: []cmdArg{
				{name: "numfields", typ: "integer"},
				{name: "field", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "hexpireat", arity: -6, flags: "write denyoom fast", acl: "@write @hash @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "7.4.0",
		summary:    "Sets the Unix time in seconds at which hash fields expire.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "unix-time-seconds", typ: "unix-time"},
			{name: "condition", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "nx", typ: "pure-token", token: "NX"},
				{name: "xx", typ: "pure-token", token: "XX"},
				{name: "gt", typ: "pure-token", token: "GT"},
				{name: "lt", typ: "pure-token", token: "LT"},
			}},
			{name: "fields", typ: "block", token: "FIELDS", args: []cmdArg{
				{name: "numfields", typ: "integer"},
				{name: "field", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "hexpiretime", arity: -5, flags: "readonly fast", acl: "@read @hash @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "7.4.0",
		summary:    "Returns the Unix times in seconds at which hash fields expire.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "fields", typ: "block", token: "FIELDS", args: []cmdArg{
				{name: "numfields", typ: "integer"},
				{name: "field", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "hget", arity: 3, flags: "readonly fast", acl: "@read @hash @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.0.0",
		summary:    "Returns the value of a hash field.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "field", typ: "string"},
		},
	},
	{
		name: "hgetall", arity: 2, flags: "readonly", acl: "@read @hash @slow", tips: "nondeterministic_output_order",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.0.0",
		summary:    "Returns every field and value of a hash.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "hincrby", arity: 4, flags: "write denyoom fast", acl: "@write @hash @fast",
		keySpecs: []keySpec{
			{flags: "RW access update", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.0.0",
		summary:    "Adds an integer to a hash field's value.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "field", typ: "string"},
			{name: "increment", typ: "integer"},
		},
	},
	{
		name: "hincrbyfloat", arity: 4, flags: "write denyoom fast", acl: "@write @hash @fast",
		keySpecs: []keySpec{
			{flags: "RW access update", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.6.0",
		summary:    "Adds a floating point number to a hash field's value.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "field", typ: "string"},
			{name: "increment", typ: "double"},
		},
	},
	{
		name: "hkeys", arity: 2, flags: "readonly", acl: "@read @hash @slow", tips: "nondeterministic_output_order",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.0.0",
		summary:    "Returns the fields of a hash.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "hlen", arity: 2, flags: "readonly fast", acl: "@read @hash @fast",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.0.0",
		summary:    "Returns the number of fields in a hash.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "hmget", arity: -3, flags: "readonly fast", acl: "@read @hash @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.0.0",
		summary:    "Returns the values of several hash fields.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "field", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "hmset", arity: -4, flags: "write denyoom fast", acl: "@write @hash @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.0.0", docFlags: "deprecated", deprecatedSince: "4.0.0", replacedBy: "`HSET`, which takes several pairs",
		summary:    "Sets several hash fields.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "data", typ: "block", flags: argMultiple, args: []cmdArg{
				{name: "field", typ: "string"},
				{name: "value", typ: "string"},
			}},
		},
	},
	{
		name: "hpersist", arity: -5, flags: "write fast", acl: "@write @hash @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "7.4.0",
		summary:    "Removes the expiry of hash fields.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "fields", typ: "block", token: "FIELDS", args: []cmdArg{
				{name: "numfields", typ: "integer"},
				{name: "field", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "hpexpire", arity: -6, flags: "write denyoom fast", acl: "@write @hash @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "7.4.0",
		summary:    "Sets the time to live of hash fields in milliseconds.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "milliseconds", typ: "integer"},
			{name: "condition", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "nx", typ: "pure-token", token: "NX"},
				{name: "xx", typ: "pure-token", token: "XX"},
				{name: "gt", typ: "pure-token", token: "GT"},
				{name: "lt", typ: "pure-token", token: "LT"},
			}},
			{name: "fields", typ: "block", token: "FIELDS", args: []cmdArg{
				{name: "numfields", typ: "integer"},
				{name: "field", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "hpexpireat", arity: -6, flags: "write denyoom fast", acl: "@write @hash @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "7.4.0",
		summary:    "Sets the Unix time in milliseconds at which hash fields expire.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "unix-time-milliseconds", typ: "unix-time"},
			{name: "condition", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "nx", typ: "pure-token", token: "NX"},
				{name: "xx", typ: "pure-token", token: "XX"},
				{name: "gt", typ: "pure-token", token: "GT"},
				{name: "lt", typ: "pure-token", token: "LT"},
			}},
			{name: "fields", typ: "block", token: "FIELDS", args: []cmdArg{
				{name: "numfields", typ: "integer"},
				{name: "field", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "hpexpiretime", arity: -5, flags: "readonly fast", acl: "@read @hash @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "7.4.0",
		summary:    "Returns the Unix times in milliseconds at which hash fields expire.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "fields", typ: "block", token: "FIELDS", args: []cmdArg{
				{name: "numfields", typ: "integer"},
				{name: "field", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "hpttl", arity: -5, flags: "readonly fast", acl: "@read @hash @fast", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "7.4.0",
		summary:    "Returns the remaining time to live of hash fields in milliseconds.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "fields", typ: "block", token: "FIELDS", args: []cmdArg{
				{name: "numfields", typ: "integer"},
				{name: "field", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "hrandfield", arity: -2, flags: "readonly", acl: "@read @hash @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "6.2.0",
		summary:    "Returns random fields of a hash.",
		complexity: "O(N), N fields returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "options", typ: "block", flags: argOptional, args: []cmdArg{
				{name: "count", typ: "integer"},
				{name: "withvalues", typ: "pure-token", token: "WITHVALUES", flags: argOptional},
			}},
		},
	},
	{
		name: "hscan", arity: -3, flags: "readonly", acl: "@read @hash @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.8.0",
		summary:    "Iterates over the fields and values of a hash.",
		complexity: "O(1) a call, O(N) a full iteration",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "cursor", typ: "integer"},
			{name: "pattern", typ: "pattern", token: "MATCH", flags: argOptional},
			{name: "count", typ: "integer", token: "COUNT", flags: argOptional},
			{name: "novalues", typ: "pure-token", token: "NOVALUES", flags: argOptional},
		},
	},
	{
		name: "hset", arity: -4, flags: "write denyoom fast", acl: "@write @hash @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.0.0",
		summary:    "Sets hash fields, creating the key if needed.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "data", typ: "block", flags: argMultiple, args: []cmdArg{
				{name: "field", typ: "string"},
				{name: "value", typ: "string"},
			}},
		},
	},
	{
		name: "hsetnx", arity: 4, flags: "write denyoom fast", acl: "@write @hash @fast",
		keySpecs: []keySpec{
			{flags: "RW insert", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.0.0",
		summary:    "Sets a hash field only if it does not exist.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "field", typ: "string"},
			{name: "value", typ: "string"},
		},
	},
	{
		name: "hstrlen", arity: 3, flags: "readonly fast", acl: "@read @hash @fast",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "3.2.0",
		summary:    "Returns the length of a hash field's value.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "field", typ: "string"},
		},
	},
	{
		name: "httl", arity: -5, flags: "readonly fast", acl: "@read @hash @fast", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "7.4.0",
		summary:    "Returns the remaining time to live of hash fields in seconds.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "fields", typ: "block", token: "FIELDS", args: []cmdArg{
				{name: "numfields", typ: "integer"},
				{name: "field", typ: "string", flags: argMultiple},
			}},
		},
	},
	{
		name: "hvals", arity: 2, flags: "readonly", acl: "@read @hash @slow", tips: "nondeterministic_output_order",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "hash", since: "2.0.0",
		summary:    "Returns the values of a hash.",
		complexity: "O(N), N fields",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "sadd", arity: -3, flags: "write denyoom fast", acl: "@write @set @fast",
		keySpecs: []keySpec{
			{flags: "RW insert", index: 1, find: findRange, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Adds members to a set, creating the key if needed.",
		complexity: "O(N), N members added",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "member", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "scard", arity: 2, flags: "readonly fast", acl: "@read @set @fast",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Returns the number of members of a set.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "sdiff", arity: -2, flags: "readonly", acl: "@read @set @slow", tips: "nondeterministic_output_order",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Returns the members of the first set that are in none of the others.",
		complexity: "O(N), N members in all the sets",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
		},
	},
	{
		name: "sdiffstore", arity: -3, flags: "write denyoom", acl: "@write @set @slow",
		keySpecs: []keySpec{
			{flags: "OW update", index: 1, find: findRange, keyStep: 1},
			{flags: "RO access", index: 2, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Stores the difference of sets in a key.",
		complexity: "O(N), N members in all the sets",
		args: []cmdArg{
			{name: "destination", typ: "key", keySpecPos: 1},
			{name: "key", typ: "key", keySpecPos: 2, flags: argMultiple},
		},
	},
	{
		name: "sinter", arity: -2, flags: "readonly", acl: "@read @set @slow", tips: "nondeterministic_output_order",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Returns the members common to all the sets.",
		complexity: "O(N*M), N the smallest set, M sets",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
		},
	},
	{
		name: "sintercard", arity: -3, flags: "readonly movablekeys", acl: "@read @set @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findKeynum, keyNumIdx: 0, firstKey: 1, keyStep: 1},
		},
		group: "set", since: "7.0.0",
		summary:    "Counts the members common to all the sets.",
		complexity: "O(N*M), N the smallest set, M sets",
		args: []cmdArg{
			{name: "numkeys", typ: "integer"},
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
			{name: "limit", typ: "integer", token: "LIMIT", flags: argOptional},
		},
	},
	{
		name: "sinterstore", arity: -3, flags: "write denyoom", acl: "@write @set @slow",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
			{flags: "RO access", index: 2, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Stores the intersection of sets in a key.",
		complexity: "O(N*M), N the smallest set, M sets",
		args: []cmdArg{
			{name: "destination", typ: "key", keySpecPos: 1},
			{name: "key", typ: "key", keySpecPos: 2, flags: argMultiple},
		},
	},
	{
		name: "sismember", arity: 3, flags: "readonly fast", acl: "@read @set @fast",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Tells whether a value is a member of a set.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "member", typ: "string"},
		},
	},
	{
		name: "smembers", arity: 2, flags: "readonly", acl: "@read @set @slow", tips: "nondeterministic_output_order",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Returns every member of a set.",
		complexity: "O(N), N members",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "smismember", arity: -3, flags: "readonly fast", acl: "@read @set @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "set", since: "6.2.0",
		summary:    "Tells for each value whether it is a member of a set.",
		complexity: "O(N), N values",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "member", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "smove", arity: 4, flags: "write fast", acl: "@write @set @fast",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
			{flags: "RW insert", index: 2, find: findRange, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Moves a member from one set to another.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "source", typ: "key", keySpecPos: 1},
			{name: "destination", typ: "key", keySpecPos: 2},
			{name: "member", typ: "string"},
		},
	},
	{
		name: "spop", arity: -2, flags: "write fast", acl: "@write @set @fast", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Removes and returns random members of a set.",
		complexity: "O(N), N members returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "count", typ: "integer", flags: argOptional, since: "3.2.0"},
		},
	},
	{
		name: "srandmember", arity: -2, flags: "readonly", acl: "@read @set @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Returns random members of a set.",
		complexity: "O(N), N members returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "count", typ: "integer", flags: argOptional, since: "2.6.0"},
		},
	},
	{
		name: "srem", arity: -3, flags: "write fast", acl: "@write @set @fast",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Removes members from a set.",
		complexity: "O(N), N members",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "member", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "sscan", arity: -3, flags: "readonly", acl: "@read @set @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "set", since: "2.8.0",
		summary:    "Iterates over the members of a set.",
		complexity: "O(1) a call, O(N) a full iteration",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "cursor", typ: "integer"},
			{name: "pattern", typ: "pattern", token: "MATCH", flags: argOptional},
			{name: "count", typ: "integer", token: "COUNT", flags: argOptional},
		},
	},
	{
		name: "sunion", arity: -2, flags: "readonly", acl: "@read @set @slow", tips: "nondeterministic_output_order",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Returns the members of any of the sets.",
		complexity: "O(N), N members in all the sets",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
		},
	},
	{
		name: "sunionstore", arity: -3, flags: "write denyoom", acl: "@write @set @slow",
		keySpecs: []keySpec{
			{flags: "OW update", index: 1, find: findRange, keyStep: 1},
			{flags: "RO access", index: 2, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "set", since: "1.0.0",
		summary:    "Stores the union of sets in a key.",
		complexity: "O(N), N members in all the sets",
		args: []cmdArg{
			{name: "destination", typ: "key", keySpecPos: 1},
			{name: "key", typ: "key", keySpecPos: 2, flags: argMultiple},
		},
	},
}
