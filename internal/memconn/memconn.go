// Package memconn provides in-memory, full-duplex connections with
// unbounded buffering: a write never waits for the peer to read, as with
// a socket whose buffers never fill. That is what a client that sends a
// whole pipeline before reading any reply needs, and what net.Pipe, which
// hands each write over synchronously, cannot give. Read deadlines are
// supported, because the server wakes blocked commands through them.
package memconn

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Addr is the address of an in-memory connection end.
type Addr string

// Network returns "memconn".
func (Addr) Network() string { return "memconn" }

func (a Addr) String() string { return string(a) }

// Pipe returns the two ends of a connection; the first end's addresses
// are local and remote, the second's the reverse.
func Pipe(local, remote Addr) (net.Conn, net.Conn) {
	ab, ba := newBuffer(), newBuffer()
	a := &Conn{rd: ba, wr: ab, local: local, remote: remote}
	b := &Conn{rd: ab, wr: ba, local: remote, remote: local}
	return a, b
}

// buffer is one direction of a connection, read by one goroutine at a
// time. buf[off:] holds the bytes written and not yet read.
type buffer struct {
	mu       sync.Mutex
	buf      []byte
	off      int
	closed   bool // the writer closed: reads drain, then EOF
	gone     bool // the reader closed: writes fail
	deadline time.Time
	timer    *time.Timer
	// wake holds a token when the reader should look again: data
	// arrived, the state changed, or the deadline passed.
	wake chan struct{}
}

func newBuffer() *buffer { return &buffer{wake: make(chan struct{}, 1)} }

// notifyLocked wakes the reader if it waits.
func (b *buffer) notifyLocked() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *buffer) read(p []byte) (int, error) {
	for {
		b.mu.Lock()
		if b.off < len(b.buf) {
			n := copy(p, b.buf[b.off:])
			b.off += n
			if b.off == len(b.buf) {
				b.buf, b.off = b.buf[:0], 0
			}
			b.mu.Unlock()
			return n, nil
		}
		if b.closed {
			b.mu.Unlock()
			return 0, io.EOF
		}
		if b.gone {
			b.mu.Unlock()
			return 0, net.ErrClosed
		}
		if !b.deadline.IsZero() && !time.Now().Before(b.deadline) {
			b.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
		b.mu.Unlock()
		<-b.wake
	}
}

func (b *buffer) write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.gone {
		return 0, net.ErrClosed
	}
	if b.off > 0 && b.off >= len(b.buf)/2 {
		n := copy(b.buf, b.buf[b.off:])
		b.buf, b.off = b.buf[:n], 0
	}
	b.buf = append(b.buf, p...)
	b.notifyLocked()
	return len(p), nil
}

func (b *buffer) setDeadline(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.deadline = t
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if !t.IsZero() {
		if d := time.Until(t); d > 0 {
			b.timer = time.AfterFunc(d, func() {
				b.mu.Lock()
				b.notifyLocked()
				b.mu.Unlock()
			})
		}
	}
	b.notifyLocked() // a reader re-checks the new deadline
}

func (b *buffer) closeWriter() {
	b.mu.Lock()
	b.closed = true
	b.notifyLocked()
	b.mu.Unlock()
}

func (b *buffer) closeReader() {
	b.mu.Lock()
	b.gone = true
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	b.notifyLocked()
	b.mu.Unlock()
}

// Conn is one end of an in-memory connection. It implements net.Conn;
// write deadlines are accepted and ignored, since writes never wait.
type Conn struct {
	rd, wr        *buffer
	local, remote Addr
	closeOnce     sync.Once
}

// Read reads what the peer wrote, waiting for data, the peer's close (EOF),
// or the read deadline (os.ErrDeadlineExceeded).
func (c *Conn) Read(p []byte) (int, error) { return c.rd.read(p) }

// Write appends p to what the peer reads. It never waits.
func (c *Conn) Write(p []byte) (int, error) { return c.wr.write(p) }

// Close ends both directions: the peer reads what is left, then EOF.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.wr.closeWriter()
		c.rd.closeReader()
	})
	return nil
}

// LocalAddr returns this end's address.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline sets the read deadline.
func (c *Conn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline makes pending and future reads fail with
// os.ErrDeadlineExceeded once t has passed; the zero time removes it.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rd.setDeadline(t)
	return nil
}

// SetWriteDeadline does nothing: writes never wait.
func (c *Conn) SetWriteDeadline(t time.Time) error { return nil }
