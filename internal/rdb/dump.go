package rdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// A DUMP payload (what DUMP returns and RESTORE takes) is one object
// followed by a footer:
//
//	+-------------+--------------+---------------------+---------------------+
//	| object type | object body  | RDB version, u16 LE | CRC64 of all before |
//	|   1 byte    |              |                     |   u64 LE            |
//	+-------------+--------------+---------------------+---------------------+

const dumpFooter = 10

// DumpPayload encodes v as a DUMP payload of RDB version version (0 for
// DefaultVersion; MinWriteVersion to MaxVersion). Version 10 is what
// Redis 7.0 produces and the newest it restores; 11 and 12 write streams
// whose consumers keep their active time, and 12 hashes with field TTLs.
func DumpPayload(v Value, version int) ([]byte, error) {
	version, err := writeVersion(version)
	if err != nil {
		return nil, err
	}
	typ, err := objectType(v, version)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	e := encoder{w: &buf}
	e.byte1(typ)
	e.object(typ, v)
	b := binary.LittleEndian.AppendUint16(buf.Bytes(), uint16(version))
	return binary.LittleEndian.AppendUint64(b, crc64(0, b)), nil
}

// writeVersion checks a version to write, 0 standing for DefaultVersion.
func writeVersion(v int) (int, error) {
	if v == 0 {
		return DefaultVersion, nil
	}
	if v < MinWriteVersion || v > MaxVersion {
		return 0, fmt.Errorf("rdb: writing version %d (only %d to %d): %w", v, MinWriteVersion, MaxVersion, ErrVersion)
	}
	return v, nil
}

// DumpVersion returns the RDB version in a DUMP payload's footer, so that
// a caller restoring as an older Redis can refuse newer payloads, and
// false if the payload is too short to have a footer.
func DumpVersion(payload []byte) (int, bool) {
	if len(payload) < dumpFooter {
		return 0, false
	}
	return int(binary.LittleEndian.Uint16(payload[len(payload)-dumpFooter:])), true
}

// ParseDump decodes a DUMP payload of any RDB version up to MaxVersion
// after checking its CRC64. It returns ErrVersion for newer versions,
// ErrChecksum for a wrong CRC, ErrUnsupported for module values, and
// ErrCorrupt for anything malformed, including empty collections and
// bytes left over after the object.
func ParseDump(payload []byte) (Value, error) {
	version, ok := DumpVersion(payload)
	if !ok {
		return nil, fmt.Errorf("rdb: DUMP payload of %d bytes has no footer: %w", len(payload), ErrCorrupt)
	}
	if version > MaxVersion {
		return nil, fmt.Errorf("rdb: DUMP payload version %d: %w", version, ErrVersion)
	}
	body := payload[:len(payload)-8]
	if crc64(0, body) != binary.LittleEndian.Uint64(payload[len(payload)-8:]) {
		return nil, fmt.Errorf("rdb: DUMP payload: %w", ErrChecksum)
	}
	r := bytes.NewReader(payload[:len(payload)-dumpFooter])
	d := newDecoder(r)
	typ, err := d.u8()
	if err != nil {
		return nil, fmt.Errorf("rdb: DUMP payload: %w", err)
	}
	v, err := d.object(typ)
	if err != nil {
		return nil, fmt.Errorf("rdb: DUMP payload of type %d: %w", typ, err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("rdb: DUMP payload has %d bytes after its object: %w", r.Len(), ErrCorrupt)
	}
	return v, nil
}
