package engine

import (
	"errors"

	"github.com/pelicanhq/pelican/internal/rdb"
)

// DUMP and RESTORE exchange single values as DUMP payloads (see package
// rdb).
//
// Payloads are written in RDB version dumpVersion, 10, although the
// engine reports a Redis 8 version, whose payloads are version 12: a
// version 10 payload restores into every Redis from 7.0 on (a Redis
// refuses payloads newer than its own RDB version), and Pelican's values
// need nothing newer except consumers' active times, which a version 10
// stream drops (RESTORE then takes the seen time, as Redis does). Entries
// given back with XNACK are held by a placeholder consumer in the payload,
// as in RDB files (see placeholderName); with no aux field to say so, a
// RESTORE keeps that consumer as an ordinary one. RESTORE accepts every
// version up to rdb.MaxVersion.

// dumpVersion is the RDB version of DUMP payloads.
const dumpVersion = 10

// Errors of RESTORE, as Redis words them.
const (
	errDumpPayload  = "ERR DUMP payload version or checksum are wrong"
	errBadData      = "ERR Bad data format"
	errBusyKey      = "BUSYKEY Target key name already exists."
	errInvalidTTL   = "ERR Invalid TTL value, must be >= 0"
	errInvalidIdle  = "ERR Invalid IDLETIME value, must be >= 0"
	errInvalidFreq  = "ERR Invalid FREQ value, must be >= 0 and <= 255"
	dumpFooterBytes = 10
)

func dumpCommands() []*Command {
	return []*Command{
		{Name: "dump", Arity: 2, Run: dumpCommand},
		{Name: "restore", Arity: -4, Flags: flagWrite, Run: restoreCommand},
	}
}

// dumpValueLocked returns the rdb value of o.
func dumpValueLocked(o *object) rdb.Value {
	if o.kind == kindStream {
		return streamToRDB(o.stream.Snapshot())
	}
	return valueToRDB(o)
}

// dumpCommand is DUMP key.
func dumpCommand(c *Client, args [][]byte) {
	o := c.e.lookupReadLocked(c.db, args[1])
	if o == nil {
		c.out.NullBulk()
		return
	}
	payload, err := rdb.DumpPayload(dumpValueLocked(o), dumpVersion)
	if err != nil {
		// Every engine value is encodable; this would be a bug.
		c.errorReply("ERR " + err.Error())
		return
	}
	c.out.Bulk(payload)
}

// restoreCommand is RESTORE key ttl payload [REPLACE] [ABSTTL]
// [IDLETIME seconds] [FREQ frequency]. Pelican keeps no LRU or LFU data:
// IDLETIME and FREQ are checked and ignored.
func restoreCommand(c *Client, args [][]byte) {
	var replace, absTTL bool
	idle, freq := false, false
	for j := 4; j < len(args); j++ {
		more := len(args) - j - 1
		switch {
		case keyword(args[j], "REPLACE"):
			replace = true
		case keyword(args[j], "ABSTTL"):
			absTTL = true
		case keyword(args[j], "IDLETIME") && more >= 1 && !freq:
			v, ok := c.intArg(args[j+1], "")
			if !ok {
				return
			}
			if v < 0 {
				c.errorReply(errInvalidIdle)
				return
			}
			idle = true
			j++
		case keyword(args[j], "FREQ") && more >= 1 && !idle:
			v, ok := c.intArg(args[j+1], "")
			if !ok {
				return
			}
			if v < 0 || v > 255 {
				c.errorReply(errInvalidFreq)
				return
			}
			freq = true
			j++
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	key := args[1]
	if !replace && c.e.lookupLocked(c.db, key) != nil {
		c.errorReply(errBusyKey)
		return
	}
	ttl, ok := c.intArg(args[2], "")
	if !ok {
		return
	}
	if ttl < 0 {
		c.errorReply(errInvalidTTL)
		return
	}
	o, msg := parsePayload(args[3], &c.e.settings)
	if msg != "" {
		c.errorReply(msg)
		return
	}
	deleted := false
	if replace {
		deleted = c.e.deleteLocked(c.db, string(key))
	}
	if ttl > 0 && !absTTL {
		ttl += c.now
	}
	if ttl > 0 && ttl <= c.now && !c.e.loading {
		// Already expired: the value is not stored.
		if deleted {
			c.propagate([]byte("DEL"), key)
		} else {
			c.propagateNothing()
		}
		c.out.Simple("OK")
		return
	}
	c.e.addLocked(c.db, key, o)
	if ttl > 0 {
		c.e.setExpireLocked(c.db, key, ttl)
	}
	c.e.touchLocked(c.db, key)
	if ttl > 0 && !absTTL {
		// Journal the expiry as the absolute time, as Redis propagates it.
		out := append(append([][]byte{}, args...), []byte("ABSTTL"))
		out[2] = intArgBytes(ttl)
		c.propagate(out...)
	}
	c.out.Simple("OK")
}

// parsePayload decodes a DUMP payload into an engine value, or returns
// the error reply.
func parsePayload(payload []byte, s *settings) (*object, string) {
	if len(payload) < dumpFooterBytes {
		return nil, errDumpPayload
	}
	v, err := rdb.ParseDump(payload)
	switch {
	case errors.Is(err, rdb.ErrVersion), errors.Is(err, rdb.ErrChecksum):
		return nil, errDumpPayload
	case err != nil:
		return nil, errBadData
	}
	o, err := objectFromRDB(v, nil, s)
	switch {
	case errors.Is(err, errUnsupportedType):
		// Redis would restore it; Pelican has no such type.
		return nil, errBadData + ": Pelican cannot hold a value of type " + rdbTypeName(v)
	case err != nil:
		return nil, errBadData
	}
	return o, ""
}
