//go:build !linux

package vfs

// Sync flushes the file with fsync(2) where fdatasync(2) is missing.
func (f osFile) Sync() error { return f.File.Sync() }
