package engine

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// allCommandsAndSubs returns every command and subcommand of the table.
func allCommandsAndSubs() []*Command {
	var out []*Command
	for _, cmd := range topLevelCommands() {
		out = append(out, cmd)
		out = append(out, cmd.Subcommands...)
	}
	return out
}

// TestCommandTableHasMetadata checks that every command the engine
// implements has a metadata row that agrees with its table entry.
func TestCommandTableHasMetadata(t *testing.T) {
	for _, cmd := range allCommandsAndSubs() {
		m := metaFor(cmd.fullName)
		if m == nil {
			t.Errorf("%s: no metadata row", cmd.fullName)
			continue
		}
		if m.arity != cmd.Arity {
			t.Errorf("%s: arity %d in the command table, %d in the metadata", cmd.fullName, cmd.Arity, m.arity)
		}
		if got, want := cmd.Flags&flagWrite != 0, hasWord(m.flags, "write"); got != want {
			t.Errorf("%s: write flag %v in the command table, %v in the metadata", cmd.fullName, got, want)
		}
		if got, want := cmd.Flags&flagNoAuth != 0, hasWord(m.flags, "no_auth"); got != want {
			t.Errorf("%s: no-auth flag %v in the command table, %v in the metadata", cmd.fullName, got, want)
		}
		if got, want := cmd.Flags&flagNoMulti != 0, hasWord(m.flags, "no_multi"); got != want {
			t.Errorf("%s: no-multi flag %v in the command table, %v in the metadata", cmd.fullName, got, want)
		}
	}
}

// TestMetadataRowsAreConsistent checks invariants of every metadata row:
// implied ACL categories, argument trees and key spec references.
func TestMetadataRowsAreConsistent(t *testing.T) {
	for _, tbl := range metaTables() {
		for i := range tbl {
			m := &tbl[i]
			if m.summary == "" || m.group == "" || m.since == "" {
				t.Errorf("%s: summary, group and since are required", m.name)
			}
			if parent, _, ok := strings.Cut(m.name, "|"); ok && metaFor(parent) == nil {
				t.Errorf("%s: no row for the container %s", m.name, parent)
			}
			implied := map[string][]string{
				"write": {"@write"}, "admin": {"@admin", "@dangerous"},
				"fast": {"@fast"}, "blocking": {"@blocking"},
			}
			for flag, cats := range implied {
				if !hasWord(m.flags, flag) {
					continue
				}
				for _, cat := range cats {
					if !hasWord(m.acl, cat) {
						t.Errorf("%s: flag %s without ACL category %s", m.name, flag, cat)
					}
				}
			}
			if hasWord(m.acl, "@fast") == hasWord(m.acl, "@slow") {
				t.Errorf("%s: exactly one of @fast and @slow is required: %q", m.name, m.acl)
			}
			used := make(map[int]bool)
			checkArgs(t, m, m.args, used)
			for j := range m.keySpecs {
				if !used[j] && len(m.args) > 0 && !hasWord(m.keySpecs[j].flags, "not_key") {
					t.Errorf("%s: key spec %d is not referenced by any argument", m.name, j)
				}
			}
		}
	}
}

func checkArgs(t *testing.T, m *cmdMeta, args []cmdArg, used map[int]bool) {
	t.Helper()
	names := make(map[string]bool)
	for _, a := range args {
		if names[a.name] {
			t.Errorf("%s: argument name %q repeated among siblings", m.name, a.name)
		}
		names[a.name] = true
		container := a.typ == "oneof" || a.typ == "block"
		if container != (len(a.args) > 0) {
			t.Errorf("%s: argument %q of type %s has %d sub-arguments", m.name, a.name, a.typ, len(a.args))
		}
		if a.typ == "key" && a.keySpecPos == 0 {
			t.Errorf("%s: key argument %q has no key spec", m.name, a.name)
		}
		if a.keySpecPos > len(m.keySpecs) {
			t.Errorf("%s: argument %q refers to key spec %d of %d", m.name, a.name, a.keySpecPos-1, len(m.keySpecs))
		}
		if a.keySpecPos > 0 {
			used[a.keySpecPos-1] = true
		}
		checkArgs(t, m, a.args, used)
	}
}

func TestLegacyRange(t *testing.T) {
	tests := []struct {
		name  string
		specs []keySpec
		want  [3]int
	}{
		{"none", nil, [3]int{0, 0, 0}},
		{"one key", []keySpec{{index: 1, find: findRange, keyStep: 1}}, [3]int{1, 1, 1}},
		{"all remaining", []keySpec{{index: 1, find: findRange, lastKey: -1, keyStep: 1}}, [3]int{1, -1, 1}},
		{"pairs", []keySpec{{index: 1, find: findRange, lastKey: -1, keyStep: 2}}, [3]int{1, -1, 2}},
		{"two consecutive specs", []keySpec{
			{index: 1, find: findRange, keyStep: 1},
			{index: 2, find: findRange, keyStep: 1},
		}, [3]int{1, 2, 1}},
		{"keyword only", []keySpec{{keyword: "STREAMS", startFrom: 1, find: findRange, lastKey: -1, keyStep: 1, limit: 2}}, [3]int{0, 0, 0}},
		{"keynum only", []keySpec{{index: 1, find: findKeynum, keyNumIdx: 0, firstKey: 1, keyStep: 1}}, [3]int{0, 0, 0}},
		{"range then keynum", []keySpec{
			{index: 1, find: findRange, keyStep: 1},
			{index: 2, find: findKeynum, keyNumIdx: 0, firstKey: 1, keyStep: 1},
		}, [3]int{1, 1, 1}},
	}
	for _, tt := range tests {
		m := &cmdMeta{keySpecs: tt.specs}
		f, l, s := m.legacyRange()
		if diff := cmp.Diff(tt.want, [3]int{f, l, s}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestCommandCount(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	got := c.do(t, "COMMAND", "COUNT")
	if diff := cmp.Diff(integer(int64(len(table()))), got); diff != "" {
		t.Errorf("COMMAND COUNT (-want +got):\n%s", diff)
	}
	all := c.do(t, "COMMAND")
	if len(all.Elems) != len(table()) {
		t.Errorf("COMMAND listed %d commands, the table has %d", len(all.Elems), len(table()))
	}
}

func TestCommandInfo(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	c.do(t, "HELLO", "3")

	got := c.do(t, "COMMAND", "INFO", "XADD", "nosuch", "config|GET", "xgroup|nosuch")
	if len(got.Elems) != 4 {
		t.Fatalf("COMMAND INFO returned %d entries, want 4: %v", len(got.Elems), got)
	}
	xadd := got.Elems[0]
	head := []reply{bulk("xadd"), integer(-5),
		{Kind: '~', Elems: []reply{status("write"), status("denyoom"), status("fast")}},
		integer(1), integer(1), integer(1),
		{Kind: '~', Elems: []reply{status("@write"), status("@stream"), status("@fast")}},
		{Kind: '~', Elems: []reply{bulk("nondeterministic_output")}},
	}
	if diff := cmp.Diff(head, xadd.Elems[:8]); diff != "" {
		t.Errorf("COMMAND INFO xadd (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(reply{Kind: '~', Elems: []reply{}}, xadd.Elems[9]); diff != "" {
		t.Errorf("xadd subcommands (-want +got):\n%s", diff)
	}
	for i, want := range []byte{'*', '_', '*', '_'} {
		if got.Elems[i].Kind != want {
			t.Errorf("entry %d has type %q, want %q", i, got.Elems[i].Kind, want)
		}
	}
	if diff := cmp.Diff(bulk("config|get"), got.Elems[2].Elems[0]); diff != "" {
		t.Errorf("config|get entry name (-want +got):\n%s", diff)
	}

	// A container lists the subcommands the engine implements.
	cfg := c.do(t, "COMMAND", "INFO", "config").Elems[0]
	var subs []string
	for _, s := range cfg.Elems[9].Elems {
		subs = append(subs, s.Elems[0].Str)
	}
	sort.Strings(subs)
	want := []string{"config|get", "config|help", "config|resetstat", "config|rewrite", "config|set"}
	if diff := cmp.Diff(want, subs); diff != "" {
		t.Errorf("config subcommands (-want +got):\n%s", diff)
	}
}

func TestCommandDocs(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	c.do(t, "HELLO", "3")

	got := c.do(t, "COMMAND", "DOCS", "xadd", "nosuch", "client")
	if got.Kind != '%' || len(got.Elems) != 4 {
		t.Fatalf("COMMAND DOCS xadd nosuch client: %v", got)
	}
	if diff := cmp.Diff([]string{"xadd", "client"}, []string{got.Elems[0].Str, got.Elems[2].Str}); diff != "" {
		t.Errorf("documented commands (-want +got):\n%s", diff)
	}
	docs := got.Elems[1]
	for _, k := range []string{"summary", "since", "group", "complexity", "arguments"} {
		if _, ok := docs.mapGet(k); !ok {
			t.Errorf("xadd docs lack %q: %v", k, docs)
		}
	}
	group, _ := docs.mapGet("group")
	if diff := cmp.Diff(bulk("stream"), group); diff != "" {
		t.Errorf("xadd group (-want +got):\n%s", diff)
	}
	args, _ := docs.mapGet("arguments")
	key := args.Elems[0]
	wantKey := reply{Kind: '%', Elems: []reply{
		bulk("name"), bulk("key"), bulk("type"), bulk("key"), bulk("display_text"), bulk("key"),
		bulk("key_spec_index"), integer(0),
	}}
	if diff := cmp.Diff(wantKey, key); diff != "" {
		t.Errorf("xadd's first argument (-want +got):\n%s", diff)
	}
	nomk := args.Elems[1]
	flags, _ := nomk.mapGet("flags")
	if diff := cmp.Diff(reply{Kind: '~', Elems: []reply{status("optional")}}, flags); diff != "" {
		t.Errorf("NOMKSTREAM flags (-want +got):\n%s", diff)
	}
	token, _ := nomk.mapGet("token")
	if diff := cmp.Diff(bulk("NOMKSTREAM"), token); diff != "" {
		t.Errorf("NOMKSTREAM token (-want +got):\n%s", diff)
	}

	subs, ok := got.Elems[3].mapGet("subcommands")
	if !ok {
		t.Fatalf("client docs have no subcommands: %v", got.Elems[3])
	}
	var names []string
	for i := 0; i < len(subs.Elems); i += 2 {
		names = append(names, subs.Elems[i].Str)
	}
	if len(names) != len(table()["client"].Subcommands) {
		t.Errorf("client subcommands documented: %v", names)
	}

	all := c.do(t, "COMMAND", "DOCS")
	if len(all.Elems) != 2*len(table()) {
		t.Errorf("COMMAND DOCS documented %d commands, the table has %d", len(all.Elems)/2, len(table()))
	}
}

func TestCommandList(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	names := func(r reply) []string {
		var out []string
		for _, el := range r.Elems {
			out = append(out, el.Str)
		}
		return out
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"COMMAND", "LIST", "FILTERBY", "PATTERN", "config|*"},
			[]string{"config|get", "config|set", "config|resetstat", "config|rewrite", "config|help"}},
		{[]string{"COMMAND", "LIST", "FILTERBY", "PATTERN", "XA*"}, []string{"xack", "xackdel", "xadd", "xautoclaim"}},
		{[]string{"COMMAND", "LIST", "FILTERBY", "ACLCAT", "blocking"}, []string{"waitaof", "xread", "xreadgroup"}},
		{[]string{"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"}, nil},
		{[]string{"COMMAND", "LIST", "FILTERBY", "MODULE", "any"}, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, names(c.do(t, tt.args...))); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, diff)
		}
	}
	all := names(c.do(t, "COMMAND", "LIST"))
	if len(all) != len(allCommandsAndSubs()) {
		t.Errorf("COMMAND LIST listed %d names, want %d", len(all), len(allCommandsAndSubs()))
	}
	if diff := cmp.Diff(errReply("ERR syntax error"), c.do(t, "COMMAND", "LIST", "FILTERBY", "PATTERN")); diff != "" {
		t.Errorf("COMMAND LIST FILTERBY PATTERN (-want +got):\n%s", diff)
	}
}

func TestCommandGetKeys(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	keys := func(ks ...string) reply {
		r := reply{Kind: '*', Elems: []reply{}}
		for _, k := range ks {
			r.Elems = append(r.Elems, bulk(k))
		}
		return r
	}
	tests := []struct {
		args []string
		want reply
	}{
		{[]string{"COMMAND", "GETKEYS", "XADD", "s", "*", "f", "v"}, keys("s")},
		{[]string{"COMMAND", "GETKEYS", "xread", "COUNT", "2", "STREAMS", "a", "b", "0", "0"}, keys("a", "b")},
		{[]string{"COMMAND", "GETKEYS", "xreadgroup", "GROUP", "g", "c", "STREAMS", "s", ">"}, keys("s")},
		{[]string{"COMMAND", "GETKEYS", "xgroup", "create", "s", "g", "$"}, keys("s")},
		{[]string{"COMMAND", "GETKEYS", "xread", "COUNT", "1", "nostreams"}, errReply("ERR Invalid arguments specified for command")},
		{[]string{"COMMAND", "GETKEYS", "ping", "x"}, errReply("ERR The command has no key arguments")},
		{[]string{"COMMAND", "GETKEYS", "nosuch", "x"}, errReply("ERR Invalid command specified")},
		{[]string{"COMMAND", "GETKEYS", "xlen", "a", "b"}, errReply("ERR Invalid number of arguments specified for command")},
		{[]string{"COMMAND", "GETKEYSANDFLAGS", "xadd", "s", "*", "f", "v"}, reply{Kind: '*', Elems: []reply{
			{Kind: '*', Elems: []reply{bulk("s"), {Kind: '*', Elems: []reply{status("RW"), status("update")}}}},
		}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, c.do(t, tt.args...)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, diff)
		}
	}
}

func TestCommandWithoutMetadataFallsBack(t *testing.T) {
	cmd := &Command{Name: "pelicanonly", Arity: -2, Flags: flagWrite, fullName: "pelicanonly"}
	m := fallbackMeta(cmd)
	want := &cmdMeta{name: "pelicanonly", arity: -2, flags: "write", acl: "@write @slow", group: "server", summary: "Pelican command."}
	if diff := cmp.Diff(want, m, cmp.AllowUnexported(cmdMeta{})); diff != "" {
		t.Errorf("fallbackMeta (-want +got):\n%s", diff)
	}
}
