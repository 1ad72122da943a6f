// Command libbench measures Pelican's processing library against minimal
// hand-written go-redis loops doing the same work on the same server, on
// the embedded engine in this process or on a server over TCP (Pelican's
// or Redis). bench/library.sh runs it; each invocation prints one result
// line.
//
//	libbench consume    -backend embedded|tcp [-addr A] -impl worker|loop -n 300000 -c 4 -b 64
//	libbench deadletter -backend embedded|tcp [-addr A] -impl worker|loop -n 50000 -c 4 -b 64
//	libbench recover    -backend embedded|tcp [-addr A] -n 1000 -c 10 -b 100 -min-idle 1s
//	libbench hol        -backend embedded|tcp [-addr A] -n 2000 -c 4 -b 64 -slow-every 100 -slow 200ms
//	libbench hold       -addr A -stream s -c 10 -b 100 -min-idle 1s
//
// consume and deadletter print messages per second, then the CPU time per
// message, in microseconds, of this process (the client, and on the
// embedded backend the engine too) and of the server process named by
// -server-pid (0 without it); recover prints the
// seconds from the holder's death to the last of its messages processed,
// then the counts of duplicates, missing messages and messages processed
// before the death. hol prints the seconds until every message was
// processed, the messages per second that makes, and the seconds until the
// last fast message was processed. hold is the worker process recover
// starts and kills.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/embedded"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: libbench consume|deadletter|recover|hol|hold [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "consume":
		err = runConsume(os.Args[2:], false)
	case "deadletter":
		err = runConsume(os.Args[2:], true)
	case "recover":
		err = runRecover(os.Args[2:])
	case "hol":
		err = runHOL(os.Args[2:])
	case "hold":
		err = runHold(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "libbench:", err)
		os.Exit(1)
	}
}

// quiet is the logger every Pelican client of the harness gets: records
// are dropped before they are formatted, so that no benchmark measures a
// log handler.
var quiet = slog.New(slog.DiscardHandler)

// target is where the benchmark runs: an embedded engine of this process,
// or a server at addr.
type target struct {
	db       *embedded.DB
	addr     string
	poolSize int
}

// openTarget opens the backend named by backend ("embedded" or "tcp").
func openTarget(backend, addr string, poolSize int) (*target, error) {
	switch backend {
	case "embedded":
		db, err := embedded.Open(embedded.Config{})
		if err != nil {
			return nil, err
		}
		return &target{db: db, poolSize: poolSize}, nil
	case "tcp":
		if addr == "" {
			return nil, errors.New("-backend tcp needs -addr")
		}
		return &target{addr: addr, poolSize: poolSize}, nil
	}
	return nil, fmt.Errorf("unknown backend %q", backend)
}

// client returns a new go-redis client of the target. Worker and loop get
// clients made here, with the same options.
func (t *target) client() *redis.Client {
	return t.clientWithPool(t.poolSize)
}

// clientWithPool returns a new go-redis client of the target with a
// connection pool of poolSize.
func (t *target) clientWithPool(poolSize int) *redis.Client {
	opts := &redis.Options{PoolSize: poolSize}
	if t.db != nil {
		return t.db.NewClient(opts)
	}
	opts.Addr = t.addr
	return redis.NewClient(opts)
}

func (t *target) close() {
	if t.db != nil {
		t.db.Close()
	}
}

// preload empties the database, adds n entries to stream (fields n and a
// payload of size bytes) in pipelines of 1000, and creates group at 0.
func preload(ctx context.Context, rdb *redis.Client, stream, group string, n, size int) error {
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return fmt.Errorf("flushing: %w", err)
	}
	val := strings.Repeat("x", size)
	for start := 0; start < n; start += 1000 {
		p := rdb.Pipeline()
		for i := start; i < min(start+1000, n); i++ {
			p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"n", strconv.Itoa(i), "payload", val}})
		}
		if _, err := p.Exec(ctx); err != nil {
			return fmt.Errorf("preloading at %d: %w", start, err)
		}
	}
	if err := rdb.XGroupCreate(ctx, stream, group, "0").Err(); err != nil {
		return fmt.Errorf("creating the group: %w", err)
	}
	return nil
}

// waitDrained polls until count reports n and the group's PEL is empty,
// and returns the time it saw both.
func waitDrained(ctx context.Context, rdb *redis.Client, stream, group string, n int64, count func() int64, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		if count() >= n {
			p, err := rdb.XPending(ctx, stream, group).Result()
			if err != nil {
				return time.Time{}, fmt.Errorf("XPENDING: %w", err)
			}
			if p.Count == 0 {
				return time.Now(), nil
			}
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("not drained after %v: count %d of %d", timeout, count(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// commonFlags are the flags every subcommand shares.
type commonFlags struct {
	backend, addr string
	n, c, b, size int
	serverPID     int
}

func (f *commonFlags) register(fs *flag.FlagSet, n, c, b int) {
	fs.StringVar(&f.backend, "backend", "embedded", "embedded (in-process engine) or tcp")
	fs.StringVar(&f.addr, "addr", "", "server address for -backend tcp")
	fs.IntVar(&f.n, "n", n, "messages")
	fs.IntVar(&f.c, "c", c, "concurrency: worker lanes / loop goroutines")
	fs.IntVar(&f.b, "b", b, "batch size: COUNT of each read")
	fs.IntVar(&f.size, "size", 16, "payload bytes per message")
	fs.IntVar(&f.serverPID, "server-pid", 0, "PID of the server process, to report its CPU time")
}
