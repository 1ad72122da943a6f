package cli

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestProgressBarAndLogs draws a progress bar on a terminal while the
// client logs: the library's info records are not written, a warning is
// written on a line of its own, no rate shows before a second has
// passed, and a bar stopped short is replaced by a plain line.
func TestProgressBarAndLogs(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no terminal to test with: %v", err)
	}
	defer ptmx.Close()
	var out bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(&out, ptmx)
	}()

	tg := &target{}
	tg.addFlags(newRoot(tty, tty))
	tg.cmd.SetErr(tty)
	log := tg.logger()
	v := newProgressView(tty, "redriving orders:dlq", 1000, &tg.logs)
	v.update(400, 1000, "")
	log.Info("dlq: redrive ended", "moved", 400)
	log.Warn("dlq: a batch failed", "err", "boom")
	v.start = time.Now().Add(-2 * time.Second) // as if two seconds had passed
	time.Sleep(150 * time.Millisecond)         // past the bar's throttle
	v.update(600, 1000, "")
	v.finish(700, 1000, "moved 700")
	tty.Close()
	wg.Wait()

	screen := out.String()
	if strings.Contains(screen, "redrive ended") {
		t.Errorf("an info record was written:\n%q", screen)
	}
	first, rest, _ := strings.Cut(screen, "level=WARN")
	if !strings.Contains(first, "400/1000") || strings.Contains(first, "msg/s") {
		t.Errorf("before a second has passed the bar should show its count and no rate:\n%q", first)
	}
	// The warning starts a line: the bar's line was cleared, back to its
	// first column, before it.
	if before := first[strings.LastIndex(first, "\r")+1:]; !strings.HasPrefix(before, "time=") {
		t.Errorf("the warning does not start a line of its own: %q", before)
	}
	if !strings.Contains(rest, "msg/s") {
		t.Errorf("after a second the bar shows no rate:\n%q", rest)
	}
	if !strings.HasSuffix(strings.ReplaceAll(rest, "\r\n", "\n"), "\rredriving orders:dlq: 700 of 1,000 (70%): moved 700\n") {
		t.Errorf("a bar stopped short should end on a clean line with the counts:\n%q", rest)
	}
}
