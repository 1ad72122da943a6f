package pelican_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

func TestPublishRejectsBadMessages(t *testing.T) {
	c, err := embedded.New(pelican.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	tests := []struct {
		name   string
		values map[string]string
		want   error
	}{
		{"no fields", map[string]string{}, pelican.ErrNoFields},
		{"reserved field", map[string]string{"pelican:error": "x"}, pelican.ErrReservedField},
	}
	for _, tt := range tests {
		if _, err := c.Publish(ctx, "s", tt.values, nil); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if _, err := c.PublishBatch(ctx, "s", []map[string]string{{"ok": "1"}, tt.values}, nil); !errors.Is(err, tt.want) {
			t.Errorf("%s in a batch: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if n, _ := c.Redis().XLen(ctx, "s").Result(); n != 0 {
		t.Errorf("refused publishes added %d entries", n)
	}
}

func TestPublishBatchAndTrimming(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		ids := publishN(t, c, "s", 250)
		if len(ids) != 250 || ids[0] >= ids[249] {
			t.Fatalf("batch returned %d IDs, first %s last %s", len(ids), ids[0], ids[249])
		}
		if _, err := c.Publish(ctx, "s", map[string]string{"n": "x"}, &pelican.PublishOptions{MaxLen: 100}); err != nil {
			t.Fatal(err)
		}
		if n, _ := c.Redis().XLen(ctx, "s").Result(); n != 100 {
			t.Errorf("after MAXLEN 100: XLEN %d", n)
		}
		// Approximate trimming removes whole nodes only: at least MaxLen
		// entries stay.
		c.Publish(ctx, "s", map[string]string{"n": "y"}, &pelican.PublishOptions{MaxLen: 10, Approx: true})
		if n, _ := c.Redis().XLen(ctx, "s").Result(); n < 10 || n > 101 {
			t.Errorf("after MAXLEN ~ 10: XLEN %d", n)
		}
		last, _ := c.Redis().XRevRangeN(ctx, "s", "+", "-", 1).Result()
		if _, err := c.Publish(ctx, "s", map[string]string{"n": "z"}, &pelican.PublishOptions{MinID: last[0].ID}); err != nil {
			t.Fatal(err)
		}
		if n, _ := c.Redis().XLen(ctx, "s").Result(); n != 2 {
			t.Errorf("after MINID of the last entry: XLEN %d, want 2", n)
		}
	})
}

type order struct {
	ID    int    `json:"id"`
	Items string `json:"items"`
}

func TestTypedPayloadRoundTrip(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		got := make(chan order, 1)
		_, stop := runWorker(t, c, fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			var o order
			if err := m.Decode(&o); err != nil {
				return pelican.Permanent(err)
			}
			got <- o
			return nil
		})))
		defer stop()
		if _, err := c.PublishValue(context.Background(), "s", order{ID: 7, Items: "a,b"}, nil); err != nil {
			t.Fatal(err)
		}
		if o := <-got; o != (order{ID: 7, Items: "a,b"}) {
			t.Errorf("decoded %+v", o)
		}
	})
}

func TestIdempotentPublish(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		opts := &pelican.PublishOptions{IdempotencyKey: "order-42"}
		first, err := c.Publish(ctx, "s", map[string]string{"order": "42"}, opts)
		if err != nil {
			t.Fatal(err)
		}
		publishN(t, c, "s", 3) // other traffic in between
		again, err := c.Publish(ctx, "s", map[string]string{"order": "42"}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if again != first {
			t.Errorf("a retried publish returned %s, want the original %s", again, first)
		}
		other, err := c.Publish(ctx, "s", map[string]string{"order": "43"}, &pelican.PublishOptions{IdempotencyKey: "order-43"})
		if err != nil || other == first {
			t.Errorf("another key: %s, %v", other, err)
		}
		entries, _ := c.Redis().XRange(ctx, "s", "-", "+").Result()
		count := 0
		for _, e := range entries {
			if e.Values["order"] == "42" {
				count++
			}
		}
		if count != 1 {
			t.Errorf("the message was added %d times", count)
		}
	})
}

// TestIdempotentPublishSurvivesAnotherProducerClient checks that the key
// is scoped to the producer identity: a new client with the same
// ProducerID (a restarted producer) is deduplicated against the old one.
func TestIdempotentPublishSurvivesARestart(t *testing.T) {
	for _, fallbacks := range []bool{false, true} {
		c1, _ := embedded.New(pelican.Options{ProducerID: "billing-1", ForceFallbacks: fallbacks})
		defer c1.Close()
		ctx := context.Background()
		opts := &pelican.PublishOptions{IdempotencyKey: "k"}
		first, err := c1.Publish(ctx, "s", map[string]string{"a": "1"}, opts)
		if err != nil {
			t.Fatal(err)
		}
		c2 := pelican.New(c1.Redis(), pelican.Options{ProducerID: "billing-1", ForceFallbacks: fallbacks})
		if again, _ := c2.Publish(ctx, "s", map[string]string{"a": "1"}, opts); again != first {
			t.Errorf("fallbacks=%v: the restarted producer got %s, want %s", fallbacks, again, first)
		}
		c3 := pelican.New(c1.Redis(), pelican.Options{ProducerID: "billing-2", ForceFallbacks: fallbacks})
		if other, _ := c3.Publish(ctx, "s", map[string]string{"a": "1"}, opts); other == first {
			t.Errorf("fallbacks=%v: another producer was deduplicated against billing-1", fallbacks)
		}
	}
}

func TestClusterNeedsHashTags(t *testing.T) {
	// No server is contacted: NewWorker checks the names.
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	defer cl.Close()
	c := pelican.New(cl, pelican.Options{})
	h := pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error { return nil })
	tests := []struct {
		stream, dlq string
		ok          bool
	}{
		{"orders", "", false},
		{"{orders}", "", true},
		{"{orders}", "{orders}:dead", true},
		{"{orders}", "dead-orders", false},
	}
	for _, tt := range tests {
		_, err := c.NewWorker(pelican.WorkerConfig{Stream: tt.stream, Group: "g", Consumer: "c", Handler: h, DeadLetterStream: tt.dlq})
		if (err == nil) != tt.ok {
			t.Errorf("stream %q dlq %q: err = %v, want ok=%v", tt.stream, tt.dlq, err, tt.ok)
		}
		if err != nil && (!errors.Is(err, pelican.ErrCrossSlot) || !strings.Contains(err.Error(), "{orders}")) {
			t.Errorf("stream %q: error %q should be ErrCrossSlot and suggest a hash tag", tt.stream, err)
		}
	}
}
