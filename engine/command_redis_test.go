package engine

import (
	"bufio"
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/internal/glob"
	"github.com/pelicanhq/pelican/internal/redistest"
	"github.com/pelicanhq/pelican/internal/resp"
)

// Differential tests against a real Redis 7.0 server, which
// internal/redistest starts on a free loopback port without persistence
// and stops afterwards.

// redisConn is a RESP connection to the reference server.
type redisConn struct {
	conn net.Conn
	br   *bufio.Reader
}

// startRedis starts the reference server and connects to it. Without
// redis-server the test fails with install instructions.
func startRedis(t *testing.T) *redisConn {
	t.Helper()
	r := redistest.StartRedis(t)
	conn, err := net.Dial("tcp", r.Addr)
	if err != nil {
		t.Fatalf("connecting to redis-server: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &redisConn{conn: conn, br: bufio.NewReader(conn)}
}

// do sends one command and reads its reply.
func (rc *redisConn) do(t *testing.T, args ...string) reply {
	t.Helper()
	var b []byte
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	if _, err := rc.conn.Write(b); err != nil {
		t.Fatalf("writing %q: %v", args, err)
	}
	_ = rc.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r, err := readReply(rc.br)
	if err != nil {
		t.Fatalf("reading the reply to %q: %v", args, err)
	}
	return r
}

// redisVersion returns the reference server's version.
func redisVersion(t *testing.T, rc *redisConn) string {
	t.Helper()
	hello := rc.do(t, "HELLO", "3")
	v, ok := hello.mapGet("version")
	if !ok {
		t.Fatalf("HELLO reply has no version: %v", hello)
	}
	return v.Str
}

// TestCommandInfoMatchesRedis compares COMMAND INFO of every command and
// subcommand the engine implements with the reference server's, for those
// the reference server knows. The subcommand list of a container is
// compared as a set restricted to the subcommands the engine implements.
func TestCommandInfoMatchesRedis(t *testing.T) {
	rc := startRedis(t)
	ref := redisVersion(t, rc)
	if len(ref) < 2 || ref[:2] != "7." {
		t.Logf("reference server is %s; the metadata follows 7.0.15", ref)
	}
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	c.do(t, "HELLO", "3")

	compared := 0
	for _, cmd := range topLevelCommands() {
		want := rc.do(t, "COMMAND", "INFO", cmd.Name)
		if len(want.Elems) != 1 {
			t.Fatalf("COMMAND INFO %s from redis: %v", cmd.Name, want)
		}
		if want.Elems[0].Kind == '_' {
			t.Logf("%s: not in the reference server, not compared", cmd.Name)
			continue
		}
		got := c.do(t, "COMMAND", "INFO", cmd.Name)
		compared++
		t.Run(cmd.Name, func(t *testing.T) {
			compareCommandInfo(t, ref, got.Elems[0], want.Elems[0])
		})
	}
	if compared == 0 {
		t.Fatal("no command was compared")
	}
}

// TestCommandMetadataMatchesRedis compares every row of the metadata
// table, including rows of commands the engine does not implement yet,
// with the reference server's COMMAND INFO.
func TestCommandMetadataMatchesRedis(t *testing.T) {
	rc := startRedis(t)
	ref := redisVersion(t, rc) // also switches to RESP3
	for _, cmd := range commandsFromMeta() {
		want := rc.do(t, "COMMAND", "INFO", cmd.Name)
		if want.Elems[0].Kind == '_' {
			t.Logf("%s: not in the reference server, not compared", cmd.Name)
			continue
		}
		w := resp.Writer{Proto: 3}
		writeCommandInfo(&w, cmd)
		got, _, err := parseReply(w.Buf)
		if err != nil {
			t.Fatalf("%s: cannot parse COMMAND INFO: %v", cmd.Name, err)
		}
		t.Run(cmd.Name, func(t *testing.T) { compareCommandInfo(t, ref, got, want.Elems[0]) })
	}
}

// commandsFromMeta builds a command tree from the metadata rows alone.
func commandsFromMeta() []*Command {
	var cmds []*Command
	byName := make(map[string]*Command)
	for _, tbl := range metaTables() {
		for _, m := range tbl {
			if strings.Contains(m.name, "|") {
				continue
			}
			cmd := &Command{Name: m.name, Arity: m.arity, fullName: m.name}
			byName[m.name] = cmd
			cmds = append(cmds, cmd)
		}
	}
	for _, tbl := range metaTables() {
		for _, m := range tbl {
			parent, sub, ok := strings.Cut(m.name, "|")
			if !ok {
				continue
			}
			p := byName[parent]
			p.Subcommands = append(p.Subcommands, &Command{Name: sub, Arity: m.arity, fullName: m.name, parent: p})
		}
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	return cmds
}

// compareCommandInfo compares two COMMAND INFO entries, Pelican's (got)
// and those of the reference server, of version ref (want). A row whose
// arity follows a Redis newer than ref (aritySince) is compared without
// its arity, which must then differ.
func compareCommandInfo(t *testing.T, ref string, got, want reply) {
	t.Helper()
	if len(got.Elems) != 10 || len(want.Elems) != 10 {
		t.Fatalf("entries do not have 10 elements:\ngot  %v\nwant %v", got, want)
	}
	if m := metaFor(want.Elems[0].Str); m != nil && m.aritySince != "" && !redistest.VersionAtLeast(ref, m.aritySince) {
		if got.Elems[1].Int == want.Elems[1].Int {
			t.Errorf("%s: arity %d is Redis %s's as well, though the row says it changed in %s", m.name, got.Elems[1].Int, ref, m.aritySince)
		}
		t.Logf("%s: arity %d (Redis %s), %d in the reference server %s", m.name, got.Elems[1].Int, m.aritySince, want.Elems[1].Int, ref)
		want.Elems = append([]reply(nil), want.Elems...)
		want.Elems[1] = got.Elems[1]
	}
	if diff := cmp.Diff(want.Elems[:9], got.Elems[:9]); diff != "" {
		t.Errorf("COMMAND INFO %s differs (-redis +pelican):\n%s", want.Elems[0].Str, diff)
	}
	gotSubs, wantSubs := got.Elems[9], want.Elems[9]
	if len(gotSubs.Elems) == 0 {
		if diff := cmp.Diff(wantSubs.Kind, gotSubs.Kind); len(wantSubs.Elems) == 0 && diff != "" {
			t.Errorf("%s: empty subcommand list type differs (-redis +pelican):\n%s", want.Elems[0].Str, diff)
		}
		return
	}
	if gotSubs.Kind != wantSubs.Kind {
		t.Errorf("%s: subcommand list type %q, redis %q", want.Elems[0].Str, gotSubs.Kind, wantSubs.Kind)
	}
	byName := make(map[string]reply)
	for _, s := range wantSubs.Elems {
		byName[s.Elems[0].Str] = s
	}
	for _, s := range gotSubs.Elems {
		name := s.Elems[0].Str
		w, ok := byName[name]
		if !ok {
			t.Logf("%s: not in the reference server, not compared", name)
			continue
		}
		compareCommandInfo(t, ref, s, w)
	}
}

// sortedPairs normalises a map reply (RESP3 map or RESP2 flat array) to
// key-sorted pairs, since Redis's map order is its hash table's.
func sortedPairs(r reply) reply {
	if r.Kind != '%' && r.Kind != '*' {
		return r
	}
	type pair struct{ k, v reply }
	var ps []pair
	for i := 0; i+1 < len(r.Elems); i += 2 {
		ps = append(ps, pair{r.Elems[i], r.Elems[i+1]})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].k.Str < ps[j].k.Str })
	out := reply{Kind: r.Kind, Elems: []reply{}}
	for _, p := range ps {
		out.Elems = append(out.Elems, p.k, p.v)
	}
	return out
}

// TestServerRepliesMatchRedis runs the same commands on the engine and on
// the reference server and compares the replies: errors, edge cases and
// replies that do not depend on the server's state or version.
func TestServerRepliesMatchRedis(t *testing.T) {
	rc := startRedis(t)
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	tests := []struct {
		args  []string
		isMap bool // compare as a map whose order does not matter
		resp3 bool
	}{
		{args: []string{"CONFIG", "GET", "maxmemory"}, isMap: true},
		{args: []string{"CONFIG", "GET", "MAXMEMORY", "maxmemory"}, isMap: true},
		{args: []string{"CONFIG", "GET", "stream-node-max-*"}, isMap: true},
		{args: []string{"CONFIG", "GET", "STREAM-node-max-entries", "stream-node-*"}, isMap: true},
		{args: []string{"CONFIG", "GET", "nosuchsetting"}, isMap: true},
		{args: []string{"CONFIG", "GET", "appendonly", "save", "databases", "timeout"}, isMap: true},
		{args: []string{"CONFIG", "GET", "proto-max-bulk-len", "requirepass", "maxmemory-policy"}, isMap: true},
		{args: []string{"CONFIG", "GET", "maxmemory"}, isMap: true, resp3: true},
		{args: []string{"CONFIG", "SET", "foo", "bar"}},
		{args: []string{"CONFIG", "SET", "hz", "10", "foo", "bar"}},
		{args: []string{"CONFIG", "SET", "databases", "16", "foo", "bar"}},
		{args: []string{"CONFIG", "SET", "proto-max-bulk-len", "1000"}},
		{args: []string{"CONFIG", "SET", "proto-max-bulk-len", "abc"}},
		{args: []string{"CONFIG", "SET", "proto-max-bulk-len", "-1"}},
		{args: []string{"CONFIG", "SET", "proto-max-bulk-len", "1mb"}},
		{args: []string{"CONFIG", "GET", "proto-max-bulk-len"}, isMap: true},
		{args: []string{"CONFIG", "SET", "proto-max-bulk-len", "512MB"}},
		{args: []string{"CONFIG", "SET", "stream-node-max-entries", "abc"}},
		{args: []string{"CONFIG", "SET", "stream-node-max-entries", "-1"}},
		{args: []string{"CONFIG", "SET", "stream-node-max-entries", "1k"}},
		{args: []string{"CONFIG", "SET", "stream-node-max-bytes", "4kb", "stream-node-max-entries", "50"}},
		{args: []string{"CONFIG", "GET", "stream-node-max-bytes", "stream-node-max-entries"}, isMap: true},
		{args: []string{"CONFIG", "SET", "stream-node-max-bytes", "4096", "stream-node-max-entries", "100"}},
		{args: []string{"CONFIG", "SET", "databases", "16"}},
		{args: []string{"CONFIG", "SET", "hz", "10", "HZ", "11"}},
		{args: []string{"CONFIG", "SET", "hz", "abc"}},
		{args: []string{"CONFIG", "SET", "hz", "10"}},
		{args: []string{"CONFIG", "SET", "appendonly", "maybe"}},
		{args: []string{"CONFIG", "SET", "appendonly", "no"}},
		{args: []string{"CONFIG", "SET", "save", "1 2 3"}},
		{args: []string{"CONFIG", "SET", "save", "0 1"}},
		{args: []string{"CONFIG", "SET", "save", ""}},
		{args: []string{"CONFIG", "SET", "maxmemory", "lots"}},
		{args: []string{"CONFIG", "SET", "maxmemory", "0"}},
		{args: []string{"CONFIG", "SET", "maxclients", "0"}},
		{args: []string{"CONFIG", "SET", "timeout", "-1"}},
		{args: []string{"CONFIG", "SET", "hz"}},
		{args: []string{"CONFIG", "SET", "hz", "10", "timeout"}},
		{args: []string{"CONFIG", "REWRITE"}},
		{args: []string{"CONFIG", "RESETSTAT"}},
		{args: []string{"CONFIG", "NOSUCH"}},
		{args: []string{"CONFIG"}},
		{args: []string{"CLIENT", "SETNAME", "a b"}},
		{args: []string{"CLIENT", "SETNAME", "a\nb"}},
		{args: []string{"CLIENT", "GETNAME"}},
		{args: []string{"CLIENT", "SETNAME", "pelican-test"}},
		{args: []string{"CLIENT", "GETNAME"}},
		{args: []string{"CLIENT", "SETNAME", ""}},
		{args: []string{"CLIENT", "GETNAME"}},
		{args: []string{"CLIENT", "GETNAME", "x"}},
		{args: []string{"CLIENT", "KILL", "1.2.3.4:5"}},
		{args: []string{"CLIENT", "KILL", "ID", "0"}},
		{args: []string{"CLIENT", "KILL", "ID", "abc"}},
		{args: []string{"CLIENT", "KILL", "ID", "999999"}},
		{args: []string{"CLIENT", "KILL", "USER", "nobody"}},
		{args: []string{"CLIENT", "KILL", "TYPE", "foo"}},
		{args: []string{"CLIENT", "KILL", "TYPE", "master"}},
		{args: []string{"CLIENT", "KILL", "SKIPME", "maybe"}},
		{args: []string{"CLIENT", "KILL", "ID", "1", "SKIPME"}},
		{args: []string{"CLIENT", "KILL", "NOSUCH", "x"}},
		{args: []string{"CLIENT", "KILL", "ADDR", "1.2.3.4:5", "LADDR", "1.2.3.4:6"}},
		{args: []string{"CLIENT", "KILL"}},
		{args: []string{"CLIENT", "LIST", "TYPE", "foo"}},
		{args: []string{"CLIENT", "LIST", "TYPE", "pubsub"}},
		{args: []string{"CLIENT", "LIST", "foo"}},
		{args: []string{"CLIENT", "LIST", "ID", "abc"}},
		{args: []string{"CLIENT", "LIST", "ID", "999999"}},
		{args: []string{"CLIENT", "NO-EVICT", "maybe"}},
		{args: []string{"CLIENT", "NO-EVICT", "on"}},
		{args: []string{"CLIENT", "NO-EVICT", "off"}},
		{args: []string{"CLIENT", "NOSUCH"}},
		{args: []string{"CLIENT"}},
		{args: []string{"FUNCTION", "FLUSH"}},
		{args: []string{"FUNCTION", "FLUSH", "sync"}},
		{args: []string{"FUNCTION", "FLUSH", "ASYNC"}},
		{args: []string{"FUNCTION", "FLUSH", "later"}},
		{args: []string{"FUNCTION", "FLUSH", "a", "b"}},
		{args: []string{"SCRIPT", "FLUSH"}},
		{args: []string{"SCRIPT", "FLUSH", "SYNC"}},
		{args: []string{"SCRIPT", "FLUSH", "later"}},
		{args: []string{"SCRIPT", "FLUSH", "a", "b"}},
		{args: []string{"TIME", "x"}},
		{args: []string{"COMMAND", "INFO", "nosuch", "get|x", "xgroup|nosuch", "a|b|c"}},
		{args: []string{"COMMAND", "INFO", "XGROUP|CREATE"}},
		{args: []string{"COMMAND", "INFO", "xinfo|stream"}, resp3: true},
		{args: []string{"COMMAND", "DOCS", "nosuch"}},
		{args: []string{"COMMAND", "GETKEYS"}},
		{args: []string{"COMMAND", "GETKEYS", "nosuch"}},
		{args: []string{"COMMAND", "GETKEYS", "ping"}},
		{args: []string{"COMMAND", "GETKEYS", "xadd", "s"}},
		{args: []string{"COMMAND", "GETKEYS", "xadd", "s", "*", "f", "v"}},
		{args: []string{"COMMAND", "GETKEYS", "xread", "COUNT", "1", "STREAMS", "a", "b", "0", "0"}},
		{args: []string{"COMMAND", "GETKEYS", "xread", "COUNT", "1", "x"}},
		{args: []string{"COMMAND", "GETKEYS", "xgroup", "create", "s", "g", "$"}},
		{args: []string{"COMMAND", "GETKEYSANDFLAGS", "xreadgroup", "GROUP", "g", "c", "STREAMS", "s", ">"}, resp3: true},
		{args: []string{"COMMAND", "GETKEYSANDFLAGS", "xadd", "s", "*", "f", "v"}},
		{args: []string{"COMMAND", "LIST", "FILTERBY", "MODULE", "nosuch"}},
		{args: []string{"COMMAND", "LIST", "FILTERBY", "NOSUCH", "x"}},
		{args: []string{"COMMAND", "LIST", "FILTERBY"}},
		{args: []string{"COMMAND", "LIST", "FILTERBY", "PATTERN", "xgroup|*"}},
		{args: []string{"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuchcategory"}},
		{args: []string{"COMMAND", "COUNT", "x"}},
		{args: []string{"INFO", "nosuchsection"}},
		{args: []string{"INFO", "nosuchsection"}, resp3: true},
		{args: []string{"RESET"}},
		{args: []string{"RESET", "x"}},
	}
	proto := "2"
	for _, tt := range tests {
		want := "2"
		if tt.resp3 {
			want = "3"
		}
		if want != proto {
			rc.do(t, "HELLO", want)
			c.do(t, "HELLO", want)
			proto = want
		}
		wantR := rc.do(t, tt.args...)
		gotR := c.do(t, tt.args...)
		if tt.isMap {
			wantR, gotR = sortedPairs(wantR), sortedPairs(gotR)
		}
		if tt.args[0] == "COMMAND" && tt.args[1] == "LIST" && gotR.Kind == '*' {
			// Names come in hash table order in Redis.
			for _, r := range []*reply{&wantR, &gotR} {
				sort.Slice(r.Elems, func(i, j int) bool { return r.Elems[i].Str < r.Elems[j].Str })
			}
		}
		if tt.args[0] == "RESET" {
			proto = "2"
		}
		if diff := cmp.Diff(wantR, gotR); diff != "" {
			t.Errorf("%q (RESP%s) differs (-redis +pelican):\n%s", tt.args, want, diff)
		}
	}
}

// TestGlobMatchesRedis compares glob matching with the reference server's
// KEYS, which uses the same matcher.
func TestGlobMatchesRedis(t *testing.T) {
	rc := startRedis(t)
	keys := []string{"", "a", "b", "ab", "ba", "abc", "aXc", "a*c", "a?c", "a[c", "a]c", "a\\c",
		"hello", "hallo", "hxllo", "Hello", "h-llo", "^", "[", "]", "-", "foo:bar", "foo:baz:1",
		"aaaaaaaab", "aaaa"}
	patterns := []string{"?", "??", "a*", "*c", "a?c", "a[Xb]c", "a[^X]c", "a[a-c]c", "a[c-a]c",
		"a\\*c", "a\\?c", "a[\\[]c", "a[\\]]c", "a\\\\c", "h[ae]llo", "h[^e]llo", "h[a-]llo",
		"h[-a]llo", "[", "[a", "a[", "[^]", "[]]", "*:*", "foo:*:?", "**a", "a**", "*a*a*a*b",
		"*a*a*a*a*a*a*a*a*a*a*c", "\\", "[\\", "*[", "a[b", "[!a]", "H*"}
	rc.do(t, "SELECT", "9")
	rc.do(t, "FLUSHDB")
	for _, k := range keys {
		rc.do(t, "SET", k, "1")
	}
	for _, p := range patterns {
		r := rc.do(t, "KEYS", p)
		var want []string
		for _, e := range r.Elems {
			want = append(want, e.Str)
		}
		var got []string
		for _, k := range keys {
			if glob.MatchString(p, k, false) {
				got = append(got, k)
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("pattern %q (-redis +glob):\n%s", p, diff)
		}
	}
}
