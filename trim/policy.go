package trim

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pelicanhq/pelican/internal/streamid"
)

// Policy says how much of a stream to keep. It needs MaxLen, or one of
// MaxAge and MinID, or MaxLen with one of them (then both limits hold
// after the trim: the larger cut wins).
type Policy struct {
	// Stream is the stream's key.
	Stream string
	// MaxLen, when positive, keeps at most this many of the newest
	// entries.
	MaxLen int64
	// MaxAge, when positive, removes the entries older than this, judged
	// by the time in their IDs against the client's clock: the cut is the
	// ID "<now - MaxAge in ms>-0".
	MaxAge time.Duration
	// MinID, when set, removes the entries with smaller IDs ("<ms>-<seq>"
	// or "<ms>").
	MinID string
	// Approx trims approximately ("~"): only whole nodes of entries go, so
	// a few more entries than asked for may stay, for a much lower cost.
	// The server also bounds the work of one approximate trim (Redis 7:
	// 100 nodes' worth of entries); the next run takes the rest.
	Approx bool
	// Safe never removes an entry some consumer group has not yet been
	// delivered and acknowledged (see the package documentation).
	Safe bool
	// ScanLimit bounds how many entries Run reads to count what a plain
	// trim would remove that is unprocessed, and how many ghost entries
	// it counts per group. On servers without ACKED it also bounds how
	// far one safe MaxLen trim reaches (the next run goes on). If zero,
	// DefaultScanLimit is used.
	ScanLimit int64
}

// DefaultScanLimit is Policy.ScanLimit's default.
const DefaultScanLimit = 100_000

// ErrBadPolicy means a policy cannot be applied: no stream, no limit, a
// negative limit, a malformed MinID, or both MaxAge and MinID.
var ErrBadPolicy = errors.New("trim: bad policy")

// Validate reports what is wrong with p, wrapping ErrBadPolicy.
func (p Policy) Validate() error {
	switch {
	case p.Stream == "":
		return fmt.Errorf("%w: no stream", ErrBadPolicy)
	case p.MaxLen < 0:
		return fmt.Errorf("%w: negative MaxLen %d", ErrBadPolicy, p.MaxLen)
	case p.MaxAge < 0:
		return fmt.Errorf("%w: negative MaxAge %v", ErrBadPolicy, p.MaxAge)
	case p.ScanLimit < 0:
		return fmt.Errorf("%w: negative ScanLimit %d", ErrBadPolicy, p.ScanLimit)
	case p.MaxAge > 0 && p.MinID != "":
		return fmt.Errorf("%w: both MaxAge and MinID (pick one)", ErrBadPolicy)
	case p.MaxLen == 0 && p.MaxAge == 0 && p.MinID == "":
		return fmt.Errorf("%w: %s: neither MaxLen nor MaxAge nor MinID", ErrBadPolicy, p.Stream)
	}
	if p.MinID != "" {
		if _, ok := streamid.ParseBound(p.MinID, 0); !ok {
			return fmt.Errorf("%w: MinID %q is not a stream ID", ErrBadPolicy, p.MinID)
		}
	}
	return nil
}

func (p Policy) scanLimit() int64 {
	if p.ScanLimit > 0 {
		return p.ScanLimit
	}
	return DefaultScanLimit
}

// minCut returns the ID below which the policy's MinID or MaxAge removes
// entries at time now, and false when it has neither.
func (p Policy) minCut(now time.Time) (streamid.ID, bool) {
	switch {
	case p.MinID != "":
		id, _ := streamid.ParseBound(p.MinID, 0)
		return id, true
	case p.MaxAge > 0:
		ms := now.Add(-p.MaxAge).UnixMilli()
		return streamid.ID{Ms: uint64(max(ms, 0))}, true
	}
	return streamid.ID{}, false
}

// String describes the policy the way XTRIM would be written.
func (p Policy) String() string {
	s := p.Stream
	approx := ""
	if p.Approx {
		approx = " ~"
	}
	if p.MaxLen > 0 {
		s += " MAXLEN" + approx + " " + strconv.FormatInt(p.MaxLen, 10)
	}
	switch {
	case p.MinID != "":
		s += " MINID" + approx + " " + p.MinID
	case p.MaxAge > 0:
		s += " MAXAGE" + approx + " " + p.MaxAge.String()
	}
	if p.Safe {
		s += " (safe)"
	}
	return s
}
