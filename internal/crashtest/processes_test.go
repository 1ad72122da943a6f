package crashtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// The processes of a run: the binaries the test builds once, Pelican's
// server, and the worker processes. Every process is started by the test,
// stopped by its PID, and killed by the kernel if the test dies first.

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds the pelican command and the crash worker, once per test
// binary, and returns the directory holding them.
func binaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "pelican-crashtest-")
		if buildErr != nil {
			return
		}
		// Under the race detector the workers are built with it, so
		// that it watches the library under kills too.
		const worker = "github.com/pelicanhq/pelican/internal/crashtest/cmd/crashworker"
		builds := [][]string{
			{"build", "-o", binDir + string(filepath.Separator), "github.com/pelicanhq/pelican/cmd/pelican"},
			{"build", "-o", filepath.Join(binDir, workerBinary), worker},
			// The library's crash points are compiled in only with this
			// tag (see crashpoint_crashtest.go).
			{"build", "-tags", "pelican_crashtest", "-o", filepath.Join(binDir, crashPointWorkerBinary), worker},
		}
		if raceEnabled {
			builds[1] = append([]string{"build", "-race"}, builds[1][1:]...)
			builds[2] = append([]string{"build", "-race"}, builds[2][1:]...)
		}
		for _, args := range builds {
			if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("building the binaries: %v", buildErr)
	}
	return binDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// process is a child process and the channel closed when it has exited.
type process struct {
	cmd    *exec.Cmd
	out    *syncbuf.Buffer
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// start starts cmd with the parent-death signal set and reaps it when it
// exits.
func start(cmd *exec.Cmd, out *syncbuf.Buffer) (*process, error) {
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, out: out, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// hasExited reports whether the process has exited.
func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL to the process's PID and waits until it is reaped.
func (p *process) kill() {
	if p.hasExited() {
		return
	}
	_ = syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}

// signal sends sig to the process's PID, unless it has exited.
func (p *process) signal(sig syscall.Signal) {
	if !p.hasExited() {
		_ = syscall.Kill(p.cmd.Process.Pid, sig)
	}
}

// wait waits up to d for the process to exit and reports whether it did.
func (p *process) wait(d time.Duration) bool {
	select {
	case <-p.exited:
		return true
	case <-time.After(d):
		return false
	}
}

// terminate sends SIGTERM and waits up to grace for the process to exit,
// then kills it. It reports whether the process exited by itself.
func (p *process) terminate(grace time.Duration) bool {
	p.signal(syscall.SIGTERM)
	if p.wait(grace) {
		return true
	}
	p.kill()
	return false
}

// startPelicanServer runs `pelican server` on a port the kernel picks on
// loopback, waits until it answers PING and stops it when the test ends.
func startPelicanServer(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(binaries(t), "pelican"), "server", "--addr", "127.0.0.1:0")
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	p, err := start(cmd, out)
	if err != nil {
		t.Fatalf("starting pelican server: %v", err)
	}
	t.Cleanup(func() {
		if !p.terminate(5 * time.Second) {
			t.Errorf("pelican server did not stop within 5s of SIGTERM; output:\n%s", out)
		}
	})
	// Its first line says where it listens.
	const prefix = "pelican server listening on "
	var addr string
	deadline := time.Now().Add(20 * time.Second)
	for addr == "" {
		if line, _, ok := strings.Cut(out.String(), "\n"); ok {
			rest, ok := strings.CutPrefix(line, prefix)
			if !ok {
				t.Fatalf("pelican server's first line is %q, want %q...", line, prefix)
			}
			addr, _, _ = strings.Cut(rest, " ")
			break
		}
		if p.hasExited() || time.Now().After(deadline) {
			t.Fatalf("pelican server did not say where it listens; output:\n%s", out)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("pelican server listens on %q, not on loopback", addr)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if err := rdb.Ping(ctx).Err(); err == nil {
			break
		} else if ctx.Err() != nil {
			t.Fatalf("pelican server at %s does not answer PING: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return addr
}

// The worker binaries: the plain one, and one built with the library's
// crash points.
const (
	workerBinary           = "crashworker"
	crashPointWorkerBinary = "crashworker-crashpoints"
)

// workerSpec is what a worker process is started with.
type workerSpec struct {
	addr, stream, group string
	exactlyOnce         bool
	logDir              string
	// binary is the worker binary to run; workerBinary if empty.
	binary string
	// env is added to the worker's environment.
	env []string
	// batch is the workers' BatchSize; crashtest's if zero.
	batch int
	// fallbacks makes the workers use only Redis 7 commands.
	fallbacks bool
}

// worker is one running worker process.
type worker struct {
	*process
	slot int
	name string
}

// readyLine is what a worker prints once SIGTERM makes it shut down
// gracefully (the Ready constant of cmd/crashworker).
const readyLine = "crashworker: ready\n"

// waitReady waits up to d for the worker to print readyLine and reports
// whether it did.
func (w *worker) waitReady(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !strings.Contains(w.out.String(), readyLine) {
		if w.hasExited() || time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// startWorker starts a crash worker for consumer name in slot; its log is
// appended to the slot's log file.
func startWorker(t *testing.T, spec workerSpec, slot int, name string) (*worker, error) {
	args := []string{
		"-addr", spec.addr, "-stream", spec.stream, "-group", spec.group, "-consumer", name,
		"-log", filepath.Join(spec.logDir, fmt.Sprintf("slot%d.log", slot)),
	}
	if spec.exactlyOnce {
		args = append(args, "-exactly-once")
	}
	if spec.batch > 0 {
		args = append(args, "-batch", fmt.Sprint(spec.batch))
	}
	if spec.fallbacks {
		args = append(args, "-fallbacks")
	}
	out := &syncbuf.Buffer{}
	binary := spec.binary
	if binary == "" {
		binary = workerBinary
	}
	cmd := exec.Command(filepath.Join(binaries(t), binary), args...)
	cmd.Stdout, cmd.Stderr = out, out
	// A worker built with the race detector would otherwise sleep a
	// second before exiting.
	cmd.Env = append(os.Environ(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	cmd.Env = append(cmd.Env, spec.env...)
	p, err := start(cmd, out)
	if err != nil {
		return nil, fmt.Errorf("starting worker %s: %w", name, err)
	}
	return &worker{process: p, slot: slot, name: name}, nil
}
