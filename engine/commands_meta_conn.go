package engine

// metaConnection lists the metadata of the connection, transaction, server and scripting commands.
var metaConnection = []cmdMeta{
	{
		name: "acl", arity: -2, acl: "@slow",
		group: "server", since: "6.0.0",
		summary:    "Container of the access control commands.",
		complexity: "Depends on the subcommand",
	},
	{
		name: "acl|users", arity: 2, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		group: "server", since: "6.0.0",
		summary:    "Lists the names of the users.",
		complexity: "O(N) where N is the number of users",
	},
	{
		name: "acl|whoami", arity: 2, flags: "noscript loading stale", acl: "@slow",
		group: "server", since: "6.0.0",
		summary:    "Returns the name of the user the connection is authenticated as.",
		complexity: "O(1)",
	},
	{
		name: "auth", arity: -2, flags: "noscript loading stale fast no_auth allow_busy", acl: "@fast @connection",
		group: "connection", since: "1.0.0",
		summary:    "Authenticates the connection.",
		complexity: "O(N) in the length of the password",
		args: []cmdArg{
			{name: "username", typ: "string", flags: argOptional, since: "6.0.0"},
			{name: "password", typ: "string"},
		},
	},
	{
		name: "bgrewriteaof", arity: 1, flags: "admin noscript no_async_loading", acl: "@admin @slow @dangerous",
		group: "server", since: "1.0.0",
		summary:    "Rewrites the append-only file in the background.",
		complexity: "O(1)",
	},
	{
		name: "debug", arity: -2, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		group: "server", since: "1.0.0", docFlags: "syscmd",
		summary:    "A container for debugging commands.",
		complexity: "Depends on subcommand.",
	},
	{
		name: "bgsave", arity: -1, flags: "admin noscript no_async_loading", acl: "@admin @slow @dangerous",
		group: "server", since: "1.0.0",
		summary:    "Saves a snapshot of the data in the background.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "schedule", typ: "pure-token", token: "SCHEDULE", flags: argOptional, since: "3.2.2"},
		},
	},
	{
		name: "client", arity: -2, acl: "@slow",
		group: "connection", since: "2.4.0",
		summary:    "Container of the commands about client connections.",
		complexity: "Depends on the subcommand",
	},
	{
		name: "client|caching", arity: 3, flags: "noscript loading stale", acl: "@slow @connection",
		group: "connection", since: "6.0.0",
		summary:    "Tells whether the next command's keys are tracked, in opt-in or opt-out tracking mode.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "mode", typ: "oneof", args: []cmdArg{
				{name: "yes", typ: "pure-token", token: "YES"},
				{name: "no", typ: "pure-token", token: "NO"},
			}},
		},
	},
	{
		name: "client|getname", arity: 2, flags: "noscript loading stale", acl: "@slow @connection",
		group: "connection", since: "2.6.9",
		summary:    "Returns the name of the connection.",
		complexity: "O(1)",
	},
	{
		name: "client|getredir", arity: 2, flags: "noscript loading stale", acl: "@slow @connection",
		group: "connection", since: "6.0.0",
		summary:    "Returns the ID of the client receiving this connection's tracking notifications.",
		complexity: "O(1)",
	},
	{
		name: "client|help", arity: 2, flags: "loading stale", acl: "@slow @connection",
		group: "connection", since: "5.0.0",
		summary:    "Lists the CLIENT subcommands.",
		complexity: "O(1)",
	},
	{
		name: "client|id", arity: 2, flags: "noscript loading stale", acl: "@slow @connection",
		group: "connection", since: "5.0.0",
		summary:    "Returns the ID of the connection.",
		complexity: "O(1)",
	},
	{
		name: "client|info", arity: 2, flags: "noscript loading stale", acl: "@slow @connection", tips: "nondeterministic_output",
		group: "connection", since: "6.2.0",
		summary:    "Describes the connection in CLIENT LIST's format.",
		complexity: "O(1)",
	},
	{
		name: "client|kill", arity: -3, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous @connection",
		group: "connection", since: "2.4.0",
		summary:    "Closes connections chosen by address, ID, user or other filters.",
		complexity: "O(N), N connections",
		args: []cmdArg{
			{name: "filter", typ: "oneof", args: []cmdArg{
				{name: "old-format", typ: "string", display: "ip:port", deprecatedSince: "2.8.12"},
				{name: "new-format", typ: "oneof", flags: argMultiple, args: []cmdArg{
					{name: "client-id", typ: "integer", token: "ID", flags: argOptional, since: "2.8.12"},
					{name: "client-type", typ: "oneof", token: "TYPE", flags: argOptional, since: "2.8.12", args: []cmdArg{
						{name: "normal", typ: "pure-token", token: "normal"},
						{name: "master", typ: "pure-token", token: "master", since: "3.2.0"},
						{name: "slave", typ: "pure-token", token: "slave"},
						{name: "replica", typ: "pure-token", token: "replica", since: "5.0.0"},
						{name: "pubsub", typ: "pure-token", token: "pubsub"},
					}},
					{name: "username", typ: "string", token: "USER", flags: argOptional},
					{name: "addr", typ: "string", display: "ip:port", token: "ADDR", flags: argOptional},
					{name: "laddr", typ: "string", display: "ip:port", token: "LADDR", flags: argOptional, since: "6.2.0"},
					{name: "skipme", typ: "oneof", token: "SKIPME", flags: argOptional, args: []cmdArg{
						{name: "yes", typ: "pure-token", token: "YES"},
						{name: "no", typ: "pure-token", token: "NO"},
					}},
					{name: "maxage", typ: "integer", token: "MAXAGE", flags: argOptional, since: "7.4.0"},
				}},
			}},
		},
	},
	{
		name: "client|list", arity: -2, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous @connection", tips: "nondeterministic_output",
		group: "connection", since: "2.4.0",
		summary:    "Describes the open connections, one line each.",
		complexity: "O(N), N connections",
		args: []cmdArg{
			{name: "client-type", typ: "oneof", token: "TYPE", flags: argOptional, since: "5.0.0", args: []cmdArg{
				{name: "normal", typ: "pure-token", token: "normal"},
				{name: "master", typ: "pure-token", token: "master"},
				{name: "replica", typ: "pure-token", token: "replica"},
				{name: "pubsub", typ: "pure-token", token: "pubsub"},
			}},
			{name: "client-id", typ: "integer", token: "ID", flags: argOptional | argMultiple, since: "6.2.0"},
		},
	},
	{
		name: "client|no-evict", arity: 3, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous @connection",
		group: "connection", since: "7.0.0",
		summary:    "Turns the protection of this connection from client eviction on or off.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "enabled", typ: "oneof", args: []cmdArg{
				{name: "on", typ: "pure-token", token: "ON"},
				{name: "off", typ: "pure-token", token: "OFF"},
			}},
		},
	},
	{
		name: "client|no-touch", arity: 3, flags: "noscript loading stale", acl: "@slow @connection",
		group: "connection", since: "7.2.0",
		summary:    "Chooses whether this connection's commands update keys' access times.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "enabled", typ: "oneof", args: []cmdArg{
				{name: "on", typ: "pure-token", token: "ON"},
				{name: "off", typ: "pure-token", token: "OFF"},
			}},
		},
	},
	{
		name: "client|pause", arity: -3, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous @connection",
		group: "connection", since: "3.0.0",
		summary:    "Holds back the commands of other clients for a while.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "timeout", typ: "integer"},
			{name: "mode", typ: "oneof", flags: argOptional, since: "6.2.0", args: []cmdArg{
				{name: "write", typ: "pure-token", token: "WRITE"},
				{name: "all", typ: "pure-token", token: "ALL"},
			}},
		},
	},
	{
		name: "client|reply", arity: 3, flags: "noscript loading stale", acl: "@slow @connection",
		group: "connection", since: "3.2.0",
		summary:    "Turns the server's replies to this connection on, off, or off for one command.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "action", typ: "oneof", args: []cmdArg{
				{name: "on", typ: "pure-token", token: "ON"},
				{name: "off", typ: "pure-token", token: "OFF"},
				{name: "skip", typ: "pure-token", token: "SKIP"},
			}},
		},
	},
	{
		name: "client|setinfo", arity: 4, flags: "noscript loading stale", acl: "@slow @connection", tips: "request_policy:all_nodes response_policy:all_succeeded",
		group: "connection", since: "7.2.0",
		summary:    "Records the client library's name or version for CLIENT LIST.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "attr", typ: "oneof", args: []cmdArg{
				{name: "libname", typ: "string", token: "lib-name"},
				{name: "libver", typ: "string", token: "lib-ver"},
			}},
		},
	},
	{
		name: "client|setname", arity: 3, flags: "noscript loading stale", acl: "@slow @connection",
		group: "connection", since: "2.6.9",
		summary:    "Gives the connection a name.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "connection-name", typ: "string"},
		},
	},
	{
		name: "client|tracking", arity: -3, flags: "noscript loading stale", acl: "@slow @connection",
		group: "connection", since: "6.0.0",
		summary:    "Turns server-assisted client-side caching on or off.",
		complexity: "O(1), O(N) with N prefixes when BCAST is given",
		args: []cmdArg{
			{name: "status", typ: "oneof", args: []cmdArg{
				{name: "on", typ: "pure-token", token: "ON"},
				{name: "off", typ: "pure-token", token: "OFF"},
			}},
			{name: "client-id", typ: "integer", token: "REDIRECT", flags: argOptional},
			{name: "prefix", typ: "string", token: "PREFIX", flags: argOptional | argMultiple | argMultipleToken},
			{name: "BCAST", typ: "pure-token", token: "BCAST", flags: argOptional},
			{name: "OPTIN", typ: "pure-token", token: "OPTIN", flags: argOptional},
			{name: "OPTOUT", typ: "pure-token", token: "OPTOUT", flags: argOptional},
			{name: "NOLOOP", typ: "pure-token", token: "NOLOOP", flags: argOptional},
		},
	},
	{
		name: "client|trackinginfo", arity: 2, flags: "noscript loading stale", acl: "@slow @connection",
		group: "connection", since: "6.2.0",
		summary:    "Describes the connection's client-side caching state.",
		complexity: "O(1)",
	},
	{
		name: "client|unblock", arity: -3, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous @connection",
		group: "connection", since: "5.0.0",
		summary:    "Wakes a client blocked by a blocking command.",
		complexity: "O(log N), N blocked clients",
		args: []cmdArg{
			{name: "client-id", typ: "integer"},
			{name: "unblock-type", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "timeout", typ: "pure-token", token: "TIMEOUT"},
				{name: "error", typ: "pure-token", token: "ERROR"},
			}},
		},
	},
	{
		name: "client|unpause", arity: 2, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous @connection",
		group: "connection", since: "6.2.0",
		summary:    "Lets the clients held by CLIENT PAUSE run again.",
		complexity: "O(N), N paused clients",
	},
	{
		name: "command", arity: -1, flags: "loading stale", acl: "@slow @connection", tips: "nondeterministic_output_order",
		group: "server", since: "2.8.13",
		summary:    "Describes every command.",
		complexity: "O(N), N commands",
	},
	{
		name: "command|count", arity: 2, flags: "loading stale", acl: "@slow @connection",
		group: "server", since: "2.8.13",
		summary:    "Returns the number of commands.",
		complexity: "O(1)",
	},
	{
		name: "command|docs", arity: -2, flags: "loading stale", acl: "@slow @connection", tips: "nondeterministic_output_order",
		group: "server", since: "7.0.0",
		summary:    "Returns documentation of commands.",
		complexity: "O(N), N commands asked for",
		args: []cmdArg{
			{name: "command-name", typ: "string", flags: argOptional | argMultiple},
		},
	},
	{
		name: "command|getkeys", arity: -4, flags: "loading stale", acl: "@slow @connection",
		group: "server", since: "2.8.13",
		summary:    "Returns the keys a full command line would access.",
		complexity: "O(N), N arguments",
		args: []cmdArg{
			{name: "command", typ: "string"},
			{name: "arg", typ: "string", flags: argOptional | argMultiple},
		},
	},
	{
		name: "command|getkeysandflags", arity: -4, flags: "loading stale", acl: "@slow @connection",
		group: "server", since: "7.0.0",
		summary:    "Returns the keys a full command line would access and how it uses them.",
		complexity: "O(N), N arguments",
		args: []cmdArg{
			{name: "command", typ: "string"},
			{name: "arg", typ: "string", flags: argOptional | argMultiple},
		},
	},
	{
		name: "command|help", arity: 2, flags: "loading stale", acl: "@slow @connection",
		group: "server", since: "5.0.0",
		summary:    "Lists the COMMAND subcommands.",
		complexity: "O(1)",
	},
	{
		name: "command|info", arity: -2, flags: "loading stale", acl: "@slow @connection", tips: "nondeterministic_output_order",
		group: "server", since: "2.8.13",
		summary:    "Describes the given commands.",
		complexity: "O(N), N commands asked for",
		args: []cmdArg{
			{name: "command-name", typ: "string", flags: argOptional | argMultiple},
		},
	},
	{
		name: "command|list", arity: -2, flags: "loading stale", acl: "@slow @connection", tips: "nondeterministic_output_order",
		group: "server", since: "7.0.0",
		summary:    "Lists command names, optionally filtered.",
		complexity: "O(N), N commands",
		args: []cmdArg{
			{name: "filterby", typ: "oneof", token: "FILTERBY", flags: argOptional, args: []cmdArg{
				{name: "module-name", typ: "string", token: "MODULE"},
				{name: "category", typ: "string", token: "ACLCAT"},
				{name: "pattern", typ: "pattern", token: "PATTERN"},
			}},
		},
	},
	{
		name: "config", arity: -2, acl: "@slow",
		group: "server", since: "2.0.0",
		summary:    "Container of the configuration commands.",
		complexity: "Depends on the subcommand",
	},
	{
		name: "config|get", arity: -3, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		group: "server", since: "2.0.0",
		summary:    "Returns the values of the settings matching patterns.",
		complexity: "O(N), N settings",
		args: []cmdArg{
			{name: "parameter", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "config|help", arity: 2, flags: "loading stale", acl: "@slow",
		group: "server", since: "5.0.0",
		summary:    "Lists the CONFIG subcommands.",
		complexity: "O(1)",
	},
	{
		name: "config|resetstat", arity: 2, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		group: "server", since: "2.0.0",
		summary:    "Zeroes the statistics INFO reports.",
		complexity: "O(1)",
	},
	{
		name: "config|rewrite", arity: 2, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous",
		group: "server", since: "2.8.0",
		summary:    "Writes the running configuration to the configuration file.",
		complexity: "O(1)",
	},
	{
		name: "config|set", arity: -4, flags: "admin noscript loading stale", acl: "@admin @slow @dangerous", tips: "request_policy:all_nodes response_policy:all_succeeded",
		group: "server", since: "2.0.0",
		summary:    "Changes one or more settings at once.",
		complexity: "O(N), N settings changed",
		args: []cmdArg{
			{name: "data", typ: "block", flags: argMultiple, args: []cmdArg{
				{name: "parameter", typ: "string"},
				{name: "value", typ: "string"},
			}},
		},
	},
	{
		name: "dbsize", arity: 1, flags: "readonly fast", acl: "@keyspace @read @fast", tips: "request_policy:all_shards response_policy:agg_sum",
		group: "server", since: "1.0.0",
		summary:    "Returns the number of keys in the database.",
		complexity: "O(1)",
	},
	{
		name: "discard", arity: 1, flags: "noscript loading stale fast allow_busy", acl: "@fast @transaction",
		group: "transactions", since: "2.0.0",
		summary:    "Drops the commands queued since MULTI.",
		complexity: "O(N), N queued commands",
	},
	{
		name: "echo", arity: 2, flags: "loading stale fast", acl: "@fast @connection",
		group: "connection", since: "1.0.0",
		summary:    "Returns its argument.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "message", typ: "string"},
		},
	},
	{
		name: "exec", arity: 1, flags: "noscript loading stale skip_slowlog", acl: "@slow @transaction",
		group: "transactions", since: "1.2.0",
		summary:    "Runs the commands queued since MULTI.",
		complexity: "Sum of the queued commands' costs",
	},
	{
		name: "flushall", arity: -1, flags: "write", acl: "@keyspace @write @slow @dangerous", tips: "request_policy:all_shards response_policy:all_succeeded",
		group: "server", since: "1.0.0",
		summary:    "Removes every key of every database.",
		complexity: "O(N), N keys",
		args: []cmdArg{
			{name: "flush-type", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "async", typ: "pure-token", token: "ASYNC", since: "4.0.0"},
				{name: "sync", typ: "pure-token", token: "SYNC", since: "6.2.0"},
			}},
		},
	},
	{
		name: "flushdb", arity: -1, flags: "write", acl: "@keyspace @write @slow @dangerous", tips: "request_policy:all_shards response_policy:all_succeeded",
		group: "server", since: "1.0.0",
		summary:    "Removes every key of the selected database.",
		complexity: "O(N), N keys",
		args: []cmdArg{
			{name: "flush-type", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "async", typ: "pure-token", token: "ASYNC", since: "4.0.0"},
				{name: "sync", typ: "pure-token", token: "SYNC", since: "6.2.0"},
			}},
		},
	},
	{
		name: "function", arity: -2, acl: "@slow",
		group: "scripting", since: "7.0.0",
		summary:    "Container of the function commands.",
		complexity: "Depends on the subcommand",
	},
	{
		name: "function|flush", arity: -2, flags: "write noscript", acl: "@write @slow @scripting", tips: "request_policy:all_shards response_policy:all_succeeded",
		group: "scripting", since: "7.0.0",
		summary:    "Removes every function library.",
		complexity: "O(N), N functions",
		args: []cmdArg{
			{name: "flush-type", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "async", typ: "pure-token", token: "ASYNC"},
				{name: "sync", typ: "pure-token", token: "SYNC"},
			}},
		},
	},
	{
		name: "function|help", arity: 2, flags: "loading stale", acl: "@slow @scripting",
		group: "scripting", since: "7.0.0",
		summary:    "Lists the FUNCTION subcommands.",
		complexity: "O(1)",
	},
	{
		name: "hello", arity: -1, flags: "noscript loading stale fast no_auth allow_busy", acl: "@fast @connection",
		group: "connection", since: "6.0.0",
		summary:    "Chooses the protocol version and returns details about the server.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "arguments", typ: "block", flags: argOptional, args: []cmdArg{
				{name: "protover", typ: "integer"},
				{name: "auth", typ: "block", token: "AUTH", flags: argOptional, args: []cmdArg{
					{name: "username", typ: "string"},
					{name: "password", typ: "string"},
				}},
				{name: "clientname", typ: "string", token: "SETNAME", flags: argOptional},
			}},
		},
	},
	{
		name: "info", arity: -1, flags: "loading stale", acl: "@slow @dangerous", tips: "nondeterministic_output request_policy:all_shards response_policy:special",
		group: "server", since: "1.0.0",
		summary:    "Returns statistics and details about the server.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "section", typ: "string", flags: argOptional | argMultiple},
		},
	},
	{
		name: "lastsave", arity: 1, flags: "loading stale fast", acl: "@admin @fast @dangerous", tips: "nondeterministic_output",
		group: "server", since: "1.0.0",
		summary:    "Returns the Unix time of the last successful save.",
		complexity: "O(1)",
	},
	{
		name: "memory", arity: -2, acl: "@slow",
		group: "server", since: "4.0.0",
		summary:    "Container of the memory commands.",
		complexity: "Depends on the subcommand",
	},
	{
		name: "memory|doctor", arity: 2, acl: "@slow", tips: "nondeterministic_output request_policy:all_shards response_policy:special",
		group: "server", since: "4.0.0",
		summary:    "Reports on memory problems.",
		complexity: "O(1)",
	},
	{
		name: "memory|help", arity: 2, flags: "loading stale", acl: "@slow",
		group: "server", since: "4.0.0",
		summary:    "Lists the MEMORY subcommands.",
		complexity: "O(1)",
	},
	{
		name: "memory|malloc-stats", arity: 2, acl: "@slow", tips: "nondeterministic_output request_policy:all_shards response_policy:special",
		group: "server", since: "4.0.0",
		summary:    "Returns the allocator's statistics.",
		complexity: "Depends on the allocator",
	},
	{
		name: "memory|purge", arity: 2, acl: "@slow", tips: "request_policy:all_shards response_policy:all_succeeded",
		group: "server", since: "4.0.0",
		summary:    "Asks the allocator to release unused memory.",
		complexity: "Depends on the allocator",
	},
	{
		name: "memory|stats", arity: 2, acl: "@slow", tips: "nondeterministic_output request_policy:all_shards response_policy:special",
		group: "server", since: "4.0.0",
		summary:    "Returns details about memory use.",
		complexity: "O(1)",
	},
	{
		name: "memory|usage", arity: -3, flags: "readonly", acl: "@read @slow",
		keySpecs: []keySpec{
			{flags: "RO", index: 2, find: findRange, keyStep: 1},
		},
		group: "server", since: "4.0.0",
		summary:    "Estimates the memory a key and its value use.",
		complexity: "O(N), N elements sampled",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1},
			{name: "count", typ: "integer", token: "SAMPLES", flags: argOptional},
		},
	},
	{
		name: "multi", arity: 1, flags: "noscript loading stale fast allow_busy", acl: "@fast @transaction",
		group: "transactions", since: "1.2.0",
		summary:    "Starts a transaction.",
		complexity: "O(1)",
	},
	{
		name: "ping", arity: -1, flags: "fast", acl: "@fast @connection", tips: "request_policy:all_shards response_policy:all_succeeded",
		group: "connection", since: "1.0.0",
		summary:    "Checks the connection; replies PONG or its argument.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "message", typ: "string", flags: argOptional},
		},
	},
	{
		name: "quit", arity: -1, flags: "noscript loading stale fast no_auth allow_busy", acl: "@fast @connection",
		group: "connection", since: "1.0.0", docFlags: "deprecated", deprecatedSince: "7.2.0", replacedBy: "closing the connection",
		summary:    "Closes the connection.",
		complexity: "O(1)",
	},
	{
		name: "reset", arity: 1, flags: "noscript loading stale fast no_auth allow_busy", acl: "@fast @connection",
		group: "connection", since: "6.2.0",
		summary:    "Returns the connection to its initial state.",
		complexity: "O(1)",
	},
	{
		name: "role", arity: 1, flags: "noscript loading stale fast", acl: "@admin @fast @dangerous",
		group: "server", since: "2.8.12",
		summary:    "Returns the replication role of the server.",
		complexity: "O(1)",
	},
	{
		name: "save", arity: 1, flags: "admin noscript no_async_loading no_multi", acl: "@admin @slow @dangerous",
		group: "server", since: "1.0.0",
		summary:    "Saves a snapshot of the data, blocking until done.",
		complexity: "O(N), N keys",
	},
	{
		name: "script", arity: -2, acl: "@slow",
		group: "scripting", since: "2.6.0",
		summary:    "Container of the Lua script commands.",
		complexity: "Depends on the subcommand",
	},
	{
		name: "script|flush", arity: -2, flags: "noscript", acl: "@slow @scripting", tips: "request_policy:all_nodes response_policy:all_succeeded",
		group: "scripting", since: "2.6.0",
		summary:    "Removes every cached script.",
		complexity: "O(N), N scripts",
		args: []cmdArg{
			{name: "flush-type", typ: "oneof", flags: argOptional, since: "6.2.0", args: []cmdArg{
				{name: "async", typ: "pure-token", token: "ASYNC"},
				{name: "sync", typ: "pure-token", token: "SYNC"},
			}},
		},
	},
	{
		name: "script|exists", arity: -3, flags: "noscript", acl: "@slow @scripting", tips: "request_policy:all_shards response_policy:agg_logical_and",
		group: "scripting", since: "2.6.0",
		summary:    "Tells, per SHA1 digest, whether the script is cached.",
		complexity: "O(N), N digests",
		args: []cmdArg{
			{name: "sha1", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "script|help", arity: 2, flags: "loading stale", acl: "@slow @scripting",
		group: "scripting", since: "5.0.0",
		summary:    "Lists the SCRIPT subcommands.",
		complexity: "O(1)",
	},
	{
		name: "script|kill", arity: 2, flags: "noscript allow_busy", acl: "@slow @scripting", tips: "request_policy:all_shards response_policy:one_succeeded",
		group: "scripting", since: "2.6.0",
		summary:    "Stops the running script if it has not written.",
		complexity: "O(1)",
	},
	{
		name: "script|load", arity: 3, flags: "noscript stale", acl: "@slow @scripting", tips: "request_policy:all_nodes response_policy:all_succeeded",
		group: "scripting", since: "2.6.0",
		summary:    "Compiles a script and caches it without running it.",
		complexity: "O(N), N bytes of the script",
		args: []cmdArg{
			{name: "script", typ: "string"},
		},
	},
	{
		name: "select", arity: 2, flags: "loading stale fast", acl: "@fast @connection",
		group: "connection", since: "1.0.0",
		summary:    "Chooses the database of the connection.",
		complexity: "O(1)",
		args: []cmdArg{
			{name: "index", typ: "integer"},
		},
	},
	{
		name: "shutdown", arity: -1, flags: "admin noscript loading stale no_multi allow_busy", acl: "@admin @slow @dangerous",
		group: "server", since: "1.0.0",
		summary:    "Stops the server.",
		complexity: "O(N), N keys saved",
		args: []cmdArg{
			{name: "save-selector", typ: "oneof", flags: argOptional, args: []cmdArg{
				{name: "nosave", typ: "pure-token", token: "NOSAVE"},
				{name: "save", typ: "pure-token", token: "SAVE"},
			}},
			{name: "now", typ: "pure-token", token: "NOW", flags: argOptional, since: "7.0.0"},
			{name: "force", typ: "pure-token", token: "FORCE", flags: argOptional, since: "7.0.0"},
			{name: "abort", typ: "pure-token", token: "ABORT", flags: argOptional, since: "7.0.0"},
		},
	},
	{
		name: "slowlog", arity: -2, acl: "@slow",
		group: "server", since: "2.2.12",
		summary:    "Container of the slow log commands.",
		complexity: "Depends on the subcommand",
	},
	{
		name: "slowlog|get", arity: -2, flags: "admin loading stale", acl: "@admin @slow @dangerous", tips: "request_policy:all_nodes nondeterministic_output",
		group: "server", since: "2.2.12",
		summary:    "Returns entries of the slow log.",
		complexity: "O(N), N entries returned",
		args: []cmdArg{
			{name: "count", typ: "integer", flags: argOptional},
		},
	},
	{
		name: "slowlog|help", arity: 2, flags: "loading stale", acl: "@slow",
		group: "server", since: "6.2.0",
		summary:    "Lists the SLOWLOG subcommands.",
		complexity: "O(1)",
	},
	{
		name: "slowlog|len", arity: 2, flags: "admin loading stale", acl: "@admin @slow @dangerous", tips: "request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
		group: "server", since: "2.2.12",
		summary:    "Returns the number of entries in the slow log.",
		complexity: "O(1)",
	},
	{
		name: "slowlog|reset", arity: 2, flags: "admin loading stale", acl: "@admin @slow @dangerous", tips: "request_policy:all_nodes response_policy:all_succeeded",
		group: "server", since: "2.2.12",
		summary:    "Empties the slow log.",
		complexity: "O(N), N entries",
	},
	{
		name: "swapdb", arity: 3, flags: "write fast", acl: "@keyspace @write @fast @dangerous",
		group: "server", since: "4.0.0",
		summary:    "Exchanges the contents of two databases.",
		complexity: "O(N), N clients watching or blocked",
		args: []cmdArg{
			{name: "index1", typ: "integer"},
			{name: "index2", typ: "integer"},
		},
	},
	{
		name: "time", arity: 1, flags: "loading stale fast", acl: "@fast", tips: "nondeterministic_output",
		group: "server", since: "2.6.0",
		summary:    "Returns the server's time.",
		complexity: "O(1)",
	},
	{
		name: "unwatch", arity: 1, flags: "noscript loading stale fast allow_busy", acl: "@fast @transaction",
		group: "transactions", since: "2.2.0",
		summary:    "Forgets the keys given to WATCH.",
		complexity: "O(1)",
	},
	{
		name: "watch", arity: -2, flags: "noscript loading stale fast allow_busy", acl: "@fast @transaction",
		keySpecs: []keySpec{
			{flags: "RO", index: 1, find: findRange, lastKey: -1, keyStep: 1},
		},
		group: "transactions", since: "2.2.0",
		summary:    "Makes the next EXEC fail if any of the keys changes.",
		complexity: "O(1) a key",
		args: []cmdArg{
			{name: "key", typ: "key", keySpecPos: 1, flags: argMultiple},
		},
	},
}
