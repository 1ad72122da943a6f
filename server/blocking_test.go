package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// blockingServer is a server a blocking test runs against.
type blockingServer struct {
	name    string
	addr    string
	blocked func() (int, error)
}

// bothServers starts Pelican and redis-server.
func bothServers(t *testing.T) []blockingServer {
	p := pelicantest.StartPelican(t, engine.Config{})
	r := redistest.StartRedis(t)
	return []blockingServer{
		{"pelican", p.Addr, p.BlockedClients},
		{"redis", r.Addr, r.BlockedClients},
	}
}

// TestBlockedXreadOutlivesAnotherType checks that XREAD BLOCK keeps
// waiting while its key holds a string, is deleted, and is created again
// as a stream, and then returns the new entry: never WRONGTYPE. The
// sequence runs many times, with the writes sent one by one and
// pipelined, on a key that was or was not a stream when the reader
// blocked, to catch a race between the wake-up and the next command.
func TestBlockedXreadOutlivesAnotherType(t *testing.T) {
	const rounds = 200
	for _, srv := range bothServers(t) {
		t.Run(srv.name, func(t *testing.T) {
			admin := redistest.Dial(t, srv.addr)
			reader := redistest.Dial(t, srv.addr)
			for i := 0; i < rounds; i++ {
				key := fmt.Sprintf("k%d", i)
				existed := i%2 == 0
				if existed {
					admin.MustDo(t, "XADD", key, "1-0", "old", "1")
				}
				if err := reader.Send("XREAD", "BLOCK", "0", "STREAMS", key, "$"); err != nil {
					t.Fatal(err)
				}
				if err := redistest.WaitBlocked(srv.blocked, 1, 10*time.Second); err != nil {
					t.Fatalf("round %d: %v", i, err)
				}
				var id string
				if i%4 < 2 {
					admin.MustDo(t, "SET", key, "a string")
					admin.MustDo(t, "DEL", key)
					id = admin.MustDo(t, "XADD", key, "*", "f", "v").Str
				} else {
					for _, cmd := range [][]string{{"SET", key, "a string"}, {"DEL", key}, {"XADD", key, "*", "f", "v"}} {
						if err := admin.Send(cmd...); err != nil {
							t.Fatal(err)
						}
					}
					for j := 0; j < 3; j++ {
						r, err := admin.Receive()
						if err != nil {
							t.Fatal(err)
						}
						id = r.Str
					}
				}
				got, err := reader.Receive()
				if err != nil {
					t.Fatalf("round %d: %v", i, err)
				}
				want := fmt.Sprintf(`*1[*2[$"%s" *1[*2[$"%s" *2[$"f" $"v"]]]]]`, key, id)
				if got.String() != want {
					t.Fatalf("round %d (key existed: %v): XREAD replied %s, want %s", i, existed, got, want)
				}
			}
		})
	}
}

// TestManyBlockedGroupReadersAreServedPromptly parks thousands of
// XREADGROUP readers on one stream and serves each one entry with a
// pipeline of XADDs. Every reader must get exactly one entry, no two the
// same, and a PING from an unrelated client must keep answering promptly
// meanwhile: serving the readers costs time in proportion to the readers
// served, not to the readers waiting.
func TestManyBlockedGroupReadersAreServedPromptly(t *testing.T) {
	const (
		readers = 4000
		// maxPing and maxServe are wide, for a loaded machine under the
		// race detector: serving 4,000 readers takes milliseconds, while
		// re-running every waiting reader on each XADD took 16 s, with a
		// PING waiting 6 s.
		maxPing  = 2 * time.Second
		maxServe = 5 * time.Second
	)
	raiseFileLimit(t, 2*readers+200)
	addr, eng := startServer(t, engine.Config{})
	admin := redistest.Dial(t, addr)
	admin.MustDo(t, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")

	ids := make(chan string, readers)
	errs := make(chan error, readers)
	for i := 0; i < readers; i++ {
		c := redistest.Dial(t, addr)
		if err := c.Send("XREADGROUP", "GROUP", "g", fmt.Sprintf("c%d", i), "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">"); err != nil {
			t.Fatal(err)
		}
		go func() {
			r, err := c.ReceiveWithin(maxServe + 20*time.Second)
			switch {
			case err != nil:
				errs <- err
			case len(r.Elems) != 1 || len(r.Elems[0].Elems) != 2 || len(r.Elems[0].Elems[1].Elems) != 1:
				errs <- fmt.Errorf("reply %s, want one entry", r)
			default:
				ids <- r.Elems[0].Elems[1].Elems[0].Elems[0].Str
			}
		}()
	}
	waitBlocked(t, eng, readers)

	// The pinger measures the slowest PING while the readers are served.
	pinger := redistest.Dial(t, addr)
	stop := make(chan struct{})
	slowest := make(chan time.Duration, 1)
	go func() {
		var worst time.Duration
		defer func() { slowest <- worst }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			r, err := pinger.Do("PING")
			if err != nil || r.Str != "PONG" {
				worst = time.Hour // reported as a failure below
				return
			}
			worst = max(worst, time.Since(start))
		}
	}()

	writer := redistest.Dial(t, addr)
	start := time.Now()
	for i := 1; i <= readers; i++ {
		if err := writer.Send("XADD", "s", fmt.Sprintf("%d-1", i), "n", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	seen := make(map[string]bool, readers)
	timeout := time.After(maxServe + 20*time.Second)
	for len(seen) < readers {
		select {
		case id := <-ids:
			if seen[id] {
				t.Fatalf("entry %s was delivered twice", id)
			}
			seen[id] = true
		case err := <-errs:
			t.Fatal(err)
		case <-timeout:
			t.Fatalf("%d of %d readers served after %v", len(seen), readers, time.Since(start))
		}
	}
	took := time.Since(start)
	close(stop)
	worst := <-slowest
	t.Logf("%d readers served in %v; slowest PING %v", readers, took, worst)
	for i := 1; i <= readers; i++ {
		if id := fmt.Sprintf("%d-1", i); !seen[id] {
			t.Errorf("entry %s was not delivered", id)
		}
	}
	if took > maxServe {
		t.Errorf("serving %d readers took %v, want under %v", readers, took, maxServe)
	}
	if worst > maxPing {
		t.Errorf("a PING took %v while readers were served, want under %v", worst, maxPing)
	}
}

// TestGroupQueueKeepsOrderWhenReadersLeave checks that readers of one
// group leaving the middle of the queue, by timing out or disconnecting,
// leave the others first come, first served.
func TestGroupQueueKeepsOrderWhenReadersLeave(t *testing.T) {
	for _, srv := range bothServers(t) {
		t.Run(srv.name, func(t *testing.T) {
			admin := redistest.Dial(t, srv.addr)
			admin.MustDo(t, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
			block := func(consumer, ms string, waiting int) *redistest.Conn {
				c := redistest.Dial(t, srv.addr)
				if err := c.Send("XREADGROUP", "GROUP", "g", consumer, "BLOCK", ms, "STREAMS", "s", ">"); err != nil {
					t.Fatal(err)
				}
				if err := redistest.WaitBlocked(srv.blocked, waiting, 10*time.Second); err != nil {
					t.Fatal(err)
				}
				return c
			}
			a := block("a", "0", 1)
			b := block("b", "200", 2)
			c := block("c", "0", 3)
			d := block("d", "0", 4)
			e := block("e", "0", 5)
			if r, err := b.Receive(); err != nil || !r.Nil {
				t.Fatalf("b after its timeout: %s, %v; want a null", r, err)
			}
			d.Close()
			if err := redistest.WaitBlocked(srv.blocked, 3, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"1-1", "2-1", "3-1"} {
				admin.MustDo(t, "XADD", "s", id, "f", "v")
			}
			for _, tt := range []struct {
				name string
				c    *redistest.Conn
				want string
			}{{"a", a, "1-1"}, {"c", c, "2-1"}, {"e", e, "3-1"}} {
				r, err := tt.c.Receive()
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				want := fmt.Sprintf(`*1[*2[$"s" *1[*2[$"%s" *2[$"f" $"v"]]]]]`, tt.want)
				if got := r.String(); got != want {
					t.Errorf("%s got %s, want %s", tt.name, got, want)
				}
			}
		})
	}
}

// TestBlockedXreadNamingAKeyTwice checks that XREAD naming a key twice is
// served by an entry after either of its IDs: the command runs again when
// the key is signalled, as in Redis 7.2 and later (7.0 waited after the
// first ID only).
func TestBlockedXreadNamingAKeyTwice(t *testing.T) {
	p := pelicantest.StartPelican(t, engine.Config{})
	admin := redistest.Dial(t, p.Addr)
	reader := redistest.Dial(t, p.Addr)
	if err := reader.Send("XREAD", "BLOCK", "0", "STREAMS", "k", "k", "9-1", "6-1"); err != nil {
		t.Fatal(err)
	}
	if err := redistest.WaitBlocked(p.BlockedClients, 1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	admin.MustDo(t, "XADD", "k", "7-1", "f", "v")
	r, err := reader.Receive()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.String(), `*1[*2[$"k" *1[*2[$"7-1" *2[$"f" $"v"]]]]]`; got != want {
		t.Errorf("XREAD got %s, want %s", got, want)
	}
}

// TestNackServesClaimReaderOutOfTurn checks that XNACK serves a reader
// blocked with CLAIM even when a reader without CLAIM waits before it in
// the group's queue: the entry is claimable, not new, so only the CLAIM
// reader can take it; the first reader is served by the next XADD.
func TestNackServesClaimReaderOutOfTurn(t *testing.T) {
	p := pelicantest.StartPelican(t, engine.Config{})
	admin := redistest.Dial(t, p.Addr)
	admin.MustDo(t, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
	admin.MustDo(t, "XADD", "s", "1-1", "f", "v")
	admin.MustDo(t, "XREADGROUP", "GROUP", "g", "owner", "STREAMS", "s", ">")

	plain := redistest.Dial(t, p.Addr)
	if err := plain.Send("XREADGROUP", "GROUP", "g", "plain", "BLOCK", "0", "STREAMS", "s", ">"); err != nil {
		t.Fatal(err)
	}
	if err := redistest.WaitBlocked(p.BlockedClients, 1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	claimer := redistest.Dial(t, p.Addr)
	// An hour of idleness: only the XNACK makes the entry claimable.
	if err := claimer.Send("XREADGROUP", "GROUP", "g", "claimer", "BLOCK", "0", "CLAIM", "3600000", "STREAMS", "s", ">"); err != nil {
		t.Fatal(err)
	}
	if err := redistest.WaitBlocked(p.BlockedClients, 2, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	admin.MustDo(t, "XNACK", "s", "g", "FAIL", "IDS", "1", "1-1")
	r, err := claimer.Receive()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Elems) != 1 || len(r.Elems[0].Elems) != 2 || len(r.Elems[0].Elems[1].Elems) != 1 || r.Elems[0].Elems[1].Elems[0].Elems[0].Str != "1-1" {
		t.Fatalf("claimer got %s, want entry 1-1", r)
	}
	if n, _ := p.BlockedClients(); n != 1 {
		t.Fatalf("%d clients blocked after the XNACK, want the plain reader still", n)
	}
	admin.MustDo(t, "XADD", "s", "2-1", "f", "v")
	r, err = plain.Receive()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.String(), `*1[*2[$"s" *1[*2[$"2-1" *2[$"f" $"v"]]]]]`; got != want {
		t.Errorf("plain reader got %s, want %s", got, want)
	}
}
