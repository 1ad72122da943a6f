package clienttest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// This file reads redis-cli's human-readable output back into a tree, so
// that replies can be compared after removing the fields Redis added after
// 7.0, and prints the tree again exactly as redis-cli would.

// cliNode is one reply as redis-cli printed it for a terminal (--no-raw).
type cliNode struct {
	// kind is 's' for a scalar, or the index separator of an aggregate:
	// ')' array, '#' map, '~' set.
	kind byte
	// text is a scalar's printed form: `"str"`, `(integer) 1`, `OK`,
	// `(nil)`, `(error) ERR …`, `(empty array)` and so on.
	text string
	// elems are an aggregate's elements; a map's alternate key, value.
	elems []*cliNode
}

// cliMarker matches an element's index, such as "1) ", " 2# " or "3~ ".
var cliMarker = regexp.MustCompile(`^( *)([0-9]+)([)#~]) `)

// parseCLIOutput splits redis-cli's terminal output into its replies.
func parseCLIOutput(out string) ([]*cliNode, error) {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if out == "" {
		return nil, nil
	}
	p := &cliParser{lines: lines}
	var replies []*cliNode
	for p.i < len(p.lines) {
		n, err := p.value(0)
		if err != nil {
			return nil, err
		}
		replies = append(replies, n)
	}
	return replies, nil
}

type cliParser struct {
	lines []string
	i     int // the line being read
}

// value reads the reply that starts at column col of the current line.
func (p *cliParser) value(col int) (*cliNode, error) {
	line := p.lines[p.i]
	if col > len(line) {
		return nil, fmt.Errorf("line %d %q: nothing at column %d", p.i+1, line, col)
	}
	rest := line[col:]
	m := cliMarker.FindStringSubmatch(rest)
	if m == nil || m[2] != "1" {
		p.i++
		return &cliNode{kind: 's', text: rest}, nil
	}
	width := len(m[1]) + len(m[2])
	n := &cliNode{kind: m[3][0]}
	childCol := col + width + 2
	for k := 1; ; k++ {
		if n.kind == '#' {
			key, after, err := splitMapEntry(p.lines[p.i][childCol:])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", p.i+1, err)
			}
			n.elems = append(n.elems, &cliNode{kind: 's', text: key})
			valueCol := childCol + len(p.lines[p.i][childCol:]) - len(after)
			if after == "" {
				// A multi-line value starts on the next line.
				p.i++
				valueCol = childCol
				if p.i >= len(p.lines) {
					return nil, fmt.Errorf("map value of %s missing at the end", key)
				}
			}
			v, err := p.value(valueCol)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, v)
		} else {
			v, err := p.value(childCol)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, v)
		}
		if !p.sibling(col, width, k+1, n.kind) {
			return n, nil
		}
	}
}

// sibling reports whether the current line holds element k of the
// aggregate whose indexes are width wide at column col.
func (p *cliParser) sibling(col, width, k int, kind byte) bool {
	if p.i >= len(p.lines) {
		return false
	}
	line := p.lines[p.i]
	if len(line) <= col || strings.TrimLeft(line[:col], " ") != "" {
		return false
	}
	m := cliMarker.FindStringSubmatch(line[col:])
	return m != nil && len(m[1])+len(m[2]) == width && m[2] == strconv.Itoa(k) && m[3][0] == kind
}

// splitMapEntry splits `"key" => value` into the key's printed form and
// what follows the arrow ("" when the value starts on the next line).
func splitMapEntry(s string) (key, after string, err error) {
	end := -1
	if strings.HasPrefix(s, `"`) {
		for i := 1; i < len(s); i++ {
			if s[i] == '\\' {
				i++
				continue
			}
			if s[i] == '"' {
				end = i + 1
				break
			}
		}
	} else {
		end = strings.Index(s, " =>")
	}
	if end < 0 || !strings.HasPrefix(s[end:], " =>") {
		return "", "", fmt.Errorf("map entry %q has no ' => '", s)
	}
	after = strings.TrimPrefix(s[end+len(" =>"):], " ")
	return s[:end], after, nil
}

// renderCLI prints replies as redis-cli prints them for a terminal.
func renderCLI(replies []*cliNode) string {
	var b strings.Builder
	for _, n := range replies {
		renderCLINode(&b, n, "")
	}
	return b.String()
}

func renderCLINode(b *strings.Builder, n *cliNode, prefix string) {
	if n.kind == 's' {
		b.WriteString(n.text)
		b.WriteByte('\n')
		return
	}
	count := len(n.elems)
	if n.kind == '#' {
		count /= 2
	}
	if count == 0 {
		b.WriteString(map[byte]string{')': "(empty array)", '#': "(empty hash)", '~': "(empty set)"}[n.kind])
		b.WriteByte('\n')
		return
	}
	width := len(strconv.Itoa(count))
	childPrefix := prefix + strings.Repeat(" ", width+2)
	for i := 0; i < count; i++ {
		if i > 0 {
			b.WriteString(prefix)
		}
		fmt.Fprintf(b, "%*d%c ", width, i+1, n.kind)
		if n.kind != '#' {
			renderCLINode(b, n.elems[i], childPrefix)
			continue
		}
		b.WriteString(n.elems[2*i].text)
		b.WriteString(" => ")
		v := n.elems[2*i+1]
		if cliMultiline(v) {
			b.WriteByte('\n')
			b.WriteString(childPrefix)
		}
		renderCLINode(b, v, childPrefix)
	}
}

// cliMultiline reports whether redis-cli prints n over several lines,
// which makes it start a map value on a line of its own.
func cliMultiline(n *cliNode) bool {
	switch {
	case n.kind == 's' || len(n.elems) == 0:
		return false
	case n.kind == '#':
		return len(n.elems) > 2 || cliMultiline(n.elems[1])
	default:
		return len(n.elems) > 1 || cliMultiline(n.elems[0])
	}
}

// newerFields are the reply fields Redis added after 7.0, which Pelican
// reports as Redis 8.x does: XINFO's idempotent-production fields (8.6),
// a group's nacked-count (8.8), a consumer's active-time in XINFO STREAM
// FULL and inactive in XINFO CONSUMERS (7.2).
var newerFields = map[string]bool{
	"idmp-duration": true, "idmp-maxsize": true, "pids-tracked": true, "iids-tracked": true,
	"iids-added": true, "iids-duplicates": true, "nacked-count": true, "active-time": true, "inactive": true,
}

// dropNewerFields removes newerFields from every map and from every
// field/value array (RESP2's form of a map) in n.
func dropNewerFields(n *cliNode) {
	if n.kind == 's' {
		return
	}
	if n.kind == '#' || isFieldArray(n) {
		var kept []*cliNode
		for i := 0; i+1 < len(n.elems); i += 2 {
			if k := n.elems[i]; k.kind == 's' && newerFields[strings.Trim(k.text, `"`)] {
				continue
			}
			kept = append(kept, n.elems[i], n.elems[i+1])
		}
		n.elems = kept
	}
	for _, e := range n.elems {
		dropNewerFields(e)
	}
}

// isFieldArray reports whether n is an array of field/value pairs with at
// least one of newerFields among its fields.
func isFieldArray(n *cliNode) bool {
	if n.kind != ')' || len(n.elems)%2 != 0 {
		return false
	}
	found := false
	for i := 0; i < len(n.elems); i += 2 {
		k := n.elems[i]
		if k.kind != 's' || !strings.HasPrefix(k.text, `"`) {
			return false
		}
		found = found || newerFields[strings.Trim(k.text, `"`)]
	}
	return found
}

// maskField replaces the value of field in every map and field/value
// array in n with placeholder.
func maskField(n *cliNode, field, placeholder string) {
	if n.kind == 's' {
		return
	}
	if n.kind == '#' || n.kind == ')' && len(n.elems)%2 == 0 {
		for i := 0; i+1 < len(n.elems); i += 2 {
			if k, v := n.elems[i], n.elems[i+1]; k.text == `"`+field+`"` && v.kind == 's' {
				v.text = placeholder
			}
		}
	}
	for _, e := range n.elems {
		maskField(e, field, placeholder)
	}
}

// maskPendingIdle replaces the idle time, the third element, of each
// entry of an extended XPENDING reply.
func maskPendingIdle(n *cliNode) {
	for _, e := range n.elems {
		if e.kind == ')' && len(e.elems) == 4 && strings.HasPrefix(e.elems[2].text, "(integer) ") {
			e.elems[2].text = "(integer) <idle>"
		}
	}
}
