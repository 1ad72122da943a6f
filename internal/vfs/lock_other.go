//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package vfs

import (
	"errors"
	"io"
)

func lockFile(name string) (io.Closer, error) {
	return nil, errors.New("vfs: lock " + name + ": file locking is not supported on this platform")
}
