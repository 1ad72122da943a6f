package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/redistest"
)

// The size of the terminal top runs in, and how long a screen may take
// to show what a test awaits (generous: a loaded machine under -race).
const (
	ptyCols, ptyRows = 120, 30
	screenWait       = 20 * time.Second
)

// A topTerm is pelican top running on a pseudo-terminal whose output
// feeds a virtual terminal: the screen a person would see.
type topTerm struct {
	t      *testing.T
	cmd    *exec.Cmd
	ptmx   *os.File
	exited chan error

	mu  sync.Mutex // guards emu's screen
	emu *vt.Emulator
}

// startTop starts `pelican top args...` on a pseudo-terminal, with the
// environment's NO_COLOR replaced by noColor's. It is killed when the
// test ends if it still runs.
func startTop(t *testing.T, bin string, noColor bool, args ...string) *topTerm {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"top"}, args...)...)
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "NO_COLOR=") || strings.HasPrefix(kv, "TERM=") || strings.HasPrefix(kv, "PELICAN_URL=")
	})
	env = append(env, "TERM=xterm-256color")
	if noColor {
		env = append(env, "NO_COLOR=1")
	}
	cmd.Env = env
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: ptyRows, Cols: ptyCols})
	if err != nil {
		t.Fatalf("starting pelican top on a pty: %v", err)
	}
	tt := &topTerm{t: t, cmd: cmd, ptmx: ptmx, exited: make(chan error, 1), emu: vt.NewEmulator(ptyCols, ptyRows)}
	// What top writes goes to the virtual terminal; what the virtual
	// terminal answers (top asks it about its modes) goes back to top.
	output := make(chan struct{})
	go func() {
		defer close(output)
		buf := make([]byte, 32<<10)
		for {
			n, err := ptmx.Read(buf)
			if n > 0 {
				tt.mu.Lock()
				_, _ = tt.emu.Write(buf[:n])
				tt.mu.Unlock()
			}
			if err != nil { // EIO once top has exited
				return
			}
		}
	}()
	answers := tt.emu.InputPipe().(*io.PipeWriter)
	go func() { _, _ = io.Copy(ptmx, tt.emu) }()
	go func() { tt.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // by its PID; nothing if it has exited
		<-output
		_ = answers.Close() // ends the copy of the answers
		_ = ptmx.Close()
	})
	return tt
}

// screen returns the text on the virtual terminal's screen.
func (tt *topTerm) screen() string {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	return tt.emu.String()
}

// await polls the screen until ok says it shows what is wanted, and
// returns it; the test fails with the last screen after screenWait.
func (tt *topTerm) await(what string, ok func(screen string) bool) string {
	tt.t.Helper()
	deadline := time.Now().Add(screenWait)
	for {
		s := tt.screen()
		if ok(s) {
			return s
		}
		select {
		case err := <-tt.exited:
			tt.t.Fatalf("top exited (%v) while awaiting %s; screen:\n%s", err, what, s)
		default:
		}
		if time.Now().After(deadline) {
			tt.t.Fatalf("no %s on the screen within %v; screen:\n%s", what, screenWait, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// awaitText awaits a screen containing every one of texts.
func (tt *topTerm) awaitText(texts ...string) string {
	tt.t.Helper()
	return tt.await(strings.Join(texts, ", "), func(s string) bool {
		for _, x := range texts {
			if !strings.Contains(s, x) {
				return false
			}
		}
		return true
	})
}

// press types keys on the terminal.
func (tt *topTerm) press(keys string) {
	tt.t.Helper()
	if _, err := tt.ptmx.Write([]byte(keys)); err != nil {
		tt.t.Fatalf("typing %q: %v", keys, err)
	}
}

// awaitExit waits for top to exit and returns its exit status.
func (tt *topTerm) awaitExit() int {
	tt.t.Helper()
	select {
	case err := <-tt.exited:
		var exit *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &exit):
			return exit.ExitCode()
		}
		tt.t.Fatalf("waiting for top: %v", err)
	case <-time.After(screenWait):
		tt.t.Fatalf("top did not exit within %v; screen:\n%s", screenWait, tt.screen())
	}
	return -1
}

// cellHasColor reports whether the cell at x, y has a colour.
func (tt *topTerm) cellHasColor(x, y int) bool {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	c := tt.emu.CellAt(x, y)
	return c != nil && (c.Style.Fg != nil || c.Style.Bg != nil)
}

// screenRow returns the fields of the screen line that starts (after
// the selection mark) with name, and its line number; nil if none.
func screenRow(screen, name string) ([]string, int) {
	for y, line := range strings.Split(screen, "\n") {
		f := strings.Fields(strings.TrimPrefix(line, "> "))
		if len(f) > 0 && f[0] == name {
			return f, y
		}
	}
	return nil, -1
}

// hasRow reports whether the screen shows a row starting with want.
func hasRow(want ...string) func(string) bool {
	return func(s string) bool {
		f, _ := screenRow(s, want[0])
		return len(f) >= len(want) && slices.Equal(f[:len(want)], want)
	}
}

// seedTop makes the streams the terminal tests look at: alpha (1 entry),
// orders (20 entries; group billing with 8 pending messages, one of them
// delivered twice, held by w1 and w2; group audit, nothing read; one dead
// letter) and payments (3 entries, no group).
func seedTop(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	add := func(stream string, n int) {
		for i := range n {
			if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{"n", string(rune('a' + i))}}).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	add("alpha", 1)
	add("orders", 20)
	add("payments", 3)
	add("orders:dlq", 1)
	for _, g := range []string{"billing", "audit"} {
		if err := rdb.XGroupCreate(ctx, "orders", g, "0").Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct {
		consumer string
		n        int64
	}{{"w1", 5}, {"w2", 3}} {
		if err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "billing", Consumer: r.consumer, Streams: []string{"orders", ">"}, Count: r.n}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	first, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: "orders", Group: "billing", Start: "-", End: "+", Count: 1}).Result()
	if err != nil || len(first) != 1 {
		t.Fatalf("XPENDING: %v %v", first, err)
	}
	if err := rdb.XClaim(ctx, &redis.XClaimArgs{Stream: "orders", Group: "billing", Consumer: "w2", Messages: []string{first[0].ID}}).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestTopOnATerminal runs pelican top on a pseudo-terminal, reads its
// screen, and presses its keys.
func TestTopOnATerminal(t *testing.T) {
	bin := buildPelican(t)

	t.Run("screens and keys", func(t *testing.T) {
		t.Parallel()
		r := redistest.StartRedis(t)
		rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
		defer rdb.Close()
		seedTop(t, rdb)
		tt := startTop(t, bin, false, "--url", "redis://"+r.Addr, "--interval", "500ms")

		// The streams, by name, the first selected; a refresh has happened.
		tt.awaitText("pelican top", "3 streams", "redis://"+r.Addr, "every 500ms", "refreshed")
		s := tt.await("orders' figures", hasRow("orders", "20", "2", "8"))
		f, _ := screenRow(s, "orders")
		// STREAM LENGTH GROUPS PENDING OLDEST LAG CONSUMERS PROC/S DLQ DLQ/S
		if len(f) != 10 || f[5] != "32" || f[6] != "2/2" || f[8] != "1" {
			t.Errorf("orders row %q, want length 20, 2 groups, 8 pending, lag 32 (12 + 20), 2/2 consumers, 1 dead letter", f)
		}
		if !strings.Contains(s, "> alpha") {
			t.Errorf("the first stream by name is not selected:\n%s", s)
		}
		_, alpha := screenRow(s, "alpha")
		_, orders := screenRow(s, "orders")
		if alpha > orders {
			t.Errorf("alpha is below orders, sorted by name:\n%s", s)
		}

		// s sorts by length, largest first.
		tt.press("s")
		s = tt.awaitText("LENGTH▼")
		_, alpha = screenRow(s, "alpha")
		_, orders = screenRow(s, "orders")
		_, payments := screenRow(s, "payments")
		if !(orders < payments && payments < alpha) {
			t.Errorf("sorted by length, the order is not orders, payments, alpha:\n%s", s)
		}

		// g selects the first row (orders), enter opens its groups.
		tt.press("g")
		tt.awaitText("> orders")
		tt.press("\r")
		tt.awaitText("pelican top › orders", "GROUP", "dead letters 1")
		tt.await("billing's figures", hasRow("billing", "8"))
		tt.await("audit's figures", hasRow("audit", "0", "-", "-", "20"))

		// j selects billing, enter opens its consumers and the most
		// delivered pending message.
		tt.press("j")
		tt.awaitText("> billing")
		tt.press("\r")
		tt.awaitText("pelican top › orders › billing", "CONSUMER", "Most delivered", "1×: 7  2×: 1")
		tt.await("w1", hasRow("w1", "4"))
		tt.await("w2", hasRow("w2", "4"))

		// esc goes back to the groups, ? shows the keys.
		tt.press("\x1b")
		tt.await("the groups again", func(s string) bool {
			return strings.Contains(s, "pelican top › orders") && !strings.Contains(s, "› billing")
		})
		tt.press("?")
		tt.awaitText("reverse", "page down")

		tt.press("q")
		if code := tt.awaitExit(); code != 0 {
			t.Errorf("exit status %d after q, want 0", code)
		}
	})

	t.Run("NO_COLOR", func(t *testing.T) {
		t.Parallel()
		r := redistest.StartRedis(t)
		rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
		defer rdb.Close()
		seedTop(t, rdb)
		// The dead letters of orders are drawn in colour, unless NO_COLOR.
		for _, noColor := range []bool{false, true} {
			tt := startTop(t, bin, noColor, "--url", "redis://"+r.Addr)
			s := tt.await("orders' figures", hasRow("orders", "20", "2", "8"))
			x, y := dlqCell(t, s)
			if got := tt.cellHasColor(x, y); got == noColor {
				t.Errorf("NO_COLOR %v: the dead-letter count has colour %v\n%s", noColor, got, s)
			}
			tt.press("\x03") // ctrl+c
			if code := tt.awaitExit(); code != 0 {
				t.Errorf("exit status %d after ctrl+c, want 0", code)
			}
		}
	})

	t.Run("server restart", func(t *testing.T) {
		t.Parallel()
		dir, addr := t.TempDir(), freeAddr(t)
		server, _, exited := startServer(t, bin, "--addr", addr, "--dir", dir)
		waitPong(t, addr)
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		defer rdb.Close()
		seedTop(t, rdb)
		tt := startTop(t, bin, false, "--url", "redis://"+addr, "--interval", "500ms")
		tt.await("orders' figures", hasRow("orders", "20", "2", "8"))

		if err := server.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := <-exited; err != nil {
			t.Fatalf("pelican server: %v", err)
		}
		s := tt.awaitText("refresh failed", "connection refused", "showing the figures of")
		if !hasRow("orders", "20", "2", "8")(s) {
			t.Errorf("the last figures are gone while the server is away:\n%s", s)
		}

		startServer(t, bin, "--addr", addr, "--dir", dir)
		waitPong(t, addr)
		tt.await("a refresh that worked", func(s string) bool {
			return !strings.Contains(s, "refresh failed") && hasRow("orders", "20", "2", "8")(s)
		})
		tt.press("q")
		if code := tt.awaitExit(); code != 0 {
			t.Errorf("exit status %d after q, want 0", code)
		}
	})
}

// dlqCell returns where the dead-letter count of orders is on screen:
// right-aligned under the DLQ heading.
func dlqCell(t *testing.T, screen string) (x, y int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	for _, line := range lines {
		if i := strings.Index(line, " DLQ "); i >= 0 {
			x = utf8.RuneCountInString(line[:i]) + 3 // the Q
			_, y = screenRow(screen, "orders")
			if y >= 0 && strings.HasSuffix(strings.TrimRight(string([]rune(lines[y])[:x+1]), " "), "1") {
				return x, y
			}
			t.Fatalf("no dead-letter count under DLQ at column %d:\n%s", x, screen)
		}
	}
	t.Fatalf("no DLQ heading:\n%s", screen)
	return 0, 0
}
