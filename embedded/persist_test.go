package embedded_test

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/embedded"
)

// TestDirKeepsDataAcrossOpens writes through one embedded database,
// closes it, and finds everything again in a second one on the same
// directory: entries, the group's pending entries and a plain key.
func TestDirKeepsDataAcrossOpens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rdb := db.NewClient(nil)
	for range 3 {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "orders", Values: []any{"id", "1"}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.XGroupCreate(ctx, "orders", "billing", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "billing", Consumer: "w1", Streams: []string{"orders", ">"}, Count: 2}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.Close()
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db2, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	rdb2 := db2.NewClient(nil)
	defer rdb2.Close()
	if n := rdb2.XLen(ctx, "orders").Val(); n != 3 {
		t.Errorf("XLEN after reopening = %d, want 3", n)
	}
	p, err := rdb2.XPending(ctx, "orders", "billing").Result()
	if err != nil {
		t.Fatal(err)
	}
	if p.Count != 2 || p.Consumers["w1"] != 2 {
		t.Errorf("pending after reopening = %+v, want 2 held by w1", p)
	}
	if v := rdb2.Get(ctx, "k").Val(); v != "v" {
		t.Errorf("GET k after reopening = %q, want v", v)
	}
}

// TestDirIsExclusive refuses a second database on a directory in use,
// saying why.
func TestDirIsExclusive(t *testing.T) {
	dir := t.TempDir()
	db, err := embedded.Open(embedded.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = embedded.Open(embedded.Config{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second Open = %v, want an error saying the directory is in use", err)
	}
}
