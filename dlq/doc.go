// Package dlq is the operator's side of dead-letter streams: what is in
// them, grouped by cause; sending messages back to their streams as a
// managed, rate-limited, resumable job (redrive); reprocessing them in
// place with a handler; deleting them; and retention that never loses a
// message silently.
//
// A dead-letter stream is the one pelican.Worker moves failed messages to
// (by default <stream>:dlq), each entry holding the message's own fields
// and the metadata fields under pelican.ReservedPrefix (see docs/keys.md).
// Browsing never consumes: everything here reads with XRANGE and changes
// the stream only where an operation says so.
package dlq
