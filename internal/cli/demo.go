package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/engine"
)

// demoFlags are the flags of "pelican demo".
type demoFlags struct {
	orders, workers int
	dir, url        string
	seed            uint64
	timeout         time.Duration
}

// newDemoCommand returns "pelican demo": the whole story of reliable
// processing, run for real.
func newDemoCommand(stdout, stderr io.Writer) *cobra.Command {
	var f demoFlags
	var o *output
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Watch orders flow through retries, a killed worker, a restart and dead letters, none lost",
		Long: `Runs the whole story of reliable processing, for real, in about 20 seconds, with
nothing to install: an engine with a data directory (a temporary one unless --dir
is given), a producer publishing orders, and worker processes charging them.

Some orders time out at the payment gateway once and succeed on their retry; some
have no price or an unknown currency and end in the dead-letter stream after
their deliveries are spent. One worker process is killed with SIGKILL in the
middle of a batch, and the others claim its pending messages. The engine is
stopped and reopened from its directory while the workers run. Then the dead
letters are grouped by cause, a fix is deployed, and the dead letters it fixes
are redriven. The summary proves the count: published = acknowledged +
dead-lettered, nothing lost.

With --url it runs against a Redis-compatible server instead (its streams are
named for the run, so nothing of yours is touched; the restart step is skipped).`,
		Example: `  pelican demo
  pelican demo --orders 10000 --workers 5
  pelican demo --dir ./demo-data            # keep the data, to look at afterwards
  pelican demo --url redis://127.0.0.1:6379
  pelican demo --json | jq '{published, acknowledged, dead_lettered, lost}'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.validate(cmd); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runDemo(ctx, &f, o, stderr)
		},
	}
	o = addOutputFlags(cmd, stdout)
	fs := cmd.Flags()
	fs.IntVar(&f.orders, "orders", 6000, "how many orders to publish (at least 100)")
	fs.IntVar(&f.workers, "workers", 3, "how many worker processes to run (2 to 16)")
	fs.StringVar(&f.dir, "dir", "", "keep the engine's data in this directory, and leave it there (default: a temporary directory, removed at the end)")
	fs.StringVar(&f.url, "url", "", "run against this Redis-compatible server instead of the embedded engine: redis://host:port[/db]")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of the orders' kinds, to replay a run (default: a random one, printed)")
	durationVar(fs, &f.timeout, "timeout", 2*time.Minute, "give up if the demo has not finished by then")
	_ = cmd.MarkFlagDirname("dir")
	cmd.AddCommand(newDemoWorkerCommand(stdout, stderr))
	return cmd
}

// validate checks the flags, as usage errors.
func (f *demoFlags) validate(cmd *cobra.Command) error {
	switch {
	case f.url != "" && f.dir != "":
		return usageErrorf("give --url or --dir, not both: --dir is the embedded engine's data directory")
	case f.orders < 100:
		return usageErrorf("--orders %d: give at least 100, so that every kind of order shows up", f.orders)
	case f.workers < 2 || f.workers > 16:
		return usageErrorf("--workers %d: give 2 to 16 (one is killed, the others take over)", f.workers)
	case f.timeout <= 0:
		return usageErrorf("--timeout %s: give a positive duration", durationText(f.timeout))
	}
	if !cmd.Flags().Changed("seed") {
		f.seed = randomSeed()
	}
	return nil
}

// randomSeed returns a seed short enough to type again.
func randomSeed() uint64 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return uint64(b[0])<<16 | uint64(b[1])<<8 | uint64(b[2]) + 1
}

// demo is one run of the demo.
type demo struct {
	f     *demoFlags
	view  *demoView
	keys  demoKeys
	start time.Time

	bin string          // the executable the workers run
	url string          // where the workers reach the server
	eng *demoEngine     // the embedded engine; nil with --url
	rdb *redis.Client   // the demo's own client of the server
	c   *pelican.Client // the same, for the dead-letter operations
	log *slog.Logger    // the engine's warnings

	procs     []*demoProc // the worker processes, w1 first
	published atomic.Int64
	phase     atomic.Value // string: what the status line says is going on
	sum       demoSummary
}

// runDemo runs the demo and prints its summary, or with --json only the
// summary, as JSON (the progress then goes to stderr).
func runDemo(ctx context.Context, f *demoFlags, o *output, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	progress := o.w
	if o.json {
		progress = stderr
	}
	d := &demo{f: f, start: time.Now(), keys: demoKeys{run: runID()}}
	d.view = newDemoView(progress, d.start)
	d.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d.phase.Store("start")
	cleanup, err := d.setUp(ctx)
	defer cleanup()
	if err != nil {
		return err
	}
	err = d.run(ctx)
	d.view.end()
	if err != nil {
		switch {
		case errors.Is(context.Cause(ctx), context.DeadlineExceeded):
			return fmt.Errorf("the demo did not finish within --timeout %s: %w", durationText(f.timeout), err)
		case ctx.Err() != nil:
			return fmt.Errorf("%w (after %.1fs)", context.Cause(ctx), time.Since(d.start).Seconds())
		}
		return err
	}
	if o.json {
		d.sum.settle(f.dir != "")
		if err := o.printJSON(d.sum); err != nil {
			return err
		}
		if d.eng == nil {
			d.view.say(0, "%s", d.keysLeftNote())
		}
	} else {
		d.printSummary(o)
	}
	if !d.sum.proven() {
		return exitCode(1)
	}
	return nil
}

// runID returns a short random name for a run's keys.
func runID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// setUp opens the engine (or reaches --url) and returns what undoes it,
// worker processes included, to be called whatever happens.
func (d *demo) setUp(ctx context.Context) (cleanup func(), err error) {
	var undo []func()
	cleanup = func() {
		for _, p := range d.procs {
			p.kill()
		}
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	if d.bin, err = executable(); err != nil {
		return cleanup, err
	}
	if d.f.url != "" {
		rdb, addr, err := dialURL(d.f.url, 5*time.Second)
		if err != nil {
			return cleanup, usageErrorf("--url: %v", err)
		}
		client, ok := rdb.(*redis.Client)
		if !ok {
			rdb.Close()
			return cleanup, usageErrorf("--url: the demo runs against a single server: give a redis:// URL")
		}
		d.rdb, d.url = client, d.f.url
		undo = append(undo, func() { client.Close() })
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := client.Ping(pctx).Err(); err != nil {
			return cleanup, explainConnect(err, addr, 5*time.Second)
		}
		d.sum.Server = redactURL(d.f.url)
	} else {
		dir := d.f.dir
		if dir == "" {
			if dir, err = os.MkdirTemp("", "pelican-demo-"); err != nil {
				return cleanup, fmt.Errorf("making a temporary data directory: %w", err)
			}
			undo = append(undo, func() { os.RemoveAll(dir) })
		} else if err := os.MkdirAll(dir, 0o755); err != nil {
			return cleanup, fmt.Errorf("data directory: %w", err)
		}
		eng, err := startDemoEngine(dir, d.log)
		if errors.Is(err, engine.ErrDirInUse) {
			return cleanup, fmt.Errorf("data directory %s is in use by another process: give the demo another --dir, or none", dir)
		}
		if err != nil {
			return cleanup, err
		}
		undo = append(undo, func() { eng.stop() })
		d.eng, d.url = eng, "redis://"+eng.addr
		d.rdb = redis.NewClient(&redis.Options{Addr: eng.addr})
		undo = append(undo, func() { d.rdb.Close() })
		d.sum.Server, d.sum.Dir, d.sum.Embedded = eng.addr, dir, true
	}
	d.c = pelican.New(d.rdb, pelican.Options{Logger: d.log})
	return cleanup, nil
}

// run tells the story, step by step.
func (d *demo) run(ctx context.Context) error {
	d.sum.Orders, d.sum.Workers, d.sum.Seed, d.sum.Stream = d.f.orders, d.f.workers, d.f.seed, d.keys.stream()
	d.introduce()
	if err := d.startWorkers(ctx, false); err != nil {
		return err
	}
	stopStatus := d.showStatus(ctx)
	defer stopStatus()
	if err := d.publish(ctx); err != nil {
		return err
	}
	c, err := d.drain(ctx)
	if err != nil {
		return err
	}
	d.view.step("drained", "nothing pending: %d orders charged, %d dead-lettered", c.Charged, c.DeadLetters)
	if err := d.triageAndRedrive(ctx); err != nil {
		return err
	}
	d.phase.Store("stop")
	if err := d.stopWorkers(); err != nil {
		return err
	}
	stopStatus()
	return d.tally(ctx)
}

// introduce says what is about to happen.
func (d *demo) introduce() {
	v := d.view
	where := "one embedded engine"
	if d.eng == nil {
		where = "the server at --url"
	}
	v.sayStyled(headStyle, fmt.Sprintf("Pelican demo: %d orders, %d worker processes, %s. Watch for what gets lost.", d.f.orders, d.f.workers, where))
	const hang = 11 // under the text after the labels
	if d.eng != nil {
		v.say(hang, "  engine   embedded, listening on %s, data in %s", d.eng.addr, d.eng.dir)
	} else {
		v.say(hang, "  server   %s", d.sum.Server)
	}
	v.say(hang, "  stream   %s, group %s; dead letters go to %s after %d failed deliveries", d.keys.stream(), demoGroup, d.keys.deadLetters(), demoMaxDeliveries)
	v.say(hang, "  orders   ~10%% time out at the payment gateway once; ~3%% have no price; ~2%% an unknown currency (--seed %d)", d.f.seed)
	v.say(0, "")
}

// startWorkers starts the worker processes w1, w2, ..., with the fix or
// without it.
func (d *demo) startWorkers(ctx context.Context, priceLookup bool) error {
	d.procs = d.procs[:0]
	var pids []string
	for i := 1; i <= d.f.workers; i++ {
		name := "w" + strconv.Itoa(i)
		args := []string{"demo", "worker", "--url", d.url, "--run", d.keys.run, "--name", name}
		if priceLookup {
			args = append(args, "--price-lookup")
		}
		p, err := startDemoProc(ctx, name, d.bin, args...)
		if err != nil {
			return err
		}
		d.procs = append(d.procs, p)
		pids = append(pids, fmt.Sprintf("%s (pid %d)", name, p.pid()))
	}
	if !priceLookup {
		d.view.step("start", "%d worker processes: %s; 4 handlers each, charges committed exactly once", len(pids), strings.Join(pids, ", "))
	}
	return nil
}

// stopWorkers stops every worker process with SIGTERM.
func (d *demo) stopWorkers() error {
	var errs []error
	for _, p := range d.procs {
		errs = append(errs, p.stop(10*time.Second))
	}
	return errors.Join(errs...)
}

// showStatus refreshes the status line until the returned function is
// called: every 250ms, and right after a step is printed, so that it
// never lags behind the steps.
func (d *demo) showStatus(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	kick := make(chan struct{}, 1)
	d.view.mu.Lock()
	d.view.refresh = func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	d.view.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		// The rates are over the last second or so: from the newest
		// sample at least a second old.
		var samples []demoSample
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-kick:
			}
			lines := d.view.linesPrinted()
			c, err := countDemo(ctx, d.rdb, d.keys)
			if err != nil {
				continue // the engine is restarting
			}
			s := demoSample{at: time.Now(), published: d.published.Load(), charged: c.Charged}
			samples = append(samples, s)
			for len(samples) > 2 && s.at.Sub(samples[1].at) >= time.Second {
				samples = samples[1:]
			}
			d.view.setStatus(lines, d.phase.Load().(string), d.statusParts(samples[0], s, c))
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			d.view.mu.Lock()
			d.view.refresh = nil
			d.view.mu.Unlock()
			d.view.end()
		})
	}
}

// statusParts are the parts of the status line: "4,000 of 6,000
// published (400/s) · 3,900 charged (398/s) · 12 pending · 150 dead
// letters", the rates from base to s. Ranked so that a narrow terminal
// loses the rates first, then the totals, then pending, and keeps the
// dead letters.
func (d *demo) statusParts(base, s demoSample, c demoCounts) []statusPart {
	return []statusPart{
		{"", fmt.Sprintf("%s of %s published", thousands(s.published), thousands(int64(d.f.orders))), 4},
		{" ", "(" + base.rate(s, s.published, base.published) + ")", 2},
		{" · ", thousands(c.Charged) + " charged", 5},
		{" ", "(" + base.rate(s, s.charged, base.charged) + ")", 1},
		{" · ", thousands(c.Pending) + " pending", 7},
		{" · ", countWith(c.DeadLetters, "dead letter", "dead letters"), 8},
	}
}

// preciseMillis writes a short measured time precisely: "12 ms",
// "1.25 s".
func preciseMillis(ms int64) string {
	switch {
	case ms < 1:
		return "under 1 ms"
	case ms < 1000:
		return fmt.Sprintf("%d ms", ms)
	}
	return fmt.Sprintf("%.2f s", float64(ms)/1000)
}

// demoSample is what the status line computes rates from.
type demoSample struct {
	at                 time.Time
	published, charged int64
}

// rate formats the rate from s (the earlier sample) to now.
func (s demoSample) rate(now demoSample, n, was int64) string {
	dt := now.at.Sub(s.at).Seconds()
	if dt <= 0 {
		return "-/s"
	}
	return fmt.Sprintf("%.0f/s", math.Max(0, float64(n-was)/dt))
}
