package rdb

import (
	"bytes"
	"errors"
	"math/rand"
	"testing"
	"time"
)

// sampleEntries are small values of every type, for files and payloads
// that corruption tests cut and flip.
func sampleEntries() []Entry {
	return []Entry{
		{Key: []byte("s"), Value: String("hello"), ExpireAtMs: 1 << 41},
		{Key: []byte("i"), Value: String("-300")},
		{Key: []byte("l"), Value: List{[]byte("a"), []byte("12")}},
		{DB: 1, Key: []byte("is"), Value: Set{[]byte("1"), []byte("2")}},
		{DB: 1, Key: []byte("ss"), Value: Set{[]byte("x"), []byte("y")}},
		{DB: 1, Key: []byte("h"), Value: Hash{{Name: []byte("f"), Value: []byte("v")}}},
		{DB: 1, Key: []byte("z"), Value: ZSet{{[]byte("m"), 2.5}}},
		{DB: 1, Key: []byte("x"), Value: &Stream{
			Nodes:  []StreamNode{{Master: ID{1, 0}, Listpack: listpackOf("1", "0", "1", "f", "0", "2", "0", "0", "v", "4")}},
			Length: 1, LastID: ID{1, 0}, FirstID: ID{1, 0}, EntriesAdded: 1,
			Groups: []Group{{Name: []byte("g"), LastID: ID{1, 0}, EntriesRead: 1,
				PEL:       []PendingEntry{{ID: ID{1, 0}, DeliveryTime: 5, DeliveryCount: 1}},
				Consumers: []Consumer{{Name: []byte("c"), SeenTime: 5, ActiveTime: 6, PEL: []ID{{1, 0}}}}}},
		}},
	}
}

// seedPayloads are DUMP payloads of every type and several encodings.
func seedPayloads(t testing.TB) [][]byte {
	var out [][]byte
	for _, e := range sampleEntries() {
		out = append(out, mustDump(t, e.Value, 11))
	}
	for _, tc := range legacyCases {
		out = append(out, payloadOf(10, tc.typ, tc.body))
	}
	out = append(out, mustDump(t, Hash{{Name: []byte("f"), Value: []byte("v"), ExpireAtMs: 99}}, 12))
	out = append(out, payloadOf(10, typeString, []byte{0xC3, 4, 7, 0, 'a', 0x80, 0})) // LZF "aaaaaaa"
	return out
}

func TestTruncatedFile(t *testing.T) {
	file := writeFile(t, Options{Version: 11, CTime: 1}, sampleEntries()...)
	if _, got, err := readFile(bytes.NewReader(file)); err != nil || len(got) != len(sampleEntries()) {
		t.Fatalf("whole file: %d entries, %v", len(got), err)
	}
	for n := 0; n < len(file); n++ {
		if _, _, err := readFile(bytes.NewReader(file[:n])); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("file cut to %d of %d bytes: %v, want ErrCorrupt", n, len(file), err)
		}
	}
}

func TestTruncatedPayloads(t *testing.T) {
	for i, p := range seedPayloads(t) {
		if _, err := ParseDump(p); err != nil {
			t.Fatalf("payload %d whole: %v", i, err)
		}
		version, _ := DumpVersion(p)
		body := p[:len(p)-dumpFooter]
		for n := 1; n < len(body); n++ {
			cut := payloadOf(version, body[0], body[1:n])
			if _, err := ParseDump(cut); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("payload %d cut to %d of %d bytes: %v, want ErrCorrupt", i, n, len(body), err)
			}
		}
	}
}

// TestBitFlips flips every bit of each payload's body and fixes the CRC,
// so that the decoder, not the checksum, meets the damage: it must fail
// with ErrCorrupt or ErrUnsupported or decode something that encodes
// again, and never panic.
func TestBitFlips(t *testing.T) {
	for i, p := range seedPayloads(t) {
		body := p[:len(p)-dumpFooter]
		for bit := 0; bit < 8*len(body); bit++ {
			b := bytes.Clone(body)
			b[bit/8] ^= 1 << (bit % 8)
			checkDecodes(t, payloadOf(12, b[0], b[1:]), i, bit)
		}
	}
	file := writeFile(t, Options{CTime: 1}, sampleEntries()...)
	for bit := 0; bit < 8*len(file); bit++ {
		b := bytes.Clone(file)
		b[bit/8] ^= 1 << (bit % 8)
		if _, _, err := readFile(bytes.NewReader(b)); err == nil {
			t.Errorf("file with bit %d flipped read without error", bit)
		}
	}
}

func checkDecodes(t testing.TB, payload []byte, i, bit int) {
	t.Helper()
	v, err := ParseDump(payload)
	if err != nil {
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
			t.Errorf("payload %d, bit %d: %v, want ErrCorrupt or ErrUnsupported", i, bit, err)
		}
		return
	}
	if _, err := DumpPayload(v, MaxVersion); err != nil && !errors.Is(err, ErrInvalidValue) {
		t.Errorf("payload %d, bit %d: decoded value does not encode: %v", i, bit, err)
	}
}

// TestRandomPayloads decodes random mutations of the seeds (seeded; the
// seed is printed to reproduce a failure).
func TestRandomPayloads(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	seeds := seedPayloads(t)
	for n := 0; n < 20000; n++ {
		p := seeds[rng.Intn(len(seeds))]
		b := bytes.Clone(p[:len(p)-dumpFooter])
		for k := rng.Intn(4) + 1; k > 0; k-- {
			switch i := rng.Intn(len(b)); rng.Intn(3) {
			case 0:
				b[i] = byte(rng.Intn(256))
			case 1:
				b = append(b[:i], b[i+1:]...)
			default:
				b = append(b[:i], append([]byte{byte(rng.Intn(256))}, b[i:]...)...)
			}
			if len(b) == 0 {
				b = []byte{0}
			}
		}
		checkDecodes(t, payloadOf(12, b[0], b[1:]), n, -1)
	}
}

func FuzzParseDump(f *testing.F) {
	for _, p := range seedPayloads(f) {
		f.Add(p)
		f.Add(p[:len(p)-dumpFooter]) // a body: the target adds a valid footer
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseDump(data)
		if len(data) == 0 {
			return
		}
		p := payloadOf(12, data[0], data[1:])
		v, err := ParseDump(p)
		if err != nil {
			return
		}
		again, err := DumpPayload(v, MaxVersion)
		if err != nil {
			return // decodable yet not writable, such as a stream with an empty group name
		}
		w, err := ParseDump(again)
		if err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		if d := valueDiff(w, v); d != "" {
			t.Fatalf("re-encoded value differs (-got +want):\n%s", d)
		}
	})
}

func FuzzReader(f *testing.F) {
	f.Add(writeFile(f, Options{CTime: 1}, sampleEntries()...))
	f.Add(writeFile(f, Options{Version: 12, CTime: 1}, Entry{Key: []byte("k"), Value: String("v")}))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = readFile(bytes.NewReader(data))
	})
}
