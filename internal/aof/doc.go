// Package aof reads and writes Pelican's append-only files, which are
// Redis 7's multi-part AOF: a directory holding a manifest, one base file
// and incremental files (see Manifest). A redis-server 7.0 can load the
// directory and redis-check-aof accepts it; Pelican adds annotations that
// Redis skips, because its loader ignores every line starting with '#'.
//
// An incremental file is RESP commands, each an array of bulk strings,
// with annotation lines between them:
//
//	*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n     a command
//	#T:1733551200123\r\n                          clock: the Unix time in ms
//	                                              at which what follows ran
//	#x:KjINCiQ1DQpQRU...\r\n                      extension: a Pelican-only
//	#X:...\r\n                                    command, base64 of its RESP
//	                                              array, 1000 chars a line;
//	                                              the last line is #X
//	#S:2\r\n                                      skip: the next 2 commands
//	                                              give Redis what it can hold
//	                                              of the extension before;
//	                                              Pelican skips them
//	#TS:1733551200\r\n                            Redis's own annotation,
//	                                              skipped, as are any other
//
// Pelican writes each batch of commands as one checksummed frame, the
// header before the content so that a torn write is detected:
//
//	+------------------------------------+---------------------------+
//	| #C:<len> <crc32c, 8 hex>\r\n       | <len> bytes of content:   |
//	|   len: decimal byte count          | commands and annotations, |
//	|   crc: Castagnoli CRC-32 of the    | never another frame       |
//	|        content, lower-case hex     |                           |
//	+------------------------------------+---------------------------+
//	e.g. "#C:32 1a2b3c4d\r\n" "#T:1733551200123\r\n*1\r\n$4\r\nPING\r\n"
//
// Redis reads annotation lines into a 1024-byte buffer, so every
// annotation line, "\r\n" included, is at most 1023 bytes. A transaction
// (MULTI ... EXEC) inside a frame ends in the same frame.
//
// Reader yields commands, whole transactions, clocks and extensions, and
// tells a torn tail (TruncatedError: cut the file and go on) from damage
// in the middle (CorruptError: stop and repair).
package aof
