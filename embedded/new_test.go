package embedded

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// New's engine tells the time with the client's clock, so that retries
// and the engine's idle times agree.
func TestNewEngineUsesTheClock(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	c, err := New(pelican.Options{Clock: fixedClock(at), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id, err := c.Publish(context.Background(), "s", map[string]string{"n": "1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "1700000000000-0"; id != want {
		t.Errorf("published ID %s, want %s", id, want)
	}
}

// Closing New's client stops its engine: a connection opened afterwards is
// refused.
func TestNewCloseStopsTheEngine(t *testing.T) {
	c, err := New(pelican.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Redis().Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	db := c.Redis().(*owningClient).db
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	late := db.NewClient(&redis.Options{MaxRetries: -1})
	defer late.Close()
	if err := late.Ping(ctx).Err(); err == nil {
		t.Error("PING after Close succeeded, want the engine stopped")
	}
}

// internal/watch sends WATCH with the reads in one round trip to a single
// server's client, which it knows by its Options method: New's client,
// which embeds a *redis.Client, must still have it.
func TestNewClientLooksLikeASingleServer(t *testing.T) {
	c, err := New(pelican.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rdb := c.Redis()
	if _, ok := rdb.(interface{ Options() *redis.Options }); !ok {
		t.Errorf("%T has no Options() *redis.Options", rdb)
	}
}
