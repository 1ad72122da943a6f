package pelican_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/redistest"
	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// TestDeadLetterWithoutScripts runs a worker on a redis-server whose ACL
// denies the connection Lua scripts: the server has EVAL, so the first
// move tries the script, gets NOPERM, and moves the message under WATCH
// instead, saying so once.
func TestDeadLetterWithoutScripts(t *testing.T) {
	r := redistest.StartRedis(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	if err := rdb.Do(ctx, "ACL", "SETUSER", "default", "-@scripting").Err(); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	c := pelican.New(rdb, pelican.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	t.Cleanup(func() { c.Close() })
	w, stop := runWorker(t, c, fastConfig("orders", pelican.HandlerFunc(func(context.Context, *pelican.Message) error {
		return pelican.Permanent(errors.New("malformed order"))
	})))
	publishN(t, c, "orders", 3)
	await.True(t, "the messages are dead-lettered", func() bool { return w.Stats().DeadLettered == 3 })
	stop()
	entries, err := rdb.XRange(ctx, "orders:dlq", "-", "+").Result()
	if err != nil || len(entries) != 3 {
		t.Fatalf("the dead-letter stream holds %d entries (%v), want 3", len(entries), err)
	}
	if got := pendingCount(t, rdb, "orders", "g"); got != 0 {
		t.Errorf("%d messages still pending after the moves", got)
	}
	if n := strings.Count(logs.String(), "refuses Lua scripts"); n != 1 {
		t.Errorf("the refusal was logged %d times, want once:\n%s", n, logs.String())
	}
}
