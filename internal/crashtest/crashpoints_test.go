package crashtest

import (
	"context"
	"errors"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// crashSteps are the library's crash points (see crashPoint in the
// pelican package): every step of a message's life after which the state
// in the server changes, with the modes that reach it and which time the
// worker crashes there (PELICAN_CRASH_AFTER). Steps taken once per
// message crash on the third; those taken once per batch (failure
// records, dead-letter moves, acknowledgements) on the first, since a run
// of 25 messages may have only a couple of such batches.
var crashSteps = []struct {
	point       string
	atLeastOnce bool
	exactlyOnce bool
	after       int
}{
	// A success, before its acknowledgement is queued.
	{"handled", true, false, 3},
	// Successes about to be acknowledged with the next read.
	{"before-ack", true, false, 1},
	// The handler's writes, the done marker and the acknowledgement
	// about to be committed, and just committed.
	{"before-commit", false, true, 3},
	{"after-commit", false, true, 3},
	// A failure about to be recorded, and just recorded.
	{"before-record", true, true, 1},
	{"after-record", true, true, 1},
	// An unavailable dependency: the message about to be given back.
	{"before-give-back", true, true, 2},
	// A message about to be moved to the dead-letter stream, and just
	// moved.
	{"before-dead-letter", true, true, 1},
	{"after-dead-letter", true, true, 1},
}

// TestCrashAtEveryStep kills a worker, with SIGKILL, at each step of a
// message's life in turn, restarts it (under its name, replaying its
// pending messages, or under a new one, leaving them to be claimed) and
// checks what the random kills check: nothing lost, no side effect
// applied twice in exactly-once mode, every message failing on purpose
// dead-lettered exactly once, nothing left pending and no failure record
// left. The workers are built with -tags pelican_crashtest, which
// compiles the crash points in.
func TestCrashAtEveryStep(t *testing.T) {
	for bi, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			addr := b.start(t)
			for si, step := range crashSteps {
				for mi, m := range modes {
					if m.exactlyOnce && !step.exactlyOnce || !m.exactlyOnce && !step.atLeastOnce {
						continue
					}
					// Each step is restarted under both names across the
					// backends and modes.
					rename := (bi+si+mi)%2 == 1
					t.Run(step.point+"/"+m.name, func(t *testing.T) {
						t.Parallel()
						crashAtStep(t, addr, step.point, step.after, m.exactlyOnce, rename)
					})
				}
			}
		})
	}
}

// crashAtStep runs 25 messages, five of each kind, through a worker that
// crashes the after-th time it reaches point, then through its successor.
func crashAtStep(t *testing.T, addr, point string, after int, exactlyOnce, rename bool) {
	cfg := runConfig{messages: 25, workers: 1, deadline: 30 * time.Second, seed: rand.Uint64()}
	r := newRun(t, cfg, addr, exactlyOnce)
	stream := "step:" + point
	if exactlyOnce {
		stream += ":exactly-once"
	}
	r.keys.Stream, r.spec.stream = stream, stream
	kinds := []Kind{KindOK, KindFlaky, KindUnavailable, KindFail, KindPermanent}
	for n := range r.kinds {
		r.kinds[n] = kinds[n%len(kinds)]
	}
	r.rng.Shuffle(len(r.kinds), func(i, j int) { r.kinds[i], r.kinds[j] = r.kinds[j], r.kinds[i] })

	ctx, cancel := context.WithTimeout(context.Background(), cfg.deadline)
	defer cancel()
	r.began = time.Now()
	ids, err := r.publish(ctx)
	if err != nil {
		t.Fatalf("publishing: %v", err)
	}
	r.ids = ids
	for n, id := range ids {
		r.byID[id] = n
	}

	// The first worker crashes at the step.
	r.spec.binary = crashPointWorkerBinary
	r.spec.env = []string{"PELICAN_CRASH_AT=" + point, "PELICAN_CRASH_AFTER=" + strconv.Itoa(after)}
	r.startSlot(0)
	w := r.workers[0]
	if !w.wait(15 * time.Second) {
		t.Fatalf("the worker did not reach crash point %s %d times within 15s; output:\n%s", point, after, w.out)
	}
	var exit *exec.ExitError
	if !errors.As(w.err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the worker exited with %v, want SIGKILL at crash point %s; output:\n%s", w.err, point, w.out)
	}
	r.checkOutput(w)
	r.workers[0] = nil
	r.kills++
	if rename {
		r.gens[0]++
		r.newName++
	} else {
		r.sameName++
	}
	r.logf("%s (pid %d) crashed at %s; restarting as %s", w.name, w.cmd.Process.Pid, point, r.consumerName(0))

	// Its successor runs without crash points.
	r.spec.binary, r.spec.env = workerBinary, nil
	r.startSlot(0)
	last := running
	for {
		sleep(ctx, 20*time.Millisecond)
		if ctx.Err() != nil {
			t.Errorf("not every message was accounted for within %v of the crash at %s", cfg.deadline, point)
			r.diagnose()
			return
		}
		r.checkWorkers()
		p, err := r.look(ctx)
		if err != nil && ctx.Err() == nil {
			t.Fatalf("checking progress: %v", err)
		}
		if p == finished {
			break
		}
		if p == stuck && last == stuck {
			t.Errorf("messages lost after a crash at %s: nothing is pending and every entry was delivered, yet some are neither processed nor dead-lettered", point)
			r.diagnose()
			return
		}
		last = p
	}
	r.elapsed = time.Since(r.began)
	r.stopAll()
	r.report(r.check(context.Background()))
}
