package crashtest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// The durability tests start `pelican server --dir` themselves, kill it
// with SIGKILL by its PID and start it again on the same directory. These
// are their helpers.

// serverStartTimeout bounds how long a server may take to say where it
// listens (it loads its data first).
const serverStartTimeout = 20 * time.Second

// durableServer is a `pelican server --dir` the test started.
type durableServer struct {
	*process
	addr string
}

// startDurableServer starts `pelican server` on a loopback port the
// kernel picks, keeping its data in dir with the given appendfsync, and
// waits until it says where it listens. The server is killed when the
// test ends if it still runs.
func startDurableServer(t *testing.T, dir, fsync string) *durableServer {
	t.Helper()
	return startDurableServerAt(t, dir, fsync, "127.0.0.1:0")
}

// startDurableServerAt is startDurableServer listening on addr, so that a
// server started again after a kill is found where its clients left it.
func startDurableServerAt(t *testing.T, dir, fsync, addr string) *durableServer {
	t.Helper()
	p := startServerProcessAt(t, dir, fsync, addr)
	const prefix = "pelican server listening on "
	deadline := time.Now().Add(serverStartTimeout)
	for {
		out := p.out.String()
		if i := strings.Index(out, prefix); i >= 0 {
			rest := out[i+len(prefix):]
			if addr, _, ok := strings.Cut(rest, " "); ok {
				if !strings.HasPrefix(addr, "127.0.0.1:") {
					t.Fatalf("pelican server listens on %q, not on loopback", addr)
				}
				return &durableServer{process: p, addr: addr}
			}
		}
		if p.hasExited() || time.Now().After(deadline) {
			p.kill()
			t.Fatalf("pelican server --dir %s did not say where it listens (exited: %v); output:\n%s", dir, p.hasExited(), p.out)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// startServerProcess starts `pelican server --dir dir` and returns at
// once.
func startServerProcess(t *testing.T, dir, fsync string) *process {
	t.Helper()
	return startServerProcessAt(t, dir, fsync, "127.0.0.1:0")
}

// startServerProcessAt is startServerProcess listening on addr.
func startServerProcessAt(t *testing.T, dir, fsync, addr string) *process {
	t.Helper()
	cmd := exec.Command(filepath.Join(binaries(t), "pelican"), "server",
		"--addr", addr, "--dir", dir, "--appendfsync", fsync)
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	p, err := start(cmd, out)
	if err != nil {
		t.Fatalf("starting pelican server: %v", err)
	}
	t.Cleanup(p.kill)
	return p
}

// exitCode waits up to d for the process to exit and returns its exit
// code, failing the test if it does not exit.
func exitCode(t *testing.T, p *process, d time.Duration) int {
	t.Helper()
	if !p.wait(d) {
		p.kill()
		t.Fatalf("the process did not exit within %v; output:\n%s", d, p.out)
	}
	return p.cmd.ProcessState.ExitCode()
}

// stop stops the server with SIGTERM and checks that it exits cleanly.
func (s *durableServer) stop(t *testing.T) {
	t.Helper()
	if !s.terminate(10 * time.Second) {
		t.Fatalf("pelican server did not stop within 10s of SIGTERM; output:\n%s", s.out)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("pelican server exited with code %d after SIGTERM; output:\n%s", code, s.out)
	}
}
