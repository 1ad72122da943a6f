package server

import (
	"net"
	"sync"
	"syscall"

	"github.com/pelicanhq/pelican/internal/memconn"
)

// maxKeptQueue is the largest queue buffer a connection keeps once its
// replies are written.
const maxKeptQueue = 1 << 20

// replyWriter sends a connection's replies without ever making the
// connection's reader wait for the client to read them.
//
// A client may send a whole pipeline before reading any reply. If the
// server wrote each batch of replies with a blocking write, both sides
// could end up waiting on full socket buffers: the client writing, the
// server writing. So replies are first written without waiting (on a TCP
// socket, one non-blocking write, which takes everything in the common
// case); whatever does not fit is handed to a flusher goroutine, and the
// connection goes on reading, queueing later replies behind it, as Redis
// holds replies in its output buffers.
type replyWriter struct {
	conn net.Conn
	raw  syscall.RawConn // nil when conn has no file descriptor
	// direct is set for connections whose writes never wait.
	direct bool

	mu      sync.Mutex
	pending []byte        // bytes the flusher still has to write
	writing int           // bytes the flusher has taken from pending and is writing
	active  bool          // a flusher goroutine runs
	err     error         // the flusher's write error, reported on the next write
	idle    chan struct{} // closed when the running flusher exits
}

func newReplyWriter(conn net.Conn) *replyWriter {
	w := &replyWriter{conn: conn}
	switch c := conn.(type) {
	case *memconn.Conn:
		w.direct = true
	case syscall.Conn:
		if rc, err := c.SyscallConn(); err == nil {
			w.raw = rc
		}
	}
	return w
}

// write sends b, or queues what cannot be sent now, and returns how many
// bytes wait in the queue. b may be reused by the caller once write
// returns.
func (w *replyWriter) write(b []byte) (int, error) {
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return 0, err
	}
	if w.active {
		w.pending = append(w.pending, b...)
		queued := len(w.pending) + w.writing
		w.mu.Unlock()
		return queued, nil
	}
	w.mu.Unlock()

	n, err := w.tryWrite(b)
	if err != nil {
		return 0, err
	}
	if n == len(b) {
		return 0, nil
	}
	w.mu.Lock()
	w.pending = append(w.pending[:0], b[n:]...)
	queued := len(w.pending)
	w.active = true
	w.idle = make(chan struct{})
	w.mu.Unlock()
	go w.flush()
	return queued, nil
}

// tryWrite writes as much of b as it can without waiting.
func (w *replyWriter) tryWrite(b []byte) (int, error) {
	switch {
	case w.direct:
		return w.conn.Write(b)
	case w.raw == nil:
		return 0, nil // hand everything to the flusher
	}
	var n int
	var werr error
	err := w.raw.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if werr != syscall.EINTR {
				break
			}
		}
		return true // never wait here
	})
	if err != nil {
		return 0, err
	}
	if werr == syscall.EAGAIN {
		return 0, nil
	}
	if werr != nil {
		return 0, werr
	}
	return n, nil
}

// flush writes the queued replies, waiting as long as the client needs,
// until the queue is empty. Queues that a burst grew large are dropped
// then, so that the memory goes back.
func (w *replyWriter) flush() {
	var buf []byte
	for {
		w.mu.Lock()
		w.writing = 0
		if len(w.pending) == 0 || w.err != nil {
			w.active = false
			if cap(w.pending) > maxKeptQueue {
				w.pending = nil
			}
			close(w.idle)
			w.mu.Unlock()
			return
		}
		if cap(buf) > maxKeptQueue {
			buf = nil
		}
		buf, w.pending = w.pending, buf[:0]
		w.writing = len(buf)
		w.mu.Unlock()
		if _, err := w.conn.Write(buf); err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
		}
	}
}

// drain waits until every queued reply is written, and returns the write
// error if there was one.
func (w *replyWriter) drain() error {
	w.mu.Lock()
	idle, active := w.idle, w.active
	w.mu.Unlock()
	if active {
		<-idle
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}
