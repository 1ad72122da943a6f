package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/pelicanhq/pelican/stream"
)

// The pelican-ext aux field: stream state that RDB version 10 has no place
// for, written into Pelican's RDB files as an aux field, which Redis
// ignores (it logs unknown aux fields and goes on) and Pelican's loader
// reads back:
//
//   - consumers' active times (RDB 11 has them, 10 does not);
//   - entries given back with XNACK, which have no owner: the RDB gives them
//     to a placeholder consumer (nackPlaceholder, see placeholderName) so
//     that they stay pending for a Redis that loads the file, and the aux
//     field says which entries they are and in which order they were given
//     back, so that Pelican restores them ownerless, in that order;
//   - IDMP settings (XCFGSET) and producers' idempotent IDs.
//
// Layout (uv: unsigned varint, v: signed varint, str: uv length + bytes):
//
//	0x01                                   format version
//	{ stream }                             until the end, one per stream
//	                                       with groups or IDMP state
//	stream:  uv db | str key | uv idmp-duration | uv idmp-maxsize
//	         | 0x00, or 0x01 uv added | uv duplicates | uv producers
//	           { str pid | uv ids { str iid | uv ms | uv seq } }
//	         | uv groups { group }
//	group:   str name | uv nack-seq | str placeholder ("" if none)
//	         | uv consumers { str name | v active-time }
//	         | uv nacked { uv ms | uv seq | uv nack-seq }
//
// The field is named by extAuxKey and written among the header's aux
// fields, before the keys, so that the loader has it before it builds a
// stream.
const (
	extAuxKey  = "pelican-ext"
	extVersion = 1
	// nackPlaceholder names the consumer that holds, in an RDB file,
	// the entries given back with XNACK (see placeholderName).
	nackPlaceholder = "pelican-nacked"
)

// errExtCorrupt means the pelican-ext aux field cannot be decoded.
var errExtCorrupt = errors.New("engine: corrupt pelican-ext aux field")

// streamExt is a stream's pelican-ext record.
type streamExt struct {
	idmpDuration, idmpMaxSize int64
	idmp                      *stream.IdmpSnapshot
	groups                    map[string]*groupExt
}

// groupExt is a group's part of a streamExt.
type groupExt struct {
	nackSeq     uint64
	placeholder string
	active      map[string]int64
	nacked      map[stream.ID]uint64 // entry -> NACK sequence number
}

// extKey names a stream in the pelican-ext field.
type extKey struct {
	db  int
	key string
}

// placeholderName returns the name of the consumer that holds g's NACKed
// entries in an RDB file, "" when there are none: nackPlaceholder, with a
// numeric suffix if a real consumer has that name.
func placeholderName(g *stream.GroupSnapshot) string {
	if g.NackSeq == 0 || !hasNacked(g) {
		return ""
	}
	name := nackPlaceholder
	for i := 1; ; i++ {
		j := sort.Search(len(g.Consumers), func(k int) bool { return g.Consumers[k].Name >= name })
		if j == len(g.Consumers) || g.Consumers[j].Name != name {
			return name
		}
		name = fmt.Sprintf("%s-%d", nackPlaceholder, i)
	}
}

func hasNacked(g *stream.GroupSnapshot) bool {
	for i := range g.PEL {
		if g.PEL[i].Owner < 0 {
			return true
		}
	}
	return false
}

// needsExt reports whether a stream has state only pelican-ext can hold.
func needsExt(s *stream.Snapshot) bool {
	return len(s.Groups) > 0 || s.Idmp != nil ||
		s.IdmpDuration != stream.IdmpDefaultDuration || s.IdmpMaxSize != stream.IdmpDefaultMaxSize
}

// appendExt appends a stream's pelican-ext record to b.
func appendExt(b []byte, db int, key string, s *stream.Snapshot) []byte {
	str := func(s string) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	uv := func(v uint64) { b = binary.AppendUvarint(b, v) }
	uv(uint64(db))
	str(key)
	uv(uint64(s.IdmpDuration))
	uv(uint64(s.IdmpMaxSize))
	if s.Idmp == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		uv(s.Idmp.Added)
		uv(s.Idmp.Duplicates)
		uv(uint64(len(s.Idmp.Producers)))
		for _, p := range s.Idmp.Producers {
			str(p.Pid)
			uv(uint64(len(p.Records)))
			for _, r := range p.Records {
				str(r.IID)
				uv(r.ID.Ms)
				uv(r.ID.Seq)
			}
		}
	}
	uv(uint64(len(s.Groups)))
	for i := range s.Groups {
		g := &s.Groups[i]
		str(g.Name)
		uv(g.NackSeq)
		str(placeholderName(g))
		uv(uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			str(c.Name)
			b = binary.AppendVarint(b, c.ActiveTime)
		}
		nacked := g.Nacked()
		uv(uint64(len(nacked)))
		for _, i := range nacked {
			p := &g.PEL[i]
			uv(p.ID.Ms)
			uv(p.ID.Seq)
			uv(p.NackSeq)
		}
	}
	return b
}

// extReader decodes the pelican-ext field; its first error sticks.
type extReader struct {
	b   []byte
	err error
}

func (r *extReader) uv() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errExtCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *extReader) v() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errExtCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a number of items, each taking at least min bytes.
func (r *extReader) count(min int) int {
	n := r.uv()
	if n > uint64(len(r.b)/min) {
		r.err = errExtCorrupt
		return 0
	}
	return int(n)
}

func (r *extReader) str() string {
	n := r.uv()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errExtCorrupt
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *extReader) id() stream.ID { return stream.ID{Ms: r.uv(), Seq: r.uv()} }

// parseExt decodes a pelican-ext field.
func parseExt(v string) (map[extKey]*streamExt, error) {
	r := &extReader{b: []byte(v)}
	if len(r.b) == 0 || r.b[0] != extVersion {
		return nil, fmt.Errorf("%w: unknown format", errExtCorrupt)
	}
	r.b = r.b[1:]
	out := make(map[extKey]*streamExt)
	for len(r.b) > 0 && r.err == nil {
		k := extKey{db: int(r.uv()), key: r.str()}
		x := &streamExt{idmpDuration: int64(r.uv()), idmpMaxSize: int64(r.uv()), groups: make(map[string]*groupExt)}
		if r.count(1) > 0 {
			x.idmp = &stream.IdmpSnapshot{Added: r.uv(), Duplicates: r.uv()}
			for range r.count(2) {
				p := stream.IdmpProducerSnapshot{Pid: r.str()}
				for range r.count(3) {
					p.Records = append(p.Records, stream.IdmpRecord{IID: r.str(), ID: r.id()})
				}
				x.idmp.Producers = append(x.idmp.Producers, p)
			}
		}
		for range r.count(5) {
			name := r.str()
			g := &groupExt{nackSeq: r.uv(), placeholder: r.str(), active: make(map[string]int64), nacked: make(map[stream.ID]uint64)}
			for range r.count(2) {
				g.active[r.str()] = r.v()
			}
			for range r.count(3) {
				g.nacked[r.id()] = r.uv()
			}
			x.groups[name] = g
		}
		if r.err == nil {
			out[k] = x
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return out, nil
}
