package resp

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// Replies sent back to back are read one at a time, whatever the size of
// the reader's buffer and however the bytes arrive.
func TestReadReplyTakesOneReplyAtATime(t *testing.T) {
	want := []string{
		"*3\r\n$100\r\n" + strings.Repeat("x", 100) + "\r\n:1\r\n%1\r\n+k\r\n*1\r\n_\r\n",
		"+OK\r\n",
		"-ERR no\r\n",
		"$-1\r\n",
	}
	wire := strings.Join(want, "")
	for _, tt := range []struct {
		name string
		src  io.Reader
		size int
	}{
		{"whole", strings.NewReader(wire), 4096},
		{"small buffer", strings.NewReader(wire), 16},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader(wire)), 16},
	} {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReaderSize(tt.src, tt.size)
			var got []string
			for range want {
				b, err := ReadReply(br)
				if err != nil {
					t.Fatalf("ReadReply after %q: %v", got, err)
				}
				got = append(got, string(b))
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("replies (-got +want):\n%s", diff)
			}
			if _, err := ReadReply(br); !errors.Is(err, io.EOF) {
				t.Errorf("ReadReply at the end = %v, want io.EOF", err)
			}
		})
	}
}

func TestReadReplyErrors(t *testing.T) {
	tests := []struct {
		name string
		wire string
		want error
	}{
		{"nothing", "", io.EOF},
		{"cut short", "*2\r\n:1\r\n", io.ErrUnexpectedEOF},
		{"line without CRLF", "+OK\n", io.ErrUnexpectedEOF},
		{"malformed", "*2\r\n:x\r\n:1\r\n", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadReply(bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(tt.wire)), 16))
			if !errors.Is(err, tt.want) {
				t.Errorf("ReadReply(%q) = %v, want %v", tt.wire, err, tt.want)
			}
		})
	}
}
