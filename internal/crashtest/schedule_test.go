package crashtest

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// The crash test of scheduled messages: a mover process
// (cmd/crashscheduler, built with the crash points) is killed with
// SIGKILL at each step of a move, the first time or midway through the
// backlog, with the script and with the WATCH form; a second process then
// moves what is left. Every message must be in the stream exactly once,
// and nothing left in the due-time index.

var (
	schedulerBuild    sync.Once
	schedulerBin      string
	schedulerBuildErr error
)

// schedulerBinary builds cmd/crashscheduler with the crash points, once
// per test binary.
func schedulerBinary(t *testing.T) string {
	t.Helper()
	dir := binaries(t)
	schedulerBuild.Do(func() {
		schedulerBin = filepath.Join(dir, "crashscheduler")
		args := []string{"build", "-tags", "pelican_crashtest", "-o", schedulerBin, "github.com/pelicanhq/pelican/internal/crashtest/cmd/crashscheduler"}
		if raceEnabled {
			args = append([]string{"build", "-race"}, args[1:]...)
		}
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			schedulerBuildErr = fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	})
	if schedulerBuildErr != nil {
		t.Fatalf("building crashscheduler: %v", schedulerBuildErr)
	}
	return schedulerBin
}

// The mover's crash points (see scheduler.go), and after how many visits
// it dies there: at the first step, and midway through the backlog.
var scheduleSteps = []struct {
	point string
	after int
}{
	{"before-schedule-move", 1},
	{"before-schedule-move", 5},
	{"after-schedule-move", 1},
	{"after-schedule-move", 5},
}

func TestScheduledMoveSurvivesCrashAtEveryStep(t *testing.T) {
	bin := schedulerBinary(t)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			addr := b.start(t)
			for _, fallbacks := range []bool{false, true} {
				for i, step := range scheduleSteps {
					name := fmt.Sprintf("%s-%d/script", step.point, step.after)
					if fallbacks {
						name = fmt.Sprintf("%s-%d/watch", step.point, step.after)
					}
					stream := fmt.Sprintf("{sched%d-%v}", i, fallbacks)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						crashMove(t, bin, addr, stream, step.point, step.after, fallbacks)
					})
				}
			}
		})
	}
}

// crashMove schedules 500 messages, already due, on stream; runs a mover
// that dies at point the after-th time; checks the state it left; runs a
// mover to the end; and checks that every message was moved once.
func crashMove(t *testing.T, bin, addr, stream, point string, after int, fallbacks bool) {
	const n = 500
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	c := pelican.New(rdb, pelican.Options{})
	batch := make([]map[string]string, n)
	for i := range batch {
		batch[i] = map[string]string{FieldN: strconv.Itoa(i)}
	}
	// Two due times, so that the mover's steps cross from one to the next.
	past := time.Now().Add(-time.Minute)
	for _, half := range [][]map[string]string{batch[:n/2], batch[n/2:]} {
		if _, err := c.PublishBatch(ctx, stream, half, &pelican.PublishOptions{At: past}); err != nil {
			t.Fatal(err)
		}
		past = past.Add(time.Second)
	}
	runMover := func(crash bool) *process {
		args := []string{"-addr", addr, "-stream", stream, "-batch", "40"}
		if fallbacks {
			args = append(args, "-fallbacks")
		}
		out := &syncbuf.Buffer{}
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = out, out
		if crash {
			cmd.Env = append(cmd.Environ(), "PELICAN_CRASH_AT="+point, "PELICAN_CRASH_AFTER="+strconv.Itoa(after))
		}
		p, err := start(cmd, out)
		if err != nil {
			t.Fatalf("starting crashscheduler: %v", err)
		}
		t.Cleanup(p.kill)
		if !p.wait(30 * time.Second) {
			t.Fatalf("crashscheduler did not end within 30s; output:\n%s", out)
		}
		return p
	}
	p := runMover(true)
	if strings.Contains(p.out.String(), "crashscheduler: done") || p.err == nil {
		t.Fatalf("the mover did not crash at %s: %v; output:\n%s", point, p.err, p.out)
	}
	moved := checkMoved(t, rdb, stream, n, false)
	if wantMin := (after - 1) * 40; moved < wantMin {
		t.Errorf("the crashed mover left %d moved, want at least %d", moved, wantMin)
	}
	p = runMover(false)
	if p.err != nil || !strings.Contains(p.out.String(), "crashscheduler: done") {
		t.Fatalf("the second mover failed: %v; output:\n%s", p.err, p.out)
	}
	checkMoved(t, rdb, stream, n, true)
}

// checkMoved checks that each of the n messages is either in stream once
// or still scheduled, never both, and with all set that none is still
// scheduled; it returns how many are in the stream.
func checkMoved(t *testing.T, rdb *redis.Client, stream string, n int, all bool) int {
	t.Helper()
	ctx := context.Background()
	entries, err := rdb.XRange(ctx, stream, "-", "+").Result()
	if err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	seen := make([]int, n)
	for _, e := range entries {
		i, err := strconv.Atoi(fmt.Sprint(e.Values[FieldN]))
		if err != nil || i < 0 || i >= n {
			t.Fatalf("unexpected entry %v", e)
		}
		seen[i]++
	}
	c := pelican.New(rdb, pelican.Options{})
	left, _, err := c.ListScheduled(ctx, stream, pelican.ListScheduledOptions{Count: n})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range left {
		i, _ := strconv.Atoi(m.Values[FieldN])
		seen[i] += 100
	}
	for i, k := range seen {
		switch {
		case k == 1 || (k == 100 && !all):
		case k == 0:
			t.Errorf("message %d is lost: neither in the stream nor scheduled", i)
		default:
			t.Errorf("message %d: %d times in the stream, %d times scheduled", i, k%100, k/100)
		}
	}
	if all {
		if k, _ := rdb.Exists(ctx, stream+":pelican:scheduled", stream+":pelican:scheduled:payloads").Result(); k != 0 {
			t.Errorf("%d scheduling keys left behind", k)
		}
	}
	return len(entries)
}
