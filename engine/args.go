package engine

import (
	"github.com/pelicanhq/pelican/internal/resp"
	"github.com/pelicanhq/pelican/stream"
)

// Argument parsing shared by command implementations. Each helper writes
// Redis's error reply and returns false when the argument is invalid.

// intArg parses a 64-bit integer as Redis's getLongLongFromObjectOrReply
// does. msg replaces the default error text when not empty.
func (c *Client) intArg(b []byte, msg string) (int64, bool) {
	v, ok := resp.ParseInt(b)
	if !ok {
		if msg == "" {
			msg = errNotInteger
		}
		c.errorReply(msg)
		return 0, false
	}
	return v, true
}

// rangeArg parses an integer that must lie in [min, max]; out of range it
// replies msg, or Redis's default range error.
func (c *Client) rangeArg(b []byte, min, max int64, msg string) (int64, bool) {
	v, ok := c.intArg(b, msg)
	if !ok {
		return 0, false
	}
	if v < min || v > max {
		if msg == "" {
			msg = "ERR value is out of range, value must between " + itoa(min) + " and " + itoa(max)
		}
		c.errorReply(msg)
		return 0, false
	}
	return v, true
}

// streamIDArg parses a stream ID argument (streamParseIDOrReply and
// friends).
func (c *Client) streamIDArg(b []byte, missingSeq uint64, mode stream.ParseMode) (stream.ID, bool) {
	p, ok := stream.ParseID(b, missingSeq, mode, false)
	if !ok {
		c.errorReply(errInvalidStreamID)
		return stream.ID{}, false
	}
	return p.ID, true
}

// intervalIDArg parses a range bound that may be exclusive ("(" prefix):
// exclusive bounds are strict IDs, inclusive ones may be "-" or "+".
func (c *Client) intervalIDArg(b []byte, missingSeq uint64) (id stream.ID, exclusive, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, ok = c.streamIDArg(b[1:], missingSeq, stream.Strict)
		return id, true, ok
	}
	id, ok = c.streamIDArg(b, missingSeq, stream.Loose)
	return id, false, ok
}

// timeoutMsArg parses a BLOCK timeout in milliseconds, with Redis's errors
// for non-integers, negative values and values that would overflow when
// added to the current time. Zero means forever.
func (c *Client) timeoutMsArg(b []byte) (int64, bool) {
	v, ok := c.intArg(b, errTimeoutInvalid)
	if !ok {
		return 0, false
	}
	if v < 0 {
		c.errorReply(errTimeoutNeg)
		return 0, false
	}
	if v > 0 && v > (1<<63-1)-c.now {
		c.errorReply("ERR timeout is out of range")
		return 0, false
	}
	return v, true
}

func itoa(n int64) string { return string(resp.AppendInt(nil, n)) }
