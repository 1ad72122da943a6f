package stream

// RefPolicy says how deleting or trimming entries treats the references
// consumer groups hold to them (Redis 8.2's KEEPREF, DELREF and ACKED).
type RefPolicy int

// Reference policies.
const (
	// KeepRef deletes entries and leaves PEL entries that refer to them.
	KeepRef RefPolicy = iota
	// DelRef deletes entries and removes every PEL entry that refers to
	// them.
	DelRef
	// Acked deletes only entries that no group still needs.
	Acked
)

// Referenced reports whether some consumer group still needs the entry id:
// it is pending in a group, or a group has not been delivered it yet. A
// stream without groups references nothing.
func (s *Stream) Referenced(id ID) bool {
	for _, g := range s.groups {
		if g.LastID.Less(id) || g.Pending(id) != nil {
			return true
		}
	}
	return false
}

// DeleteRefs removes id from the PEL of every group.
func (s *Stream) DeleteRefs(id ID) {
	for _, g := range s.groups {
		g.Ack(id)
	}
}

// DeleteResult is the per-ID outcome of XDELEX and XACKDEL, with Redis's
// reply codes.
type DeleteResult int

// Outcomes of DeleteWithPolicy.
const (
	// NotFound: the entry does not exist (or, for XACKDEL, was not pending
	// in the group).
	NotFound DeleteResult = -1
	// Deleted: the entry was deleted (or was already gone).
	Deleted DeleteResult = 1
	// StillReferenced: ACKED kept the entry because a group needs it.
	StillReferenced DeleteResult = 2
)

// DeleteWithPolicy deletes the entry id as XDELEX does: KeepRef deletes it,
// DelRef also removes every reference to it (even when the entry itself is
// already gone), Acked deletes it only if no group needs it.
func (s *Stream) DeleteWithPolicy(id ID, policy RefPolicy) DeleteResult {
	if policy == Acked && s.Exists(id) && s.Referenced(id) {
		return StillReferenced
	}
	if policy == DelRef {
		s.DeleteRefs(id)
	}
	if s.Delete(id) {
		return Deleted
	}
	return NotFound
}

// AckDelete acknowledges id in g and deletes the entry as XACKDEL does. An
// ID that was not pending in g is left alone (NotFound).
func (s *Stream) AckDelete(g *Group, id ID, policy RefPolicy) DeleteResult {
	if !g.Ack(id) {
		return NotFound
	}
	switch policy {
	case Acked:
		if s.Exists(id) && s.Referenced(id) {
			return StillReferenced
		}
	case DelRef:
		s.DeleteRefs(id)
	}
	s.Delete(id)
	return Deleted
}

// trimWithPolicy trims with DelRef or Acked.
//
// DelRef trims as KeepRef does (whole nodes only when approximate) and
// then removes the trimmed entries from every PEL. Acked walks entries from
// the head, keeping the ones a group still needs and deleting the others
// until the trim condition holds; approximate trimming then only bounds
// the work with its limit.
func (s *Stream) trimWithPolicy(args TrimArgs) int64 {
	if args.Policy == DelRef {
		var removed []ID
		if len(s.groups) > 0 {
			removed = s.trimCandidates(args)
		}
		keep := args
		keep.Policy = KeepRef
		n := s.Trim(keep)
		for _, id := range removed {
			if !s.Exists(id) {
				s.DeleteRefs(id)
			}
		}
		return n
	}
	doomed := s.headEntries(args, func(id ID) bool { return !s.Referenced(id) }, s.deliveredHorizon())
	for _, id := range doomed {
		s.removeEntry(id)
	}
	if len(doomed) > 0 {
		if s.length == 0 {
			s.firstID = ID{}
		} else {
			s.firstID = s.edgeID(true)
		}
	}
	return int64(len(doomed))
}

// trimCandidates lists the IDs a KeepRef trim with the same arguments
// could remove, at most the whole head of the stream: enough to clean
// their references afterwards.
func (s *Stream) trimCandidates(args TrimArgs) []ID {
	args.Approx, args.Limit = false, 0
	return s.headEntries(args, nil, nil)
}

// deliveredHorizon returns the smallest last-delivered ID of the groups
// (nil without groups): every later entry is still undelivered to some
// group, so referenced.
func (s *Stream) deliveredHorizon() *ID {
	var h *ID
	for _, g := range s.groups {
		if h == nil || g.LastID.Less(*h) {
			id := g.LastID
			h = &id
		}
	}
	return h
}

// headEntries walks entries from the head of the stream and lists those
// eligible (all when eligible is nil) until the trim condition of args
// would hold once they are gone, an approximate trim's limit is reached,
// or the walk passes horizon (when not nil), after which nothing is
// eligible.
func (s *Stream) headEntries(args TrimArgs, eligible func(ID) bool, horizon *ID) []ID {
	var ids []ID
	length := s.length
	var it Iterator
	it.Reset(s, MinID, MaxID, false)
	for it.Next() {
		id := it.ID()
		if args.Strategy == TrimMaxLen && length <= uint64(args.MaxLen) {
			break
		}
		if args.Strategy == TrimMinID && !id.Less(args.MinID) {
			break
		}
		if args.Approx && args.Limit > 0 && int64(len(ids)) >= args.Limit {
			break
		}
		if horizon != nil && horizon.Less(id) {
			break
		}
		if eligible != nil && !eligible(id) {
			continue
		}
		ids = append(ids, id)
		length--
	}
	return ids
}

// removeEntry deletes an entry the way trimming does: unlike Delete it
// does not record the largest deleted ID, and it leaves FirstID to the
// caller.
func (s *Stream) removeEntry(id ID) bool {
	var it Iterator
	it.Reset(s, id, id, false)
	if !it.Next() {
		return false
	}
	s.markDeleted(it.ni, it.flagsPos)
	return true
}
