package aof

import (
	"errors"
	"fmt"
)

// ErrRDB is returned by Reader.Next for a file that starts with an RDB
// header: a base file in RDB format, which this package does not read.
var ErrRDB = errors.New("aof: file is an RDB snapshot, not commands")

// TruncatedError reports a torn tail: the file ends in the middle of a
// command, annotation, frame or transaction, or with a last frame whose
// checksum fails because its write did not finish, or with zero bytes
// where a filesystem extended the file but never wrote the data. The
// first ValidUpTo bytes are sound; the rest can be cut off.
type TruncatedError struct {
	File      string
	ValidUpTo int64 // length of the sound prefix
	Dropped   int64 // bytes after it
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("aof: %s: torn tail: %d bytes after offset %d are an incomplete write",
		e.File, e.Dropped, e.ValidUpTo)
}

// CorruptError reports damage that is not a torn tail: sound data follows
// the bad bytes, so cutting the file there would lose acknowledged writes.
type CorruptError struct {
	File   string
	Offset int64 // where the damaged unit starts
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("aof: %s is corrupt at offset %d: %s (data follows the damage, so it is not a torn write)",
		e.File, e.Offset, e.Reason)
}
