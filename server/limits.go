package server

import (
	"errors"
	"log/slog"
	"net"
	"syscall"
	"time"

	"github.com/pelicanhq/pelican/engine"
)

// acceptBackoff paces the accept loop after an accept error that may pass,
// such as running out of file descriptors: the loop waits a little longer
// after each consecutive failure (up to a tenth of a second), and logs at
// most once a second, saying how many failures it did not log.
type acceptBackoff struct {
	delay    time.Duration
	lastLog  time.Time
	unlogged int
}

const (
	minAcceptDelay = 5 * time.Millisecond
	maxAcceptDelay = 100 * time.Millisecond
)

// wait logs err if nothing was logged in the last second, and sleeps.
func (b *acceptBackoff) wait(log *slog.Logger, err error) {
	if now := time.Now(); now.Sub(b.lastLog) >= time.Second {
		log.Error("pelican: accepting a connection failed; retrying", "err", err, "unlogged_failures", b.unlogged)
		b.lastLog, b.unlogged = now, 0
	} else {
		b.unlogged++
	}
	if b.delay == 0 {
		b.delay = minAcceptDelay
	} else {
		b.delay = min(2*b.delay, maxAcceptDelay)
	}
	time.Sleep(b.delay)
}

// reset is called after a successful accept.
func (b *acceptBackoff) reset() { b.delay = 0 }

// temporaryAcceptError reports whether an accept error may pass: the
// process or the system is out of file descriptors or memory for now, or
// the listener has a deadline. Other errors end Serve.
func temporaryAcceptError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.EINTR} {
		if errors.Is(err, errno) {
			return true
		}
	}
	return false
}

// overOutputLimit reports whether queued bytes of replies break l: they
// reach the hard limit, or have stayed at or above the soft limit for
// longer than its period. softSince keeps when the soft limit was reached,
// zero while below it.
func overOutputLimit(l engine.OutputLimit, queued int64, softSince *time.Time) bool {
	if l.Hard > 0 && queued >= l.Hard {
		return true
	}
	if l.Soft == 0 || queued < l.Soft {
		*softSince = time.Time{}
		return false
	}
	now := time.Now()
	if softSince.IsZero() {
		*softSince = now
		return false
	}
	return now.Sub(*softSince) > l.SoftFor
}
