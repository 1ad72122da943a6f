package resp

import (
	"bytes"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parseAll feeds input in chunks of size chunk and returns every command
// parsed, or the protocol error that stopped parsing.
func parseAll(input string, chunk int) ([][]string, error) {
	r := NewReader(strings.NewReader(""))
	var out [][]string
	for i := 0; i < len(input); i += chunk {
		end := min(i+chunk, len(input))
		r.Feed([]byte(input[i:end]))
		for {
			args, err := r.Parse()
			if err == ErrIncomplete {
				break
			}
			if err != nil {
				return out, err
			}
			cmd := make([]string, len(args))
			for j, a := range args {
				cmd[j] = string(a)
			}
			out = append(out, cmd)
		}
	}
	return out, nil
}

func TestParseCommands(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  [][]string
	}{
		{"multibulk", "*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n", [][]string{{"PING", "hi"}}},
		{"pipeline", "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", [][]string{{"PING"}, {"PING"}}},
		{"empty bulk", "*2\r\n$3\r\nGET\r\n$0\r\n\r\n", [][]string{{"GET", ""}}},
		{"binary bulk", "*2\r\n$3\r\nGET\r\n$3\r\na\r\n\r\n", [][]string{{"GET", "a\r\n"}}},
		{"zero count", "*0\r\n*1\r\n$1\r\nx\r\n", [][]string{{}, {"x"}}},
		{"negative count", "*-1\r\n", [][]string{{}}},
		{"inline", "SET k v\r\n", [][]string{{"SET", "k", "v"}}},
		{"inline LF only", "PING\n", [][]string{{"PING"}}},
		{"inline quotes", `SET "a b" 'c d'` + "\r\n", [][]string{{"SET", "a b", "c d"}}},
		{"inline escapes", `ECHO "\x41\n\"z"` + "\r\n", [][]string{{"ECHO", "A\n\"z"}}},
		{"inline empty line", "\r\n", [][]string{{}}},
		{"inline many spaces", "  GET   k  \r\n", [][]string{{"GET", "k"}}},
	}
	for _, tt := range tests {
		for _, chunk := range []int{1, 2, 3, 7, 1 << 20} {
			got, err := parseAll(tt.input, chunk)
			if err != nil {
				t.Errorf("%s (chunk %d): %v", tt.name, chunk, err)
				continue
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("%s (chunk %d): (-got +want)\n%s", tt.name, chunk, diff)
			}
		}
	}
}

func TestProtocolErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"bad count", "*x\r\n", "Protocol error: invalid multibulk length"},
		{"count too big", "*2147483648\r\n", "Protocol error: invalid multibulk length"},
		{"not a bulk", "*1\r\n:1\r\n", "Protocol error: expected '$', got ':'"},
		{"bad bulk length", "*1\r\n$-1\r\n", "Protocol error: invalid bulk length"},
		{"bulk beyond limit", "*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"},
		{"unbalanced quotes", "SET \"a\r\n", "Protocol error: unbalanced quotes in request"},
		{"quote not followed by space", "SET \"a\"b\r\n", "Protocol error: unbalanced quotes in request"},
		{"inline too big", strings.Repeat("a", InlineMaxSize+1), "Protocol error: too big inline request"},
		{"count line too big", "*" + strings.Repeat("1", InlineMaxSize+1), "Protocol error: too big mbulk count string"},
		{"bulk line too big", "*1\r\n$" + strings.Repeat("1", InlineMaxSize+1), "Protocol error: too big bulk count string"},
	}
	for _, tt := range tests {
		_, err := parseAll(tt.input, 1<<20)
		var pe *ProtocolError
		if !errors.As(err, &pe) {
			t.Errorf("%s: err = %v, want a protocol error", tt.name, err)
			continue
		}
		if pe.Msg != tt.want {
			t.Errorf("%s: error %q, want %q", tt.name, pe.Msg, tt.want)
		}
	}
}

func TestUnauthenticatedLimits(t *testing.T) {
	r := NewReader(strings.NewReader(""))
	r.Unauthenticated = true
	r.Feed([]byte("*11\r\n"))
	if _, err := r.Parse(); err == nil || err.Error() != "ERR Protocol error: unauthenticated multibulk length" {
		t.Errorf("11 arguments unauthenticated: err = %v", err)
	}
	r = NewReader(strings.NewReader(""))
	r.Unauthenticated = true
	r.Feed([]byte("*1\r\n$16385\r\n"))
	if _, err := r.Parse(); err == nil || err.Error() != "ERR Protocol error: unauthenticated bulk length" {
		t.Errorf("16385-byte bulk unauthenticated: err = %v", err)
	}
}

// TestHugeDeclaredBulkAllocatesLazily checks that a request declaring a
// 512 MB argument costs memory only as its bytes arrive.
func TestHugeDeclaredBulkAllocatesLazily(t *testing.T) {
	r := NewReader(strings.NewReader(""))
	r.Feed([]byte("*1\r\n$536870912\r\nabc"))
	if _, err := r.Parse(); err != ErrIncomplete {
		t.Fatalf("err = %v, want ErrIncomplete", err)
	}
	if len(r.buf) > 1<<20 {
		t.Errorf("buffer grew to %d bytes before the data arrived", len(r.buf))
	}
}

func TestHugeMultibulkCountAllocatesLazily(t *testing.T) {
	r := NewReader(strings.NewReader(""))
	r.Feed([]byte("*2000000000\r\n$1\r\na\r\n"))
	if _, err := r.Parse(); err != ErrIncomplete {
		t.Fatalf("err = %v, want ErrIncomplete", err)
	}
	if cap(r.offs) > 4096 {
		t.Errorf("argument table preallocated %d slots", cap(r.offs))
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n"), uint8(3))
	f.Add([]byte("SET \"a b\" 'c'\r\nGET a\n"), uint8(1))
	f.Add([]byte("*1\r\n$-1\r\n"), uint8(2))
	f.Add([]byte("*3\r\n$1\r\na\r\n"), uint8(5))
	f.Fuzz(func(t *testing.T, input []byte, chunk uint8) {
		// Whatever the bytes and however they are split, parsing never
		// panics and yields the same commands.
		whole, errWhole := parseAll(string(input), len(input)+1)
		c := int(chunk%16) + 1
		split, errSplit := parseAll(string(input), c)
		if (errWhole == nil) != (errSplit == nil) {
			t.Fatalf("error depends on chunking: %v vs %v", errWhole, errSplit)
		}
		if diff := cmp.Diff(whole, split); diff != "" {
			t.Fatalf("commands depend on chunking (-whole +split):\n%s", diff)
		}
	})
}

// TestLargeArgumentGrowsLinearly feeds a 64 MB argument in 16 KB pieces:
// the buffer grows geometrically, so that the bytes allocated (and copied)
// on the way stay within a small multiple of the argument, and the buffer
// never exceeds what the argument needs by more than a read's worth. Once
// the command is consumed, the buffer shrinks back.
func TestLargeArgumentGrowsLinearly(t *testing.T) {
	const size = 64 << 20
	r := NewReader(strings.NewReader(""))
	r.Feed([]byte("*2\r\n$4\r\nECHO\r\n$" + strconv.Itoa(size) + "\r\n"))
	piece := bytes.Repeat([]byte("x"), 16<<10)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for fed := 0; fed < size; fed += len(piece) {
		r.Feed(piece)
		if _, err := r.Parse(); err != ErrIncomplete {
			t.Fatalf("after %d bytes: %v", fed, err)
		}
	}
	r.Feed([]byte("\r\n"))
	runtime.ReadMemStats(&after)
	args, err := r.Parse()
	if err != nil || len(args) != 2 || len(args[1]) != size {
		t.Fatalf("Parse: %d arguments, %v", len(args), err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d MB argument allocated %d MB; buffer %d MB", size>>20, allocated>>20, r.Cap()>>20)
	if allocated > 3*size {
		t.Errorf("allocated %d MB for a %d MB argument, want under %d MB", allocated>>20, size>>20, 3*size>>20)
	}
	if r.Cap() > size+64<<10 {
		t.Errorf("buffer of %d bytes for a %d byte argument", r.Cap(), size)
	}
	if !r.Shrink() || r.Cap() > shrinkAbove {
		t.Errorf("buffer of %d bytes after the command was consumed", r.Cap())
	}
}
