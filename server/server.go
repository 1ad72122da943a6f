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
	"runtime/debug"
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

	mu sync.Mutex
	// freed is when memory was last given back to the system; freeing
	// says that a return is scheduled.
	freed     time.Time
	freeing   bool
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
	var backoff acceptBackoff
	for {
		conn, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			if !temporaryAcceptError(err) {
				return err
			}
			backoff.wait(s.log, err)
			continue
		}
		backoff.reset()
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		s.ServeConn(conn)
	}
}

// ServeConn serves one connection in a new goroutine. The server closes
// it when the client quits, on a protocol error, when it reaches a limit
// (docs/limits.md), or on Shutdown. When maxclients clients are connected,
// the connection is sent Redis's error and closed.
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
	ip := "" // not TCP: an in-process connection
	if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok {
		ip = ta.IP.String()
	}
	c, err := eng.AdmitClient(engine.ClientInfo{
		RemoteIP:  ip,
		Addr:      addrString(conn.RemoteAddr()),
		LocalAddr: addrString(conn.LocalAddr()),
		Kill:      func() { conn.Close() },
		Wake:      func() { _ = conn.SetReadDeadline(longAgo) },
	})
	if err != nil {
		// Best effort, as Redis: a new socket's buffer takes the line.
		_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = io.WriteString(conn, engine.RefusalReply(err))
		return
	}
	defer c.Close()
	r := resp.NewReader(conn)
	w := newReplyWriter(conn)
	var deadline time.Time // the read deadline currently set
	interrupted := false   // a read ended on its deadline
	var lastRead time.Time // when the client last sent something, while timeout is set
	var softSince time.Time
	for {
		eng.Lock()
		c.PollBlockLocked() // collect a served reply, or time the block out
		more := false       // commands are left in the buffer to run
		if !c.Blocked() {
			more = s.executeBuffered(c, r)
		}
		want := time.Time{}
		lim := c.LimitsLocked()
		idleAt := time.Time{} // when the client counts as idle
		if c.Blocked() {
			_, want = c.PollBlockLocked()
		} else if lim.Idle > 0 {
			if lastRead.IsZero() {
				lastRead = time.Now() // timeout was just set: count from now
			}
			// Whole seconds, as Redis counts them: the deadline moves at
			// most once a second however often the client sends.
			idleAt = lastRead.Truncate(time.Second).Add(lim.Idle + time.Second)
			want = idleAt
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
			queued, err := w.write(out)
			if err != nil {
				return
			}
			c.ResetOutput()
			if queued > 0 && overOutputLimit(lim.Output, int64(queued), &softSince) {
				s.log.Warn("pelican: closing a client that reached its output buffer limit",
					"addr", conn.RemoteAddr(), "omem", queued, "hard", lim.Output.Hard, "soft", lim.Output.Soft)
				eng.CountDisconnect(engine.OutputBufferLimit)
				s.released(queued)
				return
			}
		}
		if c.CloseAfterReply() {
			_ = w.drain()
			return
		}
		if more {
			continue
		}
		if size := r.Cap(); r.Shrink() {
			s.released(size)
		}
		n, err := r.Fill()
		if n > 0 {
			if lim.Idle > 0 {
				lastRead = time.Now() // a clock read only when timeout is set
			} else {
				lastRead = time.Time{}
			}
			if q := r.Buffered(); int64(q) > lim.QueryBuffer {
				s.log.Warn("pelican: closing a client that reached its query buffer limit",
					"addr", conn.RemoteAddr(), "qbuf", q, "limit", lim.QueryBuffer)
				eng.CountDisconnect(engine.QueryBufferLimit)
				s.released(r.Cap())
				return
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if !idleAt.IsZero() && !time.Now().Before(idleAt) {
					s.log.Debug("pelican: closing an idle client", "addr", conn.RemoteAddr(), "timeout", lim.Idle)
					return
				}
				interrupted = true
				continue
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.log.Debug("pelican: connection read failed", "addr", conn.RemoteAddr(), "err", err)
			}
			// A client that leaves in the middle of a large request
			// leaves its buffer behind.
			s.released(r.Cap())
			return
		}
	}
}

// maxBatchOutput is how many bytes of replies a connection gathers before
// it sends them and goes on with the commands still buffered: a pipeline of
// commands with large replies is sent in pieces, each checked against the
// client's output buffer limit, instead of being built whole in memory.
const maxBatchOutput = 256 << 10

// executeBuffered runs the complete commands in the reader's buffer,
// stopping early if one blocks or ends the connection, or when the replies
// reach maxBatchOutput bytes. It reports whether it stopped for the
// replies' size, with commands possibly left to run.
func (s *Server) executeBuffered(c *engine.Client, r *resp.Reader) (more bool) {
	r.MaxBulkLen = c.ProtoMaxBulkLenLocked()
	for !c.Blocked() && !c.CloseAfterReply() {
		if len(c.Output()) >= maxBatchOutput {
			return true
		}
		r.Unauthenticated = !c.Authenticated()
		args, err := r.Parse()
		if err == resp.ErrIncomplete {
			return false
		}
		if err != nil {
			// Declared here, not before Parse: errors.As makes it escape,
			// which would cost an allocation per command.
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				c.ProtocolErrorLocked(pe.Msg)
			}
			return false
		}
		c.ExecLocked(args)
	}
	return false
}

// releaseAbove is the size of a connection's buffer whose release makes
// the server give memory back to the system.
const releaseAbove = 16 << 20

// released is called when a connection drops a buffer of size bytes. For a
// large one, the process gives the memory it no longer uses back to the
// system: otherwise a burst from one client would keep its peak footprint
// until enough other allocation came to trigger a collection. The return
// happens a moment later, once the connection has let go of the buffer,
// and at most once every ten seconds; releases meanwhile are covered by
// the one scheduled, so the last of a burst is given back too.
func (s *Server) released(size int) {
	if size < releaseAbove {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.freeing {
		return
	}
	s.freeing = true
	delay := max(releaseDelay, time.Until(s.freed.Add(releaseEvery)))
	time.AfterFunc(delay, func() {
		// Before the collection: a release while it runs schedules
		// another, as the memory it drops may be missed by this one.
		s.mu.Lock()
		s.freeing = false
		s.freed = time.Now()
		s.mu.Unlock()
		debug.FreeOSMemory()
	})
}

const (
	// releaseDelay lets the connection that dropped a buffer finish
	// before the memory is collected.
	releaseDelay = 50 * time.Millisecond
	// releaseEvery spaces the collections that give memory back.
	releaseEvery = 10 * time.Second
)
