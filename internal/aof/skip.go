package aof

import "strconv"

// AppendSkip appends the annotation "#S:<n>\r\n": Pelican skips the n
// commands after it, which stand in, for Redis, for the extension before
// it.
func AppendSkip(dst []byte, n int) []byte {
	dst = append(dst, "#S:"...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}
