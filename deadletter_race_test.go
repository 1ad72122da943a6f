package pelican

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// moveWorker returns a worker of c for consumer on stream, group "g",
// with the server's capabilities known, as Run would leave them: the
// dead-letter tests call its deadLetter directly.
func moveWorker(t *testing.T, c *Client, stream, consumer string, exactlyOnce bool) *Worker {
	t.Helper()
	w, err := c.NewWorker(WorkerConfig{
		Stream: stream, Group: "g", Consumer: consumer, ExactlyOnce: exactlyOnce,
		Handler: HandlerFunc(func(context.Context, *Message) error { return nil }),
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.caps, err = c.Capabilities(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w
}

// Two workers that both hold a message (one read it, the other claimed it
// from the first) and both dead-letter it at once move it once: with the
// script and with the WATCH form, on Pelican's engine and on
// redis-server 7.
func TestDeadLetterRaceMovesOnce(t *testing.T) {
	servers := testServers(t)
	ctx := context.Background()
	for name, open := range servers {
		for _, watched := range []bool{false, true} {
			for _, exactlyOnce := range []bool{false, true} {
				stream := fmt.Sprintf("race-%v-%v", watched, exactlyOnce)
				t.Run(fmt.Sprintf("%s/watched=%v/exactly-once=%v", name, watched, exactlyOnce), func(t *testing.T) {
					c := New(open(), Options{ForceFallbacks: watched, Logger: slog.New(slog.DiscardHandler)})
					defer c.Close()
					workers := make([]*Worker, 2)
					for i := range workers {
						w := moveWorker(t, c, stream, fmt.Sprintf("c%d", i), exactlyOnce)
						if w.caps.Scripting == watched {
							t.Fatalf("Scripting = %v with ForceFallbacks %v", w.caps.Scripting, watched)
						}
						workers[i] = w
					}
					rdb := c.Redis()
					if err := rdb.XGroupCreateMkStream(ctx, stream, "g", "0").Err(); err != nil {
						t.Fatal(err)
					}
					const n = 40
					for i := 1; i <= n; i++ {
						id := fmt.Sprintf("%d-1", i)
						rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, ID: id, Values: []any{"n", i}})
						// c0 reads it, then c1 claims it: both hold it.
						rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c0", Streams: []string{stream, ">"}, Count: 1})
						rdb.XClaim(ctx, &redis.XClaimArgs{Stream: stream, Group: "g", Consumer: "c1", Messages: []string{id}})
						var wg sync.WaitGroup
						for _, w := range workers {
							wg.Add(1)
							go func() {
								defer wg.Done()
								m := &Message{ID: id, Stream: stream, Group: "g", Values: map[string]string{"n": fmt.Sprint(i)}, Deliveries: 4, MaxDeliveries: 3}
								w.deadLetter(ctx, []deadRequest{{m, ClassMaxDeliveries, fmt.Errorf("too many")}})
							}()
						}
						wg.Wait()
					}
					moved := workers[0].Stats().DeadLettered + workers[1].Stats().DeadLettered
					dlq, err := rdb.XLen(ctx, DeadLetterStreamOf(stream)).Result()
					if err != nil {
						t.Fatal(err)
					}
					pending, err := rdb.XPending(ctx, stream, "g").Result()
					if err != nil {
						t.Fatal(err)
					}
					if dlq != n || moved != n || pending.Count != 0 {
						t.Errorf("after %d races: %d dead-letter entries, %d counted moves, %d pending; want %d, %d, 0", n, dlq, moved, pending.Count, n, n)
					}
				})
			}
		}
	}
}

// A message with more fields than one Lua call can pass is moved all the
// same (in the WATCH form), with all its fields.
func TestDeadLetterWideMessage(t *testing.T) {
	r := redistest.StartRedis(t)
	c := New(redis.NewClient(&redis.Options{Addr: r.Addr}), Options{Logger: slog.New(slog.DiscardHandler)})
	defer c.Close()
	ctx := context.Background()
	w := moveWorker(t, c, "wide", "c", false)
	if !w.caps.Scripting {
		t.Fatalf("Capabilities = %+v; want scripting", w.caps)
	}
	values := map[string]string{}
	var fields []any
	for i := range 5000 {
		values[fmt.Sprint("f", i)] = "v"
		fields = append(fields, fmt.Sprint("f", i), "v")
	}
	rdb := c.Redis()
	rdb.XGroupCreateMkStream(ctx, "wide", "g", "0")
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "wide", ID: "1-1", Values: fields})
	rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"wide", ">"}})
	m := &Message{ID: "1-1", Stream: "wide", Group: "g", Values: values, Deliveries: 1, MaxDeliveries: 3}
	w.deadLetter(ctx, []deadRequest{{m, ClassPermanent, fmt.Errorf("too wide")}})
	got, err := rdb.XRange(ctx, DeadLetterStreamOf("wide"), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Values) != 5000+11 {
		t.Fatalf("dead-letter stream: %d entries; want 1 with %d fields", len(got), 5000+11)
	}
}

// A batch mixing a message the script moves and one too wide for it moves
// each once, even when another worker moved the first already: the form
// is chosen per message, so both workers move the first by script.
func TestDeadLetterMixedBatchMovesOnce(t *testing.T) {
	r := redistest.StartRedis(t)
	c := New(redis.NewClient(&redis.Options{Addr: r.Addr}), Options{Logger: slog.New(slog.DiscardHandler)})
	defer c.Close()
	ctx := context.Background()
	c0, c1 := moveWorker(t, c, "mixed", "c0", false), moveWorker(t, c, "mixed", "c1", false)
	rdb := c.Redis()
	rdb.XGroupCreateMkStream(ctx, "mixed", "g", "0")
	wide := map[string]string{}
	var wideFields []any
	for i := range 5000 {
		wide[fmt.Sprint("f", i)] = "v"
		wideFields = append(wideFields, fmt.Sprint("f", i), "v")
	}
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "mixed", ID: "1-1", Values: []any{"n", "1"}})
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "mixed", ID: "2-1", Values: wideFields})
	rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c0", Streams: []string{"mixed", ">"}})
	rdb.XClaim(ctx, &redis.XClaimArgs{Stream: "mixed", Group: "g", Consumer: "c1", Messages: []string{"1-1"}})
	narrow := &Message{ID: "1-1", Stream: "mixed", Group: "g", Values: map[string]string{"n": "1"}, Deliveries: 1, MaxDeliveries: 3}
	c1.deadLetter(ctx, []deadRequest{{narrow, ClassPermanent, fmt.Errorf("bad")}})
	wideMsg := &Message{ID: "2-1", Stream: "mixed", Group: "g", Values: wide, Deliveries: 1, MaxDeliveries: 3}
	c0.deadLetter(ctx, []deadRequest{{narrow, ClassPermanent, fmt.Errorf("bad")}, {wideMsg, ClassPermanent, fmt.Errorf("bad")}})
	got, err := rdb.XRange(ctx, DeadLetterStreamOf("mixed"), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var originals []string
	for _, e := range got {
		originals = append(originals, fmt.Sprint(e.Values[FieldOriginalID]))
	}
	if fmt.Sprint(originals) != "[1-1 2-1]" {
		t.Errorf("dead-letter stream holds %v, want [1-1 2-1]", originals)
	}
}

// When the dead-letter stream's key holds another type, the move fails
// before writing anything: the messages stay pending, nothing is lost.
func TestDeadLetterWrongTypeLosesNothing(t *testing.T) {
	servers := testServers(t)
	for name, rdb := range map[string]redis.UniversalClient{
		"pelican": servers["pelican"](),
		"redis7":  servers["redis7"](),
	} {
		for _, watched := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/watched=%v", name, watched), func(t *testing.T) {
				ctx := context.Background()
				rdb.FlushAll(ctx)
				c := New(rdb, Options{ForceFallbacks: watched, Logger: slog.New(slog.DiscardHandler)})
				w := moveWorker(t, c, "wt", "c", false)
				rdb.XGroupCreateMkStream(ctx, "wt", "g", "0")
				rdb.XAdd(ctx, &redis.XAddArgs{Stream: "wt", ID: "1-1", Values: []any{"n", "1"}})
				rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"wt", ">"}})
				rdb.Set(ctx, DeadLetterStreamOf("wt"), "not a stream", 0)
				m := &Message{ID: "1-1", Stream: "wt", Group: "g", Values: map[string]string{"n": "1"}, Deliveries: 1, MaxDeliveries: 3}
				w.deadLetter(ctx, []deadRequest{{m, ClassPermanent, fmt.Errorf("bad")}})
				pending, err := rdb.XPending(ctx, "wt", "g").Result()
				if err != nil {
					t.Fatal(err)
				}
				if pending.Count != 1 || w.Stats().DeadLettered != 0 {
					t.Errorf("after a failed move: %d pending, %d dead-lettered; want 1 pending, none moved", pending.Count, w.Stats().DeadLettered)
				}
			})
		}
	}
}

// The dead-letter stream cannot be the stream itself or one of Pelican's
// own keys: a move into it would write into what it reads.
func TestDeadLetterStreamMustBeItsOwn(t *testing.T) {
	p := pelicantest.StartPelican(t, engine.Config{})
	c := New(redis.NewClient(&redis.Options{Addr: p.Addr}), Options{Logger: slog.New(slog.DiscardHandler)})
	defer c.Close()
	for _, dlq := range []string{"s", "s:pelican:failures:g"} {
		_, err := c.NewWorker(WorkerConfig{Stream: "s", Group: "g", Consumer: "c", DeadLetterStream: dlq,
			Handler: HandlerFunc(func(context.Context, *Message) error { return nil })})
		if err == nil {
			t.Errorf("NewWorker with DeadLetterStream %q succeeded, want an error", dlq)
		}
	}
}
