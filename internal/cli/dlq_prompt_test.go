package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// TestDlqPromptOnTerminal answers the confirmation on a terminal: stdin
// is a pseudo-terminal for the length of the test, which is why it runs
// on one place only and no other test of the package runs meanwhile.
func TestDlqPromptOnTerminal(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		if p.name != "dir" {
			t.Skip("stdin is the process's: one place is enough")
		}
		makeDeadLetters(t, p, "1", "2", "declined")
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal: %v", err)
		}
		defer ptmx.Close()
		defer tty.Close()
		saved := os.Stdin
		os.Stdin = tty
		defer func() { os.Stdin = saved }()

		// "n" changes nothing.
		if _, err := ptmx.WriteString("n\n"); err != nil {
			t.Fatal(err)
		}
		r := cli(t, p, 1, "rm", "orders", "--class", "handler")
		if !strings.Contains(r.stderr, "Delete 3 messages of orders:dlq for good? [y/N]") || !strings.Contains(r.stderr, "nothing changed") {
			t.Errorf("declined: %q", r.stderr)
		}
		if n := dlqLen(t, p); n != 3 {
			t.Fatalf("%d dead letters after a no, want 3", n)
		}
		// "y" goes ahead.
		if _, err := ptmx.WriteString("y\n"); err != nil {
			t.Fatal(err)
		}
		r = cli(t, p, 0, "redrive", "orders", "--all")
		if !strings.Contains(r.stderr, "Redrive 3 messages of orders:dlq to orders? [y/N]") || !strings.Contains(r.stdout, "3 sent back") {
			t.Errorf("accepted: %q\n%s", r.stderr, r.stdout)
		}
		if n := dlqLen(t, p); n != 0 {
			t.Errorf("%d dead letters after a yes, want 0", n)
		}
	})
}
