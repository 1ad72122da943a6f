// Package backendtest runs a test on every backend Pelican supports: the
// embedded engine with every newer command, the embedded engine forced
// onto the Redis 7 fallbacks, and a real redis-server 7 the test starts on
// a free loopback port.
package backendtest

import (
	"log/slog"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// Backend opens a fresh, empty server for one test.
type Backend struct {
	// Name is the subtest's name: embedded, embedded-fallbacks or redis7.
	Name string
	// Open returns a client of a new server; everything is closed when
	// the test ends. opts.Logger defaults to a logger that discards.
	Open func(t *testing.T, opts pelican.Options) *pelican.Client
}

// Quiet is a logger that discards everything.
func Quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Backends are the backends every test of the library runs on.
var Backends = []Backend{
	{"embedded", func(t *testing.T, opts pelican.Options) *pelican.Client {
		return openEmbedded(t, opts)
	}},
	{"embedded-fallbacks", func(t *testing.T, opts pelican.Options) *pelican.Client {
		opts.ForceFallbacks = true
		return openEmbedded(t, opts)
	}},
	{"redis7", func(t *testing.T, opts pelican.Options) *pelican.Client {
		r := redistest.StartRedis(t)
		if opts.Logger == nil {
			opts.Logger = Quiet()
		}
		c := pelican.New(redis.NewClient(&redis.Options{Addr: r.Addr}), opts)
		t.Cleanup(func() { c.Close() })
		return c
	}},
}

func openEmbedded(t *testing.T, opts pelican.Options) *pelican.Client {
	if opts.Logger == nil {
		opts.Logger = Quiet()
	}
	c, err := embedded.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Each runs f on every backend, in parallel subtests, with a client made
// with default options.
func Each(t *testing.T, f func(t *testing.T, c *pelican.Client)) {
	EachWith(t, pelican.Options{}, f)
}

// EachWith is Each with a client made with opts.
func EachWith(t *testing.T, opts pelican.Options, f func(t *testing.T, c *pelican.Client)) {
	for _, b := range Backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			f(t, b.Open(t, opts))
		})
	}
}
