package pelican

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
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
		{ID: "1-1", Stream: "s", Group: "g", Values: map[string]string{"a": "1", "b": "2"}, Deliveries: 1, MaxDeliveries: 3, claimIdle: -1},
		{ID: "2-1", Stream: "s", Group: "g", Values: map[string]string{"c": "3"}, Deliveries: 3, MaxDeliveries: 3, claimIdle: 5000},
		{ID: "3-1", Stream: "s", Group: "g", Values: map[string]string{"d": "4"}, Deliveries: 1, MaxDeliveries: 3, claimIdle: -1},
		{ID: "4-1", Stream: "s", Group: "g", Deliveries: 1, MaxDeliveries: 3, claimIdle: -1},
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
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(Message{}), cmpopts.IgnoreFields(Message{}, "hctx")); diff != "" {
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

// derefMessages copies msgs for comparison.
func derefMessages(msgs []*Message) []Message {
	out := make([]Message, len(msgs))
	for i, m := range msgs {
		out[i] = *m
	}
	return out
}

// parseReadGroupRaw reads the RESP bytes of both protocols' XREADGROUP
// replies, reports error replies as server errors, and refuses bytes that
// break the protocol.
func TestParseReadGroupRaw(t *testing.T) {
	w := &Worker{cfg: WorkerConfig{Stream: "s", Group: "g", MaxDeliveries: 3}}
	entries := "*5\r\n" +
		"*2\r\n$3\r\n1-1\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$3\r\n2\r\n\r\n" + // a value holding CRLF
		"*4\r\n$3\r\n2-1\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n:5000\r\n:2\r\n" + // claimed: 2 earlier deliveries
		"*4\r\n$3\r\n3-1\r\n*2\r\n$1\r\nd\r\n$0\r\n\r\n:0\r\n:0\r\n" + // new, read with CLAIM; empty value
		"*2\r\n$3\r\n4-1\r\n*-1\r\n" + // deleted while pending
		"*4\r\n$3\r\n5-1\r\n*2\r\n$1\r\ne\r\n$1\r\n5\r\n:700\r\n:0\r\n" // given back before its delivery counted
	want := []Message{
		{ID: "1-1", Stream: "s", Group: "g", Values: map[string]string{"a": "1", "b": "2\r\n"}, Deliveries: 1, MaxDeliveries: 3, claimIdle: -1},
		{ID: "2-1", Stream: "s", Group: "g", Values: map[string]string{"c": "3"}, Deliveries: 3, MaxDeliveries: 3, claimIdle: 5000},
		{ID: "3-1", Stream: "s", Group: "g", Values: map[string]string{"d": ""}, Deliveries: 1, MaxDeliveries: 3, claimIdle: -1},
		{ID: "4-1", Stream: "s", Group: "g", Deliveries: 1, MaxDeliveries: 3, claimIdle: -1},
		{ID: "5-1", Stream: "s", Group: "g", Values: map[string]string{"e": "5"}, Deliveries: 1, MaxDeliveries: 3, claimIdle: 700},
	}
	for name, reply := range map[string]string{
		"resp2":             "*1\r\n*2\r\n$1\r\ns\r\n" + entries,
		"resp3":             "%1\r\n$1\r\ns\r\n" + entries,
		"resp3 null fields": "%1\r\n$1\r\ns\r\n" + strings.Replace(entries, "*-1\r\n", "_\r\n", 1),
	} {
		msgs, err := w.parseReadGroupRaw([]byte(reply))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, derefMessages(msgs), cmp.AllowUnexported(Message{}), cmpopts.IgnoreFields(Message{}, "hctx")); diff != "" {
			t.Errorf("%s: messages differ (-want +got):\n%s", name, diff)
		}
	}
	for _, empty := range []string{"*-1\r\n", "_\r\n", "*0\r\n", "%0\r\n", "%1\r\n$1\r\ns\r\n*0\r\n"} {
		if msgs, err := w.parseReadGroupRaw([]byte(empty)); err != nil || len(msgs) != 0 {
			t.Errorf("parseReadGroupRaw(%q) = %v, %v; want nothing", empty, msgs, err)
		}
	}
	for reply, text := range map[string]string{
		"-NOGROUP No such key 's' or consumer group 'g'\r\n": "NOGROUP No such key 's' or consumer group 'g'",
		"!9\r\nERR oops!\r\n":                                "ERR oops!",
	} {
		_, err := w.parseReadGroupRaw([]byte(reply))
		var serverErr redis.Error
		if !errors.As(err, &serverErr) || err.Error() != text {
			t.Errorf("parseReadGroupRaw(%q) = %v, want the server error %q", reply, err, text)
		}
	}
	for _, bad := range []string{
		"", "*1", "*1\r\n", "+OK\r\n", ":1\r\n", "*1\r\n$1\r\ns\r\n",
		"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$5\r\n1\r\n", // a value shorter than its length
		"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*1\r\n$3\r\n1-1\r\n",                             // an entry of one part
		"*1\r\n*2\r\n$1\r\ns\r\n*9999999999\r\n",                                       // more entries than bytes
		"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$-1\r\n*-1\r\n",                            // a null ID
	} {
		if msgs, err := w.parseReadGroupRaw([]byte(bad)); err == nil {
			t.Errorf("parseReadGroupRaw(%q) = %v, want an error", bad, msgs)
		}
	}
}

// FuzzParseReadGroupRaw checks that no bytes make the raw reply parser
// panic, and that what it accepts is a message per entry.
func FuzzParseReadGroupRaw(f *testing.F) {
	f.Add([]byte("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"))
	f.Add([]byte("%1\r\n$1\r\ns\r\n*1\r\n*4\r\n$3\r\n2-1\r\n*-1\r\n:5000\r\n:2\r\n"))
	f.Add([]byte("!3\r\nERR\r\n"))
	w := &Worker{cfg: WorkerConfig{Stream: "s", Group: "g", MaxDeliveries: 3}}
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := w.parseReadGroupRaw(b)
		if err != nil {
			return
		}
		for _, m := range msgs {
			if m == nil || m.Stream != "s" || m.MaxDeliveries != 3 {
				t.Fatalf("parseReadGroupRaw(%q) gave %v", b, m)
			}
		}
	})
}

// The raw parser reads what servers send exactly as go-redis's generic
// reply reads it: both protocols, on Pelican's engine and on
// redis-server 7, with fields of every size, a binary value and an entry
// deleted while pending.
func TestParseReadGroupRawMatchesGeneric(t *testing.T) {
	p := pelicantest.StartPelican(t, engine.Config{ActiveExpiry: true})
	r := redistest.StartRedis(t)
	servers := map[string]func(proto int) redis.UniversalClient{
		"pelican": func(proto int) redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: p.Addr, Protocol: proto})
		},
		"redis7": func(proto int) redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: r.Addr, Protocol: proto})
		},
	}
	ctx := context.Background()
	for name, open := range servers {
		setup := open(2)
		if err := setup.XGroupCreateMkStream(ctx, "s", "g", "0").Err(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 40; i++ {
			values := []any{"n", i, "payload", string(make([]byte, i*37)), "bin", "\x00\r\n\xff"}
			if err := setup.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: fmt.Sprintf("%d-1", i+1), Values: values}).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if err := setup.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"s", ">"}}).Err(); err != nil {
			t.Fatal(err)
		}
		setup.XDel(ctx, "s", "7-1")
		setup.Close()
		for _, proto := range []int{2, 3} {
			rdb := open(proto)
			w := &Worker{cfg: WorkerConfig{Stream: "s", Group: "g", Consumer: "c", MaxDeliveries: 3}}
			// Reading the consumer's history is the same every time.
			args := []any{"xreadgroup", "group", "g", "c", "count", 100, "streams", "s", "0"}
			generic, err := w.parseReadGroup(rdb.Do(ctx, args...).Val())
			if err != nil {
				t.Fatal(err)
			}
			raw := redis.NewRawCmd(ctx, args...)
			if err := rdb.Process(ctx, raw); err != nil {
				t.Fatal(err)
			}
			got, err := w.parseReadGroupRaw(raw.Val())
			if err != nil {
				t.Fatalf("%s RESP%d: %v", name, proto, err)
			}
			if len(got) != 40 {
				t.Errorf("%s RESP%d: %d messages, want 40", name, proto, len(got))
			}
			if diff := cmp.Diff(derefMessages(generic), derefMessages(got), cmp.AllowUnexported(Message{}), cmpopts.IgnoreFields(Message{}, "hctx")); diff != "" {
				t.Errorf("%s RESP%d: raw and generic differ (-generic +raw):\n%s", name, proto, diff)
			}
			rdb.Close()
		}
	}
}

// A worker over a RESP2 connection reads, claims and acknowledges as over
// RESP3.
func TestWorkerOverRESP2(t *testing.T) {
	p := pelicantest.StartPelican(t, engine.Config{ActiveExpiry: true})
	c := New(redis.NewClient(&redis.Options{Addr: p.Addr, Protocol: 2}), Options{})
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
