// Package vfs is the small filesystem interface Pelican's durability code
// writes through, so that tests can swap the operating system's files for
// an in-memory filesystem that loses unsynced data on a simulated crash,
// or for one that injects errors (a full disk, a failing fsync).
//
// Paths are slash- or OS-separated as the implementation expects; callers
// build them with path/filepath.
package vfs

import (
	"io"
	"os"
)

// File is an open file.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.Closer
	// Sync flushes the file's written data to stable storage.
	Sync() error
	// Truncate changes the size of the file.
	Truncate(size int64) error
	// Stat returns the file's size.
	Stat() (os.FileInfo, error)
}

// FS is a filesystem.
type FS interface {
	// Create creates or truncates a file for writing (and reading).
	Create(name string) (File, error)
	// OpenAppend opens an existing file, or creates it, for appending.
	OpenAppend(name string) (File, error)
	// Open opens a file for reading.
	Open(name string) (File, error)
	// OpenReadWrite opens an existing file for reading and writing
	// (repairs truncate through it).
	OpenReadWrite(name string) (File, error)
	// Remove removes a file.
	Remove(name string) error
	// Rename renames a file, replacing newname if it exists. The rename
	// is durable only once the directory is synced.
	Rename(oldname, newname string) error
	// MkdirAll creates a directory and its parents.
	MkdirAll(dir string) error
	// List returns the names of the entries in a directory, sorted.
	List(dir string) ([]string, error)
	// Stat describes a file.
	Stat(name string) (os.FileInfo, error)
	// SyncDir makes the directory's entries (creations, renames,
	// removals) durable.
	SyncDir(dir string) error
	// Lock takes an exclusive lock on the named file, creating it, for
	// as long as the returned closer is open. It fails at once if another
	// process (or another Lock of the same FS) holds it.
	Lock(name string) (io.Closer, error)
}
