package rdb

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestCRC64(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want uint64
	}{
		{"check value", "123456789", 0xe9c6d914c4b8d9ca},
		{"empty", "", 0},
		{"long (eight bytes at a time and the rest)", strings.Repeat("123456789", 3), crcByByte([]byte(strings.Repeat("123456789", 3)))},
	} {
		if got := crc64(0, []byte(tc.in)); got != tc.want {
			t.Errorf("%s: crc64 = %016x, want %016x", tc.name, got, tc.want)
		}
	}
}

func crcByByte(p []byte) uint64 {
	var crc uint64
	for _, b := range p {
		crc = crcTable[byte(crc)^b] ^ crc>>8
	}
	return crc
}

func TestLZFDecompress(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []byte
		n       int
		want    string
		wantErr bool
	}{
		{"literal", []byte{2, 'a', 'b', 'c'}, 3, "abc", false},
		{"overlapping back reference", []byte{0, 'a', 0x80, 0}, 7, "aaaaaaa", false},
		{"long back reference", []byte{0, 'a', 0xE0, 3, 0}, 13, "aaaaaaaaaaaaa", false},
		{"short back reference", []byte{1, 'a', 'b', 0x20, 1}, 5, "ababa", false},
		{"reference before the start", []byte{0, 'a', 0x20, 5}, 4, "", true},
		{"truncated literal", []byte{5, 'a'}, 6, "", true},
		{"truncated reference", []byte{0, 'a', 0xE0}, 10, "", true},
		{"longer than claimed", []byte{2, 'a', 'b', 'c'}, 2, "", true},
		{"shorter than claimed", []byte{2, 'a', 'b', 'c'}, 4, "", true},
		{"implausible length", []byte{0, 'a'}, 1 << 30, "", true},
	} {
		got, err := lzfDecompress(tc.in, tc.n)
		if (err != nil) != tc.wantErr || string(got) != tc.want {
			t.Errorf("%s: lzfDecompress = %q, %v; want %q, error %v", tc.name, got, err, tc.want, tc.wantErr)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: error %v is not ErrCorrupt", tc.name, err)
		}
	}
}

func TestLengthEncoding(t *testing.T) {
	for _, n := range []uint64{0, 63, 64, 16383, 16384, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64} {
		b := enc(func(e *encoder) { e.length(n) })
		d := newDecoder(bytes.NewReader(b))
		got, err := d.length()
		if err != nil || got != n {
			t.Errorf("length %d encoded as %x decodes to %d, %v", n, b, got, err)
		}
	}
}

func TestDumpRoundTrip(t *testing.T) {
	for _, version := range []int{0, 10, 11, 12} {
		for _, tc := range valueCases {
			p, err := DumpPayload(tc.v, version)
			if err != nil {
				t.Fatalf("%s v%d: %v", tc.name, version, err)
			}
			got, err := ParseDump(p)
			if err != nil {
				t.Fatalf("%s v%d: %v", tc.name, version, err)
			}
			if d := valueDiff(got, tc.v); d != "" {
				t.Errorf("%s v%d (-got +want):\n%s", tc.name, version, d)
			}
		}
	}
}

func TestInvalidValues(t *testing.T) {
	for _, tc := range []struct {
		name    string
		v       Value
		version int
		want    error
	}{
		{"empty list", List{}, 0, ErrInvalidValue},
		{"empty set", Set(nil), 0, ErrInvalidValue},
		{"empty hash", Hash{}, 0, ErrInvalidValue},
		{"empty sorted set", ZSet{}, 0, ErrInvalidValue},
		{"NaN score", ZSet{{[]byte("a"), math.NaN()}}, 0, ErrInvalidValue},
		{"field TTL in version 10", Hash{{Name: []byte("f"), ExpireAtMs: 5}}, 10, ErrInvalidValue},
		{"field TTL beyond 2^48", Hash{{Name: []byte("f"), ExpireAtMs: 1 << 48}}, 12, ErrInvalidValue},
		{"nil stream", (*Stream)(nil), 0, ErrInvalidValue},
		{"stream node without a listpack", &Stream{Nodes: []StreamNode{{}}}, 0, ErrInvalidValue},
		{"nil value", nil, 0, ErrInvalidValue},
		{"version 9", String("x"), 9, ErrVersion},
		{"version 13", String("x"), 13, ErrVersion},
	} {
		_, err := DumpPayload(tc.v, tc.version)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: DumpPayload error %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestParseDumpErrors(t *testing.T) {
	good := mustDump(t, String("hello"), 0)
	flipped := bytes.Clone(good)
	flipped[2] ^= 1
	v13 := payloadOf(13, typeString, []byte{1, 'x'})
	trailing := payloadOf(10, typeString, []byte{1, 'x', 'y'})
	for _, tc := range []struct {
		name    string
		payload []byte
		want    error
	}{
		{"too short", []byte{0, 1, 2}, ErrCorrupt},
		{"wrong checksum", flipped, ErrChecksum},
		{"newer version", v13, ErrVersion},
		{"bytes after the object", trailing, ErrCorrupt},
		{"module value", payloadOf(10, typeModule2, []byte{0}), ErrUnsupported},
		{"unknown type", payloadOf(10, 30, []byte{0}), ErrCorrupt},
		{"empty list", payloadOf(10, typeList, []byte{0}), ErrCorrupt},
		{"duplicate set member", payloadOf(10, typeSet, []byte{2, 1, 'a', 1, 'a'}), ErrCorrupt},
		{"duplicate hash field", payloadOf(10, typeHashListpack, enc(func(e *encoder) { e.str(listpackOf("f", "1", "f", "2")) })), ErrCorrupt},
		{"odd hash listpack", payloadOf(10, typeHashListpack, enc(func(e *encoder) { e.str(listpackOf("f", "1", "g")) })), ErrCorrupt},
		{"unordered intset", payloadOf(10, typeSetIntset, enc(func(e *encoder) { e.str([]byte{2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0}) })), ErrCorrupt},
		{"string longer than the payload", payloadOf(10, typeString, []byte{0x81, 0, 0, 1, 0, 0, 0, 0, 0}), ErrCorrupt},
		{"lzf claiming a huge length", payloadOf(10, typeString, []byte{0xC3, 2, 0x81, 0, 0, 0, 1, 0, 0, 0, 0, 1, 'a', 'b'}), ErrCorrupt},
		{"list of 2^60 elements", payloadOf(10, typeList, []byte{0x81, 0x10, 0, 0, 0, 0, 0, 0, 0, 1, 'a'}), ErrCorrupt},
	} {
		_, err := ParseDump(tc.payload)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: ParseDump error %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestStreamIntegrityErrors(t *testing.T) {
	base := func() *Stream {
		return &Stream{
			Nodes:  []StreamNode{{Master: ID{1, 0}, Listpack: listpackOf("1", "0", "1", "f", "0", "2", "0", "0", "v", "4")}},
			Length: 1, LastID: ID{1, 0}, FirstID: ID{1, 0}, EntriesAdded: 1,
			Groups: []Group{{Name: []byte("g"), LastID: ID{1, 0}, EntriesRead: 1,
				PEL:       []PendingEntry{{ID: ID{1, 0}, DeliveryTime: 5, DeliveryCount: 1}},
				Consumers: []Consumer{{Name: []byte("c"), SeenTime: 5, ActiveTime: -1, PEL: []ID{{1, 0}}}}}},
		}
	}
	for _, tc := range []struct {
		name    string
		corrupt func(s *Stream)
	}{
		{"PEL entry owned twice", func(s *Stream) {
			s.Groups[0].Consumers = append(s.Groups[0].Consumers, Consumer{Name: []byte("d"), PEL: []ID{{1, 0}}})
		}},
		{"consumer PEL entry not in the group PEL", func(s *Stream) { s.Groups[0].Consumers[0].PEL = []ID{{1, 0}, {2, 0}} }},
		{"PEL entry without a consumer", func(s *Stream) { s.Groups[0].Consumers[0].PEL = nil }},
		{"duplicate group", func(s *Stream) { s.Groups = append(s.Groups, s.Groups[0]) }},
		{"duplicate consumer", func(s *Stream) {
			s.Groups[0].Consumers = append(s.Groups[0].Consumers, Consumer{Name: []byte("c")})
		}},
		{"nodes out of order", func(s *Stream) {
			s.Nodes = append(s.Nodes, StreamNode{Master: ID{0, 5}, Listpack: s.Nodes[0].Listpack})
		}},
		{"malformed listpack", func(s *Stream) { s.Nodes[0].Listpack = []byte{1, 2, 3} }},
		{"empty listpack", func(s *Stream) { s.Nodes[0].Listpack = listpackOf() }},
		{"entries without nodes", func(s *Stream) { s.Nodes = nil }},
	} {
		s := base()
		if _, err := ParseDump(mustDump(t, s, 0)); err != nil {
			t.Fatalf("%s: the unbroken stream: %v", tc.name, err)
		}
		tc.corrupt(s)
		if _, err := ParseDump(mustDump(t, s, 0)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: ParseDump error %v, want ErrCorrupt", tc.name, err)
		}
	}
}

// writeFile writes entries with a Writer and returns the file.
func writeFile(t testing.TB, opts Options, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, opts)
	for _, e := range entries {
		if err := w.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readFile reads every entry of a file.
func readFile(r io.Reader) (*Reader, []Entry, error) {
	rd := NewReader(r)
	var out []Entry
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return rd, out, nil
		}
		if err != nil {
			return rd, out, err
		}
		out = append(out, e)
	}
}

func TestWriterReaderRoundTrip(t *testing.T) {
	ttl := Hash{{Name: []byte("f"), Value: []byte("v"), ExpireAtMs: 1 << 40}}
	entries := []Entry{
		{DB: 0, Key: []byte("a"), Value: String("1")},
		{DB: 2, Key: []byte("b"), Value: List{[]byte("x")}, ExpireAtMs: 1234567890123},
		{DB: 2, Key: []byte("c"), Value: ttl},
		{DB: 0, Key: []byte("d"), Value: &Stream{Groups: []Group{{Name: []byte("g"), EntriesRead: -1}}}},
	}
	{
		const version = 12 // the only one that writes field TTLs
		file := writeFile(t, Options{Version: version, CTime: 42, AOFBase: true, Aux: []AuxField{{"x", "y"}}}, entries...)
		rd, got, err := readFile(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(got, entries, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("entries (-got +want):\n%s", d)
		}
		wantAux := []AuxField{{"redis-ver", "7.4.0"}, {"redis-bits", "64"}, {"ctime", "42"}, {"used-mem", "0"}, {"x", "y"}, {"aof-base", "1"}}
		if d := cmp.Diff(rd.Aux(), wantAux); d != "" || rd.Version() != version {
			t.Errorf("version %d, aux (-got +want):\n%s", rd.Version(), d)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, Options{})
	if err := w.WriteEntry(Entry{Key: []byte("k"), Value: List{}}); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("empty list: %v, want ErrInvalidValue", err)
	}
	if err := w.WriteEntry(Entry{Key: []byte("k"), Value: String("v")}); err != nil {
		t.Errorf("after an invalid value: %v, want the writer usable", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, got, err := readFile(bytes.NewReader(buf.Bytes()))
	if err != nil || len(got) != 1 {
		t.Errorf("read back %d entries, %v; want 1", len(got), err)
	}
	if err := w.WriteEntry(Entry{Key: []byte("late"), Value: String("v")}); err == nil {
		t.Error("WriteEntry after Close succeeded")
	}
	if err := NewWriter(&buf, Options{Version: 9}).Close(); !errors.Is(err, ErrVersion) {
		t.Errorf("version 9: %v, want ErrVersion", err)
	}
	fw := NewWriter(failingWriter{}, Options{})
	if err := fw.WriteEntry(Entry{Key: []byte("k"), Value: String(strings.Repeat("x", 100000))}); err == nil {
		t.Error("writing to a failing writer succeeded")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestReaderChecksum(t *testing.T) {
	file := writeFile(t, Options{}, Entry{Key: []byte("k"), Value: String("v")})
	bad := bytes.Clone(file)
	bad[len(bad)-12] ^= 0x40 // inside the value
	if _, _, err := readFile(bytes.NewReader(bad)); !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrCorrupt) {
		t.Errorf("flipped bit: %v, want ErrChecksum", err)
	}
	zero := bytes.Clone(file)
	copy(zero[len(zero)-8:], make([]byte, 8))
	if _, got, err := readFile(bytes.NewReader(zero)); err != nil || len(got) != 1 {
		t.Errorf("checksum 0 (none computed): %d entries, %v; want 1 and no error", len(got), err)
	}
}

// TestReaderStopsAtChecksum checks that the tail after the RDB part of an
// append-only file stays unread in a *bufio.Reader.
func TestReaderStopsAtChecksum(t *testing.T) {
	file := writeFile(t, Options{AOFBase: true}, Entry{Key: []byte("k"), Value: String("v")})
	tail := "*1\r\n$4\r\nPING\r\n"
	br := bytesReaderWithoutLen{bytes.NewReader(append(bytes.Clone(file), tail...))}
	if _, _, err := readFile(br); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(br)
	if string(rest) != tail {
		t.Errorf("left unread %q, want %q", rest, tail)
	}
}

// bytesReaderWithoutLen is an io.ByteReader that does not tell its length.
type bytesReaderWithoutLen struct{ r *bytes.Reader }

func (b bytesReaderWithoutLen) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b bytesReaderWithoutLen) ReadByte() (byte, error)    { return b.r.ReadByte() }
