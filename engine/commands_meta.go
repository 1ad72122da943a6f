package engine

import "sync"

// Command metadata: what COMMAND, COMMAND INFO and COMMAND DOCS report.
//
// Clients read this metadata on the wire (cluster clients route by the
// key positions, redis-cli builds its hints from the argument trees), so
// it follows Redis's command descriptions:
//
//   - For commands that exist in Redis 7.0, the fields COMMAND INFO shows
//     (arity, flags, ACL categories, tips, key specs) are Redis 7.0.15's,
//     taken from its src/commands/*.json; a test compares them with a
//     running redis-server. The exception is the arity of a command that
//     takes the arguments of a newer Redis (aritySince: ZRANK and
//     ZREVRANK, -3 since 7.2.0).
//   - For commands added later (CLIENT SETINFO, CLIENT NO-TOUCH, WAITAOF
//     and the hash field expiry commands of 7.2 and 7.4), the same fields
//     come from Redis's descriptions of the release that added them, and
//     for the stream commands of Redis 8.2 and later from the command
//     pages of redis.io (see metaStream).
//   - Argument trees follow the newer descriptions (Redis 7.2 and later),
//     which name arguments in kebab case and carry display texts.
//   - Summaries and complexities are Pelican's own words.
//
// The table holds rows for more commands than the engine implements; only
// the commands of the engine's command table are ever reported, so a
// client can detect a feature by asking for it.

// cmdMeta describes one command or subcommand.
type cmdMeta struct {
	// name is the full name: "xadd", or "xgroup|create" for a subcommand.
	name  string
	arity int
	// aritySince, when set, is the Redis version after 7.0.15 whose arity
	// the row reports, because Pelican accepts that version's arguments
	// (ZRANK's -3 for 7.2.0's WITHSCORE); against an older reference
	// server the metadata tests compare the other fields.
	aritySince string
	// flags are the command flags in the order COMMAND INFO lists them,
	// space separated ("write denyoom fast").
	flags string
	// acl are the ACL categories, implied ones included, in COMMAND INFO's
	// order ("@write @stream @fast").
	acl string
	// tips are the command tips, space separated.
	tips     string
	keySpecs []keySpec

	// Documentation (COMMAND DOCS).
	group, since    string
	docFlags        string // "deprecated", "syscmd"
	deprecatedSince string
	replacedBy      string
	summary         string
	complexity      string
	args            []cmdArg
}

// findKind is how a key spec finds keys once it found where they begin.
type findKind uint8

const (
	findUnknown findKind = iota
	// findRange: keys from the begin position up to lastKey (relative to
	// the begin position; negative counts from the end), every keyStep
	// arguments; a limit above 1 takes 1/limit of the remaining arguments.
	findRange
	// findKeynum: the argument keyNumIdx places after the begin position
	// is the number of keys, the first of which is firstKey places after
	// it.
	findKeynum
)

// keySpec is one of a command's key specifications.
type keySpec struct {
	notes string
	// flags are the key flags in COMMAND INFO's order ("RW access
	// update").
	flags string

	// Where the search begins: at argument index, or after the keyword
	// (searching from argument startFrom; negative counts from the end).
	// Neither set means unknown.
	index     int
	keyword   string
	startFrom int

	find                    findKind
	lastKey, keyStep, limit int
	keyNumIdx, firstKey     int
}

// argFlags are the flags of a documented argument.
type argFlags uint8

const (
	argOptional argFlags = 1 << iota
	argMultiple
	argMultipleToken
)

// cmdArg is one documented argument. typ is one of Redis's argument types:
// "string", "integer", "double", "key", "pattern", "unix-time",
// "pure-token", "oneof" and "block"; the last two hold args.
type cmdArg struct {
	name string
	typ  string
	// display is the display text when it differs from name.
	display         string
	token           string
	since           string
	deprecatedSince string
	// keySpecPos is one more than the index of the key spec that
	// describes this argument, or 0 if none does.
	keySpecPos int
	flags      argFlags
	args       []cmdArg
}

// metaTables are the tables of every command family.
func metaTables() [][]cmdMeta {
	return [][]cmdMeta{metaConnection, metaGeneric, metaString, metaList, metaHashSet, metaSortedSet, metaStream, metaScripting, metaPubSub}
}

var (
	metaOnce  sync.Once
	metaIndex map[string]*cmdMeta
)

func buildMetaIndex() {
	metaIndex = make(map[string]*cmdMeta)
	for _, t := range metaTables() {
		for i := range t {
			m := &t[i]
			if metaIndex[m.name] != nil {
				panic("engine: command metadata listed twice: " + m.name)
			}
			metaIndex[m.name] = m
		}
	}
}

// metaFor returns the metadata of a command by full name, or nil. Rows
// may exist for commands the engine does not implement.
func metaFor(fullName string) *cmdMeta {
	metaOnce.Do(buildMetaIndex)
	return metaIndex[fullName]
}

// legacyRange returns the (first key, last key, step) triple of COMMAND
// INFO, derived from the key specs as Redis derives it: the range specs
// that start at a fixed index with a step of 1, if they follow one
// another, are merged into one range; anything else is left out (such
// commands have the movablekeys flag).
func (m *cmdMeta) legacyRange() (first, last, step int) {
	if m == nil || len(m.keySpecs) == 0 {
		return 0, 0, 0
	}
	simple := func(ks *keySpec) bool { return ks.index > 0 && ks.find == findRange }
	if len(m.keySpecs) == 1 {
		ks := &m.keySpecs[0]
		if !simple(ks) {
			return 0, 0, 0
		}
		return ks.index, absLastKey(ks), ks.keyStep
	}
	first = -1
	prev := 0
	for i := range m.keySpecs {
		ks := &m.keySpecs[i]
		if !simple(ks) || ks.keyStep != 1 || (prev != 0 && prev != ks.index-1) {
			continue
		}
		if first == -1 || ks.index < first {
			first = ks.index
		}
		// Compared as unsigned, so that a negative (open-ended) last key
		// wins over any positive one.
		if l := absLastKey(ks); uint32(l) > uint32(last) {
			last = l
		}
		prev = last
	}
	if first == -1 {
		return 0, 0, 0
	}
	return first, last, 1
}

// absLastKey is a range spec's last key as an argument index, or its
// negative offset from the end.
func absLastKey(ks *keySpec) int {
	if ks.lastKey >= 0 {
		return ks.lastKey + ks.index
	}
	return ks.lastKey
}
