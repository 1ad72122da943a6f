package engine

// metaSortedSet lists the metadata of the sorted set commands.
var metaSortedSet = []cmdMeta{
	{
		name: "zadd", arity: -4, flags: "write denyoom fast", acl: "@write @sortedset @fast",
		keySpecs: []keySpec{
			{flags: "RW update", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "1.2.0",
		summary:    "Adds members to a sorted set or updates their scores, creating the key if needed.",
		complexity: "O(log N) per member",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "condition", typ: "oneof", flags: argOptional, since: "3.0.2", args: []cmdArg{
				{name: "nx", typ: "pure-token", token: "NX"},
				{name: "xx", typ: "pure-token", token: "XX"},
			}},
			{name: "comparison", typ: "oneof", flags: argOptional, since: "6.2.0", args: []cmdArg{
				{name: "gt", typ: "pure-token", token: "GT"},
				{name: "lt", typ: "pure-token", token: "LT"},
			}},
			{name: "change", typ: "pure-token", token: "CH", flags: argOptional, since: "3.0.2"},
			{name: "increment", typ: "pure-token", token: "INCR", flags: argOptional, since: "3.0.2"},
			{name: "score-member", typ: "block", flags: argMultiple, args: []cmdArg{
				{name: "score", typ: "double"},
				{name: "member", typ: "string"},
			}},
		},
	},
	{
		name: "zcard", arity: 2, flags: "readonly fast", acl: "@read @sortedset @fast",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "1.2.0",
		summary:    "Returns the number of members of a sorted set.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
		},
	},
	{
		name: "zcount", arity: 4, flags: "readonly fast", acl: "@read @sortedset @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "2.0.0",
		summary:    "Counts the members of a sorted set whose scores lie in a range.",
		complexity: "O(log N)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "min", typ: "double"},
			{name: "max", typ: "double"},
		},
	},
	{
		name: "zincrby", arity: 4, flags: "write denyoom fast", acl: "@write @sortedset @fast",
		keySpecs: []keySpec{
			{flags: "RW access update", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "1.2.0",
		summary:    "Adds to the score of a member of a sorted set.",
		complexity: "O(log N)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "increment", typ: "integer"},
			{name: "member", typ: "string"},
		},
	},
	{
		name: "zlexcount", arity: 4, flags: "readonly fast", acl: "@read @sortedset @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "2.8.9",
		summary:    "Counts the members of a sorted set between two members, by name.",
		complexity: "O(log N)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "min", typ: "string"},
			{name: "max", typ: "string"},
		},
	},
	{
		name: "zmscore", arity: -3, flags: "readonly fast", acl: "@read @sortedset @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "6.2.0",
		summary:    "Returns the scores of several members of a sorted set.",
		complexity: "O(N), N members asked",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "member", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "zpopmax", arity: -2, flags: "write fast", acl: "@write @sortedset @fast",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "5.0.0",
		summary:    "Removes and returns the members with the highest scores.",
		complexity: "O(log N) per member popped",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "count", typ: "integer", flags: argOptional},
		},
	},
	{
		name: "zpopmin", arity: -2, flags: "write fast", acl: "@write @sortedset @fast",
		keySpecs: []keySpec{
			{flags: "RW access delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "5.0.0",
		summary:    "Removes and returns the members with the lowest scores.",
		complexity: "O(log N) per member popped",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "count", typ: "integer", flags: argOptional},
		},
	},
	{
		name: "zrange", arity: -4, flags: "readonly", acl: "@read @sortedset @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "1.2.0",
		summary:    "Returns members of a sorted set by rank, score or name.",
		complexity: "O(log N + M), M members returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "start", typ: "string"},
			{name: "stop", typ: "string"},
			{name: "sortby", typ: "oneof", flags: argOptional, since: "6.2.0", args: []cmdArg{
				{name: "byscore", typ: "pure-token", token: "BYSCORE"},
				{name: "bylex", typ: "pure-token", token: "BYLEX"},
			}},
			{name: "rev", typ: "pure-token", token: "REV", flags: argOptional, since: "6.2.0"},
			{name: "offset-count", typ: "block", token: "LIMIT", flags: argOptional, since: "6.2.0", args: []cmdArg{
				{name: "offset", typ: "integer"},
				{name: "count", typ: "integer"},
			}},
			{name: "withscores", typ: "pure-token", token: "WITHSCORES", flags: argOptional},
		},
	},
	{
		name: "zrangebylex", arity: -4, flags: "readonly", acl: "@read @sortedset @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "2.8.9", docFlags: "deprecated", deprecatedSince: "6.2.0", replacedBy: "`ZRANGE` with the `BYLEX` argument",
		summary:    "Returns members of a sorted set between two names.",
		complexity: "O(log N + M), M members returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "min", typ: "string"},
			{name: "max", typ: "string"},
			{name: "offset-count", typ: "block", token: "LIMIT", flags: argOptional, args: []cmdArg{
				{name: "offset", typ: "integer"},
				{name: "count", typ: "integer"},
			}},
		},
	},
	{
		name: "zrangebyscore", arity: -4, flags: "readonly", acl: "@read @sortedset @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "1.0.5", docFlags: "deprecated", deprecatedSince: "6.2.0", replacedBy: "`ZRANGE` with the `BYSCORE` argument",
		summary:    "Returns members of a sorted set whose scores lie in a range.",
		complexity: "O(log N + M), M members returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "min", typ: "double"},
			{name: "max", typ: "double"},
			{name: "withscores", typ: "pure-token", token: "WITHSCORES", flags: argOptional, since: "2.0.0"},
			{name: "offset-count", typ: "block", token: "LIMIT", flags: argOptional, args: []cmdArg{
				{name: "offset", typ: "integer"},
				{name: "count", typ: "integer"},
			}},
		},
	},
	{
		name: "zrangestore", arity: -5, flags: "write denyoom", acl: "@write @sortedset @slow",
		keySpecs: []keySpec{
			{flags: "OW update", index: 1, find: findRange, keyStep: 1},
			{flags: "RO access", index: 2, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "6.2.0",
		summary:    "Stores a range of a sorted set in another key.",
		complexity: "O(log N + M), M members stored",
		args: []cmdArg{
			{name: "dst", typ: "key", keySpecPos: 1},
			{name: "src", typ: "key", keySpecPos: 2},
			{name: "min", typ: "string"},
			{name: "max", typ: "string"},
			{name: "sortby", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "byscore", typ: "pure-token", token: "BYSCORE"},
				{name: "bylex", typ: "pure-token", token: "BYLEX"},
			}},
			{name: "rev", typ: "pure-token", token: "REV", flags: argOptional},
			{name: "offset-count", typ: "block", token: "LIMIT", flags: argOptional, args: []cmdArg{
				{name: "offset", typ: "integer"},
				{name: "count", typ: "integer"},
			}},
		},
	},
	{
		name: "zrank", arity: -3, aritySince: "7.2.0", flags: "readonly fast", acl: "@read @sortedset @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "2.0.0",
		summary:    "Returns the rank of a member, lowest score first.",
		complexity: "O(log N)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "member", typ: "string"},
			{name: "withscore", typ: "pure-token", token: "WITHSCORE", flags: argOptional},
		},
	},
	{
		name: "zrem", arity: -3, flags: "write fast", acl: "@write @sortedset @fast",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "1.2.0",
		summary:    "Removes members from a sorted set.",
		complexity: "O(M log N), M members removed",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "member", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "zremrangebylex", arity: 4, flags: "write", acl: "@write @sortedset @slow",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "2.8.9",
		summary:    "Removes the members of a sorted set between two names.",
		complexity: "O(log N + M), M members removed",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "min", typ: "string"},
			{name: "max", typ: "string"},
		},
	},
	{
		name: "zremrangebyrank", arity: 4, flags: "write", acl: "@write @sortedset @slow",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "2.0.0",
		summary:    "Removes the members of a sorted set in a range of ranks.",
		complexity: "O(log N + M), M members removed",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "start", typ: "integer"},
			{name: "stop", typ: "integer"},
		},
	},
	{
		name: "zremrangebyscore", arity: 4, flags: "write", acl: "@write @sortedset @slow",
		keySpecs: []keySpec{
			{flags: "RW delete", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "1.2.0",
		summary:    "Removes the members of a sorted set whose scores lie in a range.",
		complexity: "O(log N + M), M members removed",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "min", typ: "double"},
			{name: "max", typ: "double"},
		},
	},
	{
		name: "zrevrange", arity: -4, flags: "readonly", acl: "@read @sortedset @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "1.2.0", docFlags: "deprecated", deprecatedSince: "6.2.0", replacedBy: "`ZRANGE` with the `REV` argument",
		summary:    "Returns members of a sorted set by rank, highest score first.",
		complexity: "O(log N + M), M members returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "start", typ: "integer"},
			{name: "stop", typ: "integer"},
			{name: "withscores", typ: "pure-token", token: "WITHSCORES", flags: argOptional},
		},
	},
	{
		name: "zrevrangebylex", arity: -4, flags: "readonly", acl: "@read @sortedset @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "2.8.9", docFlags: "deprecated", deprecatedSince: "6.2.0", replacedBy: "`ZRANGE` with the `REV` and `BYLEX` arguments",
		summary:    "Returns members of a sorted set between two names, in reverse order.",
		complexity: "O(log N + M), M members returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "max", typ: "string"},
			{name: "min", typ: "string"},
			{name: "offset-count", typ: "block", token: "LIMIT", flags: argOptional, args: []cmdArg{
				{name: "offset", typ: "integer"},
				{name: "count", typ: "integer"},
			}},
		},
	},
	{
		name: "zrevrangebyscore", arity: -4, flags: "readonly", acl: "@read @sortedset @slow",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "2.2.0", docFlags: "deprecated", deprecatedSince: "6.2.0", replacedBy: "`ZRANGE` with the `REV` and `BYSCORE` arguments",
		summary:    "Returns members of a sorted set whose scores lie in a range, highest first.",
		complexity: "O(log N + M), M members returned",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "max", typ: "double"},
			{name: "min", typ: "double"},
			{name: "withscores", typ: "pure-token", token: "WITHSCORES", flags: argOptional},
			{name: "offset-count", typ: "block", token: "LIMIT", flags: argOptional, args: []cmdArg{
				{name: "offset", typ: "integer"},
				{name: "count", typ: "integer"},
			}},
		},
	},
	{
		name: "zrevrank", arity: -3, aritySince: "7.2.0", flags: "readonly fast", acl: "@read @sortedset @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "2.0.0",
		summary:    "Returns the rank of a member, highest score first.",
		complexity: "O(log N)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "member", typ: "string"},
			{name: "withscore", typ: "pure-token", token: "WITHSCORE", flags: argOptional},
		},
	},
	{
		name: "zscan", arity: -3, flags: "readonly", acl: "@read @sortedset @slow", tips: "nondeterministic_output",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "2.8.0",
		summary:    "Iterates over the members and scores of a sorted set.",
		complexity: "O(1) a call, O(N) a full iteration",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "cursor", typ: "integer"},
			{name: "pattern", typ: "pattern", token: "MATCH", flags: argOptional},
			{name: "count", typ: "integer", token: "COUNT", flags: argOptional},
		},
	},
	{
		name: "zscore", arity: 3, flags: "readonly fast", acl: "@read @sortedset @fast",
		keySpecs: []keySpec{
			{flags: "RO access", index: 1, find: findRange, keyStep: 1},
		},
		group: "sorted-set", since: "1.2.0",
		summary:    "Returns the score of a member of a sorted set.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "member", typ: "string"},
		},
	},
}
