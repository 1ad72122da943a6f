package engine

// metaList lists the metadata of the list commands.
var metaList = []cmdMeta{
	{
		name: "blmove", arity: 6, flags: "write denyoom noscript blocking", acl: "@write @list @slow @blocking",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
			{flags: "RW insert", index: 2, find: findRange, keyStep: 1},
		},
		group: "list", since: "6.2.0",
		summary:    "Moves an element from one list to another, waiting for one if the source is empty.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "source", typ: "key", keySpecPos: 1},
			{name: "destination", typ: "key", keySpecPos: 2},
			{name: "wherefrom", typ: "oneof", args: []cmdArg{
				{name: "left", typ: "pure-token", token: "LEFT"},
				{name: "right", typ: "pure-token", token: "RIGHT"},
			}},
			{name: "whereto", typ: "oneof", args: []cmdArg{
				{name: "left", typ: "pure-token", token: "LEFT"},
				{name: "right", typ: "pure-token", token: "RIGHT"},
			}},
			{name: "timeout", typ: "double"},
		},
	},
	{
		name: "blmpop", arity: -5, flags: "write blocking movablekeys", acl: "@write @list @slow @blocking",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 2, find: findKeynum, keyNumIdx: 0, firstKey: 1, keyStep: 1},
		},
		group: "list", since: "7.0.0",
		summary:    "Removes elements from the first non-empty list given, waiting for one if all are empty.",
		complexity: "O(N+M), N lists given, M elements removed",
		args: []cmdArg{
			{name: "timeout", typ: "double"},
			{name: "numkeys", typ: "integer"},
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
			{name: "where", typ: "oneof", args: []cmdArg{
				{name: "left", typ: "pure-token", token: "LEFT"},
				{name: "right", typ: "pure-token", token: "RIGHT"},
			}},
			{name: "count", typ: "integer", token: "COUNT", flags: argOptional},
		},
	},
	{
		name: "blpop", arity: -3, flags: "write noscript blocking", acl: "@write @list @slow @blocking",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, lastKey: -2, keyStep: 1},
		},
		group: "list", since: "2.0.0",
		summary:    "Removes the first element of the first non-empty list given, waiting if all are empty.",
		complexity: "O(N), N lists given",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
			{name: "timeout", typ: "double"},
		},
	},
	{
		name: "brpop", arity: -3, flags: "write noscript blocking", acl: "@write @list @slow @blocking",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, lastKey: -2, keyStep: 1},
		},
		group: "list", since: "2.0.0",
		summary:    "Removes the last element of the first non-empty list given, waiting if all are empty.",
		complexity: "O(N), N lists given",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
			{name: "timeout", typ: "double"},
		},
	},
	{
		name: "brpoplpush", arity: 4, flags: "write denyoom noscript blocking", acl: "@write @list @slow @blocking",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
			{flags: "RW insert", index: 2, find: findRange, keyStep: 1},
		},
		group: "list", since: "2.2.0", docFlags: "deprecated", deprecatedSince: "6.2.0", replacedBy: "`BLMOVE` with `RIGHT` and `LEFT`",
		summary:    "Moves the last element of a list to the head of another, waiting if the source is empty.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "source", typ: "key", keySpecPos: 1},
			{name: "destination", typ: "key", keySpecPos: 2},
			{name: "timeout", typ: "double"},
		},
	},
	{
		name: "lindex", arity: 3, flags: "readonly", acl: "@read @list @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "1.0.0",
		summary:    "Returns the element of a list at an index.",
		complexity: "O(N), N elements skipped",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "index", typ: "integer"},
		},
	},
	{
		name: "linsert", arity: 5, flags: "write denyoom", acl: "@write @list @slow",
		keySpecs: []keySpec{
			{flags: "RW insert", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "2.2.0",
		summary:    "Inserts an element before or after another in a list.",
		complexity: "O(N), N elements skipped",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "where", typ: "oneof", args: []cmdArg{
				{name: "before", typ: "pure-token", token: "BEFORE"},
				{name: "after", typ: "pure-token", token: "AFTER"},
			}},
			{name: "pivot", typ: "string"},
			{name: "element", typ: "string"},
		},
	},
	{
		name: "llen", arity: 2, flags: "readonly fast", acl: "@read @list @fast",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "1.0.0",
		summary:    "Returns the length of a list.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "lmove", arity: 5, flags: "write denyoom", acl: "@write @list @slow",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
			{flags: "RW insert", index: 2, find: findRange, keyStep: 1},
		},
		group: "list", since: "6.2.0",
		summary:    "Moves an element from one list to another.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "source", typ: "key", keySpecPos: 1},
			{name: "destination", typ: "key", keySpecPos: 2},
			{name: "wherefrom", typ: "oneof", args: []cmdArg{
				{name: "left", typ: "pure-token", token: "LEFT"},
				{name: "right", typ: "pure-token", token: "RIGHT"},
			}},
			{name: "whereto", typ: "oneof", args: []cmdArg{
				{name: "left", typ: "pure-token", token: "LEFT"},
				{name: "right", typ: "pure-token", token: "RIGHT"},
			}},
		},
	},
	{
		name: "lmpop", arity: -4, flags: "write movablekeys", acl: "@write @list @slow",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findKeynum, keyNumIdx: 0, firstKey: 1, keyStep: 1},
		},
		group: "list", since: "7.0.0",
		summary:    "Removes elements from the first non-empty list given.",
		complexity: "O(N+M), N lists given, M elements removed",
		args: []cmdArg{
			{name: "numkeys", typ: "integer"},
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
			{name: "where", typ: "oneof", args: []cmdArg{
				{name: "left", typ: "pure-token", token: "LEFT"},
				{name: "right", typ: "pure-token", token: "RIGHT"},
			}},
			{name: "count", typ: "integer", token: "COUNT", flags: argOptional},
		},
	},
	{
		name: "lpop", arity: -2, flags: "write fast", acl: "@write @list @fast",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "1.0.0",
		summary:    "Removes and returns the first elements of a list.",
		complexity: "O(N), N elements returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "count", typ: "integer", flags: argOptional, since: "6.2.0"},
		},
	},
	{
		name: "lpos", arity: -3, flags: "readonly", acl: "@read @list @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "6.0.6",
		summary:    "Returns the positions of elements equal to a value in a list.",
		complexity: "O(N), N elements scanned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "element", typ: "string"},
			{name: "rank", typ: "integer", token: "RANK", flags: argOptional},
			{name: "num-matches", typ: "integer", token: "COUNT", flags: argOptional},
			{name: "len", typ: "integer", token: "MAXLEN", flags: argOptional},
		},
	},
	{
		name: "lpush", arity: -3, flags: "write denyoom fast", acl: "@write @list @fast",
		keySpecs: []keySpec{
			{flags: "RW insert", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "1.0.0",
		summary:    "Adds elements to the head of a list, creating the key if needed.",
		complexity: "O(N), N elements added",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "element", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "lpushx", arity: -3, flags: "write denyoom fast", acl: "@write @list @fast",
		keySpecs: []keySpec{
			{flags: "RW insert", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "2.2.0",
		summary:    "Adds elements to the head of a list that exists.",
		complexity: "O(N), N elements added",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "element", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "lrange", arity: 4, flags: "readonly", acl: "@read @list @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "1.0.0",
		summary:    "Returns a range of elements of a list.",
		complexity: "O(S+N), S the offset, N elements returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "start", typ: "integer"},
			{name: "stop", typ: "integer"},
		},
	},
	{
		name: "lrem", arity: 4, flags: "write", acl: "@write @list @slow",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "1.0.0",
		summary:    "Removes elements equal to a value from a list.",
		complexity: "O(N+M), N elements scanned, M removed",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "count", typ: "integer"},
			{name: "element", typ: "string"},
		},
	},
	{
		name: "lset", arity: 4, flags: "write denyoom", acl: "@write @list @slow",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "1.0.0",
		summary:    "Replaces the element of a list at an index.",
		complexity: "O(N), N elements skipped",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "index", typ: "integer"},
			{name: "element", typ: "string"},
		},
	},
	{
		name: "ltrim", arity: 4, flags: "write", acl: "@write @list @slow",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "1.0.0",
		summary:    "Keeps only a range of elements of a list.",
		complexity: "O(N), N elements removed",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "start", typ: "integer"},
			{name: "stop", typ: "integer"},
		},
	},
	{
		name: "rpop", arity: -2, flags: "write fast", acl: "@write @list @fast",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "1.0.0",
		summary:    "Removes and returns the last elements of a list.",
		complexity: "O(N), N elements returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "count", typ: "integer", flags: argOptional, since: "6.2.0"},
		},
	},
	{
		name: "rpoplpush", arity: 3, flags: "write denyoom", acl: "@write @list @slow",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
			{flags: "RW insert", index: 2, find: findRange, keyStep: 1},
		},
		group: "list", since: "1.2.0", docFlags: "deprecated", deprecatedSince: "6.2.0", replacedBy: "`LMOVE` with `RIGHT` and `LEFT`",
		summary:    "Moves the last element of a list to the head of another.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "source", typ: "key", keySpecPos: 1},
			{name: "destination", typ: "key", keySpecPos: 2},
		},
	},
	{
		name: "rpush", arity: -3, flags: "write denyoom fast", acl: "@write @list @fast",
		keySpecs: []keySpec{
			{flags: "RW insert", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "1.0.0",
		summary:    "Adds elements to the tail of a list, creating the key if needed.",
		complexity: "O(N), N elements added",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "element", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "rpushx", arity: -3, flags: "write denyoom fast", acl: "@write @list @fast",
		keySpecs: []keySpec{
			{flags: "RW insert", index: 1, find: findRange, keyStep: 1},
		},
		group: "list", since: "2.2.0",
		summary:    "Adds elements to the tail of a list that exists.",
		complexity: "O(N), N elements added",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "element", typ: "string", flags: argMultiple},
		},
	},
}
