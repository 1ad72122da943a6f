package pelican

import (
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/intconv"
)

// The read loops send XREADGROUP with go-redis's RawCmd and turn the reply's
// RESP bytes straight into Messages. go-redis's typed XReadGroup, or its
// generic reply, would box every field in an interface and build a map or
// slice per entry, only for the worker to copy them into the
// map[string]string handlers get; on a fast server that costs as much as
// the rest of the worker. Each entry's bytes become one string, and its ID,
// field names and values are slices of it, so a message costs two
// allocations (that string and its map) whatever its number of fields.
//
// A ClusterClient reads with the generic reply instead: it must see MOVED
// and ASK errors to follow them, and RawCmd keeps error replies as bytes.

// newMessage sets a zero m to the defaults of a first delivery of entry
// id. It writes only the fields that differ from zero: m is a fresh
// element of a batch's slab.
func (w *Worker) newMessage(m *Message, id string) {
	m.ID, m.Stream, m.Group = id, w.cfg.Stream, w.cfg.Group
	m.Deliveries, m.MaxDeliveries = 1, w.cfg.MaxDeliveries
	m.claimIdle = -1
}

// parseReadGroup turns an XREADGROUP reply for one stream, as go-redis's
// generic reply, in RESP2 (an array of [name, entries]) or RESP3 (a map of
// name to entries), into messages. Each entry is [id, fields] or, with
// CLAIM, [id, fields, idle, earlier deliveries]; fields is nil for an entry
// deleted while pending.
func (w *Worker) parseReadGroup(reply any) ([]*Message, error) {
	var entries []any
	switch r := reply.(type) {
	case nil:
		return nil, nil
	case []any:
		if len(r) == 0 {
			return nil, nil
		}
		pair, ok := r[0].([]any)
		if !ok || len(pair) != 2 {
			return nil, fmt.Errorf("pelican: unexpected XREADGROUP reply %v", r[0])
		}
		entries, _ = pair[1].([]any)
	case map[any]any:
		for _, v := range r {
			entries, _ = v.([]any)
		}
	default:
		return nil, fmt.Errorf("pelican: unexpected XREADGROUP reply of type %T", reply)
	}
	slab := make([]Message, len(entries)) // one allocation for the batch
	ctxs := make([]handlerContext, len(entries))
	msgs := make([]*Message, len(entries))
	for i, e := range entries {
		parts, ok := e.([]any)
		if !ok || len(parts) < 2 {
			return nil, fmt.Errorf("pelican: unexpected XREADGROUP entry %v", e)
		}
		id, ok := parts[0].(string)
		if !ok {
			return nil, fmt.Errorf("pelican: unexpected XREADGROUP entry ID %v", parts[0])
		}
		m := &slab[i]
		w.newMessage(m, id)
		m.hctx = &ctxs[i]
		if fields, ok := parts[1].([]any); ok {
			m.Values = make(map[string]string, len(fields)/2)
			for j := 0; j+1 < len(fields); j += 2 {
				k, _ := fields[j].(string)
				v, _ := fields[j+1].(string)
				m.Values[k] = v
			}
		}
		if len(parts) >= 4 {
			// With CLAIM, claimed entries report their idle time and
			// earlier deliveries; new ones report 0 and 0.
			idle, _ := parts[2].(int64)
			if n, ok := parts[3].(int64); ok {
				m.Deliveries = n + 1
				if idle > 0 || n > 0 {
					m.claimIdle = idle
				}
			}
		}
		msgs[i] = m
	}
	return msgs, nil
}

// replyError is an error reply found in raw reply bytes.
type replyError string

func (e replyError) Error() string { return string(e) }

// RedisError marks e as an error the server sent, like go-redis's own.
func (replyError) RedisError() {}

var _ redis.Error = replyError("")

// rawReply walks the RESP bytes of one reply.
type rawReply struct {
	b []byte
	i int
	// lineStart and lineEnd are where the last header's line is.
	lineStart, lineEnd int
}

// errTruncated is what rawReply reports for bytes that end mid-reply or
// break the protocol.
var errTruncated = fmt.Errorf("pelican: malformed XREADGROUP reply")

// header reads a type byte and its line. For aggregates and bulk strings n
// is the length, -1 for a null; for integers it is the value. Error replies
// come back as an error.
func (r *rawReply) header() (kind byte, n int64, err error) {
	if r.i >= len(r.b) {
		return 0, 0, errTruncated
	}
	kind = r.b[r.i]
	start := r.i + 1
	end := start
	for end < len(r.b) && r.b[end] != '\r' {
		end++
	}
	if end+1 >= len(r.b) || r.b[end+1] != '\n' {
		return 0, 0, errTruncated
	}
	line := r.b[start:end]
	r.lineStart, r.lineEnd = start, end
	r.i = end + 2
	switch kind {
	case '-':
		return 0, 0, replyError(line)
	case '_', '+', '#', ',', '(':
		return kind, -1, nil
	}
	v, ok := intconv.ParseInt(line)
	if !ok || kind != ':' && v < -1 {
		return 0, 0, errTruncated
	}
	if kind == '!' {
		// A RESP3 blob error: its text follows.
		if v < 0 || int64(len(r.b)-r.i) < v+2 {
			return 0, 0, errTruncated
		}
		text := r.b[r.i : r.i+int(v)]
		r.i += int(v) + 2
		return 0, 0, replyError(text)
	}
	return kind, v, nil
}

// bulk reads a bulk (or simple) string and returns where its bytes are;
// null reports a null bulk.
func (r *rawReply) bulk() (start, end int, null bool, err error) {
	kind, n, err := r.header()
	if err != nil {
		return 0, 0, false, err
	}
	switch kind {
	case '$':
		if n < 0 {
			return 0, 0, true, nil
		}
		if int64(len(r.b)-r.i) < n+2 {
			return 0, 0, false, errTruncated
		}
		start, end = r.i, r.i+int(n)
		r.i = end + 2
		return start, end, false, nil
	case '+':
		return r.lineStart, r.lineEnd, false, nil // the text is the line
	case '_':
		return 0, 0, true, nil
	}
	return 0, 0, false, errTruncated
}

// skip passes over one value of any type.
func (r *rawReply) skip() error {
	kind, n, err := r.header()
	if err != nil {
		return err
	}
	switch kind {
	case '$', '=':
		if n < 0 {
			return nil
		}
		if int64(len(r.b)-r.i) < n+2 {
			return errTruncated
		}
		r.i += int(n) + 2
	case '*', '~', '>':
		for ; n > 0; n-- {
			if err := r.skip(); err != nil {
				return err
			}
		}
	case '%':
		for ; n > 0; n-- {
			if err := r.skip(); err != nil {
				return err
			}
			if err := r.skip(); err != nil {
				return err
			}
		}
	case ':', '+', '_', '#', ',', '(':
		// nothing follows the line
	default:
		return errTruncated
	}
	return nil
}

// aggregate reads an array header (a map's for RESP3's outer reply):
// the element count, -1 for a null.
func (r *rawReply) aggregate() (int64, error) {
	kind, n, err := r.header()
	if err != nil {
		return 0, err
	}
	switch kind {
	case '*', '%':
		return n, nil
	case '_':
		return -1, nil
	}
	return 0, errTruncated
}

// parseReadGroupRaw is parseReadGroup for the RESP bytes of the reply, in
// either protocol: a null (no messages before BLOCK ran out), an array of
// [name, entries] (RESP2) or a map of name to entries (RESP3).
func (w *Worker) parseReadGroupRaw(b []byte) ([]*Message, error) {
	r := rawReply{b: b}
	kind, n, err := r.header()
	if err != nil {
		return nil, err
	}
	switch {
	case kind == '_' || (kind == '*' || kind == '%') && n <= 0:
		return nil, nil
	case kind == '*':
		// [[name, entries]]
		pair, err := r.aggregate()
		if err != nil {
			return nil, err
		}
		if pair != 2 {
			return nil, fmt.Errorf("pelican: unexpected XREADGROUP reply: a stream element of %d parts", pair)
		}
	case kind != '%':
		return nil, fmt.Errorf("pelican: unexpected XREADGROUP reply of type %q", kind)
	}
	if err := r.skip(); err != nil { // the stream's name
		return nil, err
	}
	count, err := r.aggregate()
	if err != nil || count <= 0 {
		return nil, err
	}
	if count > int64(len(b)) {
		return nil, errTruncated
	}
	slab := make([]Message, count) // one allocation for the batch
	ctxs := make([]handlerContext, count)
	msgs := make([]*Message, count)
	var spans []int // field name and value offsets within an entry
	for i := range slab {
		m := &slab[i]
		m.hctx = &ctxs[i]
		if spans, err = w.parseRawEntry(&r, m, spans[:0]); err != nil {
			return nil, err
		}
		msgs[i] = m
	}
	return msgs, nil
}

// parseRawEntry reads one entry into m: [id, fields] or, with CLAIM, [id,
// fields, idle, earlier deliveries].
func (w *Worker) parseRawEntry(r *rawReply, m *Message, spans []int) ([]int, error) {
	parts, err := r.aggregate()
	if err != nil {
		return spans, err
	}
	if parts < 2 {
		return spans, fmt.Errorf("pelican: unexpected XREADGROUP entry of %d parts", parts)
	}
	from := r.i
	idStart, idEnd, null, err := r.bulk()
	if err != nil {
		return spans, err
	}
	if null {
		return spans, fmt.Errorf("pelican: unexpected XREADGROUP entry with a null ID")
	}
	nf, err := r.aggregate()
	if err != nil {
		return spans, err
	}
	for j := int64(0); j < nf; j++ {
		start, end, null, err := r.bulk()
		if err != nil {
			return spans, err
		}
		if null {
			return spans, fmt.Errorf("pelican: unexpected XREADGROUP entry with a null field")
		}
		spans = append(spans, start, end)
	}
	// One string holds the entry; everything else is a slice of it.
	s := string(r.b[from:r.i])
	sub := func(start, end int) string { return s[start-from : end-from] }
	w.newMessage(m, sub(idStart, idEnd))
	if nf >= 0 {
		m.Values = make(map[string]string, nf/2)
		for j := 0; j+3 < len(spans); j += 4 {
			m.Values[sub(spans[j], spans[j+1])] = sub(spans[j+2], spans[j+3])
		}
	}
	if parts >= 4 {
		// With CLAIM, claimed entries report their idle time and earlier
		// deliveries; new ones report 0 and 0.
		idleKind, idle, err := r.header()
		if err != nil {
			return spans, err
		}
		kind, n, err := r.header()
		if err != nil {
			return spans, err
		}
		if kind == ':' {
			m.Deliveries = n + 1
			if idleKind == ':' && idle > 0 || n > 0 {
				m.claimIdle = max(idle, 0)
			}
		}
		parts -= 2
	}
	for ; parts > 2; parts-- {
		if err := r.skip(); err != nil {
			return spans, err
		}
	}
	return spans, nil
}
