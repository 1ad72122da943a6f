// Package trim keeps streams from growing forever without losing messages
// nobody has processed yet.
//
// A Policy says how much of a stream to keep (MaxLen entries, entries
// younger than MaxAge, entries from MinID on) and whether the trim is
// safe. A plain trim is XTRIM: it removes what the policy says, processed
// or not. A safe trim never removes an entry that some consumer group has
// not yet been delivered and acknowledged:
//
//   - on servers with XTRIM's ACKED option (Redis 8.2 and Pelican's
//     engine) the server skips every entry a group still references;
//   - elsewhere (Redis 7) Run computes a floor, the smallest ID any group
//     still needs (the first entry of its PEL still in the stream, and the
//     first ID after its last-delivered ID), and trims with MINID at the
//     policy's cut or the floor, whichever is smaller.
//
// Either way Run reports what a plain trim with the same policy would
// have removed that was still unprocessed, counted without removing
// anything, and the pending entries the stream no longer holds ("ghosts",
// lost to earlier trims). It keeps running totals in the hash
// CountersKey(stream) for monitoring. A Trimmer applies policies
// periodically.
package trim
