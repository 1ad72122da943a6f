package syncbuf

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Run with -race: writers and a reader share the buffer.
func TestConcurrentWritesAllArrive(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 100 {
				fmt.Fprintf(&b, "%d.%d\n", w, i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got, want := strings.Count(b.String(), "\n"), 400; got != want {
		t.Errorf("%d lines, want %d", got, want)
	}
	if !strings.Contains(b.String(), "3.99\n") {
		t.Errorf("the last line of writer 3 is missing:\n%s", b.String())
	}
}
