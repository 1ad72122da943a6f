package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// explainConnect turns a failure to reach a server into a message that
// says what to do about it.
func explainConnect(err error, addr string, timeout time.Duration) error {
	var dns *net.DNSError
	var nerr net.Error
	msg := err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connection refused at %s: is the server running? use --url (or $%s) to reach another one, or --dir to open a data directory", addr, urlEnv)
	case errors.As(err, &dns):
		return fmt.Errorf("cannot find host %q of %s: check --url", dns.Name, addr)
	case errors.Is(err, syscall.ENOENT):
		return fmt.Errorf("no socket at %s: is the server running? check --url", addr)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &nerr) && nerr.Timeout():
		return fmt.Errorf("no answer from %s within %s: is it a Redis server, and reachable? a longer --timeout may help", addr, durationText(timeout))
	case strings.HasPrefix(msg, "NOAUTH"):
		return fmt.Errorf("%s wants a password: give it in the URL, as redis://:PASSWORD@%s", addr, addr)
	case strings.HasPrefix(msg, "WRONGPASS"):
		return fmt.Errorf("%s refused the user name or password in the URL (%s)", addr, msg)
	case strings.HasPrefix(msg, "DENIED"):
		return fmt.Errorf("%s refuses clients from other hosts (protected mode): set a password on it, or reach it from its own host", addr)
	}
	return fmt.Errorf("%s: %w", addr, err)
}

// explainTimeout rewrites the error of a command that reached its server
// and then waited past --timeout for a reply (timeout, as the flag
// reads): "looking up orders: no answer within 5s ...", instead of
// go-redis's "read tcp ...: i/o timeout" or "context deadline exceeded".
// Other errors are returned as they are.
func explainTimeout(err error, timeout string) error {
	var nerr net.Error
	var cause error
	switch {
	case errors.As(err, &nerr) && nerr.Timeout():
		cause = nerr
	case errors.Is(err, context.DeadlineExceeded):
		cause = context.DeadlineExceeded
	default:
		return err
	}
	what := strings.TrimSuffix(strings.TrimSuffix(err.Error(), cause.Error()), ": ")
	if what != "" {
		what += ": "
	}
	return fmt.Errorf("%sno answer from the server within %s: it may be busy or stuck; a longer --timeout may help", what, timeout)
}
