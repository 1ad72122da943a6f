package pelican_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The README's Go code blocks are whole programs, built (and the quick
// start run) against this module, so that the README can never drift
// from the API.
func TestREADMEPrograms(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlocks(string(readme))
	if len(blocks) < 2 {
		t.Fatalf("found %d Go blocks in README.md, want the quick start and the embedding example", len(blocks))
	}
	// Built inside the module, in a directory the ./... patterns skip.
	dir, err := os.MkdirTemp(".", "_readme")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := t.TempDir()
	for i, src := range blocks {
		if !strings.HasPrefix(src, "package main\n") {
			t.Errorf("Go block %d of README.md is not a whole program (package main):\n%s", i, src)
			continue
		}
		pkg := filepath.Join(dir, "block"+string(rune('a'+i)))
		if err := os.MkdirAll(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pkg, "main.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		exe := filepath.Join(bin, filepath.Base(pkg))
		if out, err := exec.Command("go", "build", "-o", exe, "./"+filepath.ToSlash(pkg)).CombinedOutput(); err != nil {
			t.Errorf("Go block %d of README.md does not build: %v\n%s\n%s", i, err, out, src)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		run := exec.CommandContext(ctx, exe)
		run.Dir = t.TempDir() // where a program keeps its files (embedded.Config{Dir: "data"})
		out, err := run.CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("Go block %d of README.md failed: %v\n%s", i, err, out)
		}
		if i == 0 {
			for _, want := range []string{"charged order 12", "charged order 14", "order 13: card declined, delivery 3", "order 13 dead-lettered after 3 deliveries: card declined"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("the quick start's output lacks %q:\n%s", want, out)
				}
			}
		}
	}
}

// goBlocks returns the contents of the ```go fenced blocks of markdown.
func goBlocks(markdown string) []string {
	var blocks []string
	for rest := markdown; ; {
		_, after, ok := strings.Cut(rest, "\n```go\n")
		if !ok {
			return blocks
		}
		block, tail, ok := strings.Cut(after, "\n```\n")
		if !ok {
			return blocks
		}
		blocks = append(blocks, block+"\n")
		rest = "\n" + tail
	}
}
