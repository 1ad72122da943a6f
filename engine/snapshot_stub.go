package engine

import (
	"errors"
	"io"
)

type snapshot struct{}

func (e *Engine) snapshotLocked() *snapshot { return &snapshot{} }

func (s *snapshot) writeRDB(w io.Writer, aofBase bool) error {
	return errors.New("engine: writing an RDB base is not available yet")
}
