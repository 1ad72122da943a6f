package vfs

import (
	"os"
	"syscall"
)

// Sync flushes the file's data with fdatasync(2), as Redis syncs its
// append-only file: the data and the metadata needed to read it back
// (the size), but not the times, which fsync(2) would also write.
func (f osFile) Sync() error {
	rc, err := f.File.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
