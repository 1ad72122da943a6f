// Package pelican is reliable message processing on Redis Streams.
//
// Producers publish messages to a stream; workers in a consumer group
// process them at least once (or, for side effects kept in Redis, exactly
// once). A message whose handler fails stays in the group's Pending
// Entries List and is delivered again after a backoff; one that keeps
// failing, or fails permanently, is moved to a dead-letter stream with its
// history, in one atomic step; one held by a worker that died is claimed by
// another. All state lives in Redis, so a worker restart loses nothing.
//
// Pelican speaks only the Redis protocol, through go-redis v9: it runs on
// Pelican's embedded engine (no setup at all), on a real Redis, or on a
// Redis Cluster. It asks the server what it offers and uses the newest
// commands it has (XREADGROUP CLAIM, XNACK, XADD IDMP), falling back to
// Redis 7 commands with the same guarantees where they are missing.
//
// A worker:
//
//	c, _ := pelican.NewEmbedded(pelican.Options{})
//	defer c.Close()
//	w, _ := c.NewWorker(pelican.WorkerConfig{
//		Stream: "orders", Group: "billing",
//		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
//			return charge(ctx, m.Values["order"])
//		}),
//	})
//	go w.Run(ctx)
//	c.Publish(ctx, "orders", map[string]string{"order": "42"}, nil)
//
// What each part of a message's life writes to Redis is listed in
// docs/keys.md; the failure rules are in docs/failures.md.
package pelican
