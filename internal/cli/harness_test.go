package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// A place is somewhere a command test points pelican at: a data
// directory (--dir) or a redis-server the test started (--url).
type place struct {
	name string
	// args select the place on the command line.
	args []string
	// with runs f with a client of the place and closes it, so that a
	// command can then open the data directory itself.
	with func(t *testing.T, f func(c *pelican.Client))
}

// eachPlace runs f, in parallel subtests, against a fresh data directory
// and a fresh redis-server.
func eachPlace(t *testing.T, f func(t *testing.T, p place)) {
	t.Run("dir", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		f(t, place{name: "dir", args: []string{"--dir", dir}, with: func(t *testing.T, f func(c *pelican.Client)) {
			t.Helper()
			c, err := embedded.New(pelican.Options{Logger: backendtest.Quiet()}, embedded.Dir(dir))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			f(c)
		}})
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		r := redistest.StartRedis(t)
		f(t, place{name: "redis", args: []string{"--url", "redis://" + r.Addr}, with: func(t *testing.T, f func(c *pelican.Client)) {
			t.Helper()
			c := pelican.New(redis.NewClient(&redis.Options{Addr: r.Addr}), pelican.Options{Logger: backendtest.Quiet()})
			defer c.Close()
			f(c)
		}})
	})
}

// result is what one run of the pelican command left.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the pelican command in this process.
func runCLI(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := Main(args, &stdout, &stderr)
	return result{stdout.String(), stderr.String(), code}
}

func TestClassifyStreams(t *testing.T) {
	set := classifyStreams([]string{"orders", "orders:dlq", "orders:dlq:parked", "mail", "gone:dlq", "audit:dlq:parked"})
	if got, want := strings.Join(set.Streams, ","), "mail,orders"; got != want {
		t.Errorf("streams %q, want %q", got, want)
	}
	if set.DeadLetters["orders"] != "orders:dlq" || len(set.DeadLetters) != 1 {
		t.Errorf("dead letters %v", set.DeadLetters)
	}
	if got, want := strings.Join(set.Orphans, ","), "audit:dlq:parked,gone:dlq"; got != want {
		t.Errorf("orphans %q, want %q", got, want)
	}
}
