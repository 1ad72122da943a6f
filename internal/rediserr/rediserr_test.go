package rediserr_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/rediserr"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// class is what every classifier says of an error.
type class struct {
	Code                                         string
	Reply, WrongType, NoGroup, BusyGroup, NoPerm bool
	NoSuchKey, UnknownCommand, IDTooSmall        bool
	OutOfMemory                                  bool
	Connection, Transient                        bool
}

func classify(err error) class {
	return class{
		Code:  rediserr.Code(err),
		Reply: rediserr.IsReply(err), WrongType: rediserr.IsWrongType(err), NoGroup: rediserr.IsNoGroup(err),
		BusyGroup: rediserr.IsBusyGroup(err), NoPerm: rediserr.IsNoPerm(err), NoSuchKey: rediserr.IsNoSuchKey(err),
		UnknownCommand: rediserr.IsUnknownCommand(err), IDTooSmall: rediserr.IsIDTooSmall(err),
		OutOfMemory: rediserr.IsOutOfMemory(err),
		Connection:  rediserr.IsConnection(err), Transient: rediserr.IsTransient(err),
	}
}

// check compares what the classifiers say of err, and of err wrapped with
// context, with want.
func check(t *testing.T, err error, want class) {
	t.Helper()
	if err == nil {
		t.Fatal("the command succeeded; want an error")
	}
	if diff := cmp.Diff(classify(err), want); diff != "" {
		t.Errorf("%v (%T) (-got +want):\n%s", err, err, diff)
	}
	if diff := cmp.Diff(classify(fmt.Errorf("doing something: %w", err)), want); diff != "" {
		t.Errorf("%v wrapped (-got +want):\n%s", err, diff)
	}
}

// servers returns a client of a fresh redis-server and one of a fresh
// embedded engine.
func servers(t *testing.T) map[string]*redis.Client {
	r := redistest.StartRedis(t)
	db, err := embedded.Open(embedded.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	out := map[string]*redis.Client{
		"redis":    redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1}),
		"embedded": db.NewClient(&redis.Options{MaxRetries: -1}),
	}
	for _, c := range out {
		t.Cleanup(func() { c.Close() })
	}
	return out
}

// TestDefinitiveReplies provokes each reply the library tells apart on
// redis-server and on the embedded engine.
func TestDefinitiveReplies(t *testing.T) {
	for name, rdb := range servers(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if err := rdb.Set(ctx, "str", "x", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "5-0", Values: []any{"f", "v"}}).Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.XGroupCreate(ctx, "s", "g", "0").Err(); err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct {
				name string
				err  error
				want class
			}{
				{"wrong type", rdb.XInfoStream(ctx, "str").Err(), class{Code: "WRONGTYPE", Reply: true, WrongType: true}},
				{"no group", rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "nope", Consumer: "c", Streams: []string{"s", ">"}}).Err(),
					class{Code: "NOGROUP", Reply: true, NoGroup: true}},
				{"busy group", rdb.XGroupCreate(ctx, "s", "g", "0").Err(), class{Code: "BUSYGROUP", Reply: true, BusyGroup: true}},
				{"no such key", rdb.XInfoStream(ctx, "missing").Err(), class{Code: "ERR", Reply: true, NoSuchKey: true}},
				{"unknown command", rdb.Do(ctx, "NOSUCHCOMMAND", "x").Err(), class{Code: "ERR", Reply: true, UnknownCommand: true}},
				{"ID too small", rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "5-0", Values: []any{"f", "v"}}).Err(),
					class{Code: "ERR", Reply: true, IDTooSmall: true}},
				{"another ERR", rdb.Do(ctx, "XLEN").Err(), class{Code: "ERR", Reply: true}},
				{"null", rdb.Get(ctx, "missing").Err(), class{Reply: true}},
			} {
				t.Run(tt.name, func(t *testing.T) { check(t, tt.err, tt.want) })
			}
		})
	}
}

// TestOutOfMemory provokes maxmemory's refusals, of a command and of an
// EXEC queued before the limit was reached, on both servers.
func TestOutOfMemory(t *testing.T) {
	for name, rdb := range servers(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []any{"f", "v"}}).Err(); err != nil {
				t.Fatal(err)
			}
			tx := rdb.Conn()
			defer tx.Close()
			if err := tx.Do(ctx, "MULTI").Err(); err != nil {
				t.Fatal(err)
			}
			if err := tx.Do(ctx, "XADD", "s", "*", "f", "v").Err(); err != nil {
				t.Fatal(err)
			}
			if err := rdb.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
				t.Fatal(err)
			}
			defer rdb.ConfigSet(ctx, "maxmemory", "0")
			check(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []any{"f", "v"}}).Err(),
				class{Code: "OOM", Reply: true, OutOfMemory: true})
			check(t, tx.Do(ctx, "EXEC").Err(), class{Code: "EXECABORT", Reply: true, OutOfMemory: true})
		})
	}
}

func TestTxFailedIsAReplyWithoutCode(t *testing.T) {
	check(t, redis.TxFailedErr, class{Reply: true})
}

// TestNoPerm runs a command an ACL user may not (redis-server only: the
// engine has no ACL).
func TestNoPerm(t *testing.T) {
	r := redistest.StartRedis(t)
	ctx := context.Background()
	admin := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer admin.Close()
	if err := admin.Do(ctx, "ACL", "SETUSER", "limited", "on", ">pw", "~*", "+ping", "+hello").Err(); err != nil {
		t.Fatal(err)
	}
	limited := redis.NewClient(&redis.Options{Addr: r.Addr, Username: "limited", Password: "pw", MaxRetries: -1})
	defer limited.Close()
	check(t, limited.Get(ctx, "k").Err(), class{Code: "NOPERM", Reply: true, NoPerm: true})
}

// TestBusy runs a script past busy-reply-threshold: other commands get
// BUSY until SCRIPT KILL.
func TestBusy(t *testing.T) {
	r := redistest.StartRedis(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1})
	defer rdb.Close()
	if err := rdb.ConfigSet(ctx, "busy-reply-threshold", "10").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Ping(ctx).Err(); err != nil { // a connection for the check, before the script runs
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() {
		loop := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1})
		defer loop.Close()
		ran <- loop.Eval(ctx, "while true do end", nil).Err()
	}()
	var err error
	await.True(t, "the server answers BUSY", func() bool {
		err = rdb.Ping(ctx).Err()
		return err != nil
	})
	check(t, err, class{Code: "BUSY", Reply: true, Transient: true})
	if err := rdb.ScriptKill(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-ran; err == nil {
		t.Error("the killed script returned no error")
	}
}

// TestReplicaReplies makes a server the replica of a master that is not
// there, serving no stale data: writes get READONLY, reads MASTERDOWN.
func TestReplicaReplies(t *testing.T) {
	r := redistest.StartRedis(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1})
	defer rdb.Close()
	if err := rdb.ConfigSet(ctx, "replica-serve-stale-data", "no").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(closedPort(t))).Err(); err != nil {
		t.Fatal(err)
	}
	check(t, rdb.Set(ctx, "k", "v", 0).Err(), class{Code: "READONLY", Reply: true, Transient: true})
	check(t, rdb.Get(ctx, "k").Err(), class{Code: "MASTERDOWN", Reply: true, Transient: true})
}

// TestClusterDown asks a cluster node that serves no slot.
func TestClusterDown(t *testing.T) {
	bin, err := redistest.RedisServerPath()
	if err != nil {
		t.Fatal(err)
	}
	r := redistest.StartRedisBinary(t, bin, "--cluster-enabled", "yes",
		"--cluster-config-file", filepath.Join(t.TempDir(), "nodes.conf"), "--cluster-port", strconv.Itoa(closedPort(t)))
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: -1})
	defer rdb.Close()
	check(t, rdb.Get(context.Background(), "k").Err(), class{Code: "CLUSTERDOWN", Reply: true, Transient: true})
}

// reply is an error reply as go-redis returns one, for the codes a test
// cannot easily provoke on a server.
type reply string

func (r reply) Error() string { return string(r) }
func (reply) RedisError()     {}

func TestTransientRepliesByText(t *testing.T) {
	for _, tt := range []struct {
		text, code string
	}{
		{"LOADING Redis is loading the dataset in memory", "LOADING"},
		{"TRYAGAIN Multiple keys request during rehashing of slot", "TRYAGAIN"},
	} {
		t.Run(tt.code, func(t *testing.T) {
			check(t, reply(tt.text), class{Code: tt.code, Reply: true, Transient: true})
		})
	}
	// Codes are whole words: BUSYGROUP and BUSYKEY are not BUSY.
	check(t, reply("BUSYKEY Target key name already exists."), class{Code: "BUSYKEY", Reply: true})
}

// TestConnectionErrors fails to reach a server, or to read its answer, in
// each of the ways the library retries.
func TestConnectionErrors(t *testing.T) {
	ctx := context.Background()
	conn := class{Connection: true, Transient: true}
	t.Run("refused", func(t *testing.T) {
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(closedPort(t)), MaxRetries: -1, DialerRetries: 1})
		defer rdb.Close()
		check(t, rdb.Ping(ctx).Err(), conn)
	})
	t.Run("closed mid-reply", func(t *testing.T) {
		addr := serve(t, func(c net.Conn) { c.Close() })
		rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DisableIdentity: true})
		defer rdb.Close()
		check(t, rdb.Ping(ctx).Err(), conn)
	})
	t.Run("read timeout", func(t *testing.T) {
		addr := serve(t, func(c net.Conn) { io.Copy(io.Discard, c) })
		rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, ReadTimeout: 20 * time.Millisecond, DisableIdentity: true})
		defer rdb.Close()
		check(t, rdb.Ping(ctx).Err(), conn)
	})
	t.Run("deadline", func(t *testing.T) {
		addr := serve(t, func(c net.Conn) { io.Copy(io.Discard, c) })
		rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, ContextTimeoutEnabled: true, DisableIdentity: true})
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		check(t, rdb.Ping(ctx).Err(), conn)
	})
	t.Run("deadline before sending", func(t *testing.T) {
		check(t, context.DeadlineExceeded, conn)
	})
	t.Run("closed connection", func(t *testing.T) {
		check(t, &net.OpError{Op: "write", Net: "tcp", Err: net.ErrClosed}, conn)
		check(t, net.ErrClosed, conn)
	})
	t.Run("pool timeout", func(t *testing.T) {
		check(t, redis.ErrPoolTimeout, conn)
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(closedPort(t)), MaxRetries: -1})
		defer rdb.Close()
		check(t, rdb.Ping(ctx).Err(), class{})
	})
	t.Run("closed client", func(t *testing.T) {
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
		rdb.Close()
		check(t, rdb.Ping(ctx).Err(), class{})
	})
	t.Run("not an error", func(t *testing.T) {
		if diff := cmp.Diff(classify(nil), class{}); diff != "" {
			t.Errorf("nil (-got +want):\n%s", diff)
		}
		check(t, errors.New("ERR looks like a reply but is not one"), class{})
	})
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serve accepts connections on a loopback port, until the test ends, and
// hands each to handle.
func serve(t *testing.T, handle func(net.Conn)) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go handle(c)
		}
	}()
	return l.Addr().String()
}
