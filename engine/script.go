package engine

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/pelicanhq/pelican/internal/floatconv"
	"github.com/pelicanhq/pelican/internal/resp"
)

// Lua scripting (EVAL and friends) as Redis 7 runs it: one Lua 5.1
// interpreter per engine, created on first use, whose scripts run with the
// engine lock held, so that a script is atomic like a command. Scripts
// reach the data through redis.call and redis.pcall, which run commands
// as a hidden client in the caller's database; replies convert between
// RESP2 and Lua as Redis converts them. Each run sees fresh, read-only
// globals over a shared base and read-only views of the libraries, so
// that no script changes what the next one sees. Libraries: base (without
// setfenv and getfenv, as in Redis 7), table, string, math and coroutine
// (not cjson, cmsgpack, struct or bit). A script that runs longer than
// busy-reply-threshold makes the engine busy (script_busy.go). Not
// supported: redis.setresp(3), SCRIPT DEBUG, FUNCTION.

// scripting is an engine's Lua interpreter and script cache.
type scripting struct {
	L       *lua.LState
	scripts map[string]*lua.LFunction // by lower-case SHA1
	sc      *Client                   // the client commands of scripts run as
	base    *lua.LTable               // the globals every run starts from
	// libViews are the metatables of the read-only views of the
	// libraries; envMeta that of a run's globals.
	libViews map[string]*lua.LTable
	envMeta  *lua.LTable
	env      *lua.LTable // the run's globals, while one runs
	args     [][]byte    // redis.call's argument slice, reused

	// The run in progress.
	caller   *Client
	sha      string
	readOnly bool
	// wrote says whether the running script has called a write command:
	// past its first write, maxmemory no longer stops it, since it
	// cannot be stopped halfway.
	wrote bool
}

// scriptChunk is the chunk name of scripts; Lua's messages then place
// errors at "user_script:LINE", as Redis's do.
const scriptChunk = "user_script"

// scriptsLocked returns the engine's scripting, creating it on first use.
func (e *Engine) scriptsLocked() *scripting {
	if e.scripting == nil {
		e.scripting = newScripting(e)
	}
	return e.scripting
}

func newScripting(e *Engine) *scripting {
	s := &scripting{scripts: make(map[string]*lua.LFunction)}
	s.sc = &Client{e: e, db: e.dbs[0], authenticated: true, denyBlocking: true, script: true}
	s.sc.main.Proto = 2
	s.sc.out = &s.sc.main

	// The data stack grows as scripts need (unpack of thousands of
	// values, deep calls) up to about 16 MB; past that, a script fails
	// with an error.
	L := lua.NewState(lua.Options{SkipOpenLibs: true, RegistryMaxSize: 1 << 20, RegistryGrowStep: 1 << 16})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	// string.rep makes one string of any size it is asked for: bound it,
	// so that a script cannot ask the process for a terabyte in one call.
	if lib, ok := L.G.Global.RawGetString(lua.StringLibName).(*lua.LTable); ok {
		lib.RawSetString("rep", L.NewFunction(func(L *lua.LState) int {
			str, n := L.CheckString(1), L.CheckInt(2)
			if n <= 0 || str == "" {
				L.Push(lua.LString(""))
				return 1
			}
			if int64(n) > e.settings.protoMaxBulkLen/int64(len(str)) {
				L.RaiseError("resulting string too large")
			}
			L.Push(lua.LString(strings.Repeat(str, n)))
			return 1
		}))
	}
	base := L.G.Global
	for _, name := range []string{"dofile", "loadfile", "module", "require", "collectgarbage", "newproxy", "print", "setfenv", "getfenv", "_printregs"} {
		base.RawSetString(name, lua.LNil)
	}
	r := L.NewTable()
	for name, fn := range map[string]lua.LGFunction{
		"call":         func(L *lua.LState) int { return s.call(L, true) },
		"pcall":        func(L *lua.LState) int { return s.call(L, false) },
		"error_reply":  scriptErrorReply,
		"status_reply": scriptStatusReply,
		"sha1hex":      scriptSHA1Hex,
		"log":          scriptLog,
		"setresp":      scriptSetResp,
	} {
		r.RawSetString(name, L.NewFunction(fn))
	}
	for i, name := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"} {
		r.RawSetString(name, lua.LNumber(i))
	}
	r.RawSetString("REDIS_VERSION", lua.LString(e.version))
	base.RawSetString("redis", r)
	s.base = base

	// Libraries are reached through read-only views, made anew for each
	// run: a script cannot change what the next one sees.
	readOnly := L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	})
	// A __metatable field makes setmetatable refuse to replace a
	// metatable; what getmetatable shows is decided below.
	protected := lua.LTrue
	s.libViews = make(map[string]*lua.LTable)
	for _, name := range []string{"redis", lua.StringLibName, lua.TabLibName, lua.MathLibName, lua.CoroutineLibName} {
		m := L.NewTable()
		m.RawSetString("__index", base.RawGetString(name))
		m.RawSetString("__newindex", readOnly)
		m.RawSetString("__metatable", protected)
		s.libViews[name] = m
	}
	// The strings' metatable leads to the string library: hide it.
	if mt, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		mt.RawSetString("__metatable", protected)
	}
	// getmetatable hands out nothing that runs share: a library view has
	// no metatable to show, the globals and strings a fresh empty table
	// (Redis shows its read-only metatables, which convert the same).
	views := make(map[*lua.LTable]bool, len(s.libViews))
	for _, m := range s.libViews {
		views[m] = true
	}
	getmetatable := func(L *lua.LState) int {
		v := L.CheckAny(1)
		if v.Type() == lua.LTString {
			L.Push(L.NewTable())
			return 1
		}
		t, ok := v.(*lua.LTable)
		if !ok {
			L.Push(L.GetMetatable(v)) // functions and the like: Lua's own answer
			return 1
		}
		mt, _ := t.Metatable.(*lua.LTable)
		switch {
		case mt == nil || views[mt]:
			L.Push(lua.LNil)
		case mt == s.envMeta:
			L.Push(L.NewTable())
		default:
			if p := mt.RawGetString("__metatable"); p != lua.LNil {
				L.Push(p)
			} else {
				L.Push(mt)
			}
		}
		return 1
	}
	base.RawSetString("getmetatable", L.NewFunction(getmetatable))
	// Each run's globals are a fresh table over base (see run): they are
	// read-only, and reading one that does not exist is an error, so a
	// typo does not silently read nil.
	s.envMeta = L.NewTable()
	s.envMeta.RawSetString("__newindex", readOnly)
	s.envMeta.RawSetString("__index", L.NewFunction(s.global))
	s.envMeta.RawSetString("__metatable", protected)
	s.L = L
	return s
}

// global looks up a global a run has not used yet: from base, a library
// as a fresh read-only view. It keeps what it found in the run's table,
// so that the next access is a plain one.
func (s *scripting) global(L *lua.LState) int {
	env, name := L.CheckTable(1), L.CheckString(2)
	v := s.base.RawGetString(name)
	if v == lua.LNil {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", name)
		return 0
	}
	if meta := s.libViews[name]; meta != nil {
		view := L.NewTable()
		L.SetMetatable(view, meta)
		v = view
	}
	env.RawSetString(name, v)
	L.Push(v)
	return 1
}

// close releases the interpreter.
func (s *scripting) close() { s.L.Close() }

// scriptSHA returns the lower-case hex SHA1 of body.
func scriptSHA(body []byte) string {
	sum := sha1.Sum(body)
	return hex.EncodeToString(sum[:])
}

// load compiles body and caches it under its SHA1, which it returns; a
// compile error is returned as the error reply's text.
func (s *scripting) load(body []byte) (string, *lua.LFunction, string) {
	sha := scriptSHA(body)
	if fn := s.scripts[sha]; fn != nil {
		return sha, fn, ""
	}
	fn, err := s.L.Load(strings.NewReader(string(body)), scriptChunk)
	if err != nil {
		return "", nil, "ERR Error compiling script (new function): " + compileMessage(err, body)
	}
	s.scripts[sha] = fn
	return sha, fn, ""
}

// compileMessage is the text of a compile error of body, placed as Lua
// 5.1 places it ("user_script:LINE: message"); the message itself is the
// parser's own.
func compileMessage(err error, body []byte) string {
	msg := err.Error()
	if apiErr, ok := err.(*lua.ApiError); ok && apiErr.Object != nil {
		msg = apiErr.Object.String()
	}
	msg = strings.TrimSpace(msg)
	rest, ok := strings.CutPrefix(msg, scriptChunk+" ")
	if !ok {
		return msg
	}
	if after, ok := strings.CutPrefix(rest, "at EOF:"); ok {
		lines := 1 + strings.Count(string(body), "\n")
		return fmt.Sprintf("%s:%d: %s near '<eof>'", scriptChunk, lines, strings.TrimSpace(after))
	}
	// "line:3(column:7) near 'x':   syntax error"
	if after, ok := strings.CutPrefix(rest, "line:"); ok {
		line, tail, _ := strings.Cut(after, "(")
		if _, tail, ok = strings.Cut(tail, ") "); ok {
			near, what, _ := strings.Cut(tail, ":")
			return fmt.Sprintf("%s:%s: %s %s", scriptChunk, line, strings.TrimSpace(what), near)
		}
	}
	return scriptChunk + ": " + rest
}

// run executes fn for caller with keys and argv and writes its result (or
// error) as the reply.
func (s *scripting) run(caller *Client, sha string, fn *lua.LFunction, keys, argv [][]byte, readOnly bool) {
	L := s.L
	s.caller, s.sha, s.readOnly, s.wrote = caller, sha, readOnly, false
	s.sc.db = caller.db
	defer func() { s.caller = nil }()
	env := L.NewTable()
	env.RawSetString("KEYS", stringsTable(L, keys))
	env.RawSetString("ARGV", stringsTable(L, argv))
	env.RawSetString("_G", env)
	L.SetMetatable(env, s.envMeta)
	// Chunks the script loads (load, loadstring) and coroutines it starts
	// take L.Env: it must be the run's globals too, never base.
	fn.Env, L.Env, s.env = env, env, env
	defer func() { L.Env, s.env = s.base, nil }()
	// Time stands still while a script runs, as in Redis: at the time its
	// EVAL started, which the journal records for the script's effects.
	e := caller.e
	e.scriptNow = caller.now
	defer func() { e.scriptNow = 0 }()
	s.sc.now = e.scriptNow

	var line string // where an error was raised, for the reply
	handler := L.NewFunction(func(L *lua.LState) int {
		// The innermost Lua function of the script's code: the error
		// happened on its current line.
		for level := 1; level < 64; level++ {
			if w := L.Where(level); strings.HasPrefix(w, scriptChunk+":") {
				line = w
				break
			} else if w == "" {
				break
			}
		}
		return 1 // the error object, unchanged
	})
	// The run's context stops the interpreter: SCRIPT KILL and shutdown
	// cancel it, and the time limit, if set, ends it.
	stop, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	ctx := stop
	if limit := e.cfg.ScriptTimeLimit; limit > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(stop, limit)
		defer cancelTimeout()
	}
	L.SetContext(ctx)
	defer L.RemoveContext()
	top := L.GetTop()
	L.Push(fn)
	e.beginScriptLocked(sha, cancel)
	err, broken := pcall(L, handler)
	e.endScript()
	if err != nil && s.stopped(caller, context.Cause(stop), line) {
		L.SetTop(top)
		return
	}
	if broken {
		// The interpreter panicked past its own error handling (out of
		// stack while handling an error): its state cannot be trusted.
		// Start a new one, as SCRIPT FLUSH does.
		caller.e.scripting = nil
		s.close()
		caller.errorReply(fmt.Sprintf("ERR %v script: %s, on @%s:%s.", err, sha, scriptChunk, lineOf(line)))
		return
	}
	if err != nil {
		L.SetTop(top)
		if ctx.Err() != nil {
			caller.errorReply(fmt.Sprintf("ERR Script stopped: it ran longer than the script time limit (%v) script: %s, on @%s:%s.",
				caller.e.cfg.ScriptTimeLimit, sha, scriptChunk, lineOf(line)))
			return
		}
		caller.errorReply(s.errorText(err, line))
		return
	}
	ret := L.Get(-1)
	L.SetTop(top)
	writeLuaResult(caller, ret)
}

// stopped replies to a script stopped by SCRIPT KILL or shutdown (cause)
// and reports whether it was.
func (s *scripting) stopped(caller *Client, cause error, where string) bool {
	switch cause {
	case errScriptKilled:
		caller.e.logger().Warn("pelican: script killed", "sha", s.sha, "addr", caller.addr)
		caller.errorReply(fmt.Sprintf("ERR Script killed by user with SCRIPT KILL... script: %s, on @%s:%s.", s.sha, scriptChunk, lineOf(where)))
		return true
	case errScriptShutdown:
		if caller.e.scriptRun.wrote() {
			caller.e.dropScriptWritesLocked(s.sha, caller.addr)
		}
		// No reply: the server is going away, as Redis exits.
		caller.closeAfterReply = true
		return true
	}
	return false
}

// pcall calls the function on top of L's stack with handler as the error
// handler. broken reports a panic that escaped Lua's own protection.
func pcall(L *lua.LState, handler *lua.LFunction) (err error, broken bool) {
	defer func() {
		if r := recover(); r != nil {
			msg, _, _ := strings.Cut(fmt.Sprint(r), "\n") // without the traceback
			msg, _, _ = strings.Cut(msg, " stack traceback:")
			err, broken = errors.New(msg), true
		}
	}()
	return L.PCall(0, 1, handler), false
}

// errorText is the reply to a script that raised an error: the error with
// where it happened, as Redis 7 words it.
func (s *scripting) errorText(err error, where string) string {
	msg := err.Error()
	var obj lua.LValue
	if apiErr, ok := err.(*lua.ApiError); ok {
		obj = apiErr.Object
		msg = obj.String()
	}
	if t, ok := obj.(*lua.LTable); ok {
		// A table raised by redis.call or error({err=...}): its text is
		// the error as it is.
		if e, ok := t.RawGetString("err").(lua.LString); ok {
			msg = string(e)
		}
	} else {
		msg = "ERR " + msg
	}
	line := lineOf(where)
	if where == "" {
		if rest, ok := strings.CutPrefix(msg, "ERR "+scriptChunk+":"); ok {
			line, _, _ = strings.Cut(rest, ":")
		}
	}
	return fmt.Sprintf("%s script: %s, on @%s:%s.", msg, s.sha, scriptChunk, line)
}

// lineOf returns the line of a position as Lua's where() gives it
// ("user_script:3:"), or "?".
func lineOf(where string) string {
	if where == "" {
		return "?"
	}
	return strings.TrimSuffix(strings.TrimPrefix(where, scriptChunk+":"), ":")
}

// stringsTable returns a Lua array of args. Their bytes are copied into
// one string, which the elements share, and their string headers into one
// slice, which the elements point into (boxedString): two allocations for
// all the elements rather than one each. A script's ARGV can hold every
// field of every message it writes.
func stringsTable(L *lua.LState, args [][]byte) *lua.LTable {
	t := L.CreateTable(len(args), 0)
	n := 0
	for _, a := range args {
		n += len(a)
	}
	var b strings.Builder
	b.Grow(n)
	for _, a := range args {
		b.Write(a)
	}
	all, at := b.String(), 0
	headers := make([]lua.LString, len(args))
	for i, a := range args {
		headers[i] = lua.LString(all[at : at+len(a)])
		at += len(a)
		t.Append(boxedString(&headers[i]))
	}
	return t
}

// lstringTab is the first word of a lua.LValue holding a lua.LString: its
// interface table.
var lstringTab = func() unsafe.Pointer {
	var v lua.LValue = lua.LString("")
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&v))[0]
}()

// boxedString returns *s as a lua.LValue whose data word is s itself,
// where converting *s would copy its header into a new allocation. The
// value is the same either way: *s must not change afterwards, as Go
// assumes of what an interface holds.
func boxedString(s *lua.LString) lua.LValue {
	var v lua.LValue
	words := (*[2]unsafe.Pointer)(unsafe.Pointer(&v))
	words[0], words[1] = lstringTab, unsafe.Pointer(s)
	return v
}

// call runs a command for redis.call (raise set) or redis.pcall.
func (s *scripting) call(L *lua.LState, raise bool) int {
	fail := func(msg string) int {
		t := L.NewTable()
		t.RawSetString("err", lua.LString(msg))
		if raise {
			L.Error(t, 1)
			return 0
		}
		L.Push(t)
		return 1
	}
	n := L.GetTop()
	if n == 0 {
		return fail("ERR Please specify at least one argument for this redis lib call")
	}
	args := s.args[:0]
	for i := 1; i <= n; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			// Commands do not change their arguments, and copy what they
			// keep: the string's bytes can be lent rather than copied.
			args = append(args, unsafe.Slice(unsafe.StringData(string(v)), len(v)))
		case lua.LNumber:
			args = append(args, []byte(formatLuaNumber(float64(v))))
		default:
			return fail("ERR Lua redis lib command arguments must be strings or integers")
		}
	}
	s.args = args
	defer clear(s.args) // lend nothing beyond the call
	e := s.sc.e
	cmd := e.lookupCommand(args)
	switch {
	case cmd == nil:
		return fail("ERR Unknown Redis command called from script")
	case (cmd.Arity > 0 && cmd.Arity != len(args)) || len(args) < -cmd.Arity:
		return fail("ERR Wrong number of args calling Redis command from script")
	case cmd.Run == nil || cmd.noScript:
		return fail("ERR This Redis command is not allowed from script")
	case s.readOnly && cmd.write:
		return fail("ERR Write commands are not allowed from read-only scripts.")
	case cmd.denyOOM && !s.wrote && e.mem.limit > 0 && e.mem.oomAtStart:
		// Over maxmemory when the script started, and nothing written
		// yet: it may still be refused as a whole.
		return fail(errOOM)
	}
	if cmd.write {
		s.wrote = true
	}
	sc := s.sc
	sc.out.Reset()
	e.enterScriptCall(cmd.write)
	sc.call(cmd, args)
	e.exitScriptCall()
	v, err := luaFromReply(L, resp.NewScanner(sc.out.Buf))
	sc.out.Reset()
	if err != nil {
		return fail("ERR " + err.Error())
	}
	if t, ok := v.(*lua.LTable); ok && raise {
		if _, isErr := t.RawGetString("err").(lua.LString); isErr {
			L.Error(t, 1)
			return 0
		}
	}
	L.Push(v)
	return 1
}

// hasMetaFlag reports whether the command's COMMAND INFO flags include
// flag.
func (c *Command) hasMetaFlag(flag string) bool {
	m := metaFor(c.fullName)
	if m == nil {
		return false
	}
	for f := range strings.FieldsSeq(m.flags) {
		if f == flag {
			return true
		}
	}
	return false
}

// formatLuaNumber renders a number argument of redis.call as Redis 7.4
// and later do: an integer of magnitude up to 2^62 as an integer (-0 as
// "0"), any other number with fpconv_dtoa's shortest digits ("0.1",
// "1e+20", "inf", "nan"). Redis 7.0 used "%.17g" ("0.10000000000000001",
// "-0"); 7.2 used fpconv_dtoa alone ("1e+8").
func formatLuaNumber(f float64) string {
	if n, ok := floatconv.Integer(f); ok {
		return strconv.FormatInt(n, 10)
	}
	return string(floatconv.AppendShortest(nil, f))
}

// luaInteger converts a script's number result as C's cast to long long
// does on x86: truncated, and the smallest integer when out of range.
func luaInteger(f float64) int64 {
	if math.IsNaN(f) || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

// errBadReply is what a script sees for a command reply that is not the
// RESP2 conversion understands; the engine's commands write none.
var errBadReply = errors.New("bad reply from a command")

// luaFromReply converts the next RESP2 reply in r to Lua as Redis does:
// integers to numbers, bulk strings to strings, nulls to false, arrays to
// tables, status replies to {ok=...} and errors to {err=...}.
func luaFromReply(L *lua.LState, r *resp.Scanner) (lua.LValue, error) {
	v, err := r.Next()
	if err != nil && !v.IsError() {
		return lua.LNil, errBadReply
	}
	switch v.Kind {
	case resp.KindSimple, resp.KindError:
		t := L.NewTable()
		key := "ok"
		if v.Kind == resp.KindError {
			key = "err"
		}
		t.RawSetString(key, lua.LString(r.Text(v)))
		return t, nil
	case resp.KindInt:
		if v.N >= 0 && v.N < int64(len(smallNumbers)) {
			return smallNumbers[v.N], nil
		}
		return lua.LNumber(v.N), nil
	case resp.KindBulk:
		if v.Null() {
			return lua.LFalse, nil
		}
		return lua.LString(r.Text(v)), nil
	case resp.KindArray:
		if v.Null() {
			return lua.LFalse, nil
		}
		if v.N > int64(len(r.Input())-r.Pos()) {
			return lua.LNil, errBadReply // more elements than bytes
		}
		t := L.CreateTable(int(v.N), 0)
		for range v.N {
			e, err := luaFromReply(L, r)
			if err != nil {
				return lua.LNil, err
			}
			t.Append(e)
		}
		return t, nil
	}
	return lua.LNil, errBadReply
}

// smallNumbers holds the Lua numbers 0 to 255 as values, so that the
// integer replies scripts see most (XACK's 1, HDEL's counts) are not each
// boxed anew.
var smallNumbers = func() (v [256]lua.LValue) {
	for i := range v {
		v[i] = lua.LNumber(i)
	}
	return v
}()

// maxReplyDepth is how deeply a script's result may nest; past it (a
// table that contains itself, say) the reply is Redis's error.
const maxReplyDepth = 1000

// writeLuaResult writes a script's result, or Redis's error if it nests
// too deeply.
func writeLuaResult(c *Client, v lua.LValue) {
	if !luaDepthOK(v, 0) {
		c.errorReply("ERR reached lua stack limit")
		return
	}
	writeLuaValue(c, v)
}

// luaDepthOK reports whether v's arrays nest less than maxReplyDepth.
func luaDepthOK(v lua.LValue, depth int) bool {
	t, ok := v.(*lua.LTable)
	if !ok {
		return true
	}
	if depth >= maxReplyDepth {
		return false
	}
	if _, ok := t.RawGetString("err").(lua.LString); ok {
		return true
	}
	if _, ok := t.RawGetString("ok").(lua.LString); ok {
		return true
	}
	for i := 1; ; i++ {
		e := t.RawGetInt(i)
		if e == lua.LNil {
			return true
		}
		if !luaDepthOK(e, depth+1) {
			return false
		}
	}
}

// writeLuaValue writes a script's result as Redis converts it: numbers as
// integers (truncated), strings as bulk strings, true as 1, false and nil
// as a null, {err=...} as an error, {ok=...} as a status, other tables as
// arrays up to their first nil. writeLuaResult checks the depth first.
func writeLuaValue(c *Client, v lua.LValue) {
	w := c.out
	switch v := v.(type) {
	case lua.LNumber:
		w.Int(luaInteger(float64(v)))
	case lua.LString:
		w.BulkString(string(v))
	case lua.LBool:
		if v {
			w.Int(1)
		} else {
			w.NullBulk()
		}
	case *lua.LTable:
		if e, ok := v.RawGetString("err").(lua.LString); ok {
			c.errorReply(string(e))
			return
		}
		if s, ok := v.RawGetString("ok").(lua.LString); ok {
			w.Simple(string(s))
			return
		}
		n := 0
		for v.RawGetInt(n+1) != lua.LNil {
			n++
		}
		w.Array(n)
		for i := 1; i <= n; i++ {
			writeLuaValue(c, v.RawGetInt(i))
		}
	default:
		w.NullBulk()
	}
}

func scriptErrorReply(L *lua.LState) int {
	t := L.NewTable()
	t.RawSetString("err", lua.LString(L.CheckString(1)))
	L.Push(t)
	return 1
}

func scriptStatusReply(L *lua.LState) int {
	t := L.NewTable()
	t.RawSetString("ok", lua.LString(L.CheckString(1)))
	L.Push(t)
	return 1
}

func scriptSHA1Hex(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.RaiseError("wrong number of arguments")
	}
	L.Push(lua.LString(scriptSHA([]byte(L.ToString(1)))))
	return 1
}

// scriptLog accepts redis.log(level, message...); Pelican has no server
// log to write it to.
func scriptLog(L *lua.LState) int {
	if L.GetTop() < 2 {
		L.RaiseError("redis.log() requires two arguments or more.")
	}
	if _, ok := L.Get(1).(lua.LNumber); !ok {
		L.RaiseError("First argument must be a number (log level).")
	}
	return 0
}

// scriptSetResp accepts redis.setresp(2); RESP3 replies in scripts are not
// supported.
func scriptSetResp(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.RaiseError("redis.setresp() requires one argument.")
	}
	switch L.CheckInt(1) {
	case 2:
		return 0
	case 3:
		L.RaiseError("RESP3 replies in scripts are not supported by Pelican")
	}
	L.RaiseError("RESP version must be 2 or 3.")
	return 0
}
