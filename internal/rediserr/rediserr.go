// Package rediserr tells apart the errors a go-redis call returns: the
// error replies of the server, by their code (the upper-case first word:
// WRONGTYPE, NOGROUP, BUSYGROUP) or, for the generic ERR code, by their
// text; and failures to reach the server or to read its answer, after
// which a command may or may not have been applied.
//
// The texts below are Redis's, and the tests check each against a real
// redis-server and the embedded engine. A caller asks what an error is
// with these functions instead of matching its text: the match is then
// written once, and an error wrapped with context (fmt.Errorf with %w)
// still matches.
package rediserr

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Texts of the ERR replies the library tells apart, exactly as Redis
// words them (the code included).
const (
	// noSuchKey is the reply of XINFO, XCFGSET and others for a missing
	// key.
	noSuchKey = "ERR no such key"
	// unknownCommand starts the reply to a command the server does not
	// have (or that was renamed away).
	unknownCommand = "ERR unknown command"
	// idTooSmall is XADD's reply to an explicit ID not above the
	// stream's last.
	idTooSmall = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	// oomInExec is EXEC's reply when maxmemory refused it: a transaction
	// holding a command that may add data, started before the limit was
	// reached.
	oomInExec = "EXECABORT Transaction discarded because of: OOM "
)

// Codes of the replies that say the server cannot serve the command now
// but may later (IsTransient).
var transientCodes = []string{
	"LOADING",     // the server is loading its dataset
	"BUSY",        // a script or function runs too long
	"TRYAGAIN",    // a multi-key command during a slot's migration
	"CLUSTERDOWN", // the cluster cannot serve the slot
	"MASTERDOWN",  // a replica lost its master and serves no stale data
	"READONLY",    // a write reached a replica (say, during a failover)
}

// Code returns the code of the error reply err is or wraps: its first
// word, such as "ERR" or "WRONGTYPE"; "" if err is no error reply. The
// values go-redis makes up itself (redis.Nil, redis.TxFailedErr) have no
// code.
func Code(err error) string {
	msg, ok := replyText(err)
	if !ok {
		return ""
	}
	code, _, _ := strings.Cut(msg, " ")
	for _, c := range code {
		if c < 'A' || c > 'Z' {
			return ""
		}
	}
	return code
}

// replyText returns the text of the redis.Error err is or wraps.
func replyText(err error) (string, bool) {
	var rerr redis.Error
	if err == nil || !errors.As(err, &rerr) {
		return "", false
	}
	return rerr.Error(), true
}

// hasText reports whether err is an error reply starting with text.
func hasText(err error, text string) bool {
	msg, ok := replyText(err)
	return ok && strings.HasPrefix(msg, text)
}

// IsReply reports whether err is, or wraps, an answer of the server: an
// error reply, or one of the values go-redis returns for a reply
// (redis.Nil for a null, redis.TxFailedErr for an EXEC that a WATCH
// aborted). Such an error is definitive: the server received the command
// and answered it.
func IsReply(err error) bool {
	var rerr redis.Error
	return err != nil && errors.As(err, &rerr)
}

// IsWrongType reports whether err is Redis's WRONGTYPE reply: a key holds
// another type than the command works on.
func IsWrongType(err error) bool { return Code(err) == "WRONGTYPE" }

// IsNoGroup reports whether err is Redis's NOGROUP reply: the stream has
// no such consumer group (or the key does not exist).
func IsNoGroup(err error) bool { return Code(err) == "NOGROUP" }

// IsBusyGroup reports whether err is Redis's BUSYGROUP reply: XGROUP
// CREATE found the group already there.
func IsBusyGroup(err error) bool { return Code(err) == "BUSYGROUP" }

// IsOutOfMemory reports whether err is Redis's OOM reply ("OOM command
// not allowed when used memory > 'maxmemory'."): the server's data
// exceeds maxmemory and it refuses commands that may add data until
// deletions bring it back under, or an EXEC refused for that reason.
func IsOutOfMemory(err error) bool { return Code(err) == "OOM" || hasText(err, oomInExec) }

// IsNoPerm reports whether err is Redis's NOPERM reply: the connection's
// ACL user may not run the command or touch the key.
func IsNoPerm(err error) bool { return Code(err) == "NOPERM" }

// IsNoSuchKey reports whether err is Redis's "ERR no such key" reply, of
// the commands that need the key to exist (XINFO, XCFGSET).
func IsNoSuchKey(err error) bool {
	msg, ok := replyText(err)
	return ok && msg == noSuchKey
}

// IsUnknownCommand reports whether err says the server has no such
// command: an older server, or one where the command was renamed away or
// disabled.
func IsUnknownCommand(err error) bool { return hasText(err, unknownCommand) }

// IsIDTooSmall reports whether err is XADD's refusal of an explicit ID
// that is not above the stream's last ID.
func IsIDTooSmall(err error) bool { return hasText(err, idTooSmall) }

// IsConnection reports whether err is a failure to reach the server or to
// read its answer: a network error (refused, reset, timed out), a
// connection closed under the command (io.EOF, net.ErrClosed), a context
// deadline that expired while waiting, or no pooled connection free in
// time. The command may or may not have been applied. A context that was
// canceled is not a connection error: the caller gave up; nor is a
// client that was closed (redis.ErrClosed): it stays closed.
func IsConnection(err error) bool {
	if err == nil || IsReply(err) || errors.Is(err, context.Canceled) {
		return false
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, redis.ErrPoolTimeout)
}

// IsTransient reports whether err may go away if the command is sent
// again later: a connection error (IsConnection), or a reply saying the
// server cannot serve it now (LOADING, BUSY, TRYAGAIN, CLUSTERDOWN,
// MASTERDOWN, READONLY). Other error replies are definitive: sending the
// same command again gets the same answer.
func IsTransient(err error) bool {
	if IsConnection(err) {
		return true
	}
	code := Code(err)
	for _, c := range transientCodes {
		if code == c {
			return true
		}
	}
	return false
}
