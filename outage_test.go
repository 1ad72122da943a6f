package pelican_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
	"github.com/pelicanhq/pelican/internal/tcpproxy"
)

// A worker whose consumer group disappears (XGROUP DESTROY, FLUSHALL)
// creates it again, logs it as an error, counts it, and processes what is
// published afterwards.
func TestGroupGoneUnderRunningWorker(t *testing.T) {
	for _, how := range []string{"destroy", "flushall"} {
		t.Run(how, func(t *testing.T) {
			log, buf := capture()
			backendtest.EachWith(t, pelican.Options{Logger: log}, func(t *testing.T, c *pelican.Client) {
				ctx := context.Background()
				w, stop := runWorker(t, c, fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return nil })))
				publishN(t, c, "s", 3)
				await.True(t, "the first messages are processed", func() bool { return w.Stats().Processed == 3 })
				if how == "destroy" {
					c.Redis().XGroupDestroy(ctx, "s", "g")
				} else {
					c.Redis().FlushAll(ctx)
				}
				publishN(t, c, "s", 3)
				await.True(t, "the messages published afterwards are processed", func() bool { return w.Stats().Processed >= 6 })
				stop()
				if got := w.Stats().GroupsRecreated; got != 1 {
					t.Errorf("GroupsRecreated = %d, want 1", got)
				}
				if !strings.Contains(buf.String(), "level=ERROR msg=\"pelican: the consumer group was gone") {
					t.Errorf("no error logged about the lost group:\n%s", buf)
				}
			})
		})
	}
}

// tcpServers are the servers reached over TCP, through a proxy a test can
// cut: Pelican's server and a redis-server 7. start returns a fresh,
// empty server's address.
var tcpServers = []struct {
	name  string
	start func(t *testing.T) string
}{
	{"pelican-server", func(t *testing.T) string { return pelicantest.StartPelican(t, engine.Config{}).Addr }},
	{"redis7", func(t *testing.T) string { return redistest.StartRedis(t).Addr }},
}

// eachTCPServer runs f on every server of tcpServers, behind a proxy.
func eachTCPServer(t *testing.T, f func(t *testing.T, p *tcpproxy.Proxy, start func(t *testing.T) string)) {
	for _, srv := range tcpServers {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			f(t, tcpproxy.New(t, srv.start(t)), srv.start)
		})
	}
}

// clientOf returns a Pelican client through the proxy, logging to log.
func clientOf(t *testing.T, p *tcpproxy.Proxy, log *slog.Logger) *pelican.Client {
	c := pelican.New(redis.NewClient(&redis.Options{Addr: p.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond}), pelican.Options{Logger: log})
	t.Cleanup(func() { c.Close() })
	return c
}

// A server restarted without persistence under a running worker (here: a
// fresh one behind the same address) loses the group: the worker rides
// out the outage, creates the group again and processes what is
// published afterwards.
func TestServerRestartedUnderRunningWorker(t *testing.T) {
	eachTCPServer(t, func(t *testing.T, p *tcpproxy.Proxy, start func(t *testing.T) string) {
		log, buf := capture()
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("the worker's log:\n%s", buf)
			}
		})
		c := clientOf(t, p, log)
		w, stop := runWorker(t, c, fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return nil })))
		publishN(t, c, "s", 3)
		await.True(t, "the first messages are processed", func() bool { return w.Stats().Processed == 3 })
		p.Cut()
		fresh := start(t)
		time.Sleep(200 * time.Millisecond) // down for a while
		p.SetTarget(fresh)
		p.Restore(t)
		await.True(t, "the worker creates the group again", func() bool { return w.Stats().GroupsRecreated == 1 })
		publishN(t, c, "s", 3)
		await.True(t, "the messages published afterwards are processed", func() bool { return w.Stats().Processed == 6 })
		stop()
		st := w.Stats()
		if st.Outages < 1 {
			t.Errorf("Outages = %d, want at least 1", st.Outages)
		}
		for _, want := range []string{"the server is unreachable", "the server is reachable again", "the consumer group was gone"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("the log does not say %q:\n%s", want, buf)
			}
		}
	})
}

// A server that is down when the worker starts is waited for; Run does
// not fail.
func TestServerDownAtStart(t *testing.T) {
	eachTCPServer(t, func(t *testing.T, p *tcpproxy.Proxy, start func(t *testing.T) string) {
		log, buf := capture()
		c := clientOf(t, p, log)
		p.Cut()
		w, stop := runWorker(t, c, fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return nil })))
		await.True(t, "the outage is logged", func() bool { return strings.Contains(buf.String(), "the server is unreachable") })
		p.Restore(t)
		publishN(t, c, "s", 3)
		await.True(t, "the messages are processed", func() bool { return w.Stats().Processed == 3 })
		stop()
	})
}

// An outage while handlers run spends no delivery attempt: a message
// whose handler succeeds while the server is unreachable is acknowledged
// once it is back, and never runs again.
func TestOutageSpendsNoAttempt(t *testing.T) {
	eachTCPServer(t, func(t *testing.T, p *tcpproxy.Proxy, start func(t *testing.T) string) {
		log, buf := capture()
		c := clientOf(t, p, log)
		entered := make(chan struct{}, 1)
		release := make(chan struct{})
		var calls atomic.Int64
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			if calls.Add(1) == 1 {
				entered <- struct{}{}
				<-release
			}
			return nil
		}))
		cfg.HandlerTimeout = 10 * time.Second
		w, stop := runWorker(t, c, cfg)
		publishN(t, c, "s", 1)
		<-entered
		p.Cut()
		close(release)                      // the handler succeeds while the server is away
		time.Sleep(1500 * time.Millisecond) // longer than go-redis retries a dial
		p.Restore(t)
		await.True(t, "the message is acknowledged", func() bool {
			n, err := c.Redis().XPending(context.Background(), "s", "g").Result()
			return err == nil && n.Count == 0 && w.Stats().Processed == 1
		})
		time.Sleep(3 * cfg.ClaimMinIdle) // long enough for a retry or a claim
		stop()
		if n := calls.Load(); n != 1 {
			t.Errorf("the handler ran %d times, want once", n)
		}
		if st := w.Stats(); st.Failed != 0 || st.Redeliveries != 0 || st.Outages < 1 {
			t.Errorf("stats %+v: want no failure, no redelivery, an outage; log:\n%s", st, buf)
		}
	})
}
