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
		readers = 3000
		// maxPing and maxServe are wide: serving 3,000 readers takes
		// milliseconds, while re-running every waiting reader on each XADD
		// took seconds.
		maxPing  = 500 * time.Millisecond
		maxServe = 2 * time.Second
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
