package rdb

import (
	"fmt"
	"math"
)

// object reads the body of a value of object type typ.
func (d *decoder) object(typ byte) (Value, error) {
	switch typ {
	case typeString:
		s, err := d.str()
		return String(s), err
	case typeList:
		els, err := d.strings()
		if err != nil {
			return nil, err
		}
		if len(els) == 0 {
			return nil, errEmpty
		}
		return List(els), nil
	case typeSet:
		els, err := d.strings()
		if err != nil {
			return nil, err
		}
		return Set(els), checkSet(els)
	case typeZSet, typeZSet2:
		return d.zset(typ)
	case typeHash:
		els, err := d.pairs()
		if err != nil {
			return nil, err
		}
		return pairsToHash(els)
	case typeHashMetadata, typeHashMetadataPreGA:
		return d.hashMetadata(typ)
	case typeListQuicklist, typeListQuicklist2:
		return d.quicklist(typ)
	case typeHashZipmap, typeListZiplist, typeSetIntset, typeSetListpack, typeZSetZiplist,
		typeZSetListpack, typeHashZiplist, typeHashListpack, typeHashListpackEx, typeHashListpackExPreGA:
		return d.blobObject(typ)
	case typeStreamListpacks, typeStreamListpacks2, typeStreamListpacks3:
		return d.stream(typ)
	case typeModulePreGA, typeModule2:
		return nil, fmt.Errorf("rdb: module value (type %d): %w", typ, ErrUnsupported)
	}
	return nil, fmt.Errorf("rdb: unknown object type %d: %w", typ, ErrCorrupt)
}

// strings reads a count and that many strings.
func (d *decoder) strings() ([][]byte, error) {
	n, err := d.length()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, d.capHint(n))
	for i := uint64(0); i < n; i++ {
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// pairs reads a count of pairs and twice that many strings.
func (d *decoder) pairs() ([][]byte, error) {
	n, err := d.length()
	if err != nil {
		return nil, err
	}
	if n > math.MaxInt64/2 {
		return nil, fmt.Errorf("rdb: %d pairs: %w", n, ErrCorrupt)
	}
	out := make([][]byte, 0, d.capHint(2*n))
	for i := uint64(0); i < 2*n; i++ {
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (d *decoder) zset(typ byte) (Value, error) {
	n, err := d.length()
	if err != nil {
		return nil, err
	}
	z := make(ZSet, 0, d.capHint(n))
	for i := uint64(0); i < n; i++ {
		m, err := d.str()
		if err != nil {
			return nil, err
		}
		var f float64
		if typ == typeZSet2 {
			f, err = d.binaryDouble()
		} else {
			f, err = d.textDouble()
		}
		if err != nil {
			return nil, err
		}
		if math.IsNaN(f) {
			return nil, fmt.Errorf("rdb: sorted set member %q has a NaN score: %w", m, ErrCorrupt)
		}
		z = append(z, ZMember{Member: m, Score: f})
	}
	return z, checkZSet(z)
}

// hashMetadata reads a hash with field TTLs (types 22 and 24): type 24
// opens with the earliest expiry and keeps each TTL relative to it (0 for
// none, else expiry - earliest + 1); type 22 keeps absolute expiries.
func (d *decoder) hashMetadata(typ byte) (Value, error) {
	var minExp uint64
	if typ == typeHashMetadata {
		t, err := d.msTime()
		if err != nil {
			return nil, err
		}
		minExp = uint64(t)
		if minExp > maxFieldExpire+1 {
			return nil, fmt.Errorf("rdb: hash minimum expiry %d: %w", t, ErrCorrupt)
		}
	}
	n, err := d.length()
	if err != nil {
		return nil, err
	}
	h := make(Hash, 0, d.capHint(n))
	for i := uint64(0); i < n; i++ {
		ttl, err := d.length()
		if err != nil {
			return nil, err
		}
		if ttl > maxFieldExpire+1 {
			return nil, fmt.Errorf("rdb: hash field TTL %d: %w", ttl, ErrCorrupt)
		}
		exp := ttl // both bounded by 2^48, so the sum cannot overflow
		if typ == typeHashMetadata && ttl != 0 {
			exp = ttl + minExp - 1
		}
		if exp > maxFieldExpire {
			return nil, fmt.Errorf("rdb: hash field expiry %d: %w", exp, ErrCorrupt)
		}
		name, err := d.str()
		if err != nil {
			return nil, err
		}
		val, err := d.str()
		if err != nil {
			return nil, err
		}
		h = append(h, Field{Name: name, Value: val, ExpireAtMs: int64(exp)})
	}
	return h, checkHash(h)
}

// quicklist reads a list of nodes: ziplists (type 14), or listpacks and
// plain single elements, each behind its container (type 18). Empty
// nodes are skipped, as Redis does.
func (d *decoder) quicklist(typ byte) (Value, error) {
	n, err := d.length()
	if err != nil {
		return nil, err
	}
	var l List
	for i := uint64(0); i < n; i++ {
		container := uint64(containerPacked)
		if typ == typeListQuicklist2 {
			if container, err = d.length(); err != nil {
				return nil, err
			}
			if container != containerPacked && container != containerPlain {
				return nil, fmt.Errorf("rdb: list node %d: container %d: %w", i, container, ErrCorrupt)
			}
		}
		b, err := d.str()
		if err != nil {
			return nil, fmt.Errorf("rdb: list node %d: %w", i, err)
		}
		if len(b) == 0 {
			return nil, fmt.Errorf("rdb: list node %d is empty: %w", i, ErrCorrupt)
		}
		var els [][]byte
		switch {
		case container == containerPlain:
			els = [][]byte{b}
		case typ == typeListQuicklist2:
			els, err = listpackElements(b)
		default:
			els, err = ziplistElements(b)
		}
		if err != nil {
			return nil, fmt.Errorf("rdb: list node %d: %w", i, err)
		}
		l = append(l, els...)
	}
	if len(l) == 0 {
		return nil, errEmpty
	}
	return l, nil
}

// blobObject reads the types kept as one packed string: a ziplist,
// zipmap, intset or listpack.
func (d *decoder) blobObject(typ byte) (Value, error) {
	if typ == typeHashListpackEx {
		if _, err := d.msTime(); err != nil { // earliest field expiry, derivable
			return nil, err
		}
	}
	b, err := d.str()
	if err != nil {
		return nil, err
	}
	var els [][]byte
	switch typ {
	case typeHashZipmap:
		els, err = zipmapElements(b)
	case typeListZiplist, typeZSetZiplist, typeHashZiplist:
		els, err = ziplistElements(b)
	case typeSetIntset:
		els, err = intsetElements(b)
	default:
		els, err = listpackElements(b)
	}
	if err != nil {
		return nil, err
	}
	switch typ {
	case typeListZiplist:
		if len(els) == 0 {
			return nil, errEmpty
		}
		return List(els), nil
	case typeSetIntset, typeSetListpack:
		return Set(els), checkSet(els)
	case typeZSetZiplist, typeZSetListpack:
		return pairsToZSet(els)
	case typeHashListpackEx, typeHashListpackExPreGA:
		return triplesToHash(els)
	}
	return pairsToHash(els)
}

// triplesToHash turns a listpack of name, value, expiry (0 for none)
// triples into a hash.
func triplesToHash(els [][]byte) (Hash, error) {
	if len(els)%3 != 0 {
		return nil, fmt.Errorf("rdb: hash listpack of %d elements, not triples: %w", len(els), ErrCorrupt)
	}
	h := make(Hash, 0, len(els)/3)
	for i := 0; i < len(els); i += 3 {
		exp, ok := parseUint(els[i+2])
		if !ok || exp > maxFieldExpire {
			return nil, fmt.Errorf("rdb: hash field expiry %q: %w", els[i+2], ErrCorrupt)
		}
		h = append(h, Field{Name: els[i], Value: els[i+1], ExpireAtMs: int64(exp)})
	}
	return h, checkHash(h)
}

// parseUint parses a canonical non-negative decimal integer.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}
