package engine

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/pelicanhq/pelican/internal/rdb"
	"github.com/pelicanhq/pelican/internal/sortedset"
	"github.com/pelicanhq/pelican/stream"
)

// Conversions between the engine's values and package rdb's.

// errUnsupportedType means an RDB value has a type Pelican has no
// counterpart for.
var errUnsupportedType = errors.New("engine: unsupported value type")

// valueToRDB returns the rdb value of a string, list, set, hash or
// sorted set (its members in order). Its
// byte slices are the engine's, capped at their length: the engine
// replaces values rather than editing their bytes, and appends (APPEND)
// land beyond the cap, so the result may be read without the lock.
func valueToRDB(o *object) rdb.Value {
	capped := func(b []byte) []byte { return b[:len(b):len(b)] }
	switch o.kind {
	case kindString:
		return rdb.String(capped(o.str))
	case kindList:
		l := make(rdb.List, o.list.len())
		for i := range l {
			l[i] = capped(o.list.at(i))
		}
		return l
	case kindSet:
		s := make(rdb.Set, 0, o.set.len())
		o.set.members.each(func(k string, _ struct{}) { s = append(s, []byte(k)) })
		return s
	case kindHash:
		h := make(rdb.Hash, 0, o.hash.len())
		o.hash.fields.each(func(k string, v []byte) { h = append(h, rdb.Field{Name: []byte(k), Value: capped(v)}) })
		return h
	case kindZset:
		z := make(rdb.ZSet, 0, o.zset.set.Len())
		o.zset.set.Ascend(0, func(m string, f float64) bool {
			z = append(z, rdb.ZMember{Member: []byte(m), Score: f})
			return true
		})
		return z
	}
	return nil
}

// streamToRDB converts a stream snapshot to the rdb value, NACKed entries
// given to each group's placeholder consumer (see placeholderName).
func streamToRDB(s *stream.Snapshot) *rdb.Stream {
	rs := &rdb.Stream{
		Nodes:        make([]rdb.StreamNode, len(s.Nodes)),
		Length:       s.Length,
		LastID:       rdb.ID(s.LastID),
		FirstID:      rdb.ID(s.FirstID),
		MaxDeletedID: rdb.ID(s.MaxDeletedID),
		EntriesAdded: s.EntriesAdded,
		Groups:       make([]rdb.Group, len(s.Groups)),
	}
	for i, n := range s.Nodes {
		rs.Nodes[i] = rdb.StreamNode{Master: rdb.ID(n.Master), Listpack: n.Listpack}
	}
	for i := range s.Groups {
		rs.Groups[i] = groupToRDB(&s.Groups[i])
	}
	return rs
}

func groupToRDB(g *stream.GroupSnapshot) rdb.Group {
	rg := rdb.Group{
		Name:        []byte(g.Name),
		LastID:      rdb.ID(g.LastID),
		EntriesRead: g.EntriesRead,
		PEL:         make([]rdb.PendingEntry, len(g.PEL)),
		Consumers:   make([]rdb.Consumer, 0, len(g.Consumers)+1),
	}
	var nacked []rdb.ID
	for i, p := range g.PEL {
		rg.PEL[i] = rdb.PendingEntry{ID: rdb.ID(p.ID), DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount}
		if p.Owner < 0 {
			nacked = append(nacked, rdb.ID(p.ID))
		}
	}
	pels := g.ConsumerPELs()
	for i, c := range g.Consumers {
		rc := rdb.Consumer{Name: []byte(c.Name), SeenTime: c.SeenTime, ActiveTime: c.ActiveTime}
		for _, id := range pels[i] {
			rc.PEL = append(rc.PEL, rdb.ID(id))
		}
		rg.Consumers = append(rg.Consumers, rc)
	}
	if name := placeholderName(g); name != "" {
		rg.Consumers = append(rg.Consumers, rdb.Consumer{Name: []byte(name), SeenTime: 0, ActiveTime: -1, PEL: nacked})
		sort.Slice(rg.Consumers, func(i, j int) bool { return string(rg.Consumers[i].Name) < string(rg.Consumers[j].Name) })
	}
	return rg
}

// objectFromRDB builds the engine value of an rdb value; x is the
// stream's pelican-ext record, nil if there is none. A sorted set is a
// listpack if it is within the limits of s, as Redis converts it on
// loading.
func objectFromRDB(v rdb.Value, x *streamExt, s *settings) (*object, error) {
	switch v := v.(type) {
	case rdb.String:
		return &object{kind: kindString, str: []byte(v)}, nil
	case rdb.List:
		l := &listValue{}
		for _, el := range v {
			l.pushBack(el)
		}
		return &object{kind: kindList, list: l}, nil
	case rdb.Set:
		if len(v) == 0 {
			return nil, fmt.Errorf("%w: empty set", rdb.ErrCorrupt)
		}
		s := newSetValue(v[0])
		for _, m := range v {
			if !s.add(m) {
				return nil, fmt.Errorf("%w: set member %q twice", rdb.ErrCorrupt, m)
			}
		}
		return &object{kind: kindSet, set: s}, nil
	case rdb.Hash:
		h := newHashValue()
		for _, f := range v {
			if f.ExpireAtMs != 0 {
				return nil, fmt.Errorf("%w: hash field TTLs (field %q)", errUnsupportedType, f.Name)
			}
			if !h.fields.put(f.Name, f.Value) {
				return nil, fmt.Errorf("%w: hash field %q twice", rdb.ErrCorrupt, f.Name)
			}
		}
		return &object{kind: kindHash, hash: h}, nil
	case *rdb.Stream:
		s, err := streamFromRDB(v, x)
		if err != nil {
			return nil, err
		}
		return &object{kind: kindStream, stream: s}, nil
	case rdb.ZSet:
		return zsetFromRDB(v, s)
	}
	return nil, fmt.Errorf("%w: %T", errUnsupportedType, v)
}

// streamFromRDB rebuilds a stream, checking it whole (stream.Restore).
func streamFromRDB(rs *rdb.Stream, x *streamExt) (*stream.Stream, error) {
	snap := &stream.Snapshot{
		Nodes:        make([]stream.NodeSnapshot, len(rs.Nodes)),
		Length:       rs.Length,
		LastID:       stream.ID(rs.LastID),
		FirstID:      stream.ID(rs.FirstID),
		MaxDeletedID: stream.ID(rs.MaxDeletedID),
		EntriesAdded: rs.EntriesAdded,
		IdmpDuration: stream.IdmpDefaultDuration,
		IdmpMaxSize:  stream.IdmpDefaultMaxSize,
	}
	for i, n := range rs.Nodes {
		snap.Nodes[i] = stream.NodeSnapshot{Master: stream.ID(n.Master), Listpack: n.Listpack}
	}
	if x != nil {
		snap.IdmpDuration, snap.IdmpMaxSize, snap.Idmp = x.idmpDuration, x.idmpMaxSize, x.idmp
	}
	for i := range rs.Groups {
		var gx *groupExt
		if x != nil {
			gx = x.groups[string(rs.Groups[i].Name)]
		}
		g, err := groupFromRDB(&rs.Groups[i], gx)
		if err != nil {
			return nil, fmt.Errorf("%w: group %q: %v", stream.ErrCorrupt, rs.Groups[i].Name, err)
		}
		snap.Groups = append(snap.Groups, g)
	}
	sort.Slice(snap.Groups, func(i, j int) bool { return snap.Groups[i].Name < snap.Groups[j].Name })
	return stream.Restore(snap)
}

func groupFromRDB(rg *rdb.Group, gx *groupExt) (stream.GroupSnapshot, error) {
	g := stream.GroupSnapshot{Name: string(rg.Name), LastID: stream.ID(rg.LastID), EntriesRead: rg.EntriesRead}
	cons := make([]rdb.Consumer, 0, len(rg.Consumers))
	var placeholder *rdb.Consumer
	for i := range rg.Consumers {
		c := &rg.Consumers[i]
		if gx != nil && gx.placeholder != "" && string(c.Name) == gx.placeholder {
			placeholder = c
			continue
		}
		cons = append(cons, *c)
	}
	sort.Slice(cons, func(i, j int) bool { return string(cons[i].Name) < string(cons[j].Name) })
	owner := make(map[rdb.ID]int, len(rg.PEL))
	for i, c := range cons {
		active := c.ActiveTime
		if a, ok := gx.activeTime(string(c.Name)); ok {
			active = a
		} else if active < 0 {
			active = c.SeenTime // as Redis estimates it for files without it
		}
		g.Consumers = append(g.Consumers, stream.ConsumerSnapshot{Name: string(c.Name), SeenTime: c.SeenTime, ActiveTime: active})
		for _, id := range c.PEL {
			owner[id] = i
		}
	}
	nacked := map[rdb.ID]bool{}
	if placeholder != nil {
		for _, id := range placeholder.PEL {
			if _, ok := gx.nacked[stream.ID(id)]; !ok {
				return g, fmt.Errorf("placeholder consumer %q holds %v, which was not given back", placeholder.Name, id)
			}
			nacked[id] = true
		}
		g.NackSeq = gx.nackSeq
	}
	g.PEL = make([]stream.PendingSnapshot, len(rg.PEL))
	for i, p := range rg.PEL {
		ps := stream.PendingSnapshot{ID: stream.ID(p.ID), DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount, Owner: -1}
		if o, ok := owner[p.ID]; ok {
			ps.Owner = o
		} else if nacked[p.ID] {
			ps.NackSeq = gx.nacked[ps.ID]
		}
		g.PEL[i] = ps
	}
	return g, nil
}

// activeTime returns a consumer's active time from pelican-ext.
func (gx *groupExt) activeTime(name string) (int64, bool) {
	if gx == nil {
		return 0, false
	}
	a, ok := gx.active[name]
	return a, ok
}

// zsetFromRDB builds a sorted set, refusing NaN scores and duplicate
// members.
func zsetFromRDB(v rdb.ZSet, s *settings) (*object, error) {
	if len(v) == 0 {
		return nil, fmt.Errorf("%w: empty sorted set", rdb.ErrCorrupt)
	}
	z := &zsetValue{set: sortedset.New(), listpack: int64(len(v)) <= s.zsetListpackEntries}
	for _, m := range v {
		if math.IsNaN(m.Score) {
			return nil, fmt.Errorf("%w: sorted set member %q has a NaN score", rdb.ErrCorrupt, m.Member)
		}
		if !z.set.Add(m.Member, m.Score) {
			return nil, fmt.Errorf("%w: sorted set member %q twice", rdb.ErrCorrupt, m.Member)
		}
		if int64(len(m.Member)) > s.zsetListpackValue {
			z.listpack = false
		}
	}
	return &object{kind: kindZset, zset: z}, nil
}
