// Package embedded runs a Pelican engine inside the calling process and
// hands out go-redis clients whose connections go straight to it, through
// in-memory pipes instead of sockets. It is the zero-setup default: code
// written against a *redis.Client, or a pelican.Client, runs unchanged
// against a real Redis later.
//
// New returns a pelican.Client of a new engine:
//
//	c, err := embedded.New(pelican.Options{})
//	defer c.Close()
//
// Open starts an engine that several go-redis clients can share:
//
//	db := embedded.Open(embedded.Config{})
//	defer db.Close()
//	rdb := db.NewClient(nil)
//	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "orders", Values: map[string]any{"id": 1}})
package embedded

import (
	"context"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/memconn"
	"github.com/pelicanhq/pelican/server"
)

// New returns a client of a new engine running in this process: no server
// to start, nothing to configure. The engine tells the time with
// opts.Clock. Its data is kept in memory unless an option such as Dir
// gives it a data directory:
//
//	c, err := embedded.New(pelican.Options{}, embedded.Dir("data"))
//
// Close stops the engine (and writes what is pending to its directory).
// To reach the same engine through more than one client (say, to simulate
// a worker that dies), open it with Open and call pelican.New with its
// NewClient for each.
func New(opts pelican.Options, options ...Option) (*pelican.Client, error) {
	cfg := Config{}
	for _, o := range options {
		o(&cfg)
	}
	if opts.Clock != nil {
		cfg.Engine.Clock = opts.Clock.Now
	}
	if cfg.Engine.Logger == nil {
		cfg.Engine.Logger = opts.Logger
	}
	db, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	// In-memory connections are cheap: allow plenty, so that workers with
	// a high Concurrency never wait for one.
	rdb := db.NewClient(&redis.Options{PoolSize: 256})
	return pelican.New(&owningClient{Client: rdb, db: db}, opts), nil
}

// owningClient is a go-redis client of a database it owns: closing it
// stops the database too, so that the pelican.Client of New shuts
// everything down with its Close. It embeds *redis.Client rather than
// being one, which code asking whether a client is a single server's must
// allow for (internal/watch asks for its Options method).
type owningClient struct {
	*redis.Client
	db *DB
}

// Close closes the client's connections, then the database.
func (c *owningClient) Close() error {
	err := c.Client.Close()
	if dberr := c.db.Close(); err == nil {
		err = dberr
	}
	return err
}

// Config configures an embedded database. The zero value works: an
// engine that keeps its data in memory.
type Config struct {
	// Dir is the data directory. If set, the engine keeps its data there
	// in Redis 7's append-only format (appendfsync everysec unless
	// Engine.Persistence says otherwise), loads it at Open, and no other
	// process may open the directory meanwhile. It is a shortcut for
	// Engine.Persistence.Dir.
	Dir string
	// Engine configures the engine. Active expiry is always on.
	Engine engine.Config
}

// Option changes a Config, for New.
type Option func(*Config)

// Dir keeps the engine's data in dir (see Config.Dir).
func Dir(dir string) Option { return func(c *Config) { c.Dir = dir } }

// Fsync sets when the append-only file is fsynced: "always",
// "everysec" (the default) or "no".
func Fsync(policy string) Option {
	return func(c *Config) { c.Engine.Persistence.AppendFsync = policy }
}

// DB is an engine running in this process.
type DB struct {
	eng   *engine.Engine
	srv   *server.Server
	conns atomic.Int64 // numbers the connections, for CLIENT LIST
}

// Open starts an embedded database, loading the data of its directory if
// it has one. Without a directory it keeps its data in memory and cannot
// fail.
func Open(cfg Config) (*DB, error) {
	ecfg := cfg.Engine
	ecfg.ActiveExpiry = true
	if cfg.Dir != "" {
		ecfg.Persistence.Dir = cfg.Dir
	}
	eng, err := engine.Open(ecfg)
	if err != nil {
		return nil, err
	}
	return &DB{eng: eng, srv: server.New(eng, server.Config{Logger: ecfg.Logger})}, nil
}

// Engine returns the engine, for tools that inspect it directly.
func (db *DB) Engine() *engine.Engine { return db.eng }

// Dial opens a new connection to the engine. Its signature is go-redis's
// Options.Dialer; network and addr are ignored.
//
// Each connection is an in-memory pipe whose writes never wait, so a
// client may send a whole pipeline before reading. Its ends have
// addresses of their own ("embedded:N"), so CLIENT LIST tells embedded
// connections apart and CLIENT KILL ADDR can pick one.
func (db *DB) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	peer := memconn.Addr("embedded:" + strconv.FormatInt(db.conns.Add(1), 10))
	client, srv := memconn.Pipe(peer, "embedded:0")
	db.srv.ServeConn(srv)
	return client, nil
}

// NewClient returns a go-redis client connected to the engine. opts may be
// nil; its Addr and Dialer are replaced.
func (db *DB) NewClient(opts *redis.Options) *redis.Client {
	o := redis.Options{}
	if opts != nil {
		o = *opts
	}
	o.Addr = "embedded:0"
	o.Dialer = db.Dial
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 3 * time.Second
	}
	return redis.NewClient(&o)
}

// Close disconnects every client and stops the engine's background work.
func (db *DB) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := db.srv.Shutdown(ctx)
	if cerr := db.eng.Close(); err == nil {
		err = cerr
	}
	return err
}
