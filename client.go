package pelican

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configure a Client. The zero value works.
type Options struct {
	// ForceFallbacks makes the client use only Redis 7 commands, as if
	// the server lacked XREADGROUP CLAIM, XNACK and XADD IDMP, and no Lua
	// scripts (dead-letter moves then run under WATCH). Tests use it to
	// exercise the fallbacks on a server that has everything.
	ForceFallbacks bool
	// ProducerID identifies this producer for deduplicated publishing. It
	// must stay the same across restarts of the same producer and differ
	// between producers. If empty, the host name is used.
	ProducerID string
	// IdempotencyTTL is how long a publish with an idempotency key is
	// remembered. If zero, 24h is used. Servers with XADD IDMP cap it at
	// 24h (IDMP-DURATION's maximum).
	IdempotencyTTL time.Duration
	// Logger receives what the client and its workers log. If nil,
	// slog.Default() is used.
	Logger *slog.Logger
	// Clock tells the time to retry and claim decisions. If nil, the real
	// clock is used; tests pass a clock they advance.
	Clock Clock
	// Codec encodes what PublishValue publishes, and decodes messages for
	// the client's workers whose WorkerConfig.Codec is nil. If nil,
	// JSONCodec is used. See docs/codecs.md.
	Codec Codec
	// PublishHooks are called for every message the client publishes, in
	// order: they may add headers to it (see PublishHook), such as the
	// trace context of package pelicanotel. If empty, none.
	PublishHooks []PublishHook
}

// Client publishes messages and runs workers over one go-redis client.
// It is safe for concurrent use.
type Client struct {
	rdb   redis.UniversalClient
	opts  Options
	log   *slog.Logger
	clock Clock
	// cluster is set for a Redis Cluster client, which must see MOVED and
	// ASK replies as errors to follow them.
	cluster bool

	// noScripts is set once the server refused a Lua script.
	noScripts atomic.Bool

	capsMu    sync.Mutex
	caps      Capabilities
	capsKnown bool

	// movers are the movers of scheduled messages running with the
	// client (see scheduler.go).
	movers movers

	// idmpConfigured remembers the streams whose IDMP-DURATION this client
	// has set (stream + "\x00" + seconds).
	idmpConfigured sync.Map
}

// New returns a client over rdb: a single Redis, Sentinel or Cluster
// client, or one of the embedded engine's. The server's capabilities are
// detected on first use. For a client of an engine running in this
// process, with nothing to configure, see embedded.New.
func New(rdb redis.UniversalClient, opts Options) *Client {
	c := &Client{rdb: rdb, opts: opts, log: opts.Logger, clock: opts.Clock}
	_, c.cluster = rdb.(*redis.ClusterClient)
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.clock == nil {
		c.clock = realClock{}
	}
	if c.opts.Codec == nil {
		c.opts.Codec = JSONCodec{}
	}
	if c.opts.ProducerID == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "pelican"
		}
		c.opts.ProducerID = host
	}
	if c.opts.IdempotencyTTL <= 0 {
		c.opts.IdempotencyTTL = 24 * time.Hour
	}
	return c
}

// Redis returns the go-redis client the client works through.
func (c *Client) Redis() redis.UniversalClient { return c.rdb }

// Logger returns the logger the client and its workers log to.
func (c *Client) Logger() *slog.Logger { return c.log }

// Clock returns the clock the client tells the time with.
func (c *Client) Clock() Clock { return c.clock }

// Codec returns the codec PublishValue encodes with (Options.Codec).
func (c *Client) Codec() Codec { return c.opts.Codec }

// Close closes the go-redis client. A client from embedded.New stops its
// engine too.
func (c *Client) Close() error { return c.rdb.Close() }

// Capabilities are the newer stream commands a server offers. Pelican
// uses each where present and a Redis 7 fallback otherwise.
type Capabilities struct {
	// ClaimRead: XREADGROUP ... CLAIM (Redis 8.4).
	ClaimRead bool
	// Nack: XNACK (Redis 8.8).
	Nack bool
	// Idempotent: XADD IDMP (Redis 8.6).
	Idempotent bool
	// AckDel: XACKDEL and XDELEX (Redis 8.2).
	AckDel bool
	// RefPolicies: KEEPREF/DELREF/ACKED on XADD and XTRIM (Redis 8.2).
	RefPolicies bool
	// Scripting: EVAL (every Redis since 2.6, and Pelican's engine),
	// unless the server refuses it. Dead-letter moves use a script
	// where they can (see docs/failures.md).
	Scripting bool
}

// Capabilities asks the server which newer commands it offers, using
// COMMAND INFO and COMMAND DOCS rather than its version number. The
// answer is kept; a failed attempt is not, so the next call asks again.
// With Options.ForceFallbacks it reports none.
func (c *Client) Capabilities(ctx context.Context) (Capabilities, error) {
	c.capsMu.Lock()
	defer c.capsMu.Unlock()
	if c.capsKnown || c.opts.ForceFallbacks {
		return c.caps, nil
	}
	caps, err := detectCapabilities(ctx, c.rdb)
	if err != nil {
		return Capabilities{}, err
	}
	c.caps, c.capsKnown = caps, true
	return caps, nil
}

func detectCapabilities(ctx context.Context, rdb redis.UniversalClient) (Capabilities, error) {
	var caps Capabilities
	info, err := rdb.Do(ctx, "COMMAND", "INFO", "xnack", "xackdel", "eval").Slice()
	if err != nil {
		return caps, fmt.Errorf("pelican: asking the server for COMMAND INFO: %w", err)
	}
	caps.Nack = len(info) > 0 && info[0] != nil
	caps.AckDel = len(info) > 1 && info[1] != nil
	caps.Scripting = len(info) > 2 && info[2] != nil
	for _, cmd := range []string{"xreadgroup", "xadd", "xtrim"} {
		docs, err := rdb.Do(ctx, "COMMAND", "DOCS", cmd).Result()
		var serverErr redis.Error
		if errors.As(err, &serverErr) {
			// Servers before Redis 7 have no COMMAND DOCS: they have none
			// of the newer options either.
			return caps, nil
		}
		if err != nil {
			return caps, fmt.Errorf("pelican: asking the server for COMMAND DOCS: %w", err)
		}
		tokens := map[string]bool{}
		collectTokens(docs, tokens)
		switch cmd {
		case "xreadgroup":
			caps.ClaimRead = tokens["CLAIM"]
		case "xadd":
			caps.Idempotent = tokens["IDMP"]
		case "xtrim":
			caps.RefPolicies = tokens["ACKED"]
		}
	}
	return caps, nil
}

// collectTokens gathers the values of every "token" field in a COMMAND
// DOCS reply, whichever protocol version shaped it.
func collectTokens(v any, into map[string]bool) {
	switch v := v.(type) {
	case map[any]any:
		for k, val := range v {
			if ks, ok := k.(string); ok && ks == "token" {
				if s, ok := val.(string); ok {
					into[strings.ToUpper(s)] = true
				}
			}
			collectTokens(val, into)
		}
	case map[string]any:
		for k, val := range v {
			if s, ok := val.(string); ok && k == "token" {
				into[strings.ToUpper(s)] = true
			}
			collectTokens(val, into)
		}
	case []any:
		for i := 0; i < len(v); i++ {
			if s, ok := v[i].(string); ok && s == "token" && i+1 < len(v) {
				if t, ok := v[i+1].(string); ok {
					into[strings.ToUpper(t)] = true
				}
			}
			collectTokens(v[i], into)
		}
	}
}
