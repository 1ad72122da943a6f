package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// failingListener fails its first accepts with err, then accepts from the
// listener it wraps.
type failingListener struct {
	net.Listener
	mu    sync.Mutex
	fails int
	err   error
}

func (l *failingListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.fails > 0 {
		l.fails--
		l.mu.Unlock()
		return nil, l.err
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

// TestAcceptErrorsAreTemporary makes accept fail as it does when the
// process runs out of file descriptors: Serve keeps accepting, logs the
// failures at most once a second, and then serves the next client.
func TestAcceptErrorsAreTemporary(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE} {
		t.Run(errno.Error(), func(t *testing.T) {
			inner, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			acceptErr := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
			l := &failingListener{Listener: inner, fails: 20, err: acceptErr}
			eng := engine.New(engine.Config{})
			defer eng.Close()
			log := &syncbuf.Buffer{}
			srv := New(eng, Config{Logger: slog.New(slog.NewTextHandler(log, nil))})
			served := make(chan error, 1)
			start := time.Now()
			go func() { served <- srv.Serve(l) }()

			c, err := net.Dial("tcp", inner.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write([]byte("PING\r\n")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 7)
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "+PONG\r\n" {
				t.Fatalf("PING after accept errors: %q, %v", buf, err)
			}
			elapsed := time.Since(start)
			if n := strings.Count(log.String(), "accepting a connection failed"); n < 1 || n > int(elapsed/time.Second)+1 {
				t.Errorf("20 accept failures in %v logged %d times, want once a second at most:\n%s", elapsed, n, log.String())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-served; !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve: %v, want ErrServerClosed", err)
			}
		})
	}
}

// TestPermanentAcceptErrorEndsServe checks that an error that will not
// pass still ends Serve.
func TestPermanentAcceptErrorEndsServe(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	acceptErr := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EINVAL)}
	eng := engine.New(engine.Config{})
	defer eng.Close()
	srv := New(eng, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	err = srv.Serve(&failingListener{Listener: inner, fails: 1, err: acceptErr})
	if !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Serve: %v, want EINVAL", err)
	}
}
