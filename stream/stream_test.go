package stream

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// model is the obvious implementation of a stream's entries, used to
// check the packed one.
type model struct {
	ids []ID
	fv  map[ID][]string
}

func (m *model) add(id ID, fv []string) {
	m.ids = append(m.ids, id)
	m.fv[id] = fv
}

func (m *model) del(id ID) bool {
	for i, x := range m.ids {
		if x == id {
			m.ids = append(m.ids[:i], m.ids[i+1:]...)
			delete(m.fv, id)
			return true
		}
	}
	return false
}

type entry struct {
	ID string
	FV []string
}

func collect(s *Stream, start, end ID, rev bool) []entry {
	var out []entry
	var it Iterator
	it.Reset(s, start, end, rev)
	for it.Next() {
		var fv []string
		for _, b := range it.Fields() {
			fv = append(fv, string(b))
		}
		out = append(out, entry{it.ID().String(), fv})
	}
	return out
}

func (m *model) collect(start, end ID, rev bool) []entry {
	var out []entry
	for _, id := range m.ids {
		if id.Less(start) || end.Less(id) {
			continue
		}
		out = append(out, entry{id.String(), m.fv[id]})
	}
	if rev {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

func toBytes(fv []string) [][]byte {
	out := make([][]byte, len(fv))
	for i, s := range fv {
		out[i] = []byte(s)
	}
	return out
}

func seed(t *testing.T) int64 {
	if s := os.Getenv("PELICAN_STREAM_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("PELICAN_STREAM_SEED: %v", err)
		}
		return v
	}
	return rand.Int63()
}

// TestRandomAgainstModel appends, deletes, trims and reads at random and
// compares every read with the model.
func TestRandomAgainstModel(t *testing.T) {
	sd := seed(t)
	t.Logf("seed %d (rerun with PELICAN_STREAM_SEED=%d)", sd, sd)
	rng := rand.New(rand.NewSource(sd))
	for round := 0; round < 20; round++ {
		lim := Limits{NodeMaxBytes: []int{0, 64, 512, 4096}[rng.Intn(4)], NodeMaxEntries: []int{0, 1, 3, 100}[rng.Intn(4)]}
		s := New()
		m := &model{fv: map[ID][]string{}}
		var next ID
		for step := 0; step < 400; step++ {
			switch op := rng.Intn(10); {
			case op < 5:
				next.Ms += uint64(rng.Intn(3))
				next.Seq = uint64(rng.Intn(4))
				if !s.LastID().Less(next) {
					next, _ = s.LastID().Incr()
				}
				fields := []string{"a", "b", "c"}[:1+rng.Intn(3)]
				if rng.Intn(4) == 0 {
					fields = []string{"x" + strconv.Itoa(rng.Intn(3))}
				}
				var fv []string
				for _, f := range fields {
					v := strconv.Itoa(rng.Intn(100000) - 500)
					if rng.Intn(2) == 0 {
						v = fmt.Sprintf("v%0*d", rng.Intn(90), rng.Intn(10))
					}
					fv = append(fv, f, v)
				}
				if err := s.Append(next, toBytes(fv), lim); err != nil {
					t.Fatalf("append %v: %v", next, err)
				}
				m.add(next, fv)
			case op < 7 && len(m.ids) > 0:
				id := m.ids[rng.Intn(len(m.ids))]
				if rng.Intn(4) == 0 {
					id.Seq += 1000 // probably absent
				}
				if got, want := s.Delete(id), m.del(id); got != want {
					t.Fatalf("seed %d: Delete(%v) = %v, want %v", sd, id, got, want)
				}
			case op < 8:
				maxLen := int64(rng.Intn(len(m.ids) + 1))
				removed := s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: maxLen})
				for int64(len(m.ids)) > maxLen {
					m.del(m.ids[0])
					removed--
				}
				if removed != 0 {
					t.Fatalf("seed %d: Trim MAXLEN %d removed a different number of entries", sd, maxLen)
				}
			default:
				var start, end ID
				if len(m.ids) > 0 {
					start = m.ids[rng.Intn(len(m.ids))]
					end = m.ids[rng.Intn(len(m.ids))]
				}
				if rng.Intn(3) == 0 {
					start, end = MinID, MaxID
				}
				rev := rng.Intn(2) == 0
				if diff := cmp.Diff(collect(s, start, end, rev), m.collect(start, end, rev)); diff != "" {
					t.Fatalf("seed %d: range %v..%v rev=%v (-got +want):\n%s", sd, start, end, rev, diff)
				}
			}
			if s.Len() != uint64(len(m.ids)) {
				t.Fatalf("seed %d: Len = %d, want %d", sd, s.Len(), len(m.ids))
			}
			wantFirst := ID{}
			if len(m.ids) > 0 {
				wantFirst = m.ids[0]
			}
			if s.FirstID() != wantFirst {
				t.Fatalf("seed %d: FirstID = %v, want %v", sd, s.FirstID(), wantFirst)
			}
			if err := s.Validate(); err != nil {
				t.Fatalf("seed %d step %d: %v", sd, step, err)
			}
		}
	}
}

func TestResolveID(t *testing.T) {
	s := New()
	mustAppend := func(id ID) {
		t.Helper()
		if err := s.Append(id, toBytes([]string{"f", "v"}), DefaultLimits); err != nil {
			t.Fatal(err)
		}
	}
	mustAppend(ID{5, 3})
	tests := []struct {
		name string
		p    *ParsedID
		now  int64
		want ID
		err  error
	}{
		{"star with clock ahead", nil, 10, ID{10, 0}, nil},
		{"star with clock behind", nil, 4, ID{5, 4}, nil},
		{"ms-star same ms", &ParsedID{ID{5, 0}, false}, 0, ID{5, 4}, nil},
		{"ms-star later ms", &ParsedID{ID{6, 0}, false}, 0, ID{6, 0}, nil},
		{"ms-star earlier ms", &ParsedID{ID{4, 0}, false}, 0, ID{}, ErrIDTooSmall},
		{"explicit equal", &ParsedID{ID{5, 3}, true}, 0, ID{}, ErrIDTooSmall},
		{"explicit greater", &ParsedID{ID{5, 9}, true}, 0, ID{5, 9}, nil},
	}
	for _, tt := range tests {
		got, err := s.ResolveID(tt.p, tt.now)
		if err != tt.err || got != tt.want {
			t.Errorf("%s: got %v, %v; want %v, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
	mustAppend(ID{5, ^uint64(0)})
	if _, err := s.ResolveID(&ParsedID{ID{5, 0}, false}, 0); err != ErrIDTooSmall {
		t.Errorf("ms-star at sequence overflow: err = %v, want ErrIDTooSmall", err)
	}
	if got, err := s.ResolveID(nil, 0); err != nil || got != (ID{6, 0}) {
		t.Errorf("star after max sequence = %v, %v; want 6-0", got, err)
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		in      string
		mode    ParseMode
		seqStar bool
		want    ParsedID
		ok      bool
	}{
		{"1-2", Strict, false, ParsedID{ID{1, 2}, true}, true},
		{"5", Strict, false, ParsedID{ID{5, 7}, true}, true},
		{"-", Loose, false, ParsedID{MinID, true}, true},
		{"+", Loose, false, ParsedID{MaxID, true}, true},
		{"-", Strict, false, ParsedID{}, false},
		{"1-*", Strict, true, ParsedID{ID{1, 0}, false}, true},
		{"1-*", Strict, false, ParsedID{}, false},
		{"18446744073709551615-18446744073709551615", Strict, false, ParsedID{MaxID, true}, true},
		{"18446744073709551616", Strict, false, ParsedID{}, false},
		{"007-1", Strict, false, ParsedID{ID{7, 1}, true}, true},
		{"1--1", Strict, false, ParsedID{}, false},
		{"1-", Strict, false, ParsedID{}, false},
		{"", Strict, false, ParsedID{}, false},
		{"abc", Strict, false, ParsedID{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseID([]byte(tt.in), 7, tt.mode, tt.seqStar)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseID(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRaxNodes(t *testing.T) {
	key := func(ms, seq uint64) [16]byte {
		var k [16]byte
		for i := 0; i < 8; i++ {
			k[7-i] = byte(ms >> (8 * i))
			k[15-i] = byte(seq >> (8 * i))
		}
		return k
	}
	tests := []struct {
		name string
		keys [][16]byte
		want int
	}{
		{"empty", nil, 1},
		{"one key", [][16]byte{key(1, 0)}, 2},
		// Keys differing only in the last byte: the root holds 15 common
		// bytes, then a branch node with two leaves.
		{"siblings", [][16]byte{key(1, 0), key(1, 1)}, 4},
		// Keys that differ in the first byte: the root branches, and each
		// edge needs a compressed node before its leaf.
		{"root branches", [][16]byte{key(0, 0), key(1<<56, 0)}, 5},
	}
	for _, tt := range tests {
		if got := raxNodes(tt.keys); got != tt.want {
			t.Errorf("%s: raxNodes = %d, want %d", tt.name, got, tt.want)
		}
	}
}
