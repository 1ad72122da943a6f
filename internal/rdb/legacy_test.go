package rdb

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/internal/intconv"
	"github.com/pelicanhq/pelican/internal/listpack"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// Redis 7.0 never writes these encodings but still loads them. The tests
// build them by hand, check that redis-server restores them to the
// expected content (so the hand-built bytes are what Redis means), and
// that ParseDump decodes them to the same.

// payloadOf appends a DUMP footer of version to a type and body.
func payloadOf(version int, typ byte, body []byte) []byte {
	b := append([]byte{typ}, body...)
	b = binary.LittleEndian.AppendUint16(b, uint16(version))
	return binary.LittleEndian.AppendUint64(b, crc64(0, b))
}

// enc runs f on an encoder and returns what it wrote.
func enc(f func(e *encoder)) []byte {
	var buf bytes.Buffer
	f(&encoder{w: &buf})
	return buf.Bytes()
}

// ziplistOf builds a ziplist, integers in their narrowest encoding.
func ziplistOf(els ...string) []byte {
	zl := make([]byte, zipHeader)
	prev, last := 0, zipHeader
	for _, s := range els {
		start := len(zl)
		if prev < 254 {
			zl = append(zl, byte(prev))
		} else {
			zl = append(zl, 254)
			zl = binary.LittleEndian.AppendUint32(zl, uint32(prev))
		}
		zl = appendZipEncoding(zl, s)
		prev, last = len(zl)-start, start
	}
	zl = append(zl, zipEnd)
	binary.LittleEndian.PutUint32(zl, uint32(len(zl)))
	binary.LittleEndian.PutUint32(zl[4:], uint32(last))
	binary.LittleEndian.PutUint16(zl[8:], uint16(len(els)))
	return zl
}

func appendZipEncoding(zl []byte, s string) []byte {
	if v, ok := intconv.ParseInt([]byte(s)); ok {
		switch {
		case v >= 0 && v <= 12:
			return append(zl, 0xF1+byte(v))
		case v >= math.MinInt8 && v <= math.MaxInt8:
			return append(zl, 0xFE, byte(v))
		case v >= math.MinInt16 && v <= math.MaxInt16:
			return binary.LittleEndian.AppendUint16(append(zl, 0xC0), uint16(v))
		case v >= -1<<23 && v < 1<<23:
			return append(zl, 0xF0, byte(v), byte(v>>8), byte(v>>16))
		case v >= math.MinInt32 && v <= math.MaxInt32:
			return binary.LittleEndian.AppendUint32(append(zl, 0xD0), uint32(v))
		}
		return binary.LittleEndian.AppendUint64(append(zl, 0xE0), uint64(v))
	}
	switch n := len(s); {
	case n < 64:
		zl = append(zl, byte(n))
	case n < 16384:
		zl = append(zl, byte(n>>8)|0x40, byte(n))
	default:
		zl = binary.BigEndian.AppendUint32(append(zl, 0x80), uint32(n))
	}
	return append(zl, s...)
}

// zipmapOf builds a zipmap of pairs, giving each value one free byte.
func zipmapOf(pairs ...string) []byte {
	zm := []byte{byte(len(pairs) / 2)}
	for i, s := range pairs {
		if len(s) < 254 {
			zm = append(zm, byte(len(s)))
		} else {
			zm = binary.LittleEndian.AppendUint32(append(zm, 254), uint32(len(s)))
		}
		if i%2 == 1 {
			zm = append(zm, 1)
			zm = append(append(zm, s...), 0)
			continue
		}
		zm = append(zm, s...)
	}
	return append(zm, 0xFF)
}

func listpackOf(els ...string) []byte {
	lp := listpack.New(64)
	for _, s := range els {
		lp = listpack.Append(lp, []byte(s))
	}
	return lp
}

var long300 = string(bytes.Repeat([]byte("L"), 300))

// legacyCases are hand-built payloads of the encodings Redis 7.0 loads
// but no longer writes.
var legacyCases = []struct {
	name string
	typ  byte
	body []byte
	want Value
}{
	{"LIST", typeList, enc(func(e *encoder) {
		e.length(3)
		e.str([]byte("a"))
		e.str([]byte("12"))
		e.str([]byte(long300))
	}), List{[]byte("a"), []byte("12"), []byte(long300)}},
	{"LIST_ZIPLIST", typeListZiplist, enc(func(e *encoder) {
		e.str(ziplistOf("a", "7", "-100", "30000", "-4000000", "2000000000", "-9000000000", long300, "z"))
	}), List{[]byte("a"), []byte("7"), []byte("-100"), []byte("30000"), []byte("-4000000"),
		[]byte("2000000000"), []byte("-9000000000"), []byte(long300), []byte("z")}},
	{"LIST_QUICKLIST", typeListQuicklist, enc(func(e *encoder) {
		e.length(2)
		e.str(ziplistOf("a", "b"))
		e.str(ziplistOf("1", "c"))
	}), List{[]byte("a"), []byte("b"), []byte("1"), []byte("c")}},
	{"QUICKLIST_2 with a plain node", typeListQuicklist2, enc(func(e *encoder) {
		e.length(3)
		e.length(containerPacked)
		e.str(listpackOf("a", "1"))
		e.length(containerPlain)
		e.str([]byte("plain element"))
		e.length(containerPacked)
		e.str(listpackOf("z"))
	}), List{[]byte("a"), []byte("1"), []byte("plain element"), []byte("z")}},
	{"HASH_ZIPMAP", typeHashZipmap, enc(func(e *encoder) {
		e.str(zipmapOf("f1", "v1", "f2", "22", "long", long300))
	}), Hash{{Name: []byte("f1"), Value: []byte("v1")}, {Name: []byte("f2"), Value: []byte("22")},
		{Name: []byte("long"), Value: []byte(long300)}}},
	{"HASH_ZIPLIST", typeHashZiplist, enc(func(e *encoder) {
		e.str(ziplistOf("f1", "v1", "f2", "-5"))
	}), Hash{{Name: []byte("f1"), Value: []byte("v1")}, {Name: []byte("f2"), Value: []byte("-5")}}},
	{"ZSET_ZIPLIST", typeZSetZiplist, enc(func(e *encoder) {
		e.str(ziplistOf("a", "1.5", "b", "3", "c", "-inf"))
	}), ZSet{{[]byte("a"), 1.5}, {[]byte("b"), 3}, {[]byte("c"), math.Inf(-1)}}},
	{"ZSET", typeZSet, enc(func(e *encoder) {
		e.length(3)
		e.str([]byte("a"))
		e.raw(append([]byte{4}, "2.25"...))
		e.str([]byte("b"))
		e.raw([]byte{254})
		e.str([]byte("c"))
		e.raw([]byte{255})
	}), ZSet{{[]byte("a"), 2.25}, {[]byte("b"), math.Inf(1)}, {[]byte("c"), math.Inf(-1)}}},
}

func TestLegacyEncodings(t *testing.T) {
	r := redistest.StartRedis(t)
	c := redistest.Dial(t, r.Addr)
	for _, tc := range legacyCases {
		t.Run(tc.name, func(t *testing.T) {
			payload := payloadOf(10, tc.typ, tc.body)
			got, err := ParseDump(payload)
			if err != nil {
				t.Fatalf("ParseDump: %v", err)
			}
			if d := valueDiff(got, tc.want); d != "" {
				t.Errorf("ParseDump (-got +want):\n%s", d)
			}
			mustDo(t, c, "RESTORE", "k", "0", string(payload), "REPLACE")
			if d := valueDiff(readBack(t, c, "k"), tc.want); d != "" {
				t.Errorf("Redis restored (-got +want):\n%s", d)
			}
		})
	}
}

// TestOldestStreamEncoding writes a stream from Redis in the oldest
// stream encoding (type 15), which lacks the first ID, tombstone,
// counters and group read counters, and checks what is recovered.
func TestOldestStreamEncoding(t *testing.T) {
	r := redistest.StartRedis(t)
	c := redistest.Dial(t, r.Addr)
	buildStream(t, c, "s")
	v, err := ParseDump([]byte(mustDo(t, c, "DUMP", "s").Str))
	if err != nil {
		t.Fatal(err)
	}
	s := v.(*Stream)
	body := enc(func(e *encoder) {
		e.length(uint64(len(s.Nodes)))
		for _, n := range s.Nodes {
			e.str(appendRawID(nil, n.Master))
			e.str(n.Listpack)
		}
		e.length(s.Length)
		e.length(s.LastID.Ms)
		e.length(s.LastID.Seq)
		e.length(uint64(len(s.Groups)))
		for _, g := range s.Groups {
			e.str(g.Name)
			e.length(g.LastID.Ms)
			e.length(g.LastID.Seq)
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
				e.length(uint64(len(c.PEL)))
				for _, id := range c.PEL {
					e.rawID(id)
				}
			}
		}
	})
	payload := payloadOf(10, typeStreamListpacks, body)
	got, err := ParseDump(payload)
	if err != nil {
		t.Fatal(err)
	}
	want := *s
	want.MaxDeletedID, want.EntriesAdded = ID{}, s.Length
	want.Groups = nil
	for _, g := range s.Groups {
		g.EntriesRead = -1
		var cs []Consumer
		for _, c := range g.Consumers {
			c.ActiveTime = -1
			cs = append(cs, c)
		}
		g.Consumers = cs
		want.Groups = append(want.Groups, g)
	}
	if d := cmp.Diff(got, &want); d != "" {
		t.Errorf("ParseDump of type 15 (-got +want):\n%s", d)
	}
	mustDo(t, c, "RESTORE", "old", "0", string(payload))
	if got, want := xinfoFull(t, c, "old").FirstID, idString(s.FirstID); got != want {
		t.Errorf("Redis recovered first ID %s, want %s", got, want)
	}
}

// TestNewerEncodings covers what only Redis 7.2 and later write: set
// listpacks (version 11), streams with consumer active times (11) and
// hashes with field TTLs (12), which Redis 7.0 cannot restore.
func TestNewerEncodings(t *testing.T) {
	ttlHash := Hash{
		{Name: []byte("a"), Value: []byte("1"), ExpireAtMs: 1_900_000_000_000},
		{Name: []byte("b"), Value: []byte("2")},
		{Name: []byte("c"), Value: []byte("3"), ExpireAtMs: 1_800_000_000_123},
	}
	stream := &Stream{
		Nodes:  []StreamNode{{Master: ID{5, 0}, Listpack: listpackOf("1", "0", "1", "f", "0", "2", "0", "0", "v", "4")}},
		Length: 1, LastID: ID{5, 0}, FirstID: ID{5, 0}, EntriesAdded: 1,
		Groups: []Group{{Name: []byte("g"), LastID: ID{5, 0}, EntriesRead: 1,
			PEL:       []PendingEntry{{ID: ID{5, 0}, DeliveryTime: 1234, DeliveryCount: 2}},
			Consumers: []Consumer{{Name: []byte("c"), SeenTime: 1234, ActiveTime: 1200, PEL: []ID{{5, 0}}}},
		}},
	}
	cases := []struct {
		name    string
		payload func(t *testing.T) []byte
		want    Value
	}{
		{"SET_LISTPACK", func(t *testing.T) []byte {
			return payloadOf(11, typeSetListpack, enc(func(e *encoder) { e.str(listpackOf("x", "12", "y")) }))
		}, Set{[]byte("x"), []byte("12"), []byte("y")}},
		{"STREAM_LISTPACKS_3", func(t *testing.T) []byte { return mustDump(t, stream, 11) }, stream},
		{"HASH_METADATA", func(t *testing.T) []byte { return mustDump(t, ttlHash, 12) }, ttlHash},
		{"HASH_METADATA_PRE_GA", func(t *testing.T) []byte {
			return payloadOf(12, typeHashMetadataPreGA, enc(func(e *encoder) {
				e.length(2)
				e.length(1_900_000_000_000)
				e.str([]byte("a"))
				e.str([]byte("1"))
				e.length(0)
				e.str([]byte("b"))
				e.str([]byte("2"))
			}))
		}, ttlHash[:2]},
		{"HASH_LISTPACK_EX", func(t *testing.T) []byte {
			return payloadOf(12, typeHashListpackEx, enc(func(e *encoder) {
				e.msTime(1_800_000_000_123)
				e.str(listpackOf("a", "1", "1900000000000", "b", "2", "0", "c", "3", "1800000000123"))
			}))
		}, ttlHash},
		{"HASH_LISTPACK_EX_PRE_GA", func(t *testing.T) []byte {
			return payloadOf(12, typeHashListpackExPreGA, enc(func(e *encoder) {
				e.str(listpackOf("b", "2", "0"))
			}))
		}, ttlHash[1:2]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDump(tc.payload(t))
			if err != nil {
				t.Fatal(err)
			}
			if d := valueDiff(got, tc.want); d != "" {
				t.Errorf("ParseDump (-got +want):\n%s", d)
			}
		})
	}
}

func mustDump(t testing.TB, v Value, version int) []byte {
	t.Helper()
	p, err := DumpPayload(v, version)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStreamVersions checks which stream encoding each version writes and
// what survives: version 10 has no active times.
func TestStreamVersions(t *testing.T) {
	s := &Stream{Groups: []Group{{Name: []byte("g"), EntriesRead: -1,
		Consumers: []Consumer{{Name: []byte("c"), SeenTime: 10, ActiveTime: 7}, {Name: []byte("d"), SeenTime: 11, ActiveTime: -1}}}}}
	for _, tc := range []struct {
		version      int
		typ          byte
		wantC, wantD int64
	}{
		{10, typeStreamListpacks2, -1, -1},
		{11, typeStreamListpacks3, 7, 11},
		{12, typeStreamListpacks3, 7, 11},
	} {
		t.Run(strconv.Itoa(tc.version), func(t *testing.T) {
			p := mustDump(t, s, tc.version)
			if p[0] != tc.typ {
				t.Errorf("type %d, want %d", p[0], tc.typ)
			}
			v, err := ParseDump(p)
			if err != nil {
				t.Fatal(err)
			}
			cs := v.(*Stream).Groups[0].Consumers
			if cs[0].ActiveTime != tc.wantC || cs[1].ActiveTime != tc.wantD {
				t.Errorf("active times %d, %d; want %d, %d", cs[0].ActiveTime, cs[1].ActiveTime, tc.wantC, tc.wantD)
			}
		})
	}
}
