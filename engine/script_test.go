package engine

import (
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// The conformance suite (internal/conformance/testdata/scripting.txt)
// compares scripting with redis-server; these tests cover what it cannot:
// messages that come from the Lua implementation, the time limit, and a
// script's atomicity against blocked clients.

// A compile error carries Redis's prefix; the rest is the Lua parser's
// own wording, which differs from Lua 5.1's.
func TestScriptCompileError(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	for _, cmd := range [][]string{{"EVAL", "return 1 +", "0"}, {"SCRIPT", "LOAD", "return 1 +"}} {
		r := c.do(t, cmd...)
		if r.Kind != '-' || !strings.HasPrefix(r.Str, "ERR Error compiling script (new function): user_script:1:") {
			t.Errorf("%q = %v, want a compile error at user_script:1", cmd, r)
		}
	}
}

// ScriptTimeLimit stops a script that loops, with an error, and the
// engine goes on serving.
func TestScriptTimeLimit(t *testing.T) {
	e, _ := newIntroEngine(t, Config{ScriptTimeLimit: 20 * time.Millisecond})
	c := newIntroClient(e, "127.0.0.1:1000")
	r := c.do(t, "EVAL", "while true do end", "0")
	if r.Kind != '-' || !strings.Contains(r.Str, "ran longer than") {
		t.Errorf("looping script = %v, want the time limit's error", r)
	}
	if r := c.do(t, "EVAL", "return 7", "0"); r.Kind != ':' || r.Int != 7 {
		t.Errorf("next script = %v, want 7", r)
	}
}

// A client blocked on a stream is served after the script, with what the
// script left, not in the middle of it.
func TestScriptIsAtomicForBlockedClients(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	reader := newIntroClient(e, "127.0.0.1:1001")
	writer := newIntroClient(e, "127.0.0.1:1002")
	writer.do(t, "XADD", "s", "1-1", "f", "v")
	if out := reader.raw("XREAD", "BLOCK", "0", "STREAMS", "s", "$"); len(out) != 0 {
		t.Fatalf("XREAD BLOCK replied %q, want it blocked", out)
	}
	// The script adds an entry and deletes it again: the reader must not
	// see it.
	writer.do(t, "EVAL", "redis.call('xadd', 's', '2-1', 'f', 'gone'); redis.call('xdel', 's', '2-1'); return redis.call('xadd', 's', '3-1', 'f', 'kept')", "0")
	e.Lock()
	reader.PollBlockLocked()
	out := string(reader.Output())
	e.Unlock()
	if strings.Contains(out, "gone") || !strings.Contains(out, "kept") {
		t.Errorf("the blocked reader got %q, want only the entry the script kept", out)
	}
}

// SCRIPT FLUSH forgets every script and starts a new interpreter; INFO
// counts the cached scripts.
func TestScriptFlush(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	sha := c.do(t, "SCRIPT", "LOAD", "return 1").Str
	if info := c.do(t, "INFO", "memory").Str; !strings.Contains(info, "number_of_cached_scripts:1\r\n") {
		t.Errorf("INFO memory after SCRIPT LOAD does not count one cached script:\n%s", info)
	}
	c.do(t, "SCRIPT", "FLUSH")
	if info := c.do(t, "INFO", "memory").Str; !strings.Contains(info, "number_of_cached_scripts:0\r\n") {
		t.Errorf("INFO memory after SCRIPT FLUSH does not count zero cached scripts:\n%s", info)
	}
	if r := c.do(t, "EVALSHA", sha, "0"); r.Kind != '-' || !strings.HasPrefix(r.Str, "NOSCRIPT") {
		t.Errorf("EVALSHA after SCRIPT FLUSH = %v, want NOSCRIPT", r)
	}
	if r := c.do(t, "EVAL", "return 2", "0"); r.Int != 2 {
		t.Errorf("EVAL after SCRIPT FLUSH = %v, want 2", r)
	}
}

// Scripts that exhaust the interpreter's stacks fail with an error; the
// engine goes on serving scripts.
func TestScriptStackExhaustion(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	many := []string{"EVAL", "return #{unpack(ARGV)}", "0"}
	for range 20000 {
		many = append(many, "x")
	}
	if r := c.do(t, many...); r.Kind != ':' || r.Int != 20000 {
		t.Errorf("unpack of 20,000 arguments = %v, want 20000", r)
	}
	for _, script := range []string{
		"local function f() return 1 + f() end return f()",
		"local t = {} for i = 1, 2000000 do t[i] = i end return unpack(t)",
	} {
		if r := c.do(t, "EVAL", script, "0"); r.Kind != '-' {
			t.Errorf("%q = %v, want an error", script, r)
		}
		if r := c.do(t, "EVAL", "return 5", "0"); r.Kind != ':' || r.Int != 5 {
			t.Errorf("a script after %q = %v, want 5", script, r)
		}
	}
}

// Time stands still while a script runs: a key that expires in the middle
// of it is still there at the end, as in Redis.
func TestScriptTimeStandsStill(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	e := New(Config{Clock: func() time.Time {
		now = now.Add(time.Millisecond) // every reading of the clock moves it
		return now
	}})
	t.Cleanup(func() { e.Close() })
	c := newIntroClient(e, "127.0.0.1:1000")
	r := c.do(t, "EVAL", "redis.call('set', 'k', 'v', 'px', 5) for i = 1, 20 do redis.call('get', 'other') end return redis.call('get', 'k')", "0")
	if r.Str != "v" {
		t.Errorf("the key set with PX 5 at the script's start = %v at its end, want v", r)
	}
}

// A script cannot change what the next one sees: not the globals, not the
// libraries, not redis.call.
func TestScriptsCannotLeak(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	for _, script := range []string{
		"rawset(_G, 'leak', 1)",
		"rawset(redis, 'call', function() return 'fake' end)",
		"rawset(string, 'rep', function() return 'fake' end)",
		"redis.call = function() return 'fake' end",
		"local mt = getmetatable(_G); if mt then mt.__index = nil end",
		"setmetatable(_G, nil)",
		"local s = getmetatable(''); if s then s.__index = {} end",
		"loadstring('leak = 1')()",
		"loadstring('redis.call = function() return 1 end')()",
		"loadstring('string.rep = nil')()",
		"local parts = {'leak = 1'} load(function() return table.remove(parts) end)()",
		"coroutine.wrap(function() loadstring('leak = 1')() end)()",
		"rawset(getmetatable(''), 'leak', 1)",
		"rawset(getmetatable(_G), 1, 'leak')",
	} {
		c.do(t, "EVAL", script, "0") // an error or not: what matters is the next run
		if r := c.do(t, "EVAL", "return {redis.call('echo', 'real'), string.rep('a', 2), ('b'):rep(2)}", "0"); len(r.Elems) != 3 || r.Elems[0].Str != "real" || r.Elems[1].Str != "aa" || r.Elems[2].Str != "bb" {
			t.Errorf("after %q the next script got %v, want [real aa bb]", script, r)
		}
		if r := c.do(t, "EVAL", "return leak", "0"); r.Kind != '-' {
			t.Errorf("after %q a global leaked into the next script: %v", script, r)
		}
		if r := c.do(t, "EVAL", "return {getmetatable('').leak, getmetatable(_G)[1]}", "0"); r.Kind != '*' || len(r.Elems) != 0 {
			t.Errorf("after %q the next script found %v in a metatable, want nothing", script, r)
		}
	}
}

// A result that contains itself is refused, not followed until the
// engine's stack overflows.
func TestScriptSelfReferencingResult(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	if r := c.do(t, "EVAL", "local t = {}; t[1] = t; return t", "0"); r.Kind != '-' || r.Str != "ERR reached lua stack limit" {
		t.Errorf("a table containing itself = %v, want ERR reached lua stack limit", r)
	}
	if r := c.do(t, "EVAL", "local t = {1} for i = 1, 200 do t = {t} end return t", "0"); r.Kind != '*' {
		t.Errorf("200 nested tables = %v, want an array", r)
	}
}

// string.rep cannot make a string larger than proto-max-bulk-len: asking
// for a terabyte is an error, not the end of the process.
func TestScriptStringRepIsBounded(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	for _, script := range []string{"return #string.rep('x', 2^40)", "return #string.rep('ab', 2^62)"} {
		if r := c.do(t, "EVAL", script, "0"); r.Kind != '-' || !strings.Contains(r.Str, "resulting string too large") {
			t.Errorf("%q = %v, want the error for a string too large", script, r)
		}
	}
	if r := c.do(t, "EVAL", "return {string.rep('ab', 3), ('x'):rep(2), string.rep('x', -1), string.rep('', 5)}", "0"); len(r.Elems) != 4 || r.Elems[0].Str != "ababab" || r.Elems[1].Str != "xx" || r.Elems[2].Str != "" || r.Elems[3].Str != "" {
		t.Errorf("string.rep of small strings = %v, want [ababab xx '' '']", r)
	}
}

// KEYS and ARGV elements share their storage (stringsTable); each must
// still behave as its own string, in Lua and in Go.
func TestScriptArgumentsAreOrdinaryStrings(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	script := `
local t = {[ARGV[1]] = 1}
return {ARGV[1] == 'a', ARGV[2] .. ARGV[1], #ARGV[3], t.a, string.upper(KEYS[1]), ARGV[4] == '', tonumber(ARGV[5]) + 1,
	type(ARGV[2]), ARGV[2] < ARGV[3]}`
	r := c.do(t, "EVAL", script, "1", "key", "a", "bc", "def", "", "41")
	want := `*[1 $"bca" 3 1 $"KEY" 1 42 $"string" 1]`
	if got := r.String(); got != want {
		t.Errorf("EVAL = %s, want %s", got, want)
	}

	L := lua.NewState()
	defer L.Close()
	tbl := stringsTable(L, [][]byte{[]byte("x"), []byte(""), []byte("yz")})
	for i, want := range []string{"x", "", "yz"} {
		v := tbl.RawGetInt(i + 1)
		if v != lua.LValue(lua.LString(want)) {
			t.Errorf("element %d = %#v, want %q", i+1, v, want)
		}
		if s, ok := v.(lua.LString); !ok || string(s) != want {
			t.Errorf("element %d as lua.LString = %q, %v", i+1, s, ok)
		}
	}
}
