package rdb

import "errors"

// Versions of the RDB format this package reads and writes.
const (
	// DefaultVersion is the version written when none is chosen: the
	// one Redis 7.0 writes and the newest it loads.
	DefaultVersion = 10
	// MinWriteVersion and MaxVersion bound the versions Writer and
	// DumpPayload produce. Version 11 (Redis 7.2) adds the set listpack
	// and the third stream encoding, whose consumers carry an active
	// time; version 12 (Redis 7.4 and 8.x) adds hashes with field TTLs.
	MinWriteVersion = 10
	// MaxVersion is also the newest version Reader and ParseDump accept.
	MaxVersion = 12
)

// Errors returned by this package, wrapped with what was being read or
// written; match them with errors.Is.
var (
	// ErrCorrupt means the input is not well-formed RDB data: it is
	// truncated, a length or encoding is invalid, or a structure
	// contradicts itself (a duplicate set member, a PEL entry owned by
	// two consumers).
	ErrCorrupt = errors.New("rdb: corrupt data")
	// ErrChecksum means the CRC64 of a file or DUMP payload does not
	// match its content.
	ErrChecksum = errors.New("rdb: checksum mismatch")
	// ErrVersion means the RDB version is one this package does not
	// handle.
	ErrVersion = errors.New("rdb: unsupported RDB version")
	// ErrUnsupported means the input is valid but holds something Pelican
	// has no counterpart for: module values and module aux data, and
	// function libraries.
	ErrUnsupported = errors.New("rdb: unsupported content")
	// ErrInvalidValue means a value given to Writer or DumpPayload cannot
	// be encoded: an empty collection, a NaN score, a field TTL in a
	// version before 12, a stream node without a listpack.
	ErrInvalidValue = errors.New("rdb: invalid value")
)

// Value is the logical content of a key: one of String, List, Set, Hash,
// ZSet or *Stream. How Redis happened to encode it (integer strings,
// intsets, ziplists, listpacks, quicklists) is not kept.
type Value interface{ isValue() }

// String is a string value.
type String []byte

// List is a list value, head first.
type List [][]byte

// Set is a set value. The order of members carries no meaning; members
// are distinct.
type Set [][]byte

// Hash is a hash value. The order of fields carries no meaning; names are
// distinct.
type Hash []Field

// Field is one field of a hash.
type Field struct {
	Name, Value []byte
	// ExpireAtMs is the field's expiry as Unix milliseconds (Redis 7.4
	// hash field TTLs), 0 for none.
	ExpireAtMs int64
}

// ZSet is a sorted set value, in no particular order (Writer sorts a small
// one, which it writes as a listpack). Scores are never NaN.
type ZSet []ZMember

// ZMember is one member of a sorted set.
type ZMember struct {
	Member []byte
	Score  float64
}

func (String) isValue()  {}
func (List) isValue()    {}
func (Set) isValue()     {}
func (Hash) isValue()    {}
func (ZSet) isValue()    {}
func (*Stream) isValue() {}

// ID is a stream entry ID.
type ID struct{ Ms, Seq uint64 }

// Stream is a stream value: its entries, kept as Redis's own stream
// listpacks, and its metadata and consumer groups.
type Stream struct {
	// Nodes are the stream's listpacks in ascending order of master ID.
	// Their bytes are Redis's stream node layout, taken and written as
	// they are.
	Nodes []StreamNode
	// Length is the number of entries.
	Length uint64
	// LastID is the greatest ID ever added; FirstID the ID of the first
	// entry, zero when empty. (The oldest stream encoding does not record
	// FirstID; it is then found in Nodes, as Redis does.)
	LastID, FirstID ID
	// MaxDeletedID is the greatest ID deleted by XDEL; EntriesAdded counts
	// every entry ever added. The oldest stream encoding records neither:
	// MaxDeletedID is then zero and EntriesAdded is Length.
	MaxDeletedID ID
	EntriesAdded uint64
	// Groups are the consumer groups.
	Groups []Group
}

// StreamNode is one listpack of a stream. Master is the ID the entries in
// the listpack are delta-encoded against (the radix-tree key in Redis).
// A Reader checks only the listpack's frame (its size and terminator):
// validate it before walking it, as stream.Restore does.
type StreamNode struct {
	Master   ID
	Listpack []byte
}

// Group is a stream consumer group.
type Group struct {
	Name   []byte
	LastID ID
	// EntriesRead is the group's logical read counter, -1 when unknown
	// (as Redis reports it, and always when read from the oldest stream
	// encoding).
	EntriesRead int64
	// PEL is the group's pending entries list in ascending ID order.
	PEL       []PendingEntry
	Consumers []Consumer
}

// PendingEntry is an entry delivered to a consumer and not yet
// acknowledged.
type PendingEntry struct {
	ID ID
	// DeliveryTime is the Unix time in milliseconds of the last delivery.
	DeliveryTime  int64
	DeliveryCount uint64
}

// Consumer is a consumer of a group. Each ID of its PEL is in the group's
// PEL, and no two consumers of a group own the same ID.
type Consumer struct {
	Name []byte
	// SeenTime is the Unix time in milliseconds of the consumer's last
	// attempted interaction; ActiveTime of its last successful one, -1
	// when unknown (encodings before RDB version 11 do not record it; on
	// writing such versions it is dropped, and a version 11 or later
	// writes SeenTime in its place, as Redis estimates it on loading).
	SeenTime, ActiveTime int64
	PEL                  []ID
}

// Entry is one key of an RDB file.
type Entry struct {
	// DB is the database number.
	DB  int
	Key []byte
	// ExpireAtMs is the key's expiry as Unix milliseconds, 0 for none.
	ExpireAtMs int64
	Value      Value
}

// AuxField is an auxiliary field of an RDB file: a name and a value, such
// as "redis-ver" and "7.0.15".
type AuxField struct{ Key, Value string }

// Object types, the byte before each key (and at the start of a DUMP
// payload) that says how its value is encoded.
const (
	typeString              = 0
	typeList                = 1
	typeSet                 = 2
	typeZSet                = 3
	typeHash                = 4
	typeZSet2               = 5
	typeModulePreGA         = 6
	typeModule2             = 7
	typeHashZipmap          = 9
	typeListZiplist         = 10
	typeSetIntset           = 11
	typeZSetZiplist         = 12
	typeHashZiplist         = 13
	typeListQuicklist       = 14
	typeStreamListpacks     = 15
	typeHashListpack        = 16
	typeZSetListpack        = 17
	typeListQuicklist2      = 18
	typeStreamListpacks2    = 19
	typeSetListpack         = 20
	typeStreamListpacks3    = 21
	typeHashMetadataPreGA   = 22
	typeHashListpackExPreGA = 23
	typeHashMetadata        = 24
	typeHashListpackEx      = 25
)

// Opcodes: bytes in a file's key/value sequence that are not object types.
const (
	opSlotInfo    = 244
	opFunction2   = 245
	opFunctionPre = 246
	opModuleAux   = 247
	opIdle        = 248
	opFreq        = 249
	opAux         = 250
	opResizeDB    = 251
	opExpireMs    = 252
	opExpireSec   = 253
	opSelectDB    = 254
	opEOF         = 255
)

// Quicklist node containers (RDB_TYPE_LIST_QUICKLIST_2).
const (
	containerPlain  = 1
	containerPacked = 2
)
