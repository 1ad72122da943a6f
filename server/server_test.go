package server_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/pelicantest"
)

// startServer serves a new engine on a free loopback port.
func startServer(t *testing.T, cfg engine.Config) (addr string, eng *engine.Engine) {
	t.Helper()
	p := pelicantest.StartPelican(t, cfg)
	return p.Addr, p.Engine
}

func newClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: 10 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// waitBlocked polls until n clients are blocked.
func waitBlocked(t *testing.T, eng *engine.Engine, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for eng.BlockedClients() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d clients blocked, want %d", eng.BlockedClients(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func TestBlockedReadersAreServedInArrivalOrder(t *testing.T) {
	addr, eng := startServer(t, engine.Config{})
	ctx := context.Background()
	admin := newClient(t, addr)
	if err := admin.XGroupCreateMkStream(ctx, "s", "g", "$").Err(); err != nil {
		t.Fatal(err)
	}
	const readers = 5
	got := make([]string, readers)
	var wg sync.WaitGroup
	for i := 0; i < readers; i++ {
		c := newClient(t, addr)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{
				Group: "g", Consumer: "c" + itoa(i), Streams: []string{"s", ">"}, Count: 1, Block: 0,
			}).Result()
			if err != nil {
				t.Errorf("reader %d: %v", i, err)
				return
			}
			got[i] = res[0].Messages[0].ID
		}(i)
		// Each reader must be blocked before the next one starts, so that
		// the arrival order is known.
		waitBlocked(t, eng, i+1)
	}
	for i := 0; i < readers; i++ {
		if err := admin.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: itoa(i+1) + "-0", Values: []any{"n", i}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for i, id := range got {
		if want := itoa(i+1) + "-0"; id != want {
			t.Errorf("reader %d got %s, want %s", i, id, want)
		}
	}
}

func TestBlockTimeoutAndForever(t *testing.T) {
	addr, eng := startServer(t, engine.Config{})
	ctx := context.Background()
	c := newClient(t, addr)
	start := time.Now()
	_, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{"s", "$"}, Block: 50 * time.Millisecond}).Result()
	if err != redis.Nil {
		t.Fatalf("timed-out XREAD: err = %v, want redis.Nil", err)
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Fatalf("XREAD BLOCK 50 returned after %v", el)
	}

	// BLOCK 0 waits until data arrives, however long that is.
	admin := newClient(t, addr)
	res := make(chan error, 1)
	go func() {
		_, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{"s", "$"}, Block: 0}).Result()
		res <- err
	}()
	waitBlocked(t, eng, 1)
	select {
	case err := <-res:
		t.Fatalf("BLOCK 0 returned early: %v", err)
	default:
	}
	admin.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []any{"f", "v"}})
	if err := <-res; err != nil {
		t.Fatalf("BLOCK 0 after XADD: %v", err)
	}
}

// TestBlockedGroupReaderErrors checks the errors a blocked XREADGROUP gets
// when its group or key goes away (Redis 7.2 and later re-run the command,
// so the caller sees the command's own error).
func TestBlockedGroupReaderErrors(t *testing.T) {
	tests := []struct {
		name    string
		disrupt []any
		want    string
	}{
		{"group destroyed", []any{"XGROUP", "DESTROY", "s", "g"}, "NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"},
		{"key deleted", []any{"DEL", "s"}, "NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"},
		{"key overwritten", []any{"SET", "s", "x"}, "WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"key renamed", []any{"RENAME", "s", "t"}, "NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"},
		{"flushed", []any{"FLUSHALL"}, "NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, eng := startServer(t, engine.Config{})
			ctx := context.Background()
			admin := newClient(t, addr)
			if err := admin.XGroupCreateMkStream(ctx, "s", "g", "$").Err(); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, addr)
			res := make(chan error, 1)
			go func() {
				_, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"s", ">"}, Block: 0}).Result()
				res <- err
			}()
			waitBlocked(t, eng, 1)
			if err := admin.Do(ctx, tt.disrupt...).Err(); err != nil {
				t.Fatalf("%v: %v", tt.disrupt, err)
			}
			select {
			case err := <-res:
				if err == nil || err.Error() != tt.want {
					t.Fatalf("blocked XREADGROUP: err = %v, want %q", err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("blocked XREADGROUP was not woken")
			}
		})
	}
}

// TestClaimWakesWhenEntryBecomesIdle checks that XREADGROUP ... BLOCK ...
// CLAIM returns once a pending entry has been idle long enough, without
// new data arriving.
func TestClaimWakesWhenEntryBecomesIdle(t *testing.T) {
	addr, _ := startServer(t, engine.Config{})
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, ReadTimeout: 10 * time.Second})
	defer c.Close()
	c.XGroupCreateMkStream(ctx, "s", "g", "0")
	c.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "1-0", Values: []any{"f", "v"}})
	if err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "a", Streams: []string{"s", ">"}}).Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := c.Do(ctx, "XREADGROUP", "GROUP", "g", "b", "BLOCK", 5000, "CLAIM", 200, "STREAMS", "s", ">").Slice()
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 4*time.Second {
		t.Fatalf("the claim took %v: the reader was not woken when the entry became idle", el)
	}
	entries := res[0].([]any)[1].([]any)
	if len(entries) != 1 || entries[0].([]any)[0] != "1-0" {
		t.Fatalf("claimed %v, want entry 1-0", entries)
	}
}

func TestQuitAndProtocolErrorCloseTheConnection(t *testing.T) {
	addr, _ := startServer(t, engine.Config{})
	for _, tt := range []struct{ send, reply string }{
		{"QUIT\r\n", "+OK\r\n"},
		{"*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"PING\r\n*1\r\n:1\r\n", "+PONG\r\n-ERR Protocol error: expected '$', got ':'\r\n"},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Write([]byte(tt.send))
		var all []byte
		buf := make([]byte, 512)
		for {
			n, err := conn.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil {
				break // the server closed the connection
			}
		}
		conn.Close()
		if string(all) != tt.reply {
			t.Errorf("sent %q: got %q, want %q and a close", tt.send, all, tt.reply)
		}
	}
}

func TestRequirePass(t *testing.T) {
	addr, _ := startServer(t, engine.Config{RequirePass: "sesame"})
	ctx := context.Background()
	bad := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer bad.Close()
	if err := bad.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Fatalf("PING without AUTH: err = %v, want NOAUTH", err)
	}
	for _, proto := range []int{2, 3} {
		good := redis.NewClient(&redis.Options{Addr: addr, Password: "sesame", Protocol: proto})
		if err := good.Ping(ctx).Err(); err != nil {
			t.Fatalf("RESP%d PING with the password: %v", proto, err)
		}
		good.Close()
	}
}

// TestHugePipelineDoesNotDeadlock sends a pipeline far larger than the
// socket buffers before reading any reply, as go-redis does: the server
// must keep reading while its replies wait for the client.
func TestHugePipelineDoesNotDeadlock(t *testing.T) {
	addr, _ := startServer(t, engine.Config{})
	c := newClient(t, addr)
	ctx := context.Background()
	payload := strings.Repeat("x", 1000)
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < 20000; i++ {
			p.Echo(ctx, payload)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	for i, cmd := range cmds {
		if got := cmd.(*redis.StringCmd).Val(); got != payload {
			t.Fatalf("reply %d has %d bytes, want %d", i, len(got), len(payload))
		}
	}
}
