// Command loadgen prepares data for and runs the parts of Pelican's
// benchmarks that redis-benchmark cannot express. It talks to any
// Redis-compatible server, so the same run measures Pelican and Redis.
//
//	loadgen preload -addr 127.0.0.1:6379 -stream s -n 1000000 -size 100 [-group g -deliver]
//	loadgen readack -addr 127.0.0.1:6379 -stream s -group g -clients 50 -n 1000000
//	loadgen latency -addr 127.0.0.1:6379 -clients 20 -n 300 -think 500us
//	loadgen blocked -addr 127.0.0.1:6379 -n 4000
//	loadgen rss -pid 1234
//	loadgen queryflood -addr 127.0.0.1:6379 -pid 1234 -clients 5 -size 200
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/resp"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadgen preload|readack|latency|blocked|rss|queryflood [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "preload":
		err = preload(os.Args[2:])
	case "readack":
		err = readAck(os.Args[2:])
	case "latency":
		err = latency(os.Args[2:])
	case "blocked":
		err = blocked(os.Args[2:])
	case "rss":
		err = rss(os.Args[2:])
	case "queryflood":
		err = queryFlood(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// preload adds n entries with IDs 1-0 .. n-0 and one field of size bytes,
// in pipelines of 1000; optionally creates a group and delivers every
// entry to one consumer so that the PEL holds them all.
func preload(args []string) error {
	fs := flag.NewFlagSet("preload", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6379", "server address")
	key := fs.String("stream", "s", "stream key")
	n := fs.Int("n", 100000, "entries")
	size := fs.Int("size", 10, "value size in bytes")
	group := fs.String("group", "", "consumer group to create at 0 (none if empty)")
	deliver := fs.Bool("deliver", false, "read every entry into the group's PEL")
	fs.Parse(args)

	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: *addr, Protocol: 2})
	defer rdb.Close()
	rng := rand.New(rand.NewSource(1))
	val := make([]byte, *size)
	const batch = 1000
	for start := 1; start <= *n; start += batch {
		p := rdb.Pipeline()
		for i := start; i < start+batch && i <= *n; i++ {
			for j := range val {
				val[j] = byte('a' + rng.Intn(26))
			}
			p.XAdd(ctx, &redis.XAddArgs{Stream: *key, ID: strconv.Itoa(i) + "-0", Values: []any{"payload", string(val)}})
		}
		if _, err := p.Exec(ctx); err != nil {
			return fmt.Errorf("preload at %d: %w", start, err)
		}
	}
	if *group == "" {
		return nil
	}
	if err := rdb.XGroupCreate(ctx, *key, *group, "0").Err(); err != nil {
		return fmt.Errorf("creating the group: %w", err)
	}
	if !*deliver {
		return nil
	}
	for {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: *group, Consumer: "loader", Streams: []string{*key, ">"}, Count: 10000}).Result()
		if err == redis.Nil || (err == nil && len(res[0].Messages) == 0) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("delivering: %w", err)
		}
	}
}

// readAck runs clients that each loop XREADGROUP COUNT 10 then XACK of
// what they got, until n entries are consumed, and prints entries per
// second.
func readAck(args []string) error {
	fs := flag.NewFlagSet("readack", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6379", "server address")
	key := fs.String("stream", "s", "stream key")
	group := fs.String("group", "g", "consumer group")
	clients := fs.Int("clients", 50, "concurrent consumers")
	n := fs.Int64("n", 1000000, "entries to consume")
	fs.Parse(args)

	ctx := context.Background()
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *clients)
	start := time.Now()
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rdb := redis.NewClient(&redis.Options{Addr: *addr, Protocol: 2, PoolSize: 1})
			defer rdb.Close()
			consumer := "c" + strconv.Itoa(c)
			ids := make([]string, 0, 10)
			for done.Load() < *n {
				res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: *group, Consumer: consumer, Streams: []string{*key, ">"}, Count: 10, Block: 100 * time.Millisecond}).Result()
				if err == redis.Nil {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				ids = ids[:0]
				for _, m := range res[0].Messages {
					ids = append(ids, m.ID)
				}
				if err := rdb.XAck(ctx, *key, *group, ids...).Err(); err != nil {
					errs <- err
					return
				}
				done.Add(int64(len(ids)))
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Printf("%.0f\n", float64(done.Load())/el.Seconds())
	return nil
}

// rss prints the resident set size of a process in bytes.
func rss(args []string) error {
	fs := flag.NewFlagSet("rss", flag.ExitOnError)
	pid := fs.Int("pid", 0, "process ID")
	fs.Parse(args)
	b, err := os.ReadFile("/proc/" + strconv.Itoa(*pid) + "/status")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return err
			}
			fmt.Println(kb * 1024)
			return nil
		}
	}
	return fmt.Errorf("no VmRSS for pid %d", *pid)
}

// queryFlood opens clients that each send all but the last byte of one
// huge argument (ECHO with a size-MB bulk string) and never finish it,
// as a slow or hostile client would. It prints the server's peak RSS
// while they send, its RSS once they have all sent, and its RSS after
// they disconnect (awaited up to 10 s for the memory to be given back),
// in MB, and the seconds the sending took.
func queryFlood(args []string) error {
	fs := flag.NewFlagSet("queryflood", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6379", "server address")
	pid := fs.Int("pid", 0, "the server's process ID, to read its RSS")
	clients := fs.Int("clients", 5, "clients, one connection each")
	sizeMB := fs.Int("size", 200, "size of each unfinished argument in MB")
	fs.Parse(args)
	readRSS := func() int64 {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(*pid) + "/status")
		if err != nil {
			return 0
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
		return 0
	}
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peak.Store(max(peak.Load(), readRSS()))
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	size := *sizeMB << 20
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	conns := make([]net.Conn, *clients)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, *clients)
	for i := range conns {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			return err
		}
		conns[i] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := fmt.Fprintf(c, "*2\r\n$4\r\nECHO\r\n$%d\r\n", size); err != nil {
				errs <- err
				return
			}
			left := size - 1 // the argument never ends
			for left > 0 {
				n := min(left, len(chunk))
				if _, err := c.Write(chunk[:n]); err != nil {
					errs <- fmt.Errorf("client disconnected after %d MB: %w", (size-left)>>20, err)
					return
				}
				left -= n
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	for err := range errs {
		return err
	}
	// Let the server read the last bytes sent before measuring.
	time.Sleep(500 * time.Millisecond)
	held := readRSS()
	for _, c := range conns {
		c.Close()
	}
	after := readRSS()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && after > held/4; {
		time.Sleep(100 * time.Millisecond)
		after = readRSS()
	}
	close(stop)
	<-sampled
	fmt.Printf("peak_mb=%d held_mb=%d after_close_mb=%d send_s=%.2f\n", peak.Load()>>20, held>>20, after>>20, took.Seconds())
	return nil
}

// latency runs clients that each pause a random time up to think, then
// XADD one entry and wait for the reply, n times; it prints the rate and
// the reply latency's percentiles. Unlike redis-benchmark's closed loop,
// the writers arrive unevenly, as services do.
func latency(args []string) error {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6379", "server address")
	clients := fs.Int("clients", 20, "concurrent clients, one connection each")
	n := fs.Int("n", 300, "writes per client")
	think := fs.Duration("think", 500*time.Microsecond, "longest pause before each write")
	stream := fs.String("stream", "s", "stream key")
	fs.Parse(args)
	ctx := context.Background()
	var (
		mu   sync.Mutex
		lats []time.Duration
		wg   sync.WaitGroup
		errs = make(chan error, *clients)
	)
	start := time.Now()
	for range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: *addr, PoolSize: 1})
			defer c.Close()
			mine := make([]time.Duration, 0, *n)
			for range *n {
				time.Sleep(time.Duration(rand.Int63n(int64(*think) + 1)))
				t := time.Now()
				if err := c.XAdd(ctx, &redis.XAddArgs{Stream: *stream, Values: []any{"f", "v"}}).Err(); err != nil {
					errs <- err
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	slices.Sort(lats)
	q := func(p float64) time.Duration { return lats[int(p*float64(len(lats)-1))].Round(time.Microsecond) }
	fmt.Printf("%.0f/s p50=%v p90=%v p99=%v\n", float64(len(lats))/elapsed.Seconds(), q(0.5), q(0.9), q(0.99))
	return nil
}

// blocked parks n clients, one connection each, in XREADGROUP COUNT 1
// BLOCK 0 on one group, then adds n entries in pipelines of batch XADDs
// and waits until every client has its entry. It prints the seconds from
// the first XADD to the last reply, and the slowest PING another client
// saw meanwhile.
func blocked(args []string) error {
	fs := flag.NewFlagSet("blocked", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6379", "server address")
	n := fs.Int("n", 1000, "blocked readers, one connection each")
	batch := fs.Int("batch", 100, "XADDs per pipeline")
	key := fs.String("stream", "blocked", "stream key")
	fs.Parse(args)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: *addr, Protocol: 2, PoolSize: 2})
	defer rdb.Close()
	if err := rdb.Del(ctx, *key).Err(); err != nil {
		return err
	}
	if err := rdb.XGroupCreateMkStream(ctx, *key, "g", "$").Err(); err != nil {
		return fmt.Errorf("creating the group: %w", err)
	}

	served := make(chan error, *n)
	conns := make([]net.Conn, 0, *n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range *n {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			return fmt.Errorf("reader %d: %w", i, err)
		}
		conns = append(conns, c)
		consumer := "c" + strconv.Itoa(i)
		cmd := command("XREADGROUP", "GROUP", "g", consumer, "COUNT", "1", "BLOCK", "0", "STREAMS", *key, ">")
		if _, err := c.Write(cmd); err != nil {
			return fmt.Errorf("reader %d: %w", i, err)
		}
		go func() {
			reply, err := resp.ReadReply(bufio.NewReader(c))
			if err == nil && !bytes.HasPrefix(reply, []byte("*1\r\n")) {
				err = fmt.Errorf("reader %d got %q", i, reply)
			}
			served <- err
		}()
	}
	if err := awaitBlocked(ctx, rdb, *n); err != nil {
		return err
	}

	pinger := redis.NewClient(&redis.Options{Addr: *addr, Protocol: 2, PoolSize: 1})
	defer pinger.Close()
	stop := make(chan struct{})
	slowest := make(chan time.Duration, 1)
	go func() {
		var worst time.Duration
		defer func() { slowest <- worst }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			t := time.Now()
			if err := pinger.Ping(ctx).Err(); err != nil {
				worst = -1
				return
			}
			worst = max(worst, time.Since(t))
		}
	}()

	start := time.Now()
	writes := make(chan error, 1)
	go func() {
		for i := 0; i < *n; i += *batch {
			p := rdb.Pipeline()
			for j := i; j < i+*batch && j < *n; j++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: *key, Values: []any{"n", j}})
			}
			if _, err := p.Exec(ctx); err != nil {
				writes <- err
				return
			}
		}
		writes <- nil
	}()
	for range *n {
		if err := <-served; err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	close(stop)
	worst := <-slowest
	if err := <-writes; err != nil {
		return err
	}
	if worst < 0 {
		return fmt.Errorf("a PING failed")
	}
	fmt.Printf("%.4f %.2f\n", elapsed.Seconds(), float64(worst)/float64(time.Millisecond))
	return nil
}

// awaitBlocked polls INFO clients until want clients are blocked.
func awaitBlocked(ctx context.Context, rdb *redis.Client, want int) error {
	deadline := time.Now().Add(time.Minute)
	for {
		info, err := rdb.Info(ctx, "clients").Result()
		if err != nil {
			return err
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "blocked_clients:"); ok && v == strconv.Itoa(want) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d clients not blocked after a minute: %s", want, info)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// command encodes a request as RESP.
func command(args ...string) []byte {
	b := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b
}
