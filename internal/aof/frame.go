package aof

import (
	"encoding/base64"
	"hash/crc32"
	"strconv"
)

// Limits of the format.
const (
	// MaxAnnotationLine is the longest annotation line, "\r\n" included,
	// that Redis 7.0's loader reads whole.
	MaxAnnotationLine = 1023
	// MaxBulkLen is the longest argument of a command, as Redis's
	// proto-max-bulk-len defaults it.
	MaxBulkLen = 512 << 20
	// MaxFrameLen is the largest frame content a Reader accepts.
	MaxFrameLen = 1 << 30
	// extensionChunk is the number of base64 characters per extension
	// line, which keeps each line well under MaxAnnotationLine.
	extensionChunk = 1000
)

// crcTable is the Castagnoli polynomial's table, which frames use.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// AppendFrame appends a frame holding payload: the header "#C:<len>
// <crc>\r\n", then payload. The payload must be whole commands and
// annotations, and no frame.
func AppendFrame(dst, payload []byte) []byte {
	dst = append(dst, "#C:"...)
	dst = strconv.AppendInt(dst, int64(len(payload)), 10)
	dst = append(dst, ' ')
	dst = appendHex32(dst, crc32.Checksum(payload, crcTable))
	dst = append(dst, '\r', '\n')
	return append(dst, payload...)
}

func appendHex32(dst []byte, v uint32) []byte {
	const digits = "0123456789abcdef"
	for shift := 28; shift >= 0; shift -= 4 {
		dst = append(dst, digits[v>>uint(shift)&0xf])
	}
	return dst
}

// AppendCommand appends args as a RESP array of bulk strings, the way
// Redis writes a command to its AOF.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// AppendClock appends the clock annotation "#T:<ms>\r\n": the commands
// that follow ran at ms, Unix time in milliseconds.
func AppendClock(dst []byte, ms int64) []byte {
	dst = append(dst, "#T:"...)
	dst = strconv.AppendInt(dst, ms, 10)
	return append(dst, '\r', '\n')
}

// AppendExtension appends a Pelican-only command, which Redis must not
// run, as annotation lines: its RESP array in base64, cut into lines of
// at most 1000 characters, "#x:<chunk>\r\n" for all but the last and
// "#X:<chunk>\r\n" for the last.
func AppendExtension(dst []byte, args ...[]byte) []byte {
	resp := AppendCommand(nil, args...)
	enc := make([]byte, base64.StdEncoding.EncodedLen(len(resp)))
	base64.StdEncoding.Encode(enc, resp)
	for {
		n := min(len(enc), extensionChunk)
		if n == len(enc) {
			dst = append(dst, "#X:"...)
		} else {
			dst = append(dst, "#x:"...)
		}
		dst = append(dst, enc[:n]...)
		dst = append(dst, '\r', '\n')
		enc = enc[n:]
		if len(enc) == 0 {
			return dst
		}
	}
}

// AppendSkip appends the annotation "#S:<n>\r\n": Pelican skips the n
// commands after it, which stand in, for Redis, for the extension before
// it.
func AppendSkip(dst []byte, n int) []byte {
	dst = append(dst, "#S:"...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}
