package pelican

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// testServers starts the servers the package's internal tests run on:
// Pelican's engine, served over loopback TCP (package embedded imports
// this one, so these tests cannot use it), and a redis-server 7. Each
// function returns a new client of one of them.
func testServers(t *testing.T) map[string]func() redis.UniversalClient {
	t.Helper()
	p := pelicantest.StartPelican(t, engine.Config{ActiveExpiry: true})
	r := redistest.StartRedis(t)
	return map[string]func() redis.UniversalClient{
		"pelican": func() redis.UniversalClient { return redis.NewClient(&redis.Options{Addr: p.Addr}) },
		"redis7":  func() redis.UniversalClient { return redis.NewClient(&redis.Options{Addr: r.Addr}) },
	}
}
