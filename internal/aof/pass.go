//go:build unix

package aof

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// schedPass waits for one pass of the Go scheduler: until every goroutine
// runnable when it was called has run and the network has been polled, so
// that connections whose requests had arrived have read and run them.
// Redis's event loop fsyncs after it has run every ready client; a leader
// of an fsync uses a pass to get the same batching (Log.gather).
//
// It works through the netpoller: wait makes a pipe readable and waits for
// the poller to report it, which the scheduler does only once its run
// queues are empty, together with whatever else is ready, then yields
// once more so that what the same poll woke runs first.
type schedPass struct {
	r, w *os.File
	rc   syscall.RawConn
	buf  [64]byte
}

func newSchedPass() (*schedPass, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("aof: scheduler pass: %w", err)
	}
	rc, err := r.SyscallConn()
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("aof: scheduler pass: %w", err)
	}
	return &schedPass{r: r, w: w, rc: rc}, nil
}

// wait waits for one pass. Only one goroutine may call it at a time.
func (p *schedPass) wait() error {
	signalled := false
	var werr error
	err := p.rc.Read(func(fd uintptr) bool {
		if !signalled {
			// Signal only now, after the read was armed, so that the
			// poller's report cannot be consumed before it waits.
			signalled = true
			if _, werr = p.w.Write([]byte{0}); werr != nil {
				return true
			}
			return false
		}
		for {
			n, err := syscall.Read(int(fd), p.buf[:])
			if err == syscall.EINTR {
				continue
			}
			if err == syscall.EAGAIN {
				return false // not yet: a spurious wake
			}
			if err != nil {
				werr = err
				return true
			}
			if n < len(p.buf) {
				return true
			}
		}
	})
	if err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("aof: scheduler pass: %w", err)
	}
	runtime.Gosched()
	return nil
}

func (p *schedPass) close() {
	p.r.Close()
	p.w.Close()
}
