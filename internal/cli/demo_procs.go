package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A demoProc is a worker process the demo started. The demo stops it, by
// its PID, on every way out: its own end, an error, Ctrl-C.
type demoProc struct {
	name string
	cmd  *exec.Cmd
	out  *tailWriter // the end of its stderr, to show if it fails
	// exited is closed once the process has exited and been waited for;
	// err is then what Wait returned.
	exited chan struct{}
	err    error
}

// startDemoProc starts bin with args and waits until it prints its ready
// line.
func startDemoProc(ctx context.Context, name, bin string, args ...string) (*demoProc, error) {
	ready := &lineWatcher{line: demoWorkerReady, seen: make(chan struct{})}
	p := &demoProc{name: name, cmd: exec.Command(bin, args...), out: &tailWriter{max: 4096}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = ready, p.out
	setParentDeathSignal(p.cmd)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting worker %s (%s): %w", name, bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	select {
	case <-ready.seen:
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("worker %s exited at start (%v): %s", name, p.err, p.out.String())
	case <-time.After(20 * time.Second):
		p.kill()
		return nil, fmt.Errorf("worker %s did not start within 20s: %s", name, p.out.String())
	case <-ctx.Done():
		p.kill()
		return nil, ctx.Err()
	}
}

// pid returns the process ID.
func (p *demoProc) pid() int { return p.cmd.Process.Pid }

// alive reports whether the process is still running.
func (p *demoProc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// kill ends the process with SIGKILL, as a crash or the OOM killer
// would, and waits for it.
func (p *demoProc) kill() {
	if p.alive() {
		_ = p.cmd.Process.Kill() // SIGKILL, to its PID
	}
	<-p.exited
}

// stop asks the process to shut down (SIGTERM: the worker finishes what
// it runs and gives back what it has not started), and kills it if it
// has not exited within limit.
func (p *demoProc) stop(limit time.Duration) error {
	if !p.alive() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		var exit *exec.ExitError
		if errors.As(p.err, &exit) {
			return fmt.Errorf("worker %s: %v: %s", p.name, p.err, p.out.String())
		}
		return nil
	case <-time.After(limit):
		p.kill()
		return fmt.Errorf("worker %s did not stop within %s of SIGTERM, killed it", p.name, durationText(limit))
	}
}

// lineWatcher is a process's stdout: it closes seen once a line equal to
// line has been written, and drops the rest.
type lineWatcher struct {
	line string
	buf  []byte
	seen chan struct{}
	once sync.Once
}

func (w *lineWatcher) Write(b []byte) (int, error) {
	if w.buf == nil && len(b) > 0 {
		w.buf = []byte{}
	}
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		if strings.TrimSpace(string(w.buf[:i])) == w.line {
			w.once.Do(func() { close(w.seen) })
		}
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	max int
	mu  sync.Mutex
	buf []byte
}

func (w *tailWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(b), nil
}

// String returns what was kept, trimmed.
func (w *tailWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return "(no output)"
	}
	return strings.TrimSpace(string(w.buf))
}

// executable returns the path of the running program, to start worker
// processes from (under "go run", the binary it built).
func executable() (string, error) {
	bin, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding the pelican executable to start workers from: %w", err)
	}
	return bin, nil
}
