package pelican

import "fmt"

// The read loops send XREADGROUP as a generic command and turn its reply
// straight into Messages: go-redis's typed XReadGroup would first build a
// map[string]any per entry, only for the worker to copy it into the
// map[string]string handlers get, which costs as much again.

// readGroupArgs returns the XREADGROUP command of the read loops: new
// messages (">") and, where the server can, abandoned ones (CLAIM).
func (w *Worker) readGroupArgs() []any {
	args := []any{"xreadgroup", "group", w.cfg.Group, w.cfg.Consumer, "count", w.cfg.BatchSize}
	if w.cfg.Block >= 0 {
		args = append(args, "block", w.cfg.Block.Milliseconds())
	}
	if w.caps.ClaimRead {
		args = append(args, "claim", w.cfg.ClaimMinIdle.Milliseconds())
	}
	return append(args, "streams", w.cfg.Stream, ">")
}

// parseReadGroup turns an XREADGROUP reply for one stream, in RESP2 (an
// array of [name, entries]) or RESP3 (a map of name to entries), into
// messages. Each entry is [id, fields] or, with CLAIM, [id, fields, idle,
// earlier deliveries]; fields is nil for an entry deleted while pending.
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
		*m = Message{
			ID: id, Stream: w.cfg.Stream, Group: w.cfg.Group,
			Deliveries: 1, MaxDeliveries: w.cfg.MaxDeliveries,
		}
		if fields, ok := parts[1].([]any); ok {
			m.Values = make(map[string]string, len(fields)/2)
			for j := 0; j+1 < len(fields); j += 2 {
				k, _ := fields[j].(string)
				v, _ := fields[j+1].(string)
				m.Values[k] = v
			}
		}
		if len(parts) >= 4 {
			// With CLAIM, claimed entries report their earlier deliveries;
			// new ones report 0.
			if n, ok := parts[3].(int64); ok {
				m.Deliveries = n + 1
			}
		}
		msgs[i] = m
	}
	return msgs, nil
}
