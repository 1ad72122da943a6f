package embedded_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/embedded"
)

func TestClientsShareOneEngine(t *testing.T) {
	db := openMemory(t)
	defer db.Close()
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		a := db.NewClient(&redis.Options{Protocol: proto})
		b := db.NewClient(&redis.Options{Protocol: proto})
		id, err := a.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []any{"n", proto}}).Result()
		if err != nil {
			t.Fatal(err)
		}
		msgs, err := b.XRange(ctx, "s", id, id).Result()
		if err != nil || len(msgs) != 1 || msgs[0].Values["n"] != itoa(proto) {
			t.Fatalf("RESP%d: the other client read %v, %v", proto, msgs, err)
		}
		a.Close()
		b.Close()
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

func TestEmbeddedConnectionsHaveDistinctAddresses(t *testing.T) {
	db := openMemory(t)
	defer db.Close()
	ctx := context.Background()
	a := db.NewClient(&redis.Options{PoolSize: 1})
	defer a.Close()
	b := db.NewClient(&redis.Options{PoolSize: 1})
	defer b.Close()
	a.Ping(ctx)
	b.Ping(ctx)
	list, err := a.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "addr=") {
				addrs[f] = true
			}
		}
	}
	if len(addrs) != 2 {
		t.Fatalf("CLIENT LIST shows addresses %v, want two distinct ones:\n%s", addrs, list)
	}
}

func TestBlockingReadIsWokenAcrossClients(t *testing.T) {
	db := openMemory(t)
	defer db.Close()
	ctx := context.Background()
	reader := db.NewClient(nil)
	defer reader.Close()
	writer := db.NewClient(nil)
	defer writer.Close()
	got := make(chan []redis.XStream, 1)
	go func() {
		res, _ := reader.XRead(ctx, &redis.XReadArgs{Streams: []string{"s", "$"}, Block: 0}).Result()
		got <- res
	}()
	deadline := time.Now().Add(5 * time.Second)
	for db.Engine().BlockedClients() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the reader never blocked")
		}
		time.Sleep(time.Millisecond)
	}
	writer.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "5-0", Values: []any{"f", "v"}})
	res := <-got
	if len(res) != 1 || res[0].Messages[0].ID != "5-0" {
		t.Fatalf("blocked XREAD returned %v", res)
	}
}

// openMemory opens an embedded database that keeps its data in memory.
func openMemory(t *testing.T) *embedded.DB {
	t.Helper()
	db, err := embedded.Open(embedded.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}
