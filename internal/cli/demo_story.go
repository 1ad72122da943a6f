package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/dlq"
)

// The steps of the demo that change something: publishing (with the crash
// and the restart on the way), draining, and the dead letters' triage,
// fix and redrive.

// publishRate is how many orders a second the producer publishes, unless
// that would take under publishAtLeast.
const (
	publishRate    = 400
	publishAtLeast = 2 * time.Second
)

// publish publishes the orders at a steady rate. A quarter of the way
// through, it kills a worker; at 60%, it restarts the engine.
func (d *demo) publish(ctx context.Context) error {
	rate := min(float64(publishRate), float64(d.f.orders)/publishAtLeast.Seconds())
	d.phase.Store("publish")
	d.view.step("publish", "the producer publishes %d orders at %.0f/s", d.f.orders, rate)
	crashAt, restartAt := d.f.orders/4, d.f.orders*6/10
	var claimed <-chan error
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	t0, done := time.Now(), 0
	for done < d.f.orders {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		due := min(d.f.orders, int(time.Since(t0).Seconds()*rate))
		if due <= done {
			continue
		}
		batch := make([]map[string]string, 0, due-done)
		for n := done + 1; n <= due; n++ {
			batch = append(batch, order(d.f.seed, n))
		}
		if _, err := d.c.PublishBatch(ctx, d.keys.stream(), batch, nil); err != nil {
			return fmt.Errorf("publishing orders %d to %d: %w", done+1, due, err)
		}
		done = due
		d.published.Store(int64(done))
		switch {
		case claimed == nil && done >= crashAt:
			var err error
			if claimed, err = d.crash(ctx); err != nil {
				return err
			}
		case !d.sum.Restarted && d.sum.RestartSkipped == "" && done >= restartAt:
			paused := time.Now()
			if err := d.restart(ctx); err != nil {
				return err
			}
			t0 = t0.Add(time.Since(paused)) // the producer waited meanwhile
		}
	}
	d.sum.Published = done
	d.view.step("publish", "all %d orders published", done)
	if claimed != nil {
		return <-claimed
	}
	return nil
}

// crashVictim is the worker killed: the second.
const crashVictim = 1

// crash kills a worker process with SIGKILL while it holds pending
// messages, and returns a channel that receives nil once the others have
// claimed them all (or an error if they do not within a limit).
func (d *demo) crash(ctx context.Context) (<-chan error, error) {
	p := d.procs[crashVictim]
	held := func() (int64, error) {
		sum, err := d.rdb.XPending(ctx, d.keys.stream(), demoGroup).Result()
		if err != nil {
			return 0, fmt.Errorf("XPENDING %s %s: %w", d.keys.stream(), demoGroup, err)
		}
		return sum.Consumers[p.name], nil
	}
	// Wait until it holds messages, read and not yet acknowledged; freeze
	// it to be sure it still does, and kill it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := held()
		if err != nil {
			return nil, err
		}
		if n > 0 {
			frozen := p.freeze()
			if n, err = held(); err != nil || n > 0 || !frozen {
				break
			}
			p.thaw()
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("worker %s never held a pending message in 10s: is it running? %s", p.name, p.out.String())
		}
		time.Sleep(time.Millisecond)
	}
	p.kill()
	killed := time.Now()
	n, err := held() // what it held when it died: it cannot change any more
	if err != nil {
		return nil, err
	}
	d.sum.Killed, d.sum.Claimed = p.name, n
	d.view.step("crash", "SIGKILL to %s (pid %d) in the middle of a batch: it held %d messages, read but not acknowledged", p.name, p.pid(), n)
	claimed := make(chan error, 1)
	go func() {
		limit := 10 * demoClaimMinIdle
		for {
			n, err := held()
			if err == nil && n == 0 {
				d.sum.ClaimMs = millis(time.Since(killed))
				d.view.step("claim", "the other workers took over %s's %d pending messages %s after the kill: its heartbeats stopped and its process is gone", p.name, d.sum.Claimed, preciseMillis(d.sum.ClaimMs))
				claimed <- nil
				return
			}
			if time.Since(killed) > limit || ctx.Err() != nil {
				claimed <- fmt.Errorf("%s's pending messages were not claimed within %s (%d left)", p.name, durationText(limit), n)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return claimed, nil
}

// restart stops the engine and reopens it from its directory, with the
// workers running; against --url it says why it does not.
func (d *demo) restart(ctx context.Context) error {
	if d.eng == nil {
		d.sum.RestartSkipped = "the server at --url is not the demo's to stop"
		d.view.step("restart", "skipped: the server at %s is not the demo's to stop", d.sum.Server)
		return nil
	}
	d.phase.Store("restart")
	t0 := time.Now()
	before, after, err := d.eng.restart(ctx, d.keys)
	if err != nil {
		return fmt.Errorf("restarting the engine: %w", err)
	}
	d.sum.Restarted, d.sum.RestartBefore, d.sum.RestartAfter = true, &before, &after
	d.sum.RestartMatched = before == after
	d.view.step("restart", "engine stopped (every client disconnected, data fsynced) and reopened from %s in %s", d.eng.dir, preciseMillis(millis(time.Since(t0))))
	d.view.more("before: %s", before)
	d.view.more("after:  %s  %s", after, map[bool]string{true: "(the same)", false: "DIFFERENT"}[d.sum.RestartMatched])
	if !d.sum.RestartMatched {
		return fmt.Errorf("the engine reopened with other contents than it closed with: before %s, after %s", before, after)
	}
	// The producer's connections went with the old engine: wait for the
	// new one to answer before publishing on.
	for d.rdb.Ping(ctx).Err() != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.phase.Store("publish")
	return nil
}

// String describes the counts, for the restart step.
func (c demoCounts) String() string {
	return fmt.Sprintf("%d entries (last %s), %d pending, %d dead letters, %d orders charged", c.Entries, c.LastID, c.Pending, c.DeadLetters, c.Charged)
}

// drain waits until every published order is charged or dead-lettered
// and nothing is pending.
func (d *demo) drain(ctx context.Context) (demoCounts, error) {
	d.phase.Store("drain")
	limit := time.Now().Add(60 * time.Second)
	for {
		c, err := countDemo(ctx, d.rdb, d.keys)
		if err == nil && c.Pending == 0 && c.Charged+c.DeadLetters >= int64(d.sum.Published) {
			return c, nil
		}
		if time.Now().After(limit) {
			return c, fmt.Errorf("the workers did not finish within 60s: %s", c)
		}
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// triageAndRedrive groups the dead letters by cause, deploys the fix of
// one cause, and redrives the dead letters of that cause alone.
func (d *demo) triageAndRedrive(ctx context.Context) error {
	d.phase.Store("triage")
	q := dlq.ForStream(d.c, d.keys.stream())
	groups, err := q.Failures(ctx, dlq.Selector{All: true})
	if err != nil {
		return fmt.Errorf("grouping the dead letters by cause: %w", err)
	}
	d.view.step("triage", "the dead letters, grouped by cause (numbers and quoted values stripped):")
	var fix *dlq.FailureGroup
	for i, g := range groups {
		d.sum.Causes = append(d.sum.Causes, demoCause{Cause: g.Text, Count: g.Count, Fingerprint: g.Fingerprint, Sample: g.Sample.Error})
		d.view.more("%5d  %-24s e.g. order %s: %s, after %s", g.Count, g.Text, g.Sample.Values["order"], g.Sample.Error, plural(g.Sample.Deliveries, "delivery", "deliveries"))
		if strings.HasPrefix(g.Text, "price missing") {
			fix = &groups[i]
		}
	}
	if fix == nil {
		d.view.step("redrive", "no order lacked a price in this run: nothing to fix and redrive")
		return nil
	}
	d.phase.Store("deploy")
	if err := d.stopWorkers(); err != nil {
		return err
	}
	if err := d.startWorkers(ctx, true); err != nil {
		return err
	}
	d.view.step("deploy", "the fix is out: %d workers restarted with prices looked up in the catalogue", len(d.procs))
	d.phase.Store("redrive")
	job, err := q.Redrive(ctx, dlq.Selector{Fingerprint: fix.Fingerprint}, dlq.RedriveOptions{})
	if err != nil {
		return fmt.Errorf("redriving %q: %w", fix.Text, err)
	}
	p, err := job.Wait(ctx)
	if err != nil {
		return fmt.Errorf("redriving %q: %w", fix.Text, err)
	}
	d.sum.Redriven, d.sum.RedrivenCause = p.Moved, fix.Text
	d.view.step("redrive", "%d dead letters %q sent back to %s; the others stay: their data is bad", p.Moved, fix.Text, d.keys.stream())
	c, err := d.drain(ctx)
	if err != nil {
		return err
	}
	d.view.step("drained", "the redriven orders were charged: %d orders charged, %d dead letters left", c.Charged, c.DeadLetters)
	return nil
}

// tally counts, order by order, where each published order ended up.
func (d *demo) tally(ctx context.Context) error {
	charged, err := d.rdb.SMembersMap(ctx, d.keys.charged()).Result()
	if err != nil {
		return fmt.Errorf("reading the charged orders: %w", err)
	}
	dead := map[string]bool{}
	q := dlq.ForStream(d.c, d.keys.stream())
	after := ""
	for {
		entries, next, err := q.List(ctx, dlq.Selector{All: true}, dlq.ListOptions{After: after, Limit: 1000})
		if err != nil {
			return fmt.Errorf("reading the dead letters: %w", err)
		}
		for _, e := range entries {
			dead[e.Values["order"]] = true
		}
		if next == "" {
			break
		}
		after = next
	}
	s := &d.sum
	for n := 1; n <= s.Published; n++ {
		id := fmt.Sprint(n)
		_, ok := charged[id]
		switch {
		case ok && dead[id]:
			s.Both++
		case ok:
			s.Acknowledged++
		case dead[id]:
			s.DeadLettered++
		default:
			s.Lost++
		}
	}
	return d.tallyCounters(ctx)
}

// tallyCounters reads the handler's counters, duplicates and what is
// left pending.
func (d *demo) tallyCounters(ctx context.Context) error {
	var (
		counters *redis.MapStringStringCmd
		charges  *redis.StringSliceCmd
		pending  *redis.XPendingCmd
	)
	_, err := d.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		counters = p.HGetAll(ctx, d.keys.counters())
		charges = p.HVals(ctx, d.keys.charges())
		pending = p.XPending(ctx, d.keys.stream(), demoGroup)
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading the counters: %w", err)
	}
	s := &d.sum
	fmt.Sscan(counters.Val()[demoRetries], &s.Retries)
	fmt.Sscan(counters.Val()[demoTimeouts], &s.TransientFailures)
	for _, v := range charges.Val() {
		var n int64
		fmt.Sscan(v, &n)
		s.Duplicates += n - 1
	}
	s.Pending = pending.Val().Count
	s.ElapsedMs = millis(time.Since(d.start))
	return nil
}

// plural says "1 delivery", "3 deliveries".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
