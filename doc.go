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
// a real Redis, on a Redis Cluster, or on Pelican's embedded engine (no
// setup at all: package embedded, which this package does not import, so
// a program that talks to Redis does not carry the engine). It asks the
// server what it offers and uses the newest commands it has (XREADGROUP
// CLAIM, XNACK, XADD IDMP), falling back to Redis 7 commands with the same
// guarantees where they are missing.
//
// A worker:
//
//	c := pelican.New(redis.NewClient(&redis.Options{Addr: "localhost:6379"}), pelican.Options{})
//	// or, with an engine in this process: c, _ := embedded.New(pelican.Options{})
//	defer c.Close()
//	w, _ := c.NewWorker(pelican.WorkerConfig{
//		Stream: "orders", Group: "billing", Concurrency: 8,
//		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
//			return charge(ctx, m.Values["order"])
//		}),
//	})
//	done := make(chan error, 1)
//	go func() { done <- w.Run(ctx) }()
//	c.Publish(ctx, "orders", map[string]string{"order": "42"}, nil)
//	// ... when ctx ends, Run shuts down within ShutdownGrace:
//	err := <-done
//
// Concurrency is how many handlers run at once; messages are read in
// batches and each goes to the next free handler. Leave Consumer empty for
// a name unique to the process. A message recovered from a worker that
// died runs alone, so one that kills its worker is dead-lettered after
// MaxDeliveries attempts without taking its neighbours along. The README
// has a whole program.
//
// A message published with PublishOptions.Delay or At waits in the
// stream's due-time index until due; the stream's workers (or a Scheduler)
// move it into the stream then, exactly once, and Cancel withdraws it
// before (docs/scheduling.md).
//
// What each part of a message's life writes to Redis is listed in
// docs/keys.md; the failure rules are in docs/failures.md.
package pelican
