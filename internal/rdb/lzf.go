package rdb

import "fmt"

// LZF, the compression RDB strings may use, is a sequence of
// instructions, each starting with a control byte c:
//
//	c < 32           a literal: the next c+1 bytes are copied to the output
//	c>>5 in 1..6     a back reference of c>>5 + 2 bytes
//	c>>5 == 7        a back reference of 7 + next byte + 2 bytes
//
// A back reference then has one more byte b, and copies from distance
// (c&0x1f)<<8 + b + 1 behind the end of the output so far; source and
// destination may overlap, which repeats the run.

// lzfMaxRatio bounds how much LZF can expand: the longest back reference
// (264 bytes) takes 3 bytes. A claimed length beyond it is a lie that
// must not be allocated.
const lzfMaxRatio = 88

// lzfDecompress decompresses in, which must expand to exactly n bytes.
func lzfDecompress(in []byte, n int) ([]byte, error) {
	if n < 0 || n > len(in)*lzfMaxRatio {
		return nil, fmt.Errorf("rdb: lzf: %d bytes cannot expand to %d: %w", len(in), n, ErrCorrupt)
	}
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		c := int(in[i])
		i++
		if c < 32 {
			l := c + 1
			if i+l > len(in) || len(out)+l > n {
				return nil, fmt.Errorf("rdb: lzf: literal overruns at input offset %d: %w", i-1, ErrCorrupt)
			}
			out = append(out, in[i:i+l]...)
			i += l
			continue
		}
		l := c >> 5
		if l == 7 {
			if i >= len(in) {
				return nil, fmt.Errorf("rdb: lzf: truncated back reference: %w", ErrCorrupt)
			}
			l += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, fmt.Errorf("rdb: lzf: truncated back reference: %w", ErrCorrupt)
		}
		ref := len(out) - (c&0x1f)<<8 - int(in[i]) - 1
		i++
		l += 2
		if ref < 0 || len(out)+l > n {
			return nil, fmt.Errorf("rdb: lzf: back reference out of range at input offset %d: %w", i, ErrCorrupt)
		}
		for k := 0; k < l; k++ {
			out = append(out, out[ref+k])
		}
	}
	if len(out) != n {
		return nil, fmt.Errorf("rdb: lzf: expanded to %d bytes, want %d: %w", len(out), n, ErrCorrupt)
	}
	return out, nil
}
