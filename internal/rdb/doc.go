// Package rdb converts between Redis's RDB format and plain Go values:
// whole files (Writer, Reader), as SAVE and an append-only file's RDB base
// hold them, and single-value DUMP payloads (DumpPayload, ParseDump), as
// DUMP and RESTORE exchange them.
//
// The package is pure: it knows no engine and does no I/O beyond the
// io.Reader and io.Writer it is given. A Value is logical content
// (String, List, Set, Hash, ZSet, *Stream); the encoding Redis chose for
// it is not kept. Stream entries stay in Redis's own stream listpacks,
// which are taken and written byte for byte.
//
// # What is written
//
// A file, version 10 unless Options say otherwise (all lengths in the
// length encoding, see below; strings as a length and bytes, or as an
// integer when they are the canonical decimal form of one that fits 32
// bits):
//
//	"REDIS0010"
//	0xFA <"redis-ver"> <"7.0.0">     aux fields: redis-ver, redis-bits,
//	0xFA ...                         ctime, used-mem, [more], aof-base
//	0xFE <db>                        SELECTDB
//	0xFB <keys> <expires>            RESIZEDB (from SelectDB only)
//	[0xFC <expiry, ms, u64 LE>]      EXPIRETIME_MS, if the key expires
//	<object type> <key> <body>       one per key
//	...
//	0xFF <CRC64, u64 LE>             EOF, then the CRC of all before it
//
// Lengths:
//
//	00xxxxxx                 0..63
//	01xxxxxx xxxxxxxx        0..16383, big-endian
//	0x80 <u32 BE>            up to 2^32-1
//	0x81 <u64 BE>            up to 2^64-1
//	11xxxxxx                 not a length: a special string follows:
//	                         0xC0 int8, 0xC1 int16 LE, 0xC2 int32 LE,
//	                         0xC3 <compressed len> <len> <LZF data>
//
// Object types and bodies written (Reader and ParseDump also accept the
// older ones Redis 7.0 still loads, and the newer ones up to version 12):
//
//	0   string             <string>
//	18  list (quicklist)   <node count> { <2: packed> <listpack string> }
//	11  set of integers    <intset string>  (at most 512 members)
//	2   set                <count> { <member> }
//	16  small hash         <listpack string of name, value, ...>
//	                       (at most 128 fields, none over 64 bytes)
//	4   hash               <count> { <name> <value> }
//	24  hash with TTLs     <earliest expiry, ms> <count> { <ttl> <name> <value> }
//	                       (version 12 only)
//	17  small sorted set   <listpack string of member, score, ...> in
//	                       order (at most 128 members, none over 64
//	                       bytes; scores as integers or "%.17g" text)
//	5   sorted set         <count> { <member> <score, float64 LE> }
//	19  stream             (version 10; type 21 from 11, with consumer
//	                       active times; see stream.go)
//
// A DUMP payload is an object type, a body, the RDB version (u16 LE) and
// the CRC64 (u64 LE) of everything before it.
//
// The CRC64 is Redis's: the Jones polynomial, reflected, initial value 0.
package rdb
