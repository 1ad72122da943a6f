package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// ReadReply reads the bytes of one whole reply, of either protocol, from
// r, and takes no byte of r past it, so replies sent back to back are read
// one at a time. It looks at what r holds without taking it; while that is
// the start of a reply and no more, it takes those bytes and waits for
// others. A reply longer than r's buffer is gathered in a new slice; the
// bytes returned are always the caller's.
//
// Input that breaks the protocol is reported with ErrMalformed; input that
// ends inside a reply with io.ErrUnexpectedEOF.
func ReadReply(r *bufio.Reader) ([]byte, error) {
	var held []byte // the start of the reply, taken from r
	for {
		if _, err := r.Peek(1); err != nil {
			if len(held) > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("resp: reading a reply: %w", err)
		}
		buffered, _ := r.Peek(r.Buffered())
		b := append(held, buffered...)
		s := NewScanner(b)
		switch err := s.Skip(); {
		case err == nil:
			if _, err := r.Discard(s.Pos() - len(held)); err != nil {
				return nil, fmt.Errorf("resp: reading a reply: %w", err)
			}
			return b[:s.Pos()], nil
		case errors.Is(err, ErrTruncated):
			held = b
			if _, err := r.Discard(len(buffered)); err != nil {
				return nil, fmt.Errorf("resp: reading a reply: %w", err)
			}
		default:
			return nil, fmt.Errorf("resp: reading the reply %q: %w", clip(b), err)
		}
	}
}

// clip shortens b for an error message.
func clip(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}
