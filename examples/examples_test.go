package examples_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/internal/redistest"
)

// patterns are the examples that must exist: one per processing pattern
// the documentation teaches.
var patterns = []string{"at_least_once", "claim_abandoned", "codecs", "exactly_once", "get_dlq_stats", "middleware", "monitor", "process_with_dlq", "redrive", "reprocess_dlq", "scheduled", "tracing", "trim_guard", "trim_on_publish"}

// TestExamples builds every example and runs it on the embedded engine
// and on a real redis-server; each must exit 0 by itself.
func TestExamples(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(e.Name(), "main.go")); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	for _, p := range patterns {
		if !slices.Contains(names, p) {
			t.Errorf("no example %s", p)
		}
	}

	// One go build for all of them: the packages share their compilation.
	bin := t.TempDir()
	args := []string{"build", "-o", bin + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./"+n)
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}

	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			exe := filepath.Join(bin, name)
			t.Run("embedded", func(t *testing.T) {
				t.Parallel()
				runExample(t, exe)
			})
			t.Run("redis7", func(t *testing.T) {
				t.Parallel()
				r := redistest.StartRedis(t)
				runExample(t, exe, "-redis", r.Addr)
			})
		})
	}
}

// runExample runs an example, failing the test with its output if it
// exits non-zero or does not finish within 30 seconds.
func runExample(t *testing.T, exe string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, exe, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v after %v\n%s", filepath.Base(exe), args, err, time.Since(start).Round(time.Millisecond), out)
	}
	if len(out) == 0 {
		t.Fatalf("%s %v printed nothing", filepath.Base(exe), args)
	}
	t.Logf("%s %v finished in %v:\n%s", filepath.Base(exe), args, time.Since(start).Round(time.Millisecond), out)
}
