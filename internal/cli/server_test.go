package cli

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestServerReportsATakenPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var stdout, stderr bytes.Buffer
	code := Main([]string{"server", "--addr", l.Addr().String()}, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	want := "pelican server: cannot listen on " + l.Addr().String() + ": address already in use"
	if got := strings.TrimSpace(stderr.String()); got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

func TestUnknownCommandAndArguments(t *testing.T) {
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"nope"}, 2, `pelican: unknown command "nope"`},
		{[]string{"server", "extra"}, 2, `pelican server: unexpected argument "extra"`},
		{[]string{"server", "--appendfsync", "sometimes"}, 2, `appendfsync must be always, everysec or no, not "sometimes"`},
		{[]string{"server", "--appendonly", "maybe"}, 2, `appendonly must be yes or no, not "maybe"`},
		{[]string{"server", "--appenddirname", "a/b"}, 2, `"a/b" must be a plain name, not a path`},
		{[]string{"server", "--maxmemory", "lots"}, 2, `pelican server: --maxmemory: "lots" is not a memory value`},
		{nil, 2, "pelican [command]"},
		{[]string{"server", "--bogus"}, 2, "pelican server: unknown flag: --bogus"},
		{[]string{"check"}, 2, "pelican check: wants 1 argument"},
		{[]string{"completion", "nosh"}, 2, `unknown shell "nosh"`},
		{[]string{"completion"}, 2, "give a shell"},
		{[]string{"version", "extra"}, 2, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := Main(tt.args, &stdout, &stderr); code != tt.code {
			t.Errorf("%q: exit code %d, want %d", tt.args, code, tt.code)
		}
		if !strings.Contains(stderr.String(), tt.err) {
			t.Errorf("%q: stderr %q lacks %q", tt.args, stderr.String(), tt.err)
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		if r := runCLI(args...); r.code != 0 || !strings.HasPrefix(r.stdout, "pelican ") {
			t.Errorf("%q: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if r := runCLI("completion", shell); r.code != 0 || !strings.Contains(r.stdout, "pelican") {
			t.Errorf("completion %s: exit %d, %d bytes", shell, r.code, len(r.stdout))
		}
	}
}

// buildPelican builds the pelican command into a temporary directory.
func buildPelican(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "pelican")
	build := exec.Command("go", "build", "-o", bin, "github.com/pelicanhq/pelican/cmd/pelican")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building pelican: %v\n%s", err, out)
	}
	return bin
}

// TestServerExitsCleanlyOnSignals builds the pelican command, starts it,
// checks it answers, and stops it with SIGINT and then SIGTERM.
func TestServerExitsCleanlyOnSignals(t *testing.T) {
	bin := buildPelican(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		addr := freeAddr(t)
		cmd := exec.Command(bin, "server", "--addr", addr)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitPong(t, addr)
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("after %v: %v\n%s", sig, err, out.String())
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("pelican server did not exit after %v", sig)
		}
		if !strings.Contains(out.String(), "shutting down") {
			t.Errorf("after %v the output lacks the shutdown message:\n%s", sig, out.String())
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitPong polls until the server at addr answers PING.
func waitPong(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.SetDeadline(time.Now().Add(time.Second))
			c.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			n, _ := c.Read(buf)
			c.Close()
			if string(buf[:n]) == "+PONG\r\n" {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no PONG from %s", addr)
}

func TestSignalName(t *testing.T) {
	for sig, want := range map[os.Signal]string{syscall.SIGTERM: "SIGTERM", os.Interrupt: "SIGINT", syscall.SIGHUP: "hangup"} {
		if got := signalName(sig); got != want {
			t.Errorf("signalName(%v) = %q, want %q", sig, got, want)
		}
	}
}
