package msgpackcodec

import (
	"errors"
	"fmt"
)

// maxDepth bounds how deeply arrays and maps may nest in a payload, as
// encoding/json bounds JSON: the decoder recurses once per level.
const maxDepth = 10000

// check walks payload as one MessagePack value before the decoder sees it,
// and refuses what the decoder would choke on: a map or array that
// declares more elements than there are bytes left (each takes one at
// least), for which the decoder would allocate room up front (5 bytes
// could ask for 4 billion entries), nesting deeper than maxDepth, a
// truncated value, a byte no format uses, and bytes after the value. So
// what a payload makes the decoder allocate stays in proportion to its
// size.
//
// The format (github.com/msgpack/msgpack/blob/master/spec.md): a value
// starts with a byte that gives its type and, for the short forms, its
// length; longer forms follow it with a big-endian length of 1, 2 or 4
// bytes; an ext also has a type byte.
func check(payload string) error {
	// stack holds, per open array or map, how many values it still holds.
	stack := []int{1}
	pos := 0
	for len(stack) > 0 {
		if stack[len(stack)-1] == 0 {
			stack = stack[:len(stack)-1]
			continue
		}
		stack[len(stack)-1]--
		if pos >= len(payload) {
			return errors.New("the payload ends inside a value")
		}
		items, skip, err := header(payload, &pos)
		if err != nil {
			return err
		}
		if skip > len(payload)-pos {
			return errors.New("the payload ends inside a value")
		}
		pos += skip
		if items > 0 {
			if items > len(payload)-pos {
				return fmt.Errorf("a map or array at byte %d declares %d values in the %d bytes left", pos, items, len(payload)-pos)
			}
			if len(stack) > maxDepth {
				return fmt.Errorf("maps and arrays nest more than %d deep", maxDepth)
			}
			stack = append(stack, items)
		}
	}
	if pos < len(payload) {
		return fmt.Errorf("%d bytes after the value", len(payload)-pos)
	}
	return nil
}

// header reads the header of the value at *pos, moving *pos past it, and
// returns how many values the value holds (an array's elements, a map's
// keys and values) and how many bytes of data follow the header.
func header(p string, pos *int) (items, skip int, err error) {
	b := p[*pos]
	*pos++
	// length reads a big-endian length of n bytes.
	length := func(n int) (int, error) {
		if n > len(p)-*pos {
			return 0, errors.New("the payload ends inside a value")
		}
		var v uint64
		for _, c := range []byte(p[*pos : *pos+n]) {
			v = v<<8 | uint64(c)
		}
		*pos += n
		return int(v), nil
	}
	switch {
	case b <= 0x7f || b >= 0xe0, b == 0xc0, b == 0xc2, b == 0xc3: // fixint, nil, false, true
		return 0, 0, nil
	case b <= 0x8f: // fixmap
		return 2 * int(b&0x0f), 0, nil
	case b <= 0x9f: // fixarray
		return int(b & 0x0f), 0, nil
	case b <= 0xbf: // fixstr
		return 0, int(b & 0x1f), nil
	}
	switch b {
	case 0xc4, 0xd9: // bin 8, str 8
		skip, err = length(1)
	case 0xc5, 0xda: // bin 16, str 16
		skip, err = length(2)
	case 0xc6, 0xdb: // bin 32, str 32
		skip, err = length(4)
	case 0xc7, 0xc8, 0xc9: // ext 8, 16, 32: a length, then a type byte
		skip, err = length(1 << (b - 0xc7))
		skip++
	case 0xcc, 0xd0: // uint 8, int 8
		skip = 1
	case 0xcd, 0xd1: // uint 16, int 16
		skip = 2
	case 0xca, 0xce, 0xd2: // float 32, uint 32, int 32
		skip = 4
	case 0xcb, 0xcf, 0xd3: // float 64, uint 64, int 64
		skip = 8
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16, after a type byte
		skip = 1 + 1<<(b-0xd4)
	case 0xdc: // array 16
		items, err = length(2)
	case 0xdd: // array 32
		items, err = length(4)
	case 0xde: // map 16
		items, err = length(2)
		items *= 2
	case 0xdf: // map 32
		items, err = length(4)
		items *= 2
	default: // 0xc1: never used
		return 0, 0, fmt.Errorf("byte %#x at %d starts no MessagePack value", b, *pos-1)
	}
	return items, skip, err
}
