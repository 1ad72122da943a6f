package engine

import (
	"github.com/pelicanhq/pelican/stream"
)

// XDELEX (Redis 8.2), following
// https://redis.io/docs/latest/commands/xdelex/, and the parsing of the
// options it shares with XACKDEL (in cmd_xpel.go).

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
	c.deleteCodesEffect(args, nil, ids, codes)
}
