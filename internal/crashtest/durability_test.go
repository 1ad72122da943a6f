package crashtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestServerSurvivesSIGKILL runs concurrent clients against `pelican
// server --dir --appendfsync always` (adding stream entries, reading,
// claiming and acknowledging them in a group, incrementing a counter,
// setting keys), kills the server with SIGKILL at a random moment,
// starts it again on the same directory and checks that nothing
// acknowledged was lost and nothing was invented; for 10 cycles, or for
// hundreds with PELICAN_LONG=1.
func TestServerSurvivesSIGKILL(t *testing.T) {
	cycles, budget := 10, 60*time.Second
	if os.Getenv(longEnv) == "1" {
		cycles, budget = 400, 10*time.Minute
	}
	killCycles(t, "always", cycles, budget)
}

// TestServerSurvivesSIGKILLEverysec is TestServerSurvivesSIGKILL under
// appendfsync everysec: the server writes what a reply acknowledges to
// the file before replying, so killing the process (unlike a power
// loss) loses nothing acknowledged either.
func TestServerSurvivesSIGKILLEverysec(t *testing.T) {
	cycles, budget := 3, 30*time.Second
	if os.Getenv(longEnv) == "1" {
		cycles, budget = 100, 5*time.Minute
	}
	killCycles(t, "everysec", cycles, budget)
}

// ledger is what the clients tried and what the server acknowledged, in
// one cycle or in all of them.
type ledger struct {
	mu sync.Mutex
	// tags are the tag fields of the XADDs tried; an entry with another
	// tag was invented.
	tags map[string]bool
	// added are the IDs of acknowledged XADDs.
	added []string
	// claimed are IDs an acknowledged XCLAIM moved to another consumer;
	// acked the IDs of acknowledged XACKs; ackTried those of every XACK
	// tried.
	claimed, acked []string
	ackTried       map[string]bool
	// counter is the largest value an INCR replied; incrs the INCRs
	// tried, in all cycles.
	counter, incrs int64
	// sets are the acknowledged SETs, each of a key of its own.
	sets map[string]string
}

func newLedger() *ledger {
	return &ledger{tags: map[string]bool{}, ackTried: map[string]bool{}, sets: map[string]string{}}
}

func (l *ledger) with(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f()
}

// killRun is a series of kill cycles on one data directory.
type killRun struct {
	t     *testing.T
	fsync string
	dir   string
	rng   *rand.Rand
	// lengths are the verified lengths of the streams of past cycles,
	// which later restarts must keep.
	lengths map[string]int64
	// counter and incrs carry over between cycles.
	counter, incrs int64
	torn           int // restarts that cut a torn tail
}

func killCycles(t *testing.T, fsync string, cycles int, budget time.Duration) {
	seed := rand.Uint64()
	if s := os.Getenv(seedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", seedEnv, s, err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with %s=%d)", seed, seedEnv, seed)
	r := &killRun{t: t, fsync: fsync, dir: t.TempDir(), rng: rand.New(rand.NewPCG(seed, 0)), lengths: map[string]int64{}}
	began := time.Now()
	srv := startDurableServer(t, r.dir, fsync)
	done := 0
	for c := 0; c < cycles && time.Since(began) < budget; c++ {
		srv = r.cycle(c, srv)
		done++
		if t.Failed() {
			t.Logf("seed %d: failed in cycle %d", seed, c)
			break
		}
	}
	srv.stop(t)
	t.Logf("%d cycles with appendfsync %s in %v; %d restarts cut a torn tail; counter at %d after %d INCRs tried",
		done, fsync, time.Since(began).Round(time.Millisecond), r.torn, r.counter, r.incrs)
}

// newClient returns a client that never retries: a retried write could
// apply twice, and the test counts what each client sent.
func newClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, MaxRetries: -1, PoolSize: 2,
		DialTimeout: time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 3 * time.Second,
	})
}

// cycle runs the clients against srv, kills it at a random moment,
// starts it again and checks the data; it returns the new server.
func (r *killRun) cycle(c int, srv *durableServer) *durableServer {
	t := r.t
	stream := fmt.Sprintf("s:%d", c)
	admin := newClient(srv.addr)
	if err := admin.XGroupCreateMkStream(context.Background(), stream, "g", "0").Err(); err != nil {
		t.Fatalf("cycle %d: XGROUP CREATE: %v", c, err)
	}
	admin.Close()

	l := newLedger()
	l.counter, l.incrs = r.counter, r.incrs
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var acks atomic.Int64 // acknowledged replies this cycle
	clients := []func(context.Context, *redis.Client){
		func(ctx context.Context, rdb *redis.Client) { produce(ctx, rdb, l, &acks, stream, c, 0) },
		func(ctx context.Context, rdb *redis.Client) { produce(ctx, rdb, l, &acks, stream, c, 1) },
		func(ctx context.Context, rdb *redis.Client) { consume(ctx, rdb, l, &acks, stream, c) },
		func(ctx context.Context, rdb *redis.Client) { count(ctx, rdb, l, &acks, c) },
	}
	for _, run := range clients {
		rdb := newClient(srv.addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer rdb.Close()
			run(ctx, rdb)
		}()
	}
	// Kill once the clients are under way, after a random delay.
	deadline := time.Now().Add(10 * time.Second)
	for acks.Load() < 20 {
		if time.Now().After(deadline) || srv.hasExited() {
			cancel()
			wg.Wait()
			t.Fatalf("cycle %d: no progress (%d acknowledged replies); server output:\n%s", c, acks.Load(), srv.out)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(time.Duration(r.rng.IntN(300)) * time.Millisecond)
	srv.kill()
	cancel()
	wg.Wait()

	srv = startDurableServer(t, r.dir, r.fsync)
	if strings.Contains(srv.out.String(), "dropped_bytes=") {
		r.torn++
	}
	r.verify(c, srv, stream, l)
	r.counter, r.incrs = l.counter, l.incrs
	return srv
}

// produce adds entries tagged with their producer and number until ctx
// ends or the server is gone.
func produce(ctx context.Context, rdb *redis.Client, l *ledger, acks *atomic.Int64, stream string, c, p int) {
	for n := 0; ctx.Err() == nil; n++ {
		tag := fmt.Sprintf("c%d-p%d-%d", c, p, n)
		l.with(func() { l.tags[tag] = true })
		id, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{"tag", tag}}).Result()
		if err != nil {
			return
		}
		l.with(func() { l.added = append(l.added, id) })
		acks.Add(1)
	}
}

// consume reads entries in the group, claims half of each batch for
// another consumer and acknowledges the other half, and the claimed ones
// of the batch before.
func consume(ctx context.Context, rdb *redis.Client, l *ledger, acks *atomic.Int64, stream string, c int) {
	var claimedBefore []string
	for ctx.Err() == nil {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: "g", Consumer: fmt.Sprintf("reader-%d", c), Streams: []string{stream, ">"},
			Count: 10, Block: 20 * time.Millisecond,
		}).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return
		}
		acks.Add(1)
		var ids []string
		for _, m := range res[0].Messages {
			ids = append(ids, m.ID)
		}
		half := len(ids) / 2
		var claimed []string
		if half > 0 {
			claimed, err = rdb.XClaimJustID(ctx, &redis.XClaimArgs{
				Stream: stream, Group: "g", Consumer: fmt.Sprintf("claimer-%d", c), MinIdle: 0, Messages: ids[:half],
			}).Result()
			if err != nil {
				return
			}
			l.with(func() { l.claimed = append(l.claimed, claimed...) })
		}
		toAck := slices.Concat(ids[half:], claimedBefore)
		claimedBefore = claimed
		if len(toAck) == 0 {
			continue
		}
		l.with(func() {
			for _, id := range toAck {
				l.ackTried[id] = true
			}
		})
		if err := rdb.XAck(ctx, stream, "g", toAck...).Err(); err != nil {
			return
		}
		l.with(func() { l.acked = append(l.acked, toAck...) })
		acks.Add(1)
	}
}

// count increments the counter and sets a key of its own per increment.
func count(ctx context.Context, rdb *redis.Client, l *ledger, acks *atomic.Int64, c int) {
	for n := 0; ctx.Err() == nil; n++ {
		l.with(func() { l.incrs++ })
		v, err := rdb.Incr(ctx, "counter").Result()
		if err != nil {
			return
		}
		l.with(func() { l.counter = max(l.counter, v) })
		key, val := fmt.Sprintf("k:%d:%d", c, n), strconv.FormatInt(v, 10)
		if err := rdb.Set(ctx, key, val, 0).Err(); err != nil {
			return
		}
		l.with(func() { l.sets[key] = val })
		acks.Add(2)
	}
}

// verify checks the restarted server against what the cycle's clients
// were acknowledged and tried, and the streams of earlier cycles.
func (r *killRun) verify(c int, srv *durableServer, stream string, l *ledger) {
	t := r.t
	ctx := context.Background()
	rdb := newClient(srv.addr)
	defer rdb.Close()
	var problems []string
	problem := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	entries, err := rdb.XRange(ctx, stream, "-", "+").Result()
	if err != nil {
		t.Fatalf("cycle %d: XRANGE: %v", c, err)
	}
	have := map[string]bool{}
	for _, e := range entries {
		have[e.ID] = true
		if tag, _ := e.Values["tag"].(string); !l.tags[tag] {
			problem("entry %s %v was never added by a client", e.ID, e.Values)
		}
	}
	for _, id := range l.added {
		if !have[id] {
			problem("acknowledged XADD %s is missing", id)
		}
	}
	pel, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: "g", Start: "-", End: "+", Count: 1 << 20}).Result()
	if err != nil {
		// The group, created and acknowledged before the clients
		// started, is gone.
		problem("XPENDING: %v", err)
	}
	pending := map[string]bool{}
	for _, p := range pel {
		pending[p.ID] = true
		if !have[p.ID] {
			problem("pending entry %s is not in the stream", p.ID)
		}
	}
	for _, id := range l.acked {
		if pending[id] {
			problem("entry %s of an acknowledged XACK is pending", id)
		}
	}
	for _, id := range l.claimed {
		if !pending[id] && !l.ackTried[id] {
			problem("entry %s of an acknowledged XCLAIM is not pending, and no XACK of it was tried", id)
		}
	}
	counter, err := rdb.Get(ctx, "counter").Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatalf("cycle %d: GET counter: %v", c, err)
	}
	if counter < l.counter || counter > l.incrs {
		problem("counter is %d; an INCR acknowledged %d, and %d were tried", counter, l.counter, l.incrs)
	}
	for k, want := range l.sets {
		if got, err := rdb.Get(ctx, k).Result(); err != nil || got != want {
			problem("acknowledged SET %s %s: GET replies %q, %v", k, want, got, err)
		}
	}
	for s, n := range r.lengths {
		if got, err := rdb.XLen(ctx, s).Result(); err != nil || got != n {
			problem("stream %s of an earlier cycle had %d entries, now XLEN replies %d, %v", s, n, got, err)
		}
	}
	r.lengths[stream] = int64(len(entries))
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("... and %d more", len(problems)-20))
		}
		t.Errorf("cycle %d (%d acknowledged XADDs, %d XACKed, %d claimed, counter %d): after the restart:\n%s\nserver output:\n%s",
			c, len(l.added), len(l.acked), len(l.claimed), l.counter, strings.Join(problems, "\n"), srv.out)
	}
}

// TestSecondServerOnSameDirIsRefused checks that a second `pelican
// server` on a data directory in use exits with code 1 and a message
// saying why, while the first keeps serving.
func TestSecondServerOnSameDirIsRefused(t *testing.T) {
	dir := t.TempDir()
	first := startDurableServer(t, dir, "always")
	rdb := newClient(first.addr)
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	second := startServerProcess(t, dir, "always")
	if code := exitCode(t, second, serverStartTimeout); code != 1 {
		t.Errorf("the second server exited with code %d, want 1; output:\n%s", code, second.out)
	}
	out := second.out.String()
	for _, want := range []string{"data directory " + dir + " is in use by another process", "pelican.lock"} {
		if !strings.Contains(out, want) {
			t.Errorf("the second server's output does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "listening on") {
		t.Errorf("the second server listened:\n%s", out)
	}
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Errorf("the first server, after the second's attempt: GET k = %q, %v", got, err)
	}
	first.stop(t)
}
