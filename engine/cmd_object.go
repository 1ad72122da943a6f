package engine

import "github.com/pelicanhq/pelican/internal/resp"

// OBJECT ENCODING and OBJECT HELP. The encodings are the ones Redis 7.0
// reports, the reference the conformance suite runs:
//
//   - sorted sets: "listpack" or "skiplist", tracked as Redis converts
//     them (see zsetValue);
//   - streams: "stream";
//   - sets: "intset" while Redis would keep one (see setValue), else
//     "hashtable";
//   - hashes: "listpack" while at most 128 fields, none over 64 bytes,
//     else "hashtable" (Redis keeps a hash that shrank back a hashtable;
//     Pelican reports it by its size now);
//   - lists: "quicklist" (Redis 7.2 and later report small lists as
//     "listpack");
//   - strings: "int" for a canonical 64-bit integer, "embstr" up to 44
//     bytes, "raw" beyond (Redis reports strings changed by APPEND or
//     SETRANGE as "raw" at any length).

func objectCommands() []*Command {
	return []*Command{
		{Name: "object", Arity: -2, Subcommands: []*Command{
			{Name: "encoding", Arity: 3, Run: objectEncodingCommand},
			{Name: "help", Arity: 2, Run: func(c *Client, _ [][]byte) { c.writeHelp("OBJECT", objectHelp) }},
		}},
	}
}

var objectHelp = []string{
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
}

func objectEncodingCommand(c *Client, args [][]byte) {
	o := c.e.lookupLocked(c.db, args[2])
	if o == nil {
		c.out.NullBulk()
		return
	}
	c.out.BulkString(objectEncoding(o))
}

// hashListpackEntries and hashListpackValue are Redis's default limits of
// a hash's listpack encoding.
const (
	hashListpackEntries = 128
	hashListpackValue   = 64
)

// objectEncoding is the encoding OBJECT ENCODING reports for a value.
func objectEncoding(o *object) string {
	switch o.kind {
	case kindZset:
		return o.zset.encoding()
	case kindStream:
		return "stream"
	case kindList:
		return "quicklist"
	case kindSet:
		if o.set.intset {
			return "intset"
		}
		return "hashtable"
	case kindHash:
		if o.hash.len() > hashListpackEntries {
			return "hashtable"
		}
		small := true
		o.hash.fields.each(func(f string, v []byte) {
			small = small && len(f) <= hashListpackValue && len(v) <= hashListpackValue
		})
		if small {
			return "listpack"
		}
		return "hashtable"
	}
	if len(o.str) <= 20 {
		if _, ok := resp.ParseInt(o.str); ok {
			return "int"
		}
	}
	if len(o.str) <= 44 {
		return "embstr"
	}
	return "raw"
}
