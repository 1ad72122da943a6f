package conformance

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/pelicanhq/pelican/internal/redistest"
)

// Normalizer replaces the parts of replies that depend on the clock or on
// the process with placeholders, so that two servers' replies compare
// exactly. Nothing else is changed. One Normalizer follows one server
// through a script: it remembers the IDs that XADD generated for "*" and
// renders them as <auto-N>, numbered in order of generation, wherever they
// appear later.
type Normalizer struct {
	auto map[string]string
}

// NewNormalizer returns a Normalizer that has seen no generated ID.
func NewNormalizer() *Normalizer { return &Normalizer{auto: make(map[string]string)} }

// Normalize returns r, the reply to the command args, with clock- and
// process-dependent values replaced:
//
//   - the ID XADD generated for "*", here and in every later reply;
//   - idle times in XPENDING's extended form, and idle and inactive in
//     XINFO CONSUMERS (inactive stays -1 for a consumer never active);
//   - delivery, seen and active times in XINFO STREAM FULL (active-time
//     stays -1);
//   - HELLO's version and client id, CLIENT ID, the figures of CLIENT
//     LIST and CLIENT INFO, and INFO's run_id.
func (n *Normalizer) Normalize(args []string, r redistest.Reply) redistest.Reply {
	if len(args) == 0 {
		return r
	}
	name := strings.ToUpper(args[0])
	if name == "XADD" && r.Kind == redistest.KindBulk && !r.Nil && xaddIDArg(args) == "*" {
		if _, seen := n.auto[r.Str]; !seen {
			n.auto[r.Str] = "auto-" + strconv.Itoa(len(n.auto)+1)
		}
	}
	r = clone(r)
	if len(n.auto) > 0 {
		n.replaceAuto(&r)
	}
	sub := ""
	if len(args) > 1 {
		sub = strings.ToUpper(args[1])
	}
	switch {
	case name == "XPENDING" && len(args) >= 6 && r.Kind == redistest.KindArray:
		for i := range r.Elems {
			setPlaceholder(&r.Elems[i], 2, "idle")
		}
	case name == "XINFO" && sub == "CONSUMERS" && r.Kind == redistest.KindArray:
		for i := range r.Elems {
			fieldPlaceholder(&r.Elems[i], "idle", "idle", false)
			fieldPlaceholder(&r.Elems[i], "inactive", "inactive", true)
		}
	case name == "XINFO" && sub == "STREAM" && hasWord(args[2:], "FULL"):
		normalizeFull(&r)
	case name == "HELLO":
		fieldPlaceholder(&r, "version", "version", false)
		fieldPlaceholder(&r, "id", "id", false)
	case name == "CLIENT" && sub == "ID" && r.Kind == redistest.KindInt:
		r.Placeholder = "id"
	case name == "CLIENT" && (sub == "LIST" || sub == "INFO"):
		if r.Kind == redistest.KindBulk || r.Kind == redistest.KindVerbatim {
			r.Str = clientFigures.ReplaceAllString(r.Str, "$1=<n>")
		}
	case name == "INFO":
		if r.Kind == redistest.KindBulk || r.Kind == redistest.KindVerbatim {
			r.Str = runID.ReplaceAllString(r.Str, "${1}<run_id>")
		}
	}
	return r
}

// clientFigures matches the CLIENT LIST fields whose values depend on the
// process, the connection or the clock.
var clientFigures = regexp.MustCompile(`\b(id|addr|laddr|fd|age|idle|qbuf|qbuf-free|argv-mem|multi-mem|rbs|rbp|obl|oll|omem|tot-mem|net-i|net-o|tot-net-in|tot-net-out|tot-cmds|io-thread)=\S*`)

// runID matches INFO's run_id line.
var runID = regexp.MustCompile(`(?m)^(run_id:)[0-9a-f]+`)

// normalizeFull replaces the times in an XINFO STREAM FULL reply.
func normalizeFull(r *redistest.Reply) {
	groups := fieldPtr(r, "groups")
	if groups == nil {
		return
	}
	for gi := range groups.Elems {
		g := &groups.Elems[gi]
		if pel := fieldPtr(g, "pending"); pel != nil {
			for i := range pel.Elems {
				setPlaceholder(&pel.Elems[i], 2, "time")
			}
		}
		cs := fieldPtr(g, "consumers")
		if cs == nil {
			continue
		}
		for ci := range cs.Elems {
			c := &cs.Elems[ci]
			fieldPlaceholder(c, "seen-time", "time", false)
			fieldPlaceholder(c, "active-time", "time", true)
			if pel := fieldPtr(c, "pending"); pel != nil {
				for i := range pel.Elems {
					setPlaceholder(&pel.Elems[i], 1, "time")
				}
			}
		}
	}
}

// fieldPtr returns the value of key in a map (or RESP2 flat array) reply.
func fieldPtr(r *redistest.Reply, key string) *redistest.Reply {
	i := r.FieldIndex(key)
	if i < 0 {
		return nil
	}
	return &r.Elems[i]
}

// fieldPlaceholder replaces the integer value of key with a placeholder;
// with keepMinusOne a value of -1 (never) is kept.
func fieldPlaceholder(r *redistest.Reply, key, placeholder string, keepMinusOne bool) {
	v := fieldPtr(r, key)
	if v == nil || v.Kind != redistest.KindInt && v.Kind != redistest.KindBulk {
		return
	}
	if keepMinusOne && v.Kind == redistest.KindInt && v.Int == -1 {
		return
	}
	v.Placeholder = placeholder
}

// setPlaceholder replaces element i of an aggregate.
func setPlaceholder(r *redistest.Reply, i int, placeholder string) {
	if r.IsAggregate() && i < len(r.Elems) {
		r.Elems[i].Placeholder = placeholder
	}
}

// replaceAuto replaces every bulk string of r that is a generated ID by
// its placeholder.
func (n *Normalizer) replaceAuto(r *redistest.Reply) {
	if r.Kind == redistest.KindBulk && !r.Nil {
		if p, ok := n.auto[r.Str]; ok {
			r.Placeholder = p
		}
		return
	}
	for i := range r.Elems {
		n.replaceAuto(&r.Elems[i])
	}
}

// clone returns a deep copy of r, so that placeholders set on it do not
// show through other copies.
func clone(r redistest.Reply) redistest.Reply {
	if r.Elems != nil {
		elems := make([]redistest.Reply, len(r.Elems))
		for i, e := range r.Elems {
			elems[i] = clone(e)
		}
		r.Elems = elems
	}
	if r.Attrs != nil {
		a := clone(*r.Attrs)
		r.Attrs = &a
	}
	return r
}

func hasWord(args []string, w string) bool {
	for _, a := range args {
		if strings.EqualFold(a, w) {
			return true
		}
	}
	return false
}

// xaddIDArg returns the ID argument of an XADD command: the first
// argument after the key that is not an option or an option's value.
func xaddIDArg(args []string) string {
	for i := 2; i < len(args); i++ {
		switch strings.ToUpper(args[i]) {
		case "NOMKSTREAM", "KEEPREF", "DELREF", "ACKED":
		case "MAXLEN", "MINID":
			if i+1 < len(args) && (args[i+1] == "~" || args[i+1] == "=") {
				i++
			}
			i++
		case "LIMIT", "IDMPAUTO":
			i++
		case "IDMP":
			i += 2
		default:
			return args[i]
		}
	}
	return ""
}
