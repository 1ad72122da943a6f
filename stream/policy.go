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
	// Acked deletes only entries that every group has read and
	// acknowledged.
	Acked
)

// idmpState is the producer-side deduplication state of a stream.
type idmpState struct{}

// trimWithPolicy trims with DelRef or Acked.
func (s *Stream) trimWithPolicy(args TrimArgs) int64 {
	return 0
}
