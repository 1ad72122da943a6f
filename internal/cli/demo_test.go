package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// TestDemo runs the built pelican demo, small, on the embedded engine and
// against a redis-server, and checks that its numbers prove the story.
func TestDemo(t *testing.T) {
	bin := buildPelican(t)
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		sum, stderr := runDemoJSON(t, bin)
		checkDemoSummary(t, sum)
		if !sum.Restarted || !sum.RestartMatched || sum.RestartBefore == nil || sum.RestartBefore.Entries == 0 {
			t.Errorf("the engine was not restarted with the same contents: restarted %v, matched %v, before %+v", sum.Restarted, sum.RestartMatched, sum.RestartBefore)
		}
		// Not a terminal: the progress is plain lines, one per step.
		for _, step := range []string{"start", "publish", "crash", "claim", "restart", "drained", "triage", "deploy", "redrive"} {
			if !strings.Contains(stderr, "  "+step+" ") {
				t.Errorf("the progress lacks the step %q:\n%s", step, stderr)
			}
		}
		if strings.Contains(stderr, "\x1b") {
			t.Errorf("the progress, not on a terminal, has escape codes:\n%q", stderr)
		}
		if sum.ServerLeft != nil || sum.DirLeft != nil || !sum.Embedded {
			t.Errorf("the closed engine's port and the removed directory should be null: server %v, dir %v", sum.ServerLeft, sum.DirLeft)
		}
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		r := redistest.StartRedis(t)
		sum, stderr := runDemoJSON(t, bin, "--url", "redis://"+r.Addr)
		checkDemoSummary(t, sum)
		if sum.Restarted || sum.RestartSkipped == "" || !strings.Contains(stderr, "restart   skipped") {
			t.Errorf("against --url the restart should be skipped, saying why: restarted %v, skipped %q\n%s", sum.Restarted, sum.RestartSkipped, stderr)
		}
		if sum.ServerLeft == nil || *sum.ServerLeft != "redis://"+r.Addr || sum.DirLeft != nil {
			t.Errorf("against --url: server %v, dir %v", sum.ServerLeft, sum.DirLeft)
		}
		if want := "are left on the server; remove them with: redis-cli -u redis://" + r.Addr + " --scan --pattern '{demo-"; !strings.Contains(stderr, want) {
			t.Errorf("against --url the demo does not say its keys are left, and how to remove them:\n%s", stderr)
		}
	})
	t.Run("people", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "data")
		stdout, stderr, err := runDemoBin(t, bin, "demo", "--orders", "200", "--seed", "3", "--workers", "2", "--dir", dir)
		if err != nil {
			t.Fatalf("pelican demo: %v\n%s\n%s", err, stdout, stderr)
		}
		for _, want := range []string{"Summary, after", "Nothing lost: 200 published = ", "The data is in " + dir} {
			if !strings.Contains(stdout, want) {
				t.Errorf("the output lacks %q:\n%s", want, stdout)
			}
		}
		// --dir is kept, and holds the run.
		c, err := embedded.New(pelican.Options{Logger: backendtest.Quiet()}, embedded.Dir(dir))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		set, err := discoverStreams(context.Background(), c.Redis())
		if err != nil || len(set.Streams) != 1 || len(set.DeadLetters) != 1 {
			t.Errorf("the data directory holds streams %+v (%v), want one stream and its dead letters", set, err)
		}
	})
}

// runDemoJSON runs pelican demo --json, small, and returns its summary and
// its progress (stderr).
func runDemoJSON(t *testing.T, bin string, args ...string) (demoSummary, string) {
	t.Helper()
	stdout, stderr, err := runDemoBin(t, bin, append([]string{"demo", "--json", "--orders", "300", "--seed", "7"}, args...)...)
	if err != nil {
		t.Fatalf("pelican demo: %v\nstdout:\n%s\nstderr:\n%s", err, stdout, stderr)
	}
	var sum demoSummary
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sum); err != nil {
		t.Fatalf("stdout is not the summary as JSON: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Errorf("stdout has more than the JSON object:\n%s", stdout)
	}
	return sum, stderr
}

// runDemoBin runs the built pelican with args, within a minute.
func runDemoBin(t *testing.T, bin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err = cmd.Run()
	return out.String(), errs.String(), err
}

// checkDemoSummary checks the numbers that prove the story.
func checkDemoSummary(t *testing.T, s demoSummary) {
	t.Helper()
	if s.Published != 300 || s.Published != s.Acknowledged+s.DeadLettered {
		t.Errorf("published %d, want 300 = acknowledged %d + dead-lettered %d", s.Published, s.Acknowledged, s.DeadLettered)
	}
	if s.Lost != 0 || s.Both != 0 || s.Pending != 0 || s.Duplicates != 0 {
		t.Errorf("lost %d, charged and dead-lettered %d, pending %d, duplicates %d: want all 0", s.Lost, s.Both, s.Pending, s.Duplicates)
	}
	if s.DeadLettered == 0 || s.Redriven == 0 || s.Claimed == 0 || s.Retries == 0 || s.TransientFailures == 0 {
		t.Errorf("dead-lettered %d, redriven %d, claimed %d, retries %d, transient failures %d: want each > 0",
			s.DeadLettered, s.Redriven, s.Claimed, s.Retries, s.TransientFailures)
	}
	if len(s.Causes) != 2 || s.Killed != "w2" {
		t.Errorf("causes %+v, killed %q: want two causes and w2 killed", s.Causes, s.Killed)
	}
	if s.ElapsedMs <= 0 || s.ElapsedMs > 60_000 {
		t.Errorf("elapsed %dms", s.ElapsedMs)
	}
}

func TestDemoRefusesBadInput(t *testing.T) {
	held := t.TempDir()
	c, err := embedded.New(pelican.Options{Logger: backendtest.Quiet()}, embedded.Dir(held))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"few orders", []string{"--orders", "5"}, 2, "--orders 5: give at least 100"},
		{"one worker", []string{"--workers", "1"}, 2, "--workers 1: give 2 to 16"},
		{"url and dir", []string{"--url", "redis://127.0.0.1:1", "--dir", held}, 2, "give --url or --dir, not both"},
		{"malformed URL", []string{"--url", "nope://x"}, 2, `scheme "nope" is not one of`},
		{"unreachable server", []string{"--url", "redis://127.0.0.1:1"}, 1, "connection refused at 127.0.0.1:1"},
		{"directory in use", []string{"--dir", held}, 1, "data directory " + held + " is in use"},
		{"extra argument", []string{"now"}, 2, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(append([]string{"demo"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.err) {
				t.Errorf("exit code %d, stderr %q; want %d and %q", r.code, r.stderr, tt.code, tt.err)
			}
		})
	}
}

func TestWrapWords(t *testing.T) {
	text := "the other workers took over w2's 11 pending messages 12 ms after the kill"
	got := wrapWords(text, 40, 19, 19)
	want := "the other workers\n" +
		strings.Repeat(" ", 19) + "took over w2's 11\n" +
		strings.Repeat(" ", 19) + "pending messages 12\n" +
		strings.Repeat(" ", 19) + "ms after the kill"
	if got != want {
		t.Errorf("wrapWords:\n got %q\nwant %q", got, want)
	}
	for _, line := range strings.Split(got, "\n") {
		if len(line) > 40-19 && !strings.HasPrefix(line, "                   ") {
			t.Errorf("line %q passes column 40", line)
		}
	}
	if got, want := wrapWords("  engine   embedded, listening on 127.0.0.1:40411", 30, 0, 11), "  engine   embedded, listening\n           on 127.0.0.1:40411"; got != want {
		t.Errorf("wrapWords of a labelled line:\n got %q\nwant %q", got, want)
	}
	if got := wrapWords(text, 0, 19, 19); got != text {
		t.Errorf("without a width the text is cut: %q", got)
	}
}

func TestFitStatus(t *testing.T) {
	d := &demo{f: &demoFlags{orders: 6000}}
	t0 := time.Unix(100, 0)
	parts := d.statusParts(demoSample{at: t0, published: 400, charged: 380},
		demoSample{at: t0.Add(time.Second), published: 800, charged: 760}, demoCounts{Charged: 760, Pending: 2, DeadLetters: 31})
	head := "  3.4s  publish   "
	full := head + "800 of 6,000 published (400/s) · 760 charged (380/s) · 2 pending · 31 dead letters"
	if got := fitStatus(head, parts, 0); got != full {
		t.Errorf("in a pipe:\n got %q\nwant %q", got, full)
	}
	for _, tt := range []struct {
		width int
		want  string
	}{
		{200, full},
		{90, head + "800 of 6,000 published · 760 charged · 2 pending · 31 dead letters"},
		{80, head + "760 charged · 2 pending · 31 dead letters"},
		{50, head + "2 pending · 31 dead letters"},
		{40, head + "31 dead letters"},
	} {
		got := fitStatus(head, parts, tt.width)
		if got != tt.want {
			t.Errorf("width %d:\n got %q\nwant %q", tt.width, got, tt.want)
		}
		if len([]rune(got)) >= tt.width {
			t.Errorf("width %d: %d characters", tt.width, len([]rune(got)))
		}
	}
}
