package redistest

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"
)

// ReplyTimeout bounds how long Conn waits for one reply.
const ReplyTimeout = 10 * time.Second

// Conn is a raw RESP connection for tests: it sends each command as a
// multibulk request and reads back exactly one reply, without
// interpreting it, so that tests see what a server puts on the wire.
type Conn struct {
	nc    net.Conn
	r     *bufio.Reader
	buf   []byte
	proto int
}

// Dial connects to addr. The connection is closed when the test ends.
func Dial(t testing.TB, addr string) *Conn {
	t.Helper()
	c, err := DialAddr(addr)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// DialAddr connects to addr; the caller closes the connection.
func DialAddr(addr string) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", addr, err)
	}
	return &Conn{nc: nc, r: bufio.NewReaderSize(nc, 64*1024), proto: 2}, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// Proto returns the protocol version the connection last switched to
// with HELLO through this Conn (2 until then).
func (c *Conn) Proto() int { return c.proto }

// Send writes one command as a multibulk request without reading a reply.
func (c *Conn) Send(args ...string) error {
	b := c.buf[:0]
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	c.buf = b
	if err := c.nc.SetWriteDeadline(time.Now().Add(ReplyTimeout)); err != nil {
		return fmt.Errorf("setting write deadline: %w", err)
	}
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("sending %q: %w", args, err)
	}
	return nil
}

// Receive reads one reply, waiting at most ReplyTimeout.
func (c *Conn) Receive() (Reply, error) {
	return c.ReceiveWithin(ReplyTimeout)
}

// ReceiveWithin reads one reply, waiting at most d.
func (c *Conn) ReceiveWithin(d time.Duration) (Reply, error) {
	if err := c.nc.SetReadDeadline(time.Now().Add(d)); err != nil {
		return Reply{}, fmt.Errorf("setting read deadline: %w", err)
	}
	return ReadReply(c.r)
}

// Do sends one command and reads its reply. A successful HELLO with a
// protocol version switches the protocol Proto reports.
func (c *Conn) Do(args ...string) (Reply, error) {
	if err := c.Send(args...); err != nil {
		return Reply{}, err
	}
	r, err := c.Receive()
	if err != nil {
		return Reply{}, fmt.Errorf("reply to %q: %w", args, err)
	}
	if len(args) >= 2 && isHello(args[0]) && !r.IsError() {
		if v, err := strconv.Atoi(args[1]); err == nil {
			c.proto = v
		}
	}
	return r, nil
}

func isHello(name string) bool {
	return len(name) == 5 && (name[0]|0x20) == 'h' && (name[1]|0x20) == 'e' &&
		(name[2]|0x20) == 'l' && (name[3]|0x20) == 'l' && (name[4]|0x20) == 'o'
}

// MustDo is Do that fails the test on an I/O or protocol error. Error
// replies are returned, not treated as failures.
func (c *Conn) MustDo(t testing.TB, args ...string) Reply {
	t.Helper()
	r, err := c.Do(args...)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return r
}
