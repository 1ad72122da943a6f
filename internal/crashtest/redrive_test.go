package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
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

// The redrive crash test: a redrive process (cmd/crashredrive) moves the
// entries of a dead-letter stream back to their stream at a limited rate;
// the test kills it with SIGKILL whenever its checkpoint shows more
// progress, resumes the job in a new process, and at the end checks that
// every message is exactly once in the stream, the dead-letter stream or
// the parked stream, where it belongs, and that the checkpoint's counts
// agree.

// Lines cmd/crashredrive prints (its JobLine and DoneLine).
const (
	redriveJobLine  = "crashredrive: job "
	redriveDoneLine = "crashredrive: done "
)

var (
	redriveBuild    sync.Once
	redriveBin      string
	redriveBuildErr error
)

// redriveBinary builds cmd/crashredrive once per test binary, with the
// race detector when the test runs under it, next to the other binaries.
func redriveBinary(t *testing.T) string {
	t.Helper()
	dir := binaries(t)
	redriveBuild.Do(func() {
		redriveBin = filepath.Join(dir, "crashredrive")
		args := []string{"build", "-o", redriveBin, "github.com/pelicanhq/pelican/internal/crashtest/cmd/crashredrive"}
		if raceEnabled {
			args = append([]string{"build", "-race"}, args[1:]...)
		}
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			redriveBuildErr = fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	})
	if redriveBuildErr != nil {
		t.Fatalf("building crashredrive: %v", redriveBuildErr)
	}
	return redriveBin
}

// Where each dead letter of the run belongs at the end.
type redriveFate int

const (
	fateMoved   redriveFate = iota // sent back to the stream
	fateParked                     // redrive limit reached
	fateSkipped                    // no original stream: stays
)

// fateOf returns the fate of message n.
func fateOf(n int) redriveFate {
	switch {
	case n%50 == 7:
		return fateParked
	case n%100 == 13:
		return fateSkipped
	}
	return fateMoved
}

// TestRedriveSurvivesKills kills a rate-limited redrive process several
// times mid-job and resumes it, on Pelican's server (XADD IDMP) and on
// redis-server 7 (markers only).
func TestRedriveSurvivesKills(t *testing.T) {
	const n = 3000
	seed := rand.Uint64()
	if s := os.Getenv(seedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", seedEnv, s, err)
		}
	}
	t.Logf("seed %d (%s=%d replays the kill points)", seed, seedEnv, seed)
	bin := redriveBinary(t)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 1))
			addr := b.start(t)
			rdb := redis.NewClient(&redis.Options{Addr: addr})
			t.Cleanup(func() { rdb.Close() })
			const stream, name, job = "redrive", "redrive:dlq", "crash-job"
			fillDeadLetters(t, rdb, stream, name, n)

			start := func(resume bool) *process {
				args := []string{"-addr", addr, "-dlq", name, "-job", job, "-rate", "2000"}
				if resume {
					args = append(args, "-resume")
				}
				out := &syncbuf.Buffer{}
				cmd := exec.Command(bin, args...)
				cmd.Stdout, cmd.Stderr = out, out
				cmd.Env = append(os.Environ(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
				p, err := start(cmd, out)
				if err != nil {
					t.Fatalf("starting crashredrive: %v", err)
				}
				t.Cleanup(p.kill)
				return p
			}
			began := time.Now()
			p := start(false)
			ckpt := name + ":pelican:redrive:job:" + job
			var killedAt []int64
			for k := 1; k <= 4; k++ {
				// Kill once the checkpoint shows the next share of the work
				// done, at a random point within it.
				threshold := int64(k*n/6 + rng.IntN(n/12))
				moved := waitProgress(t, rdb, ckpt, threshold, p)
				if !strings.Contains(p.out.String(), redriveJobLine+job) {
					t.Fatalf("crashredrive did not print its job ID; output:\n%s", p.out)
				}
				// A random delay spreads the kills over every step of a
				// batch: the read, the rate limiter's wait, the checks and
				// the transaction.
				time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
				p.kill()
				killedAt = append(killedAt, moved)
				p = start(true)
			}
			if !p.wait(25 * time.Second) {
				t.Fatalf("the last crashredrive did not finish; output:\n%s", p.out)
			}
			if p.err != nil || !strings.Contains(p.out.String(), redriveDoneLine) {
				t.Fatalf("the last crashredrive failed: %v; output:\n%s", p.err, p.out)
			}
			t.Logf("killed at moved = %v; finished in %v", killedAt, time.Since(began).Round(time.Millisecond))
			verifyRedrive(t, rdb, stream, name, ckpt, n)
		})
	}
}

// fillDeadLetters creates stream with group g and adds n dead letters of
// it to the dead-letter stream name, in one pipeline.
func fillDeadLetters(t *testing.T, rdb *redis.Client, stream, name string, n int) {
	t.Helper()
	ctx := context.Background()
	if err := rdb.XGroupCreateMkStream(ctx, stream, "g", "$").Err(); err != nil {
		t.Fatal(err)
	}
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			f := []any{FieldN, i}
			switch fateOf(i) {
			case fateParked:
				f = append(f, pelican.FieldOriginalStream, stream, pelican.FieldRedrives, 3)
			case fateMoved:
				f = append(f, pelican.FieldOriginalStream, stream)
			}
			f = append(f, pelican.FieldGroup, "g", pelican.FieldOriginalID, "1-"+strconv.Itoa(i),
				pelican.FieldConsumer, "w", pelican.FieldDeliveries, 3, pelican.FieldFirstFailure, 1, pelican.FieldLastFailure, 2,
				pelican.FieldError, "failing on purpose", pelican.FieldErrorClass, pelican.ClassHandler, pelican.FieldDeadAt, 3)
			p.XAdd(ctx, &redis.XAddArgs{Stream: name, Values: f})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitProgress polls the checkpoint until its moved count reaches
// threshold, and returns it.
func waitProgress(t *testing.T, rdb *redis.Client, ckpt string, threshold int64, p *process) int64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		moved, err := rdb.HGet(context.Background(), ckpt, "moved").Int64()
		if err == nil && moved >= threshold {
			return moved
		}
		if err != nil && err != redis.Nil {
			t.Fatalf("reading the checkpoint: %v", err)
		}
		if p.hasExited() || time.Now().After(deadline) {
			t.Fatalf("no progress to %d moved (at %d); crashredrive exited: %v; output:\n%s", threshold, moved, p.hasExited(), p.out)
		}
		time.Sleep(time.Millisecond)
	}
}

// verifyRedrive checks that each message is exactly once where its fate
// puts it, with the fields a redrive writes, and that the checkpoint's
// counts match.
func verifyRedrive(t *testing.T, rdb *redis.Client, stream, name, ckpt string, n int) {
	t.Helper()
	ctx := context.Background()
	seen := make([][]string, n) // where each message is
	counts := map[redriveFate]int64{}
	for _, place := range []struct {
		key  string
		fate redriveFate
	}{{stream, fateMoved}, {name + ":parked", fateParked}, {name, fateSkipped}} {
		msgs, err := rdb.XRange(ctx, place.key, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			i, err := strconv.Atoi(fmt.Sprint(m.Values[FieldN]))
			if err != nil || i < 0 || i >= n {
				t.Errorf("%s: entry %s has no valid %q: %v", place.key, m.ID, FieldN, m.Values)
				continue
			}
			seen[i] = append(seen[i], place.key)
			if fateOf(i) != place.fate {
				t.Errorf("message %d is in %s", i, place.key)
			}
			if place.fate == fateMoved && (m.Values[pelican.FieldRedriveGroup] != "g" || m.Values[pelican.FieldRedrives] != "1") {
				t.Errorf("redriven message %d has fields %v", i, m.Values)
			}
		}
		counts[place.fate] = int64(len(msgs))
	}
	for i, where := range seen {
		if len(where) != 1 {
			t.Errorf("message %d is in %v, want exactly one place", i, where)
		}
	}
	m, err := rdb.HGetAll(ctx, ckpt).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"state": "done", "total": strconv.Itoa(n), "moved": strconv.FormatInt(counts[fateMoved], 10),
		"parked": strconv.FormatInt(counts[fateParked], 10), "skipped": strconv.FormatInt(counts[fateSkipped], 10),
		"gone": "0",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("checkpoint %s = %q, want %q", k, m[k], v)
		}
	}
}
