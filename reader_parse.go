package pelican

import (
	"errors"
	"fmt"

	"github.com/pelicanhq/pelican/internal/resp"
)

// The reads (see reader.go) send XREADGROUP with go-redis's RawCmd and
// turn the reply's RESP bytes straight into Messages. go-redis's typed XReadGroup, or its
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

// parseReadGroupRaw is parseReadGroup for the RESP bytes of the reply, in
// either protocol: a null (no messages before BLOCK ran out), an array of
// [name, entries] (RESP2) or a map of name to entries (RESP3). An error
// reply comes back as the server's error, a redis.Error.
func (w *Worker) parseReadGroupRaw(b []byte) (_ []*Message, err error) {
	defer func() {
		if err == nil {
			return
		}
		var serverErr resp.Error
		if !errors.As(err, &serverErr) {
			err = fmt.Errorf("pelican: malformed XREADGROUP reply: %w", err)
		}
	}()
	var r resp.Scanner
	r.Reset(b)
	kind, n, err := r.Aggregate()
	if err != nil {
		return nil, err
	}
	switch {
	case kind == resp.KindNull || (kind == resp.KindArray || kind == resp.KindMap) && n <= 0:
		return nil, nil
	case kind == resp.KindArray:
		// [[name, entries]]
		_, pair, err := r.Aggregate()
		if err != nil {
			return nil, err
		}
		if pair != 2 {
			return nil, fmt.Errorf("a stream element of %d parts", pair)
		}
	case kind != resp.KindMap:
		return nil, fmt.Errorf("a reply of type %q", kind)
	}
	if err := r.Skip(); err != nil { // the stream's name
		return nil, err
	}
	_, count, err := r.Aggregate()
	if err != nil || count <= 0 {
		return nil, err
	}
	if count > int64(len(b)) {
		return nil, resp.ErrTruncated
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
func (w *Worker) parseRawEntry(r *resp.Scanner, m *Message, spans []int) ([]int, error) {
	_, parts, err := r.Aggregate()
	if err != nil {
		return spans, err
	}
	if parts < 2 {
		return spans, fmt.Errorf("an entry of %d parts", parts)
	}
	from := r.Pos()
	idStart, idEnd, null, err := r.Bulk()
	if err != nil {
		return spans, err
	}
	if null {
		return spans, fmt.Errorf("an entry with a null ID")
	}
	_, nf, err := r.Aggregate()
	if err != nil {
		return spans, err
	}
	for j := int64(0); j < nf; j++ {
		start, end, null, err := r.Bulk()
		if err != nil {
			return spans, err
		}
		if null {
			return spans, fmt.Errorf("an entry with a null field")
		}
		spans = append(spans, start, end)
	}
	// One string holds the entry; everything else is a slice of it.
	s := string(r.Input()[from:r.Pos()])
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
		idleV, err := r.Next()
		if err != nil {
			return spans, err
		}
		deliveriesV, err := r.Next()
		if err != nil {
			return spans, err
		}
		idleKind, idle, kind, n := idleV.Kind, idleV.N, deliveriesV.Kind, deliveriesV.N
		if kind == ':' {
			m.Deliveries = n + 1
			if idleKind == ':' && idle > 0 || n > 0 {
				m.claimIdle = max(idle, 0)
			}
		}
		parts -= 2
	}
	for ; parts > 2; parts-- {
		if err := r.Skip(); err != nil {
			return spans, err
		}
	}
	return spans, nil
}
