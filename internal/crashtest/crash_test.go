package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
)

// runConfig sizes a run.
type runConfig struct {
	messages int
	workers  int
	deadline time.Duration
	seed     uint64
}

func configFromEnv(t *testing.T) runConfig {
	cfg := runConfig{messages: 10_000, workers: 4, deadline: 25 * time.Second, seed: rand.Uint64()}
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

// backends are the servers the crash tests run on: Pelican's server, which
// has the newer stream commands, and redis-server 7, where the library
// uses its fallbacks.
var backends = []struct {
	name  string
	start func(t *testing.T) string // returns the server's address
}{
	{"pelican-server", startPelicanServer},
	{"redis7", func(t *testing.T) string { return redistest.StartRedis(t).Addr }},
}

// modes are the workers' delivery modes.
var modes = []struct {
	name        string
	exactlyOnce bool
}{
	{"at-least-once", false},
	{"exactly-once", true},
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
	terms             int // graceful stops
	sameName, newName int
	schedule          []string
}

func newRun(t *testing.T, cfg runConfig, addr string, exactlyOnce bool) *run {
	logDir := t.TempDir()
	if d := os.Getenv(logDirEnv); d != "" {
		logDir = filepath.Join(d, strings.ReplaceAll(t.Name(), "/", "_"))
		if err := os.RemoveAll(logDir); err != nil {
			t.Fatal(err)
		}
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
	r.kill(slot, rename, down)
	if down == 0 {
		r.startSlot(slot)
	}
}

// kill kills slot's worker, choosing its next consumer name and when it
// restarts (at once if down is zero, which the caller does itself).
func (r *run) kill(slot int, rename bool, down time.Duration) {
	w := r.workers[slot]
	w.kill()
	r.checkOutput(w)
	r.workers[slot] = nil
	r.kills++
	if rename {
		r.gens[slot]++
		r.newName++
	} else {
		r.sameName++
	}
	r.logf("kill %s (pid %d), restart as %s after %v", w.name, w.cmd.Process.Pid, r.consumerName(slot), down)
	if down > 0 {
		r.downUntil[slot] = time.Now().Add(down)
	}
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
	action := r.rng.IntN(100)
	switch {
	case step == 0:
		r.killSlot(pick, 0, false)
	case step == 1:
		r.killSlot(pick, 0, true)
	case step == 2 || action < 10:
		// Every worker at once, as a lost host or a bad deploy would.
		r.massKills++
		r.logf("mass kill")
		for _, slot := range live {
			r.kill(slot, r.rng.IntN(100) < 30, 0)
		}
		for _, slot := range live {
			r.startSlot(slot)
		}
	case action < 25:
		// Down for a while: others must claim what it held, unless it
		// comes back under its name first.
		r.killSlot(pick, 300*time.Millisecond+r.duration(1200*time.Millisecond), r.rng.IntN(100) < 50)
	case action < 30:
		// Down for longer than DeadConsumerAfter, then back under its
		// name: another worker's janitor may have deleted the consumer.
		r.killSlot(pick, deadConsumerAfter+500*time.Millisecond+r.duration(time.Second), false)
	case action < 38:
		// A graceful restart: in-flight messages are finished or given
		// back.
		r.terminate(pick, 10*time.Second)
	case action < 43:
		// SIGTERM, then SIGKILL before the graceful shutdown is over.
		r.terminate(pick, r.duration(100*time.Millisecond))
	default:
		r.killSlot(pick, 0, r.rng.IntN(100) < 30)
	}
}

// deadConsumerAfter is the workers' DeadConsumerAfter.
var deadConsumerAfter = WorkerConfig("", "", "", nil, false).DeadConsumerAfter

// terminate sends SIGTERM to slot's worker, kills it if it has not exited
// within patience, and restarts it under the same name. A worker given
// 10s must have exited cleanly.
func (r *run) terminate(slot int, patience time.Duration) {
	w := r.workers[slot]
	if !w.waitReady(10 * time.Second) {
		r.t.Fatalf("worker %s (pid %d) did not get ready within 10s; output:\n%s", w.name, w.cmd.Process.Pid, w.out)
	}
	w.signal(syscall.SIGTERM)
	exited := w.wait(patience)
	if exited {
		r.terms++
		r.logf("stop %s (pid %d) with SIGTERM: exited", w.name, w.cmd.Process.Pid)
		if w.err != nil {
			r.t.Errorf("worker %s exited with %v after SIGTERM; output:\n%s", w.name, w.err, w.out)
		}
	} else {
		w.kill()
		r.kills++
		r.logf("stop %s (pid %d) with SIGTERM, SIGKILL after %v", w.name, w.cmd.Process.Pid, patience)
		if patience >= 10*time.Second {
			r.t.Errorf("worker %s did not stop within %v of SIGTERM", w.name, patience)
		}
	}
	r.checkOutput(w)
	r.sameName++
	r.startSlot(slot)
}

// checkOutput fails the test if a worker's output shows a data race
// (under the race detector) or a panic.
func (r *run) checkOutput(w *worker) {
	out := w.out.String()
	if strings.Contains(out, "WARNING: DATA RACE") || strings.Contains(out, "panic:") {
		r.t.Errorf("worker %s (pid %d) reported:\n%s", w.name, w.cmd.Process.Pid, out)
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

// publish publishes the messages in batches and returns their IDs.
func (r *run) publish(ctx context.Context) ([]string, error) {
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
			return nil, err
		}
		ids = append(ids, got...)
	}
	return ids, nil
}

// published is the outcome of publish.
type published struct {
	ids []string
	err error
}

// execute starts the workers, publishes the messages and kills workers
// until every message is accounted for, then stops the workers with
// SIGTERM. It fails the test if that takes longer than the deadline.
func (r *run) execute() {
	t := r.t
	r.began = time.Now()
	defer func() {
		if os.Getenv(logDirEnv) != "" {
			// Kept with the workers' logs, to read them side by side.
			_ = os.WriteFile(filepath.Join(r.spec.logDir, "schedule.txt"), []byte(strings.Join(r.schedule, "\n")+"\n"), 0o644)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.deadline)
	defer cancel()
	for slot := range r.workers {
		r.startSlot(slot)
	}
	pub := make(chan published, 1)
	go func() {
		ids, err := r.publish(ctx)
		pub <- published{ids, err}
	}()
	lastLook := running
	for step := 0; ; step++ {
		sleep(ctx, 50*time.Millisecond+r.duration(200*time.Millisecond))
		if ctx.Err() != nil {
			t.Errorf("seed %d: not every message was accounted for within %v", r.cfg.seed, r.cfg.deadline)
			r.diagnose()
			return
		}
		r.checkWorkers()
		if r.ids == nil {
			select {
			case p := <-pub:
				if p.err != nil {
					t.Fatalf("publishing: %v", p.err)
				}
				r.ids = p.ids
				for n, id := range p.ids {
					r.byID[id] = n
				}
			default:
			}
		}
		// The first steps are the fixed kills (see chaos).
		if r.ids != nil && step >= 3 {
			p, err := r.look(ctx)
			if err != nil && ctx.Err() == nil {
				t.Fatalf("checking progress: %v", err)
			}
			if p == finished {
				break
			}
			if p == stuck && lastLook == stuck {
				t.Errorf("seed %d: messages lost: nothing is pending and every entry was delivered, yet some are neither processed nor dead-lettered", r.cfg.seed)
				r.diagnose()
				return
			}
			lastLook = p
		}
		r.chaos(step)
	}
	r.elapsed = time.Since(r.began)
	r.stopAll()
}

// stopAll stops the workers gracefully with SIGTERM and checks that they
// exit cleanly within 10s.
func (r *run) stopAll() {
	var live []*worker
	for _, w := range r.workers {
		if w == nil {
			continue
		}
		if !w.waitReady(10 * time.Second) {
			r.t.Errorf("worker %s (pid %d) did not get ready within 10s; output:\n%s", w.name, w.cmd.Process.Pid, w.out)
		}
		w.signal(syscall.SIGTERM)
		live = append(live, w)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, w := range live {
		stopped := w.wait(time.Until(deadline))
		r.checkOutput(w)
		if !stopped {
			r.t.Errorf("worker %s did not stop within 10s of SIGTERM", w.name)
			w.kill()
		} else if w.err != nil {
			r.t.Errorf("worker %s: %v; output:\n%s", w.name, w.err, w.out)
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
