package engine

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// cmdStat is one row of INFO commandstats.
type cmdStat struct {
	calls, usec, rejected, failed int64
}

// stats are the counters INFO reports. CONFIG RESETSTAT zeroes them.
type stats struct {
	connectionsReceived int64
	// rejectedConnections counts connections refused for maxclients;
	// queryLimitDisconnects and outputLimitDisconnects, clients closed for
	// their query or output buffer limit.
	rejectedConnections    int64
	queryLimitDisconnects  int64
	outputLimitDisconnects int64
	commandsProcessed      int64
	expiredKeys            int64
	keyspaceHits           int64
	keyspaceMisses         int64
	totalErrorReplies      int64
	errors                 map[string]int64
	cmds                   map[*Command]*cmdStat
	byIndex                []*cmdStat // the same rows as cmds, by Command.index
}

func (s *stats) init() {
	*s = stats{errors: make(map[string]int64), cmds: make(map[*Command]*cmdStat)}
}

// cmd returns the statistics row of a command.
func (s *stats) cmd(c *Command) *cmdStat {
	if c.index < len(s.byIndex) {
		if st := s.byIndex[c.index]; st != nil {
			return st
		}
	}
	st := &cmdStat{}
	s.cmds[c] = st
	if c.index >= len(s.byIndex) {
		s.byIndex = append(s.byIndex, make([]*cmdStat, c.index+1-len(s.byIndex))...)
	}
	s.byIndex[c.index] = st
	return st
}

// maxErrorCodes bounds the distinct error codes tracked, as Redis does.
const maxErrorCodes = 128

// countError counts an error reply under its code: the text up to the
// first space within 32 bytes, or "ERR".
func (s *stats) countError(msg string) {
	s.totalErrorReplies++
	code := "ERR"
	head := msg
	if len(head) > 32 {
		head = head[:32]
	}
	if i := strings.IndexByte(head, ' '); i > 0 {
		code = msg[:i]
	}
	if _, ok := s.errors[code]; !ok && len(s.errors) >= maxErrorCodes {
		return
	}
	s.errors[code]++
}

func newRunID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
