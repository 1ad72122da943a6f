package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// Environment variables that change a run.
const (
	// longEnv set to 1 (test.sh --long) runs 100k messages instead of 10k.
	longEnv = "PELICAN_LONG"
	// seedEnv fixes the seed of the message kinds and the kill schedule,
	// to replay a failed run's schedule.
	seedEnv = "PELICAN_CRASH_SEED"
	// logDirEnv keeps the workers' logs in this directory instead of a
	// temporary one.
	logDirEnv = "PELICAN_CRASH_LOGS"
	// knownBugsEnv set to 1 also fails on the library's known bugs: the
	// tests that demonstrate them run, and the crash test checks what
	// they break.
	knownBugsEnv = "PELICAN_CRASH_KNOWN_BUGS"
)

// runConfig sizes a run.
type runConfig struct {
	messages int
	workers  int
	deadline time.Duration
	seed     uint64
}

func configFromEnv(t *testing.T) runConfig {
	cfg := runConfig{messages: 10_000, workers: 4, deadline: 30 * time.Second, seed: rand.Uint64()}
	if os.Getenv(longEnv) == "1" {
		cfg.messages, cfg.deadline = 100_000, 5*time.Minute
	}
	if s := os.Getenv(seedEnv); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", seedEnv, s, err)
		}
		cfg.seed = seed
	}
	return cfg
}

// TestWorkersSurviveRandomKills runs messages through several worker
// processes while killing them with SIGKILL at random, and checks that
// every message meant to succeed was processed (exactly once in
// exactly-once mode), that every message failing on purpose is in the
// dead-letter stream exactly once and was never processed, and that
// nothing is left pending: on Pelican's server (which has the newer stream
// commands) and on redis-server 7 (the fallbacks), in both modes.
func TestWorkersSurviveRandomKills(t *testing.T) {
	cfg := configFromEnv(t)
	backends := []struct {
		name  string
		start func(t *testing.T) string
	}{
		{"pelican-server", startPelicanServer},
		{"redis7", func(t *testing.T) string { return redistest.StartRedis(t).Addr }},
	}
	modes := []struct {
		name        string
		exactlyOnce bool
	}{
		{"at-least-once", false},
		{"exactly-once", true},
	}
	for _, b := range backends {
		for _, m := range modes {
			t.Run(b.name+"/"+m.name, func(t *testing.T) {
				r := newRun(t, cfg, b.start(t), m.exactlyOnce)
				r.execute()
				if !t.Failed() {
					r.verify()
				}
			})
		}
	}
}

// run is one crash run against one server.
type run struct {
	t           *testing.T
	cfg         runConfig
	rng         *rand.Rand
	rdb         *redis.Client
	keys        Keys
	group       string
	exactlyOnce bool
	spec        workerSpec

	kinds []Kind
	ids   []string       // published IDs, by message number
	byID  map[string]int // message number, by published ID

	workers   []*worker   // by slot; nil while the slot is down
	downUntil []time.Time // when a downed slot comes back
	gens      []int       // by slot: how many consumer names it has had

	began             time.Time
	elapsed           time.Duration
	kills, massKills  int
	sameName, newName int
	schedule          []string
}

func newRun(t *testing.T, cfg runConfig, addr string, exactlyOnce bool) *run {
	logDir := t.TempDir()
	if d := os.Getenv(logDirEnv); d != "" {
		logDir = filepath.Join(d, strings.ReplaceAll(t.Name(), "/", "_"))
		if err := os.MkdirAll(logDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	r := &run{
		t: t, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.seed, 0)), rdb: rdb,
		keys: Keys{Stream: "crash"}, group: "g", exactlyOnce: exactlyOnce,
		workers: make([]*worker, cfg.workers), downUntil: make([]time.Time, cfg.workers),
		gens: make([]int, cfg.workers), byID: make(map[string]int, cfg.messages),
	}
	r.spec = workerSpec{addr: addr, stream: r.keys.Stream, group: r.group, exactlyOnce: exactlyOnce, logDir: logDir}
	r.kinds = make([]Kind, cfg.messages)
	for i := range r.kinds {
		switch p := r.rng.IntN(100); {
		case p < 4:
			r.kinds[i] = KindFail
		case p < 6:
			r.kinds[i] = KindPermanent
		case p < 9:
			r.kinds[i] = KindFlaky
		case p < 11:
			r.kinds[i] = KindUnavailable
		default:
			r.kinds[i] = KindOK
		}
	}
	t.Cleanup(func() {
		for _, w := range r.workers {
			if w != nil {
				w.kill()
			}
		}
	})
	return r
}

// duration returns a random duration in [0, d).
func (r *run) duration(d time.Duration) time.Duration {
	return time.Duration(r.rng.Int64N(int64(d)))
}

// consumerName names slot's current consumer.
func (r *run) consumerName(slot int) string {
	return fmt.Sprintf("w%d.%d", slot, r.gens[slot])
}

func (r *run) startSlot(slot int) {
	w, err := startWorker(r.t, r.spec, slot, r.consumerName(slot))
	if err != nil {
		r.t.Fatal(err)
	}
	r.workers[slot] = w
}

func (r *run) logf(format string, args ...any) {
	now := time.Now()
	r.schedule = append(r.schedule, fmt.Sprintf("%6dms (%s) ", now.Sub(r.began).Milliseconds(), now.UTC().Format("15:04:05.000"))+fmt.Sprintf(format, args...))
}

// killSlot kills slot's worker with SIGKILL. The slot restarts after
// down (at once if zero), under the same consumer name (replaying its own
// pending messages) or a new one (leaving them to be claimed by others).
func (r *run) killSlot(slot int, down time.Duration, rename bool) {
	w := r.workers[slot]
	w.kill()
	r.workers[slot] = nil
	r.kills++
	old := w.name
	if rename {
		r.gens[slot]++
		r.newName++
	} else {
		r.sameName++
	}
	r.logf("kill %s (pid %d), restart as %s after %v", old, w.cmd.Process.Pid, r.consumerName(slot), down)
	if down == 0 {
		r.startSlot(slot)
		return
	}
	r.downUntil[slot] = time.Now().Add(down)
}

// liveSlots returns the slots with a running worker.
func (r *run) liveSlots() []int {
	var live []int
	for slot, w := range r.workers {
		if w != nil {
			live = append(live, slot)
		}
	}
	return live
}

// chaos takes the step-th action of the kill schedule. The first three
// are fixed, so that every run has a restart under the same name, one
// under a new name and a mass kill; the rest are random.
func (r *run) chaos(step int) {
	live := r.liveSlots()
	if len(live) == 0 {
		return
	}
	pick := live[r.rng.IntN(len(live))]
	switch {
	case step == 0:
		r.killSlot(pick, 0, false)
	case step == 1:
		r.killSlot(pick, 0, true)
	case step == 2 || r.rng.IntN(100) < 10:
		r.massKills++
		r.logf("mass kill")
		for _, slot := range live {
			r.killSlot(slot, 0, r.rng.IntN(100) < 30)
		}
	case r.rng.IntN(100) < 20:
		// Down for a while: others must claim what it held, unless it
		// comes back under its name first.
		r.killSlot(pick, 300*time.Millisecond+r.duration(1200*time.Millisecond), r.rng.IntN(100) < 50)
	default:
		r.killSlot(pick, 0, r.rng.IntN(100) < 30)
	}
}

// checkWorkers fails the test if a worker exited without being killed,
// and restarts the slots whose downtime is over.
func (r *run) checkWorkers() {
	for slot, w := range r.workers {
		if w != nil && w.hasExited() {
			r.t.Fatalf("worker %s exited by itself (%v); output:\n%s", w.name, w.err, w.out)
		}
		if w == nil && !r.downUntil[slot].IsZero() && time.Now().After(r.downUntil[slot]) {
			r.downUntil[slot] = time.Time{}
			r.logf("restart %s", r.consumerName(slot))
			r.startSlot(slot)
		}
	}
}

// publish publishes the messages in batches.
func (r *run) publish(ctx context.Context) error {
	c := pelican.New(r.rdb, pelican.Options{})
	ids := make([]string, 0, r.cfg.messages)
	const batchSize = 500
	for start := 0; start < r.cfg.messages; start += batchSize {
		end := min(start+batchSize, r.cfg.messages)
		batch := make([]map[string]string, 0, end-start)
		for n := start; n < end; n++ {
			batch = append(batch, map[string]string{FieldN: strconv.Itoa(n), FieldKind: string(r.kinds[n])})
		}
		got, err := c.PublishBatch(ctx, r.keys.Stream, batch, nil)
		if err != nil {
			return err
		}
		ids = append(ids, got...)
	}
	r.ids = ids
	for n, id := range ids {
		r.byID[id] = n
	}
	return nil
}

// execute starts the workers, publishes the messages and kills workers
// until every message is accounted for, then stops the workers with
// SIGTERM.
func (r *run) execute() {
	t := r.t
	r.began = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.deadline)
	defer cancel()
	for slot := range r.workers {
		r.startSlot(slot)
	}
	published := make(chan error, 1)
	go func() { published <- r.publish(ctx) }()
	done := false
	for step := 0; ; {
		sleep(ctx, 50*time.Millisecond+r.duration(200*time.Millisecond))
		if ctx.Err() != nil {
			t.Errorf("seed %d: not every message was accounted for within %v", r.cfg.seed, r.cfg.deadline)
			r.diagnose()
			return
		}
		r.checkWorkers()
		if published != nil {
			select {
			case err := <-published:
				if err != nil {
					t.Fatalf("publishing: %v", err)
				}
				published = nil
			default:
			}
		}
		if published == nil && step >= 3 {
			ok, err := r.accounted(ctx)
			if err != nil && ctx.Err() == nil {
				t.Fatalf("checking progress: %v", err)
			}
			if ok {
				done = true
				break
			}
		}
		r.chaos(step)
		step++
	}
	r.elapsed = time.Since(r.began)
	if os.Getenv(logDirEnv) != "" {
		// Kept with the workers' logs, to read them side by side.
		_ = os.WriteFile(filepath.Join(r.spec.logDir, "schedule.txt"), []byte(strings.Join(r.schedule, "\n")+"\n"), 0o644)
	}
	if !done {
		return
	}
	for _, w := range r.workers {
		if w == nil {
			continue
		}
		if !w.terminate(10 * time.Second) {
			t.Errorf("worker %s did not stop within 10s of SIGTERM", w.name)
		} else if w.err != nil {
			t.Errorf("worker %s: %v; output:\n%s", w.name, w.err, w.out)
		}
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
	case <-ctx.Done():
	}
}
