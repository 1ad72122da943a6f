package pelican

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"
)

// replyCode returns the error code of a server's error reply ("NOGROUP",
// "WRONGTYPE", ...), "" if err is not one.
func replyCode(err error) string {
	var re redis.Error
	if !errors.As(err, &re) {
		return ""
	}
	code, _, _ := strings.Cut(re.Error(), " ")
	return code
}

func isNoGroup(err error) bool   { return replyCode(err) == "NOGROUP" }
func isBusyGroup(err error) bool { return replyCode(err) == "BUSYGROUP" }

// isTransient reports whether err says the server cannot be reached or
// cannot serve for now: a network error, a timeout, a closed connection,
// or a reply such as LOADING or MASTERDOWN.
func isTransient(err error) bool {
	if err == nil {
		return false
	}
	switch replyCode(err) {
	case "LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY":
		return true
	case "":
	default:
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, redis.ErrClosed) || errors.Is(err, redis.ErrPoolTimeout) || strings.Contains(err.Error(), "connection refused")
}
