package server_test

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// TestBusyScript runs one sequence against Pelican and redis-server and
// compares the transcripts: a script that loops makes the server answer
// other clients BUSY once it has run longer than busy-reply-threshold
// (set to 100 ms), except for the commands allowed while busy; SCRIPT
// KILL stops a script that has not written, and refuses one that has;
// SHUTDOWN NOSAVE then stops the server, closing both connections without
// a reply.
func TestBusyScript(t *testing.T) {
	transcripts := make(map[string][]string)
	t.Run("pelican", func(t *testing.T) {
		shutdown := make(chan struct{}, 1)
		p := pelicantest.StartPelican(t, engine.Config{Shutdown: func() { shutdown <- struct{}{} }})
		transcripts["pelican"] = busySequence(t, p.Addr)
		select {
		case <-shutdown:
		case <-time.After(10 * time.Second):
			t.Error("SHUTDOWN NOSAVE did not ask the server to stop")
		}
	})
	t.Run("redis", func(t *testing.T) {
		r := redistest.StartRedis(t)
		transcripts["redis"] = busySequence(t, r.Addr)
		if err := awaitRefused(r.Addr); err != nil {
			t.Error(err)
		}
	})
	if t.Failed() {
		return
	}
	if diff := cmp.Diff(transcripts["redis"], transcripts["pelican"]); diff != "" {
		t.Errorf("transcripts differ (-redis +pelican):\n%s", diff)
	}
}

// busySequence runs the busy-script sequence against addr and returns
// its transcript, checking the replies Redis's documentation fixes.
func busySequence(t *testing.T, addr string) []string {
	var out []string
	a, b := redistest.Dial(t, addr), redistest.Dial(t, addr)
	do := func(c *redistest.Conn, name string, args ...string) string {
		t.Helper()
		r, err := c.Do(args...)
		got := ""
		if err != nil {
			got = "error: " + err.Error()
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) {
				got = "closed"
			}
		} else {
			got = r.String()
		}
		out = append(out, fmt.Sprintf("%s: %q -> %s", name, args, got))
		return got
	}
	receive := func(c *redistest.Conn, name string) string {
		t.Helper()
		got := "closed"
		if r, err := c.Receive(); err == nil {
			got = r.String()
		} else if !errors.Is(err, io.EOF) {
			got = "error: " + err.Error()
		}
		out = append(out, fmt.Sprintf("%s: reply -> %s", name, got))
		return got
	}
	want := func(got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	const busy = "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."

	want(do(a, "a", "CONFIG", "SET", "lua-time-limit", "100"), "+OK")
	do(a, "a", "CONFIG", "GET", "busy-reply-threshold")
	do(a, "a", "CONFIG", "GET", "lua-time-limit")
	do(a, "a", "SET", "counter", "1")

	for _, script := range []string{"while true do end", "while true do redis.call('get', 'counter') end"} {
		if err := a.Send("EVAL", script, "0"); err != nil {
			t.Fatal(err)
		}
		want(awaitBusy(t, b), busy)
		out = append(out, "b: PING -> BUSY")
		for _, cmd := range [][]string{
			{"GET", "counter"}, {"SET", "x", "1"}, {"EVAL", "return 1", "0"}, {"SCRIPT", "FLUSH"},
			{"SHUTDOWN"}, {"SHUTDOWN", "SAVE"}, {"NOPE"}, {"GET"},
			{"WATCH", "counter"}, {"UNWATCH"}, {"AUTH", "secret"},
			{"MULTI"}, {"INCR", "counter"}, {"EXEC"},
			{"MULTI"}, {"DISCARD"},
		} {
			do(b, "b", cmd...)
		}
		want(do(b, "b", "SCRIPT", "KILL"), "+OK")
		want(receive(a, "a"), "-ERR Script killed by user with SCRIPT KILL... script: "+sha1hex(script)+", on @user_script:1.")
		want(do(b, "b", "SCRIPT", "KILL"), "-NOTBUSY No scripts in execution right now.")
		want(do(b, "b", "PING"), "+PONG")
		want(do(a, "a", "GET", "counter"), `$"1"`)
	}

	// A script that has written cannot be killed: only SHUTDOWN NOSAVE
	// stops it.
	if err := a.Send("EVAL", "redis.call('set', 'k', 'v') while true do end", "0"); err != nil {
		t.Fatal(err)
	}
	want(awaitBusy(t, b), busy)
	out = append(out, "b: PING -> BUSY")
	want(do(b, "b", "SCRIPT", "KILL"), "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
	want(do(b, "b", "SHUTDOWN", "NOSAVE"), "closed")
	want(receive(a, "a"), "closed")
	return out
}

// awaitBusy sends PING until the reply is an error, which it returns: the
// first PINGs may arrive before the script starts, the others wait for
// the threshold. It fails the test if a PING gets no reply.
func awaitBusy(t *testing.T, c *redistest.Conn) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := c.Send("PING"); err != nil {
			t.Fatal(err)
		}
		r, err := c.ReceiveWithin(5 * time.Second)
		if err != nil {
			t.Fatalf("PING while a script loops: %v", err)
		}
		if r.IsError() {
			return r.String()
		}
		if time.Now().After(deadline) {
			t.Fatalf("PING still answered %s after 10 s of a looping script", r)
		}
	}
}

// awaitRefused waits until addr refuses connections.
func awaitRefused(addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return nil
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%s still accepts connections 10 s after SHUTDOWN NOSAVE", addr)
}

// sha1hex returns a script's SHA1 as EVALSHA takes it.
func sha1hex(script string) string {
	sum := sha1.Sum([]byte(script))
	return hex.EncodeToString(sum[:])
}
