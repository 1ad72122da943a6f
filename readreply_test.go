package pelican

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/embedded"
)

// parseReadGroup reads both protocols' shapes of an XREADGROUP reply: with
// and without CLAIM's two extra elements, and with the nil fields of an
// entry deleted while pending.
func TestParseReadGroup(t *testing.T) {
	w := &Worker{cfg: WorkerConfig{Stream: "s", Group: "g", MaxDeliveries: 3}}
	entries := []any{
		[]any{"1-1", []any{"a", "1", "b", "2"}},
		[]any{"2-1", []any{"c", "3"}, int64(5000), int64(2)}, // claimed: 2 earlier deliveries
		[]any{"3-1", []any{"d", "4"}, int64(0), int64(0)},    // new, read with CLAIM
		[]any{"4-1", nil}, // deleted while pending
	}
	want := []Message{
		{ID: "1-1", Stream: "s", Group: "g", Values: map[string]string{"a": "1", "b": "2"}, Deliveries: 1, MaxDeliveries: 3},
		{ID: "2-1", Stream: "s", Group: "g", Values: map[string]string{"c": "3"}, Deliveries: 3, MaxDeliveries: 3},
		{ID: "3-1", Stream: "s", Group: "g", Values: map[string]string{"d": "4"}, Deliveries: 1, MaxDeliveries: 3},
		{ID: "4-1", Stream: "s", Group: "g", Deliveries: 1, MaxDeliveries: 3},
	}
	for name, reply := range map[string]any{
		"resp2": []any{[]any{"s", entries}},
		"resp3": map[any]any{"s": entries},
	} {
		msgs, err := w.parseReadGroup(reply)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := make([]Message, len(msgs))
		for i, m := range msgs {
			got[i] = *m
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Message{})); diff != "" {
			t.Errorf("%s: messages differ (-want +got):\n%s", name, diff)
		}
	}
	for _, empty := range []any{nil, []any{}, map[any]any{}} {
		if msgs, err := w.parseReadGroup(empty); err != nil || len(msgs) != 0 {
			t.Errorf("parseReadGroup(%#v) = %v, %v; want nothing", empty, msgs, err)
		}
	}
	for _, bad := range []any{"x", []any{"s"}, []any{[]any{"s", []any{"not an entry"}}}, []any{[]any{"s", []any{[]any{int64(1), nil}}}}} {
		if _, err := w.parseReadGroup(bad); err == nil {
			t.Errorf("parseReadGroup(%#v) gave no error", bad)
		}
	}
}

// A worker over a RESP2 connection reads, claims and acknowledges as over
// RESP3.
func TestWorkerOverRESP2(t *testing.T) {
	db := embedded.Open(embedded.Config{})
	defer db.Close()
	c := New(db.NewClient(&redis.Options{Protocol: 2}), Options{})
	defer c.Close()
	ctx := context.Background()
	// A message abandoned by a consumer that died, then a new one.
	rdb := c.Redis()
	if err := rdb.XGroupCreateMkStream(ctx, "s", "g", "0").Err(); err != nil {
		t.Fatal(err)
	}
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "1-1", Values: []any{"n", "old"}})
	if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "dead", Streams: []string{"s", ">"}}).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "2-1", Values: []any{"n", "new"}})
	seen := make(chan string, 2)
	w, err := c.NewWorker(WorkerConfig{
		Stream: "s", Group: "g", Consumer: "w", Block: 20 * time.Millisecond,
		ClaimMinIdle: time.Millisecond, ClaimInterval: 10 * time.Millisecond, HeartbeatInterval: time.Millisecond / 2,
		Handler: HandlerFunc(func(ctx context.Context, m *Message) error {
			seen <- m.Values["n"] + "/" + string(rune('0'+m.Deliveries))
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	got := map[string]bool{}
	for len(got) < 2 {
		select {
		case s := <-seen:
			got[s] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("handled %v, want old/2 and new/1", got)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !got["old/2"] || !got["new/1"] {
		t.Errorf("handled %v, want old/2 and new/1", got)
	}
	if n, err := rdb.XPending(ctx, "s", "g").Result(); err != nil || n.Count != 0 {
		t.Errorf("pending after the worker: %+v, %v", n, err)
	}
}
