package rdb

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/pelicanhq/pelican/internal/listpack"
)

// A stream is encoded as (lengths in the length encoding, strings in the
// string encoding, IDs in PELs as 16 raw bytes big-endian, times as 8
// bytes little-endian):
//
//	<node count> { <master ID, 16 bytes BE, as a string> <listpack as a string> } ...
//	<length> <last ID ms> <last ID seq>
//	<first ID ms> <first ID seq> <max deleted ID ms> <seq> <entries added>   (types 19, 21)
//	<group count> {
//	    <name> <last ID ms> <last ID seq> <entries read>                    (entries read: 19, 21)
//	    <PEL count> { <ID> <delivery time> <delivery count> } ...
//	    <consumer count> {
//	        <name> <seen time> <active time>                                 (active time: 21)
//	        <PEL count> { <ID> } ...
//	    } ...
//	} ...
//
// Entries read of -1 (unknown) is written as the 64-bit length 2^64-1.

// stream writes s as type typ (19 or 21).
func (e *encoder) stream(typ byte, s *Stream) {
	e.length(uint64(len(s.Nodes)))
	var key [16]byte
	for _, n := range s.Nodes {
		e.str(appendRawID(key[:0], n.Master))
		e.str(n.Listpack)
	}
	e.length(s.Length)
	e.length(s.LastID.Ms)
	e.length(s.LastID.Seq)
	e.length(s.FirstID.Ms)
	e.length(s.FirstID.Seq)
	e.length(s.MaxDeletedID.Ms)
	e.length(s.MaxDeletedID.Seq)
	e.length(s.EntriesAdded)
	e.length(uint64(len(s.Groups)))
	for _, g := range s.Groups {
		e.str(g.Name)
		e.length(g.LastID.Ms)
		e.length(g.LastID.Seq)
		e.length(uint64(g.EntriesRead))
		e.length(uint64(len(g.PEL)))
		for _, p := range g.PEL {
			e.rawID(p.ID)
			e.msTime(p.DeliveryTime)
			e.length(p.DeliveryCount)
		}
		e.length(uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			e.str(c.Name)
			e.msTime(c.SeenTime)
			if typ == typeStreamListpacks3 {
				active := c.ActiveTime
				if active == -1 {
					active = c.SeenTime
				}
				e.msTime(active)
			}
			e.length(uint64(len(c.PEL)))
			for _, id := range c.PEL {
				e.rawID(id)
			}
		}
	}
}

// stream reads a stream of type typ (15, 19 or 21).
func (d *decoder) stream(typ byte) (*Stream, error) {
	s := &Stream{}
	n, err := d.length()
	if err != nil {
		return nil, err
	}
	s.Nodes = make([]StreamNode, 0, d.capHint(n))
	for i := uint64(0); i < n; i++ {
		node, err := d.streamNode()
		if err != nil {
			return nil, fmt.Errorf("rdb: stream node %d: %w", i, err)
		}
		if i > 0 && compareID(s.Nodes[len(s.Nodes)-1].Master, node.Master) >= 0 {
			return nil, fmt.Errorf("rdb: stream node %d out of order: %w", i, ErrCorrupt)
		}
		s.Nodes = append(s.Nodes, node)
	}
	fields := []*uint64{&s.Length, &s.LastID.Ms, &s.LastID.Seq}
	if typ != typeStreamListpacks {
		fields = append(fields, &s.FirstID.Ms, &s.FirstID.Seq,
			&s.MaxDeletedID.Ms, &s.MaxDeletedID.Seq, &s.EntriesAdded)
	}
	for _, f := range fields {
		if *f, err = d.length(); err != nil {
			return nil, fmt.Errorf("rdb: stream metadata: %w", err)
		}
	}
	if typ == typeStreamListpacks {
		s.EntriesAdded = s.Length
		s.FirstID, _ = firstIDFromNodes(s.Nodes)
	}
	if s.Length > 0 && len(s.Nodes) == 0 {
		return nil, fmt.Errorf("rdb: stream of %d entries has no nodes: %w", s.Length, ErrCorrupt)
	}
	ng, err := d.length()
	if err != nil {
		return nil, err
	}
	s.Groups = make([]Group, 0, d.capHint(ng))
	names := make(map[string]struct{})
	for i := uint64(0); i < ng; i++ {
		g, err := d.group(typ)
		if err != nil {
			return nil, fmt.Errorf("rdb: stream group %d: %w", i, err)
		}
		if _, dup := names[string(g.Name)]; dup {
			return nil, fmt.Errorf("rdb: duplicate stream group %q: %w", g.Name, ErrCorrupt)
		}
		names[string(g.Name)] = struct{}{}
		s.Groups = append(s.Groups, g)
	}
	return s, nil
}

func (d *decoder) streamNode() (StreamNode, error) {
	key, err := d.str()
	if err != nil {
		return StreamNode{}, err
	}
	if len(key) != 16 {
		return StreamNode{}, fmt.Errorf("rdb: master ID of %d bytes: %w", len(key), ErrCorrupt)
	}
	lp, err := d.str()
	if err != nil {
		return StreamNode{}, err
	}
	// The listpack is passed on as it is: whoever turns it into a stream
	// validates it entry by entry (stream.Restore does), which checks it
	// as a listpack too; validating it here as well doubled the cost of
	// loading a large stream. Only its frame is checked.
	if len(lp) < 7 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != 0xFF || lp[6] == 0xFF {
		return StreamNode{}, fmt.Errorf("rdb: malformed or empty listpack: %w", ErrCorrupt)
	}
	master := ID{binary.BigEndian.Uint64(key), binary.BigEndian.Uint64(key[8:])}
	return StreamNode{Master: master, Listpack: lp}, nil
}

func (d *decoder) group(typ byte) (Group, error) {
	g := Group{EntriesRead: -1}
	var err error
	if g.Name, err = d.str(); err != nil {
		return g, err
	}
	if g.LastID.Ms, err = d.length(); err != nil {
		return g, err
	}
	if g.LastID.Seq, err = d.length(); err != nil {
		return g, err
	}
	if typ != typeStreamListpacks {
		read, err := d.length()
		if err != nil {
			return g, err
		}
		if read > math.MaxInt64 && read != math.MaxUint64 {
			return g, fmt.Errorf("rdb: entries read %d: %w", read, ErrCorrupt)
		}
		g.EntriesRead = int64(read)
	}
	n, err := d.length()
	if err != nil {
		return g, err
	}
	g.PEL = make([]PendingEntry, 0, d.capHint(n))
	owner := make(map[ID]int, d.capHint(n)) // PEL ID -> index of owning consumer + 1
	for i := uint64(0); i < n; i++ {
		var p PendingEntry
		if p.ID, err = d.rawID(); err != nil {
			return g, err
		}
		if p.DeliveryTime, err = d.msTime(); err != nil {
			return g, err
		}
		if p.DeliveryCount, err = d.length(); err != nil {
			return g, err
		}
		if _, dup := owner[p.ID]; dup {
			return g, fmt.Errorf("rdb: duplicate PEL entry %d-%d: %w", p.ID.Ms, p.ID.Seq, ErrCorrupt)
		}
		owner[p.ID] = 0
		g.PEL = append(g.PEL, p)
	}
	if n, err = d.length(); err != nil {
		return g, err
	}
	g.Consumers = make([]Consumer, 0, d.capHint(n))
	names := make(map[string]struct{})
	for i := uint64(0); i < n; i++ {
		c, err := d.consumer(typ, owner, len(g.Consumers)+1)
		if err != nil {
			return g, fmt.Errorf("rdb: consumer %d: %w", i, err)
		}
		if _, dup := names[string(c.Name)]; dup {
			return g, fmt.Errorf("rdb: duplicate consumer %q: %w", c.Name, ErrCorrupt)
		}
		names[string(c.Name)] = struct{}{}
		g.Consumers = append(g.Consumers, c)
	}
	for id, o := range owner {
		if o == 0 {
			return g, fmt.Errorf("rdb: PEL entry %d-%d has no consumer: %w", id.Ms, id.Seq, ErrCorrupt)
		}
	}
	return g, nil
}

// consumer reads a consumer, whose PEL IDs must be in owner (the group's
// PEL) and owned by no other consumer; it marks them as owned by idx.
func (d *decoder) consumer(typ byte, owner map[ID]int, idx int) (Consumer, error) {
	c := Consumer{ActiveTime: -1}
	var err error
	if c.Name, err = d.str(); err != nil {
		return c, err
	}
	if c.SeenTime, err = d.msTime(); err != nil {
		return c, err
	}
	if typ == typeStreamListpacks3 {
		if c.ActiveTime, err = d.msTime(); err != nil {
			return c, err
		}
	}
	n, err := d.length()
	if err != nil {
		return c, err
	}
	c.PEL = make([]ID, 0, d.capHint(n))
	for i := uint64(0); i < n; i++ {
		id, err := d.rawID()
		if err != nil {
			return c, err
		}
		o, ok := owner[id]
		if !ok || o != 0 {
			return c, fmt.Errorf("rdb: consumer PEL entry %d-%d not in the group PEL or owned twice: %w", id.Ms, id.Seq, ErrCorrupt)
		}
		owner[id] = idx
		c.PEL = append(c.PEL, id)
	}
	return c, nil
}

// Stream listpack flags and layout, for FirstIDFromNodes: a node opens
// with a master entry (count, deleted count, field count, the fields, a
// 0), then each entry is flags, ms and seq deltas from the master ID,
// either the values alone (flagSameFields) or a field count and pairs,
// and the number of elements the entry took.
const (
	flagDeleted    = 1
	flagSameFields = 2
)

// firstIDFromNodes returns the ID of the first entry not marked deleted,
// found by walking the listpacks, and false if there is none or a
// listpack is not laid out as a stream node. Streams in the oldest
// encoding (RDB type 15) carry no first ID; Redis finds it this way.
func firstIDFromNodes(nodes []StreamNode) (ID, bool) {
	for _, n := range nodes {
		lp := n.Listpack
		if !listpack.Validate(lp) {
			return ID{}, false
		}
		ints := func(p int, k int) ([]int64, int, bool) {
			out := make([]int64, k)
			for i := range out {
				if p < 0 {
					return nil, -1, false
				}
				out[i] = listpack.GetInt(lp, p)
				p = listpack.Next(lp, p)
			}
			return out, p, true
		}
		head, p, ok := ints(listpack.First(lp), 3) // count, deleted, master fields
		if !ok || head[2] < 0 || head[2] > int64(len(lp)) {
			return ID{}, false
		}
		for i := int64(0); i <= head[2] && p >= 0; i++ { // fields and the 0
			p = listpack.Next(lp, p)
		}
		for p >= 0 {
			e, q, ok := ints(p, 3) // flags, ms delta, seq delta
			if !ok {
				return ID{}, false
			}
			if e[0]&flagDeleted == 0 {
				return ID{n.Master.Ms + uint64(e[1]), n.Master.Seq + uint64(e[2])}, true
			}
			skip := head[2]
			if e[0]&flagSameFields == 0 {
				if q < 0 {
					return ID{}, false
				}
				skip = 2*listpack.GetInt(lp, q) + 1
			}
			if skip < 0 || skip > int64(len(lp)) {
				return ID{}, false
			}
			for i := int64(0); i <= skip && q >= 0; i++ { // values and lp-count
				q = listpack.Next(lp, q)
			}
			p = q
		}
	}
	return ID{}, false
}
