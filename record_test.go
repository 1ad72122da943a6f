package pelican

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func TestFailureRecordRoundTrip(t *testing.T) {
	r := failureRecord{
		First: time.UnixMilli(1000), Last: time.UnixMilli(2000), RetryAt: time.UnixMilli(3000),
		Class: ClassHandler, Err: "a|b|c", // the error text may contain the separator
	}
	got, ok := decodeFailure(r.encode())
	if !ok || *got != r {
		t.Fatalf("round trip = %+v, %v; want %+v", got, ok, r)
	}
	// A panic's record carries its stack (version 2); the error's length
	// tells where the stack begins, whatever either holds.
	p := r
	p.Class, p.Err, p.Stack = ClassPanic, "index out of range [3] with length 2|x", "goroutine 7 [running]:\nmain.f()\n\t/a/b.go:3 +0x1d\n"
	enc := p.encode()
	if !strings.HasPrefix(enc, "2|") {
		t.Errorf("a record with a stack encodes as %q, want version 2", enc)
	}
	if got, ok := decodeFailure(enc); !ok || *got != p {
		t.Fatalf("round trip with a stack = %+v, %v; want %+v", got, ok, p)
	}
	if enc := r.encode(); !strings.HasPrefix(enc, "1|") {
		t.Errorf("a record without a stack encodes as %q, want version 1 (readable by earlier versions)", enc)
	}
	for _, bad := range []string{"", "2|1|2|3|x|y", "2|1|2|3|x|9|short", "2|1|2|3|x|-1|y", "1|a|2|3|x|y", "1|1|2", "3|1|2|3|x|y"} {
		if _, ok := decodeFailure(bad); ok {
			t.Errorf("decodeFailure(%q) accepted a malformed record", bad)
		}
	}
}

// The stack kept for a panic starts at the frame that panicked, not in
// the worker's recover, and is bounded.
func TestPanicStack(t *testing.T) {
	var pe *panicError
	func() {
		defer func() { pe = &panicError{v: recover(), stack: panicStack(debug.Stack())} }()
		var m map[string]int
		m["x"]++
	}()
	lines := strings.Split(pe.stack, "\n")
	if !strings.HasPrefix(lines[0], "goroutine ") || !strings.Contains(lines[1], "TestPanicStack") {
		t.Errorf("the stack does not start with the goroutine and the panicking frame:\n%s", pe.stack)
	}
	if pe.Error() != "assignment to entry in nil map" {
		t.Errorf("the panic's error is %q, want its value's text", pe.Error())
	}
	long := &panicError{v: "x", stack: strings.Repeat("frame\n", 2000)}
	if got := stackOf(fmt.Errorf("wrapped: %w", long)); len(got) != maxStack {
		t.Errorf("stackOf kept %d bytes of a long stack, want %d", len(got), maxStack)
	}
	if got := stackOf(errors.New("plain")); got != "" {
		t.Errorf("stackOf(a plain error) = %q, want nothing", got)
	}
}
