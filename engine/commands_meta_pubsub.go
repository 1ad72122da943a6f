package engine

// metaPubSub lists the metadata of the pub/sub commands.
var metaPubSub = []cmdMeta{
	{
		name: "publish", arity: 3, flags: "pubsub loading stale fast", acl: "@pubsub @fast",
		group: "pubsub", since: "2.0.0",
		summary:    "Posts a message to a channel.",
		complexity: "O(N), N clients subscribed to the channel",
		args: []cmdArg{
			{name: "channel", typ: "string"},
			{name: "message", typ: "string"},
		},
	},
	{
		name: "subscribe", arity: -2, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		group: "pubsub", since: "2.0.0",
		summary:    "Listens for messages published to channels.",
		complexity: "O(N), N channels",
		args: []cmdArg{
			{name: "channel", typ: "string", flags: argMultiple},
		},
	},
	{
		name: "unsubscribe", arity: -1, flags: "pubsub noscript loading stale", acl: "@pubsub @slow",
		group: "pubsub", since: "2.0.0",
		summary:    "Stops listening for messages published to channels, or to all of them.",
		complexity: "O(N), N channels",
		args: []cmdArg{
			{name: "channel", typ: "string", flags: argOptional | argMultiple},
		},
	},
}
