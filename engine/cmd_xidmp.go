package engine

import (
	"github.com/pelicanhq/pelican/stream"
)

// Producer-side deduplication: XADD IDMP and IDMPAUTO, and XCFGSET (Redis
// 8.6, https://redis.io/docs/latest/commands/xadd/ and
// https://redis.io/docs/latest/commands/xcfgset/).

type idmpMode int

const (
	idmpNone idmpMode = iota
	idmpExplicit
	idmpAuto
)

// idmpArgs are XADD's IDMP producer-id idempotent-id, or IDMPAUTO
// producer-id.
type idmpArgs struct {
	mode     idmpMode
	producer []byte
	iid      []byte
}

const (
	errIdmpExplicitID = "ERR IDMP/IDMPAUTO can be used only with auto-generated IDs"
	errIdmpTwice      = "ERR IDMP/IDMPAUTO specified multiple times"
)

// parseIdmpArgs parses IDMP <pid> <iid> or IDMPAUTO <pid> at args[i] and
// returns how many arguments after args[i] it consumed. When the option's
// arguments are missing it consumes nothing, and the keyword is then read
// as the entry ID, as Redis does.
func (c *Client) parseIdmpArgs(args [][]byte, i int, a *idmpArgs) (int, bool) {
	more := len(args) - 1 - i
	auto := equalFold(args[i], "IDMPAUTO")
	need := 2
	if auto {
		need = 1
	}
	if more < need {
		c.errorReply(errInvalidStreamID)
		return 0, false
	}
	if a.mode != idmpNone {
		c.errorReply(errIdmpTwice)
		return 0, false
	}
	if auto {
		if len(args[i+1]) == 0 {
			c.errorReply("ERR IDMPAUTO requires a non-empty producer ID")
			return 0, false
		}
		a.mode, a.producer = idmpAuto, args[i+1]
		return 1, true
	}
	if len(args[i+1]) == 0 {
		c.errorReply("ERR IDMP requires a non-empty producer ID")
		return 0, false
	}
	if len(args[i+2]) == 0 {
		c.errorReply("ERR IDMP requires a non-empty idempotent ID")
		return 0, false
	}
	a.mode, a.producer, a.iid = idmpExplicit, args[i+1], args[i+2]
	return 2, true
}

// idempotentID returns the idempotent ID of an XADD: the given one, or for
// IDMPAUTO one derived from the fields and values.
func (a *idmpArgs) idempotentID(fv [][]byte) []byte {
	if a.mode == idmpAuto {
		if a.iid == nil {
			a.iid = stream.AutoIdempotentID(fv)
		}
	}
	return a.iid
}

// idmpLookup returns the ID of the entry an earlier XADD with the same
// producer and idempotent ID added, if the stream remembers one.
func (c *Client) idmpLookup(s *stream.Stream, fv [][]byte, a *idmpArgs) (stream.ID, bool) {
	return s.IdmpLookup(a.producer, a.idempotentID(fv), c.now)
}

// idmpRecord remembers the entry an XADD with IDMP added.
func (c *Client) idmpRecord(s *stream.Stream, id stream.ID, fv [][]byte, a *idmpArgs) {
	s.IdmpRecord(a.producer, a.idempotentID(fv), id)
}

type infoField struct {
	name  string
	value int64
}

// idmpInfoFields are the deduplication fields of XINFO STREAM, present
// since Redis 8.6 whether or not the stream uses IDMP.
func idmpInfoFields(s *stream.Stream, now int64) []infoField {
	st := s.IdmpStats(now)
	return []infoField{
		{"idmp-duration", st.Duration},
		{"idmp-maxsize", st.MaxSize},
		{"pids-tracked", st.PidsTracked},
		{"iids-tracked", st.IidsTracked},
		{"iids-added", st.IidsAdded},
		{"iids-duplicates", st.IidsDuplicates},
	}
}

// XCFGSET key [IDMP-DURATION seconds] [IDMP-MAXSIZE count]
func xcfgsetCommand(c *Client, args [][]byte) {
	var duration, maxSize int64
	for i := 2; i < len(args); i++ {
		more := len(args) - 1 - i
		switch {
		case equalFold(args[i], "IDMP-DURATION") && more > 0:
			v, ok := c.intArg(args[i+1], "")
			if !ok {
				return
			}
			if v < 1 || v > stream.IdmpMaxDuration {
				c.errorReply("ERR IDMP-DURATION must be between 1 and 86400 seconds")
				return
			}
			duration = v
			i++
		case equalFold(args[i], "IDMP-MAXSIZE") && more > 0:
			v, ok := c.intArg(args[i+1], "")
			if !ok {
				return
			}
			if v < 1 || v > stream.IdmpMaxMaxSize {
				c.errorReply("ERR IDMP-MAXSIZE must be between 1 and 10000 entries")
				return
			}
			maxSize = v
			i++
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	if duration == 0 && maxSize == 0 {
		c.errorReply("ERR At least one parameter must be specified")
		return
	}
	s, ok := c.streamLookupWrite(args[1])
	if !ok {
		return
	}
	if s == nil {
		c.errorReply(errNoKey)
		return
	}
	s.SetIdmpConfig(duration, maxSize)
	c.e.touchLocked(c.db, args[1])
	c.out.Simple("OK")
}
