package engine

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// fuzzSeeds are command scripts the fuzzer starts from: one command per
// line, arguments separated by spaces.
var fuzzSeeds = []string{
	"XADD s * f v\nXADD s MAXLEN ~ 2 * a 1\nXRANGE s - + COUNT 2\nXREVRANGE s + - COUNT 1",
	"XGROUP CREATE s g $ MKSTREAM\nXADD s 1-1 f v\nXREADGROUP GROUP g c COUNT 1 STREAMS s >\nXPENDING s g - + 10\nXACK s g 1-1",
	"XADD s 1-0 a 1\nXADD s 2-0 a 2\nXGROUP CREATE s g 0\nXREADGROUP GROUP g c STREAMS s >\nXDEL s 1-0\nXAUTOCLAIM s g d 0 0-0 COUNT 5\nXCLAIM s g d 0 2-0 FORCE JUSTID",
	"XADD s 1-0 a 1\nXGROUP CREATE s g 0\nXREADGROUP GROUP g c CLAIM 0 STREAMS s >\nXNACK s g FATAL IDS 1 1-0\nXREADGROUP GROUP g c CLAIM 0 COUNT 1 STREAMS s >",
	"XADD s IDMP p i * f v\nXADD s IDMPAUTO p * f v\nXCFGSET s IDMP-MAXSIZE 1\nXINFO STREAM s FULL\nXTRIM s MINID ~ 2 ACKED",
	"XADD s 5-0 f v\nXDELEX s DELREF IDS 1 5-0\nXACKDEL s g IDS 1 5-0\nXSETID s 9-0\nXINFO GROUPS s",
	"MULTI\nXADD s * f v\nEXEC\nWATCH s\nSET k v\nHSET h a 1\nSADD set x\nRPUSH l a b\nLPOP l 5",
	"SET k 1\nINCRBY k 5\nEXPIRE k 100\nSCAN 0 MATCH * COUNT 10\nRENAME k s\nTYPE s\nDEL s",
	"EVAL return(redis.call('xadd',KEYS[1],'*','f',ARGV[1])) 1 s v\nSCRIPT LOAD return(redis.pcall(ARGV[1]))\nEVALSHA 0 0\nEVAL while(true)do(type)(1)end 0\nSCRIPT FLUSH",
}

// FuzzExec runs arbitrary command scripts against an engine: no input may
// panic it, and every stream must keep its invariants.
func FuzzExec(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		now := time.UnixMilli(1_700_000_000_000)
		e := New(Config{Clock: func() time.Time { return now }, ScriptTimeLimit: 50 * time.Millisecond})
		defer e.Close()
		c := e.NewClient(ClientInfo{})
		lines := bytes.Split(script, []byte("\n"))
		if len(lines) > 64 {
			lines = lines[:64]
		}
		for _, line := range lines {
			args := bytes.Split(line, []byte(" "))
			if len(args) > 32 {
				args = args[:32]
			}
			e.Lock()
			c.ExecLocked(args)
			blocked := c.Blocked()
			e.Unlock()
			c.ResetOutput()
			if blocked {
				return // the transport stops feeding a blocked client
			}
			now = now.Add(7 * time.Millisecond)
			if err := checkStreams(e); err != nil {
				t.Fatalf("after %q: %v", line, err)
			}
		}
	})
}

// checkStreams validates every stream in every database.
func checkStreams(e *Engine) error {
	e.Lock()
	defer e.Unlock()
	for _, db := range e.dbs {
		for k, o := range db.keys {
			if o.kind != kindStream {
				continue
			}
			if err := o.stream.Validate(); err != nil {
				return fmt.Errorf("stream %q: %w", k, err)
			}
		}
	}
	return nil
}
