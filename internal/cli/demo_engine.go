package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/memconn"
	"github.com/pelicanhq/pelican/internal/rediserr"
	"github.com/pelicanhq/pelican/server"
)

// demoEngine is the engine the demo runs in its own process, as pelican
// server does: a data directory, served on a loopback port so that worker
// processes reach it. It can be stopped and reopened from its directory
// on the same port while the workers run.
type demoEngine struct {
	dir  string
	addr string // 127.0.0.1:port, the same across restarts
	log  *slog.Logger

	eng *engine.Engine
	srv *server.Server
}

// startDemoEngine opens the engine on dir and serves it on a free
// loopback port.
func startDemoEngine(dir string, log *slog.Logger) (*demoEngine, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on a loopback port: %w", err)
	}
	d := &demoEngine{dir: dir, addr: l.Addr().String(), log: log}
	if err := d.open(); err != nil {
		l.Close()
		return nil, err
	}
	d.serve(l)
	return d, nil
}

// open opens the engine on the directory, loading what it holds.
func (d *demoEngine) open() error {
	_, port, _ := net.SplitHostPort(d.addr)
	p, _ := strconv.Atoi(port)
	eng, err := engine.Open(engine.Config{
		ActiveExpiry: true, Port: p, Bind: []string{"127.0.0.1"}, Logger: d.log,
		Persistence: engine.Persistence{Dir: d.dir},
	})
	if err != nil {
		return fmt.Errorf("opening the engine on %s: %w", d.dir, err)
	}
	d.eng, d.srv = eng, server.New(eng, server.Config{Logger: d.log})
	return nil
}

// serve serves the engine on l until the next stop.
func (d *demoEngine) serve(l net.Listener) {
	srv := d.srv
	go func() { _ = srv.Serve(l) }()
}

// local returns a client of the engine through in-memory connections,
// which works while no listener is open.
func (d *demoEngine) local() *redis.Client {
	srv := d.srv
	return redis.NewClient(&redis.Options{
		Addr: "embedded:0",
		Dialer: func(context.Context, string, string) (net.Conn, error) {
			client, conn := memconn.Pipe("demo", "embedded:0")
			srv.ServeConn(conn)
			return client, nil
		},
	})
}

// stop closes the listener and every connection, then the engine, which
// writes and fsyncs what it holds.
func (d *demoEngine) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := d.srv.Shutdown(ctx)
	if cerr := d.eng.Close(); err == nil {
		err = cerr
	}
	return err
}

// restart stops the engine and opens it again from its directory on the
// same port. It counts what the engine holds once no client is connected
// any more, just before closing it, and again after reopening it, before
// any client can connect: the two must be equal.
func (d *demoEngine) restart(ctx context.Context, keys demoKeys) (before, after demoCounts, err error) {
	// Shutting the server down disconnects every client; a fresh server
	// of the same engine then answers only the in-memory connection that
	// counts.
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := d.srv.Shutdown(sctx); err != nil {
		return before, after, fmt.Errorf("disconnecting the clients: %w", err)
	}
	d.srv = server.New(d.eng, server.Config{Logger: d.log})
	if before, err = d.count(ctx, keys); err != nil {
		return before, after, err
	}
	if err := d.stop(); err != nil {
		return before, after, fmt.Errorf("stopping the engine: %w", err)
	}
	if err := d.open(); err != nil {
		return before, after, err
	}
	if after, err = d.count(ctx, keys); err != nil {
		return before, after, err
	}
	l, err := net.Listen("tcp", d.addr)
	if err != nil {
		return before, after, fmt.Errorf("listening on %s again: %w", d.addr, err)
	}
	d.serve(l)
	return before, after, nil
}

// count counts what the engine holds through an in-memory connection.
func (d *demoEngine) count(ctx context.Context, keys demoKeys) (demoCounts, error) {
	rdb := d.local()
	defer rdb.Close()
	return countDemo(ctx, rdb, keys)
}

// demoCounts are what a run has in Redis at one moment.
type demoCounts struct {
	// Entries is the stream's length.
	Entries int64 `json:"entries"`
	// Pending is the size of the group's Pending Entries List.
	Pending int64 `json:"pending"`
	// DeadLetters is the dead-letter stream's length.
	DeadLetters int64 `json:"dead_letters"`
	// Charged is the number of orders charged.
	Charged int64 `json:"charged"`
	// LastID is the stream's last entry ID.
	LastID string `json:"last_id"`
}

// countDemo reads a run's counts in one round trip.
func countDemo(ctx context.Context, rdb redis.UniversalClient, keys demoKeys) (demoCounts, error) {
	var (
		entries, dead, charged *redis.IntCmd
		pending                *redis.XPendingCmd
		last                   *redis.XMessageSliceCmd
	)
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		entries = p.XLen(ctx, keys.stream())
		pending = p.XPending(ctx, keys.stream(), demoGroup)
		dead = p.XLen(ctx, keys.deadLetters())
		charged = p.SCard(ctx, keys.charged())
		last = p.XRevRangeN(ctx, keys.stream(), "+", "-", 1)
		return nil
	})
	if err != nil {
		for _, cmd := range []redis.Cmder{entries, dead, charged, last} {
			if err := cmd.Err(); err != nil {
				return demoCounts{}, fmt.Errorf("counting (%s): %w", cmd.Name(), err)
			}
		}
		// A group not yet created has no pending entries.
		if err := pending.Err(); !rediserr.IsNoGroup(err) {
			return demoCounts{}, fmt.Errorf("counting (XPENDING): %w", err)
		}
	}
	c := demoCounts{Entries: entries.Val(), DeadLetters: dead.Val(), Charged: charged.Val()}
	if pending.Err() == nil {
		c.Pending = pending.Val().Count
	}
	if msgs := last.Val(); len(msgs) > 0 {
		c.LastID = msgs[0].ID
	}
	return c, nil
}
