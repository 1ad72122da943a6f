package engine

import (
	"github.com/pelicanhq/pelican/stream"
)

// XDELEX and XACKDEL (Redis 8.2) and XNACK (Redis 8.8), following
// https://redis.io/docs/latest/commands/xdelex/,
// https://redis.io/docs/latest/commands/xackdel/ and
// https://redis.io/docs/latest/commands/xnack/.

const (
	errNumIDsPositive = "ERR Number of IDs must be a positive integer"
	errNumIDsMismatch = "ERR The `numids` parameter must match the number of arguments"
)

// parsePolicyAndIDs parses "[KEEPREF | DELREF | ACKED] IDS numids id ..."
// from args[from:], in any order.
func (c *Client) parsePolicyAndIDs(args [][]byte, from int) (stream.RefPolicy, []stream.ID, bool) {
	policy := stream.KeepRef
	policyGiven := false
	var idArgs [][]byte
	for i := from; i < len(args); i++ {
		switch {
		case equalFold(args[i], "KEEPREF"), equalFold(args[i], "DELREF"), equalFold(args[i], "ACKED"):
			if policyGiven {
				c.errorReply(errSyntax)
				return 0, nil, false
			}
			policy, policyGiven = parsePolicy(args[i]), true
		case equalFold(args[i], "IDS") && i+1 < len(args) && idArgs == nil:
			n, ok := c.intArg(args[i+1], errNumIDsPositive)
			if !ok {
				return 0, nil, false
			}
			if n <= 0 {
				c.errorReply(errNumIDsPositive)
				return 0, nil, false
			}
			if n > int64(len(args)-i-2) {
				c.errorReply(errNumIDsMismatch)
				return 0, nil, false
			}
			idArgs = args[i+2 : i+2+int(n)]
			i += 1 + int(n)
		default:
			c.errorReply(errSyntax)
			return 0, nil, false
		}
	}
	if idArgs == nil {
		c.errorReply(errSyntax)
		return 0, nil, false
	}
	ids, ok := c.parseIDs(idArgs)
	return policy, ids, ok
}

// writeCodes writes the per-ID results of XDELEX and XACKDEL.
func writeCodes(c *Client, codes []stream.DeleteResult) {
	c.out.Array(len(codes))
	for _, r := range codes {
		c.out.Int(int64(r))
	}
}

// XDELEX key [KEEPREF | DELREF | ACKED] IDS numids id [id ...]
func xdelexCommand(c *Client, args [][]byte) {
	policy, ids, ok := c.parsePolicyAndIDs(args, 2)
	if !ok {
		return
	}
	s, ok := c.streamLookupWrite(args[1])
	if !ok {
		return
	}
	codes := make([]stream.DeleteResult, len(ids))
	changed := false
	for i, id := range ids {
		codes[i] = stream.NotFound
		if s != nil {
			codes[i] = s.DeleteWithPolicy(id, policy)
			changed = changed || codes[i] == stream.Deleted
		}
	}
	if changed {
		c.e.touchLocked(c.db, args[1])
	}
	writeCodes(c, codes)
}

// XACKDEL key group [KEEPREF | DELREF | ACKED] IDS numids id [id ...]
func xackdelCommand(c *Client, args [][]byte) {
	policy, ids, ok := c.parsePolicyAndIDs(args, 3)
	if !ok {
		return
	}
	s, ok := c.streamLookupWrite(args[1])
	if !ok {
		return
	}
	var g *stream.Group
	if s != nil {
		g = s.Group(args[2])
	}
	codes := make([]stream.DeleteResult, len(ids))
	changed := false
	for i, id := range ids {
		codes[i] = stream.NotFound
		if g != nil {
			codes[i] = s.AckDelete(g, id, policy)
			changed = changed || codes[i] != stream.NotFound
		}
	}
	if changed {
		c.e.touchLocked(c.db, args[1])
	}
	writeCodes(c, codes)
}

// XNACK key group SILENT|FAIL|FATAL IDS numids id [id ...] [RETRYCOUNT n] [FORCE]
func xnackCommand(c *Client, args [][]byte) {
	var mode stream.NackMode
	switch {
	case equalFold(args[3], "SILENT"):
		mode = stream.NackSilent
	case equalFold(args[3], "FAIL"):
		mode = stream.NackFail
	case equalFold(args[3], "FATAL"):
		mode = stream.NackFatal
	default:
		c.errorReply("ERR mode must be SILENT, FAIL, or FATAL")
		return
	}
	retry := int64(-1)
	force := false
	var idArgs [][]byte
	for i := 4; i < len(args); i++ {
		switch {
		case equalFold(args[i], "IDS") && i+1 < len(args) && idArgs == nil:
			n, ok := c.intArg(args[i+1], "ERR numids must be a positive integer")
			if !ok {
				return
			}
			if n <= 0 {
				c.errorReply("ERR numids must be a positive integer")
				return
			}
			if n > int64(len(args)-i-2) {
				c.errorReply("ERR number of IDs doesn't match numids")
				return
			}
			idArgs = args[i+2 : i+2+int(n)]
			i += 1 + int(n)
		case equalFold(args[i], "RETRYCOUNT") && i+1 < len(args):
			v, ok := c.intArg(args[i+1], "")
			if !ok {
				return
			}
			if v < 0 {
				c.errorReply("ERR Invalid RETRYCOUNT value, must be >= 0")
				return
			}
			retry = v
			i++
		case equalFold(args[i], "FORCE"):
			force = true
		default:
			c.errorReply("ERR Unrecognized XNACK option '" + cstr(args[i]) + "'")
			return
		}
	}
	if idArgs == nil {
		c.errorReply("ERR syntax error, expected IDS keyword")
		return
	}
	ids, ok := c.parseIDs(idArgs)
	if !ok {
		return
	}
	s, g, ok := c.groupLookup(args[1], args[2])
	if !ok {
		return
	}
	n := 0
	for _, id := range ids {
		if g.Nack(s, id, mode, retry, force) {
			n++
		}
	}
	if n > 0 {
		c.e.touchLocked(c.db, args[1])
		// Readers blocked with CLAIM can take the entries now.
		c.e.signalKeyAsReadyLocked(c.db, string(args[1]))
	}
	c.out.Int(int64(n))
}
