package engine

// Pub/sub on channels: SUBSCRIBE, UNSUBSCRIBE and PUBLISH. Patterns
// (PSUBSCRIBE) and shard channels (SSUBSCRIBE) are not implemented.
//
// A message reaches each subscriber through its served buffer, which its
// connection's goroutine moves to the connection after being woken (as for
// a blocked command served by another client); a message a client
// publishes to itself follows its command's reply, as in Redis 7.2 and
// later. Subscription replies and messages are arrays in RESP2 and push
// messages in RESP3. A RESP2 client with subscriptions may only run the
// commands pubsubAllowed lists (ExecLocked refuses the others); a RESP3
// client runs anything.
//
// Engine.pubsub maps each channel to its subscribers; Client.channels
// holds a client's channels in the order it subscribed to them (the order
// UNSUBSCRIBE without arguments replies in). Both are guarded by the
// engine lock.

func pubsubCommands() []*Command {
	return []*Command{
		{Name: "subscribe", Arity: -2, Run: subscribeCommand},
		{Name: "unsubscribe", Arity: -1, Run: unsubscribeCommand},
		{Name: "publish", Arity: 3, Run: publishCommand},
	}
}

// pubsubAllowed are the commands a RESP2 client may run while it has
// subscriptions.
var pubsubAllowed = map[string]bool{
	"ping": true, "subscribe": true, "unsubscribe": true, "quit": true, "reset": true,
}

// errPubSubContext is Redis's refusal of another command by a RESP2
// client with subscriptions; %s is the command's full name.
const errPubSubContext = "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"

// subscribed reports whether the client has subscriptions (Redis's
// CLIENT_PUBSUB flag): it is then of the pubsub class.
func (c *Client) subscribed() bool { return c.channels != nil && c.channels.len() > 0 }

// pubsubRestricted reports whether the client may run only the commands
// of pubsubAllowed.
func (c *Client) pubsubRestricted() bool { return c.subscribed() && c.main.Proto == 2 }

func subscribeCommand(c *Client, args [][]byte) {
	if c.channels == nil {
		c.channels = newOrderedMap[struct{}]()
	}
	for _, ch := range args[1:] {
		if c.channels.put(ch, struct{}{}) {
			subs := c.e.pubsub[string(ch)]
			if subs == nil {
				subs = make(map[*Client]struct{})
				c.e.pubsub[string(ch)] = subs
			}
			subs[c] = struct{}{}
		}
		c.pubsubReply("subscribe", ch)
	}
}

func unsubscribeCommand(c *Client, args [][]byte) {
	if len(args) == 1 {
		var all [][]byte
		if c.channels != nil {
			c.channels.each(func(ch string, _ struct{}) { all = append(all, []byte(ch)) })
		}
		if len(all) == 0 {
			c.pubsubReply("unsubscribe", nil)
			return
		}
		args = append(args, all...)
	}
	for _, ch := range args[1:] {
		c.unsubscribeLocked(ch)
		c.pubsubReply("unsubscribe", ch)
	}
}

// unsubscribeLocked removes the client's subscription to ch, if any.
func (c *Client) unsubscribeLocked(ch []byte) {
	if c.channels == nil || !c.channels.remove(ch) {
		return
	}
	subs := c.e.pubsub[string(ch)]
	delete(subs, c)
	if len(subs) == 0 {
		delete(c.e.pubsub, string(ch))
	}
}

// unsubscribeAllLocked drops every subscription without replying, when
// the client closes or runs RESET.
func (c *Client) unsubscribeAllLocked() {
	if c.channels == nil {
		return
	}
	c.channels.each(func(ch string, _ struct{}) {
		subs := c.e.pubsub[ch]
		delete(subs, c)
		if len(subs) == 0 {
			delete(c.e.pubsub, ch)
		}
	})
	c.channels = nil
}

// pubsubReply writes a subscription reply: its kind, the channel (null
// for none) and how many subscriptions the client has left.
func (c *Client) pubsubReply(kind string, ch []byte) {
	w := c.out
	w.Push(3)
	w.BulkString(kind)
	if ch == nil {
		w.NullBulk()
	} else {
		w.Bulk(ch)
	}
	n := 0
	if c.channels != nil {
		n = c.channels.len()
	}
	w.Int(int64(n))
}

// publishCommand is PUBLISH channel message: it replies how many clients
// the message was sent to.
func publishCommand(c *Client, args [][]byte) {
	subs := c.e.pubsub[string(args[1])]
	for s := range subs {
		w := &s.served
		w.Push(3)
		w.BulkString("message")
		w.Bulk(args[1])
		w.Bulk(args[2])
		if s.wake != nil {
			s.wake()
		}
	}
	c.out.Int(int64(len(subs)))
}
