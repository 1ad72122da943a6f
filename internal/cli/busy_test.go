package cli

import (
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/internal/redistest"
	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// exitBound is how soon pelican server must exit once asked to while a
// script loops: well under shutdownLimit, after which it would exit
// anyway, so that the test shows the script was stopped.
const exitBound = 5 * time.Second

// TestServerStopsABusyScript starts pelican server, runs a script that
// never ends, and stops the server: with SIGTERM while the script has
// not written (its client gets SCRIPT KILL's error and the server shuts
// down cleanly), and with SIGTERM or SHUTDOWN NOSAVE once it has (its
// client's connection closes without a reply, and after a restart the
// data holds nothing the script wrote, what was written before it).
func TestServerStopsABusyScript(t *testing.T) {
	bin := buildPelican(t)
	tests := []struct {
		name   string
		script string
		stop   func(t *testing.T, cmd *exec.Cmd, b *redistest.Conn)
		reply  string // the script client's, "closed" if none
		log    string
	}{
		{"SIGTERM, read-only script", "while true do end", sigterm,
			"-ERR Script killed by user with SCRIPT KILL... script: 694a5fe1ddb97a4c6a1bf299d9537c7d3d0f84e7, on @user_script:1.",
			"script killed"},
		{"SIGTERM, writing script", "redis.call('set', 'k', 'v') while true do end", sigterm,
			"closed", "not in the append-only file"},
		{"SHUTDOWN NOSAVE, writing script", "redis.call('set', 'k', 'v') while true do end", shutdownNoSave,
			"closed", "not in the append-only file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			addr := freeAddr(t)
			cmd, out, exited := startServer(t, bin, "--addr", addr, "--dir", dir)
			waitPong(t, addr)
			a, b := redistest.Dial(t, addr), redistest.Dial(t, addr)
			for _, c := range [][]string{{"CONFIG", "SET", "busy-reply-threshold", "100"}, {"SET", "before", "1"}} {
				if r := a.MustDo(t, c...); r.String() != "+OK" {
					t.Errorf("%q = %s", c, r)
				}
			}
			if err := a.Send("EVAL", tt.script, "0"); err != nil {
				t.Fatal(err)
			}
			awaitBusy(t, b)
			tt.stop(t, cmd, b)
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("pelican server exited with %v\n%s", err, out)
				}
			case <-time.After(exitBound):
				t.Fatalf("pelican server still runs %v after being stopped with a script looping\n%s", exitBound, out)
			}
			got := "closed"
			if r, err := a.Receive(); err == nil {
				got = r.String()
			} else if !errors.Is(err, io.EOF) {
				got = err.Error()
			}
			if got != tt.reply {
				t.Errorf("the script's client got %s, want %s", got, tt.reply)
			}
			if !strings.Contains(out.String(), tt.log) {
				t.Errorf("the log lacks %q:\n%s", tt.log, out)
			}

			// What was written before the script is kept; nothing the
			// script wrote is.
			_, out2, _ := startServer(t, bin, "--addr", addr, "--dir", dir)
			waitPong(t, addr)
			c := redistest.Dial(t, addr)
			if r := c.MustDo(t, "GET", "before"); r.String() != `$"1"` {
				t.Errorf("after a restart GET before = %s, want 1\n%s", r, out2)
			}
			if r := c.MustDo(t, "EXISTS", "k"); r.String() != ":0" {
				t.Errorf("after a restart EXISTS k = %s, want 0: the stopped script's write was kept\n%s", r, out2)
			}
		})
	}
}

func sigterm(t *testing.T, cmd *exec.Cmd, _ *redistest.Conn) {
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

func shutdownNoSave(t *testing.T, _ *exec.Cmd, b *redistest.Conn) {
	if r, err := b.Do("SHUTDOWN", "NOSAVE"); err == nil {
		t.Errorf("SHUTDOWN NOSAVE = %s, want the connection closed", r)
	}
}

// startServer starts pelican server with args; it is killed when the test
// ends if it still runs. exited receives its exit.
func startServer(t *testing.T, bin string, args ...string) (*exec.Cmd, *syncbuf.Buffer, <-chan error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"server"}, args...)...)
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited, done := make(chan error, 1), make(chan struct{})
	go func() {
		exited <- cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	return cmd, out, exited
}

// awaitBusy sends PING until the server answers BUSY. A PING left
// unanswered fails the test, which goes on to stop the server.
func awaitBusy(t *testing.T, c *redistest.Conn) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := c.Send("PING"); err != nil {
			t.Fatal(err)
		}
		r, err := c.ReceiveWithin(2 * time.Second)
		if err != nil {
			t.Errorf("PING while a script loops: %v", err)
			return
		}
		if r.IsError() {
			if !strings.HasPrefix(r.Str, "BUSY ") {
				t.Errorf("PING = %s, want BUSY", r)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PING still answered %s after 10 s of a looping script", r)
		}
	}
}
