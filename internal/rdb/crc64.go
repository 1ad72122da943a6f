package rdb

// crcTable is the byte-at-a-time table of the CRC-64 RDB files and DUMP
// payloads end with: the Jones polynomial (0xad93d23594c935a9) in its
// reflected form, initial value 0, no final xor. Its check value, the CRC
// of "123456789", is 0xe9c6d914c4b8d9ca.
var crcTable = makeCRCTable(0x95ac9329ac4bc9b5)

// crcTables8 extends crcTable for eight bytes at a time.
var crcTables8 = makeCRCTables8()

func makeCRCTable(reflectedPoly uint64) *[256]uint64 {
	t := new([256]uint64)
	for i := range t {
		c := uint64(i)
		for k := 0; k < 8; k++ {
			if c&1 == 1 {
				c = c>>1 ^ reflectedPoly
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}

func makeCRCTables8() *[8][256]uint64 {
	t := new([8][256]uint64)
	t[0] = *crcTable
	for i := 0; i < 256; i++ {
		c := t[0][i]
		for k := 1; k < 8; k++ {
			c = t[0][c&0xff] ^ c>>8
			t[k][i] = c
		}
	}
	return t
}

// crc64 returns crc updated with p.
func crc64(crc uint64, p []byte) uint64 {
	t := crcTables8
	for len(p) >= 8 {
		crc ^= uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
			uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56
		crc = t[7][crc&0xff] ^ t[6][crc>>8&0xff] ^ t[5][crc>>16&0xff] ^ t[4][crc>>24&0xff] ^
			t[3][crc>>32&0xff] ^ t[2][crc>>40&0xff] ^ t[1][crc>>48&0xff] ^ t[0][crc>>56]
		p = p[8:]
	}
	for _, b := range p {
		crc = crcTable[byte(crc)^b] ^ crc>>8
	}
	return crc
}
