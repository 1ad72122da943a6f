package stream

import (
	"crypto/sha256"
	"sort"
)

// Producer-side deduplication (Redis 8.6's XADD IDMP and IDMPAUTO): for
// each producer, the stream remembers the idempotent IDs of its most
// recent additions and the entry each one added, so a retried XADD
// returns the original entry's ID instead of adding it again.

// IDMP configuration limits and defaults.
const (
	IdmpDefaultDuration = 100 // seconds
	IdmpDefaultMaxSize  = 100 // idempotent IDs per producer
	IdmpMaxDuration     = 86400
	IdmpMaxMaxSize      = 10000
)

// idmpState holds the remembered idempotent IDs of a stream.
type idmpState struct {
	producers  map[string]*idmpProducer
	added      uint64 // entries added with IDMP, ever
	duplicates uint64 // XADDs answered with an earlier entry, ever
}

// idmpProducer remembers one producer's idempotent IDs in the order they
// were added, which is also the order of their entry IDs.
type idmpProducer struct {
	ids   map[string]ID
	order []idmpRecord
}

type idmpRecord struct {
	iid string
	id  ID
}

// IdmpConfig returns the stream's IDMP-DURATION (seconds) and
// IDMP-MAXSIZE.
func (s *Stream) IdmpConfig() (duration, maxSize int64) {
	return s.idmpDuration, s.idmpMaxSize
}

// SetIdmpConfig changes IDMP-DURATION and IDMP-MAXSIZE (a value <= 0
// leaves that one alone). If either actually changes, every remembered
// idempotent ID is forgotten; the lifetime counters are kept.
func (s *Stream) SetIdmpConfig(duration, maxSize int64) {
	changed := false
	if duration > 0 && duration != s.idmpDuration {
		s.idmpDuration, changed = duration, true
	}
	if maxSize > 0 && maxSize != s.idmpMaxSize {
		s.idmpMaxSize, changed = maxSize, true
	}
	if changed && s.idmp != nil {
		s.idmp.producers = nil
	}
}

// AutoIdempotentID returns the idempotent ID IDMPAUTO derives from an
// entry's fields and values: the same for the same pairs in any order.
func AutoIdempotentID(fv [][]byte) []byte {
	type pair struct{ f, v []byte }
	pairs := make([]pair, 0, len(fv)/2)
	for i := 0; i+1 < len(fv); i += 2 {
		pairs = append(pairs, pair{fv[i], fv[i+1]})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if c := string(pairs[i].f); c != string(pairs[j].f) {
			return c < string(pairs[j].f)
		}
		return string(pairs[i].v) < string(pairs[j].v)
	})
	h := sha256.New()
	var n [8]byte
	put := func(b []byte) {
		l := uint64(len(b))
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write(b)
	}
	for _, p := range pairs {
		put(p.f)
		put(p.v)
	}
	return h.Sum(nil)
}

// expireIdmp forgets idempotent IDs whose entries are older than
// IDMP-DURATION at now (judged by the entry ID's milliseconds).
func (s *Stream) expireIdmp(now int64) {
	if s.idmp == nil {
		return
	}
	limit := s.idmpDuration * 1000
	for pid, p := range s.idmp.producers {
		k := 0
		for k < len(p.order) && int64(p.order[k].id.Ms)+limit <= now {
			delete(p.ids, p.order[k].iid)
			k++
		}
		if k > 0 {
			p.order = append(p.order[:0], p.order[k:]...)
		}
		if len(p.order) == 0 {
			delete(s.idmp.producers, pid)
		}
	}
}

// IdmpLookup returns the entry that producer pid added with idempotent ID
// iid, if the stream still remembers it, counting the duplicate.
func (s *Stream) IdmpLookup(pid, iid []byte, now int64) (ID, bool) {
	if s.idmp == nil {
		return ID{}, false
	}
	s.expireIdmp(now)
	p := s.idmp.producers[string(pid)]
	if p == nil {
		return ID{}, false
	}
	id, ok := p.ids[string(iid)]
	if ok {
		s.idmp.duplicates++
	}
	return id, ok
}

// IdmpRecord remembers that producer pid added entry id with idempotent ID
// iid, forgetting the producer's oldest ID beyond IDMP-MAXSIZE.
func (s *Stream) IdmpRecord(pid, iid []byte, id ID) {
	if s.idmp == nil {
		s.idmp = &idmpState{}
	}
	if s.idmp.producers == nil {
		s.idmp.producers = make(map[string]*idmpProducer)
	}
	p := s.idmp.producers[string(pid)]
	if p == nil {
		p = &idmpProducer{ids: make(map[string]ID)}
		s.idmp.producers[string(pid)] = p
	}
	k := string(iid)
	p.ids[k] = id
	p.order = append(p.order, idmpRecord{k, id})
	for int64(len(p.order)) > s.idmpMaxSize {
		delete(p.ids, p.order[0].iid)
		p.order = p.order[1:]
	}
	s.idmp.added++
}

// IdmpInfo is what XINFO STREAM reports about deduplication.
type IdmpInfo struct {
	Duration, MaxSize         int64
	PidsTracked, IidsTracked  int64
	IidsAdded, IidsDuplicates int64
}

// IdmpStats returns the deduplication figures at time now.
func (s *Stream) IdmpStats(now int64) IdmpInfo {
	info := IdmpInfo{Duration: s.idmpDuration, MaxSize: s.idmpMaxSize}
	if s.idmp == nil {
		return info
	}
	s.expireIdmp(now)
	info.PidsTracked = int64(len(s.idmp.producers))
	for _, p := range s.idmp.producers {
		info.IidsTracked += int64(len(p.order))
	}
	info.IidsAdded = int64(s.idmp.added)
	info.IidsDuplicates = int64(s.idmp.duplicates)
	return info
}
