package engine

import "github.com/pelicanhq/pelican/internal/glob"

// HSCAN and SSCAN. Redis returns every element of a small (listpack or
// intset encoded) collection in one call, with cursor 0, whatever COUNT
// asks; Pelican does so for collections of every size, which the SCAN
// contract allows (every element present throughout is returned, the
// iteration ends when the cursor is 0).

func hscanCommand(c *Client, args [][]byte) { collectionScan(c, args, kindHash) }

func sscanCommand(c *Client, args [][]byte) { collectionScan(c, args, kindSet) }

// collectionScan checks the cursor, then the key (a missing key is an
// empty, finished scan, whatever the options), then the options, in
// Redis's order.
func collectionScan(c *Client, args [][]byte, k kind) {
	if _, ok := parseScanCursor(args[2]); !ok {
		c.errorReply("ERR invalid cursor")
		return
	}
	o, ok := c.lookupRead(args[1], k)
	if !ok {
		return
	}
	if o == nil {
		c.out.Array(2)
		c.out.BulkString("0")
		c.out.Array(0)
		return
	}
	pat, usePat, noValues, ok := c.scanOptions(args[3:], k == kindHash)
	if !ok {
		return
	}
	var items []string
	var values [][]byte
	if k == kindHash {
		o.hash.fields.each(func(f string, v []byte) {
			if !usePat || glob.Match(pat, []byte(f), false) {
				items = append(items, f)
				values = append(values, v)
			}
		})
	} else {
		for _, m := range o.set.list() {
			if !usePat || glob.Match(pat, []byte(m), false) {
				items = append(items, m)
			}
		}
	}
	c.out.Array(2)
	c.out.BulkString("0")
	if k == kindHash && !noValues {
		c.out.Array(2 * len(items))
		for i, f := range items {
			c.out.BulkString(f)
			c.out.Bulk(values[i])
		}
		return
	}
	c.out.Array(len(items))
	for _, f := range items {
		c.out.BulkString(f)
	}
}

// scanOptions reads the options of HSCAN, SSCAN and ZSCAN (COUNT, which
// they check but need not follow, MATCH, and NOVALUES where noValuesOK),
// replying with the error and returning false for a wrong one. usePat is
// false for a pattern that matches everything.
func (c *Client) scanOptions(args [][]byte, noValuesOK bool) (pat []byte, usePat, noValues, ok bool) {
	for i := 0; i < len(args); {
		more := len(args) - i
		switch {
		case keyword(args[i], "COUNT") && more >= 2:
			n, ok := c.intArg(args[i+1], "")
			if !ok {
				return nil, false, false, false
			}
			if n < 1 {
				c.errorReply(errSyntax)
				return nil, false, false, false
			}
			i += 2
		case keyword(args[i], "MATCH") && more >= 2:
			pat = args[i+1]
			usePat = !(len(pat) == 1 && pat[0] == '*')
			i += 2
		case keyword(args[i], "NOVALUES") && noValuesOK:
			noValues = true
			i++
		default:
			c.errorReply(errSyntax)
			return nil, false, false, false
		}
	}
	return pat, usePat, noValues, true
}
