// Package server serves a Pelican engine over the Redis protocol: on TCP
// (pelican server) or on any net.Conn, such as one end of an in-process
// pipe.
//
// Each connection has one goroutine. It reads whatever the client has sent,
// executes every complete command in the buffer under one acquisition of
// the engine lock, and writes all the replies with one write. Replies that
// the client is not ready to take are queued behind a flusher goroutine
// (see replyWriter), so reading never waits for the client to read. A client
// blocked in XREAD or XREADGROUP keeps reading (so a disconnect is noticed
// and pipelined commands are buffered); the engine interrupts that read
// through the connection's read deadline when the command is served, and
// the deadline also implements BLOCK's timeout.
package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/resp"
)

// Config configures a Server. The zero value works.
type Config struct {
	// Logger receives connection errors. If nil, slog.Default() is used.
	Logger *slog.Logger
}

// Server accepts connections for one engine.
type Server struct {
	eng *engine.Engine
	log *slog.Logger

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	closing   bool
	wg        sync.WaitGroup
}

// New returns a server for eng.
func New(eng *engine.Engine, cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Server{
		eng:       eng,
		log:       log,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[net.Conn]struct{}),
	}
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("server: closed")

// Serve accepts connections on l until Shutdown is called or l fails.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	for {
		conn, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return err
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		s.ServeConn(conn)
	}
}

// ServeConn serves one connection in a new goroutine. The server closes
// it when the client quits, on a protocol error, or on Shutdown.
func (s *Server) ServeConn(conn net.Conn) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.conns[conn] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.conns, conn)
			s.mu.Unlock()
			conn.Close()
		}()
		s.handle(conn)
	}()
}

// Shutdown stops accepting connections, ends the open ones and waits for
// their goroutines, or for ctx to end. A TCP connection's read side is
// closed first, so that a command already running (a script being
// stopped, say) still sends its reply; when ctx ends, every connection is
// closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		if tc, ok := c.(*net.TCPConn); !ok || tc.CloseRead() != nil {
			c.Close()
		}
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// longAgo is a read deadline in the past: setting it interrupts a read.
var longAgo = time.Unix(1, 0)

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// handle runs the read-execute-write loop of one connection.
func (s *Server) handle(conn net.Conn) {
	eng := s.eng
	c := eng.NewClient(engine.ClientInfo{
		Addr:      addrString(conn.RemoteAddr()),
		LocalAddr: addrString(conn.LocalAddr()),
		Kill:      func() { conn.Close() },
		Wake:      func() { _ = conn.SetReadDeadline(longAgo) },
	})
	defer c.Close()
	r := resp.NewReader(conn)
	w := newReplyWriter(conn)
	var deadline time.Time // the read deadline currently set
	interrupted := false   // a read ended on its deadline
	for {
		eng.Lock()
		c.PollBlockLocked() // collect a served reply, or time the block out
		if !c.Blocked() {
			s.executeBuffered(c, r)
		}
		want := time.Time{}
		if c.Blocked() {
			_, want = c.PollBlockLocked()
		}
		if want != deadline || interrupted {
			// Under the engine lock, so a concurrent wake cannot be lost.
			_ = conn.SetReadDeadline(want)
			deadline, interrupted = want, false
		}
		journaled := c.JournalWaitLocked()
		eng.Unlock()

		out := c.Output()
		if len(out) > 0 {
			// Replies leave once what they acknowledge (and anything they
			// may have read) is as durable as the fsync policy promises.
			if err := eng.AwaitJournal(journaled); err != nil {
				s.log.Error("pelican: closing a connection whose writes could not be made durable", "addr", conn.RemoteAddr(), "err", err)
				return
			}
		}
		if len(out) > 0 {
			if err := w.write(out); err != nil {
				return
			}
			c.ResetOutput()
		}
		if c.CloseAfterReply() {
			_ = w.drain()
			return
		}
		_, err := r.Fill()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				interrupted = true
				continue
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.log.Debug("pelican: connection read failed", "addr", conn.RemoteAddr(), "err", err)
			}
			return
		}
	}
}

// executeBuffered runs every complete command in the reader's buffer,
// stopping early if one blocks or ends the connection.
func (s *Server) executeBuffered(c *engine.Client, r *resp.Reader) {
	r.MaxBulkLen = c.ProtoMaxBulkLenLocked()
	for !c.Blocked() && !c.CloseAfterReply() {
		r.Unauthenticated = !c.Authenticated()
		args, err := r.Parse()
		if err == resp.ErrIncomplete {
			return
		}
		var pe *resp.ProtocolError
		if errors.As(err, &pe) {
			c.ProtocolErrorLocked(pe.Msg)
			return
		}
		c.ExecLocked(args)
	}
}
