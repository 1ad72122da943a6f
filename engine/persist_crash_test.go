package engine_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/resp"
	"github.com/pelicanhq/pelican/internal/vfs"
)

// The crash tests of this file and persist_fault_test.go drive an engine
// the way the server does (execute under the lock, then wait for the
// journal before the reply may leave), on an in-memory filesystem that
// can crash (vfs.Mem) or fail (vfs.Faulty), and check what a reopened
// engine holds.

// crashEpoch is the engine's fixed clock: states of different engines are
// comparable only if every time they record is the same.
var crashEpoch = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return crashEpoch }

// crashSeedEnv fixes the seed of the crash tests' random choices.
const crashSeedEnv = "PELICAN_CRASH_SEED"

// crashSeed returns the seed of a seeded run and logs it, so that a
// failure can be replayed with PELICAN_CRASH_SEED.
func crashSeed(t *testing.T) uint64 {
	t.Helper()
	seed := rand.Uint64()
	if s := os.Getenv(crashSeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", crashSeedEnv, s, err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with %s=%d)", seed, crashSeedEnv, seed)
	return seed
}

// openOn opens an engine keeping its data in /data of fsys.
func openOn(fsys vfs.FS, fsync string) (*engine.Engine, error) {
	return engine.Open(engine.Config{
		Clock:       fixedClock,
		Logger:      slog.New(slog.DiscardHandler),
		Persistence: engine.Persistence{Dir: "/data", AppendFsync: fsync, FS: fsys},
	})
}

// session is one client of an engine, driven as the server drives a
// connection.
type session struct {
	e *engine.Engine
	c *engine.Client
}

func newSession(e *engine.Engine) *session {
	return &session{e: e, c: e.NewClient(engine.ClientInfo{})}
}

// do runs one command and returns its reply and the error of waiting for
// the journal, which the server waits for before sending the reply. A
// write is acknowledged only if its reply is no error and err is nil.
func (s *session) do(args ...string) (reply []byte, err error) {
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	s.e.Lock()
	s.c.ExecLocked(bargs)
	reply = bytes.Clone(s.c.Output())
	s.c.ResetOutput()
	w := s.c.JournalWaitLocked()
	s.e.Unlock()
	return reply, s.e.AwaitJournal(w)
}

// read runs a command that writes nothing and returns its reply.
func (s *session) read(t *testing.T, args ...string) []byte {
	t.Helper()
	r, err := s.do(args...)
	if err != nil {
		t.Fatalf("%q: waiting for the journal: %v", args, err)
	}
	return r
}

// isErrorReply reports whether a reply is an error.
func isErrorReply(r []byte) bool { return len(r) > 0 && r[0] == '-' }

// decode parses one RESP2 reply into strings, int64s, nil and []any; an
// error reply becomes a resp.Error.
func decode(raw []byte) (any, error) {
	s := resp.NewScanner(raw)
	v, err := decodeNext(s)
	if err != nil {
		return nil, fmt.Errorf("decoding %q: %w", raw, err)
	}
	if s.Pos() != len(raw) {
		return nil, fmt.Errorf("decoding %q: %d bytes after the reply", raw, len(raw)-s.Pos())
	}
	return v, nil
}

func decodeNext(s *resp.Scanner) (any, error) {
	v, err := s.Next()
	var re resp.Error
	switch {
	case errors.As(err, &re):
		return re, nil
	case err != nil:
		return nil, err
	case v.Null():
		return nil, nil
	case v.IsAggregate():
		out := make([]any, 0, v.Elems())
		for range v.Elems() {
			e, err := decodeNext(s)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	case v.Kind == resp.KindInt:
		return v.N, nil
	}
	return string(s.Text(v)), nil
}

// strs returns the strings of a decoded array reply.
func strs(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// describeState describes every key of every database of e: its name,
// type, absolute expiry and whole value (for a stream, XINFO STREAM FULL
// and its entries), so that equal keyspaces give equal descriptions.
func describeState(t *testing.T, e *engine.Engine) string {
	t.Helper()
	s := newSession(e)
	defer s.c.Close()
	var b strings.Builder
	for db := range engine.NumDatabases {
		s.read(t, "SELECT", strconv.Itoa(db))
		v, err := decode(s.read(t, "KEYS", "*"))
		if err != nil {
			t.Fatal(err)
		}
		keys := strs(v)
		slices.Sort(keys)
		for _, k := range keys {
			typ := strings.TrimSpace(strings.TrimPrefix(string(s.read(t, "TYPE", k)), "+"))
			fmt.Fprintf(&b, "db%d %q %s expires %s: ", db, k, typ, strings.TrimSpace(string(s.read(t, "PEXPIRETIME", k))))
			switch typ {
			case "string":
				b.Write(s.read(t, "GET", k))
			case "list":
				b.Write(s.read(t, "LRANGE", k, "0", "-1"))
			case "set":
				v, _ := decode(s.read(t, "SMEMBERS", k))
				m := strs(v)
				slices.Sort(m)
				fmt.Fprint(&b, m)
			case "hash":
				v, _ := decode(s.read(t, "HGETALL", k))
				m := strs(v)
				pairs := make([]string, 0, len(m)/2)
				for i := 0; i+1 < len(m); i += 2 {
					pairs = append(pairs, m[i]+"="+m[i+1])
				}
				slices.Sort(pairs)
				fmt.Fprint(&b, pairs)
			case "stream":
				b.Write(s.read(t, "XINFO", "STREAM", k, "FULL"))
				b.Write(s.read(t, "XRANGE", k, "-", "+"))
			default:
				fmt.Fprintf(&b, "(a %s, not described)", typ)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// crashWorkload is the fixed sequence of commands the crash test runs:
// stream entries with explicit IDs (orders) and generated ones (events),
// groups, deliveries, acknowledgements and claims, strings, hashes,
// deletions, expiries, another database and a transaction. None of them
// fails on a healthy engine.
func crashWorkload() [][]string {
	var w [][]string
	add := func(args ...string) { w = append(w, args) }
	orderID := func(i int) string { return fmt.Sprintf("%d-%d", 2+i/3, i%3) }
	add("XADD", "orders", "1-1", "n", "0")
	add("XGROUP", "CREATE", "orders", "g", "0")
	add("XGROUP", "CREATE", "events", "audit", "$", "MKSTREAM")
	for i := range 24 {
		n := strconv.Itoa(i)
		add("XADD", "orders", orderID(i), "n", n)
		add("XADD", "events", "*", "i", n)
		if i%3 == 0 {
			add("XREADGROUP", "GROUP", "g", "c"+strconv.Itoa(i%2), "COUNT", "3", "STREAMS", "orders", ">")
		}
		if i%4 == 1 && i >= 4 {
			add("XACK", "orders", "g", orderID(i-4), orderID(i-5))
		}
		if i%5 == 2 && i >= 3 {
			add("XCLAIM", "orders", "g", "c2", "0", orderID(i-3))
		}
		if i%4 == 3 {
			add("XREADGROUP", "GROUP", "audit", "a1", "COUNT", "3", "STREAMS", "events", ">")
		}
		add("SET", "k:"+n, "v"+n)
		if i%6 == 0 {
			add("HSET", "h:"+strconv.Itoa(i%3), "f"+n, "v"+n)
		}
		if i%7 == 3 {
			add("DEL", "k:"+strconv.Itoa(i-2))
		}
		if i%5 == 4 {
			add("EXPIRE", "k:"+strconv.Itoa(i-1), "1000")
		}
		switch i {
		case 10:
			add("SELECT", "2")
			add("SET", "other", "db2")
			add("HSET", "h:db2", "a", "1")
			add("SELECT", "0")
		case 15:
			add("MULTI")
			add("SET", "txn", "1")
			add("XADD", "events", "*", "txn", "1")
			add("XACK", "orders", "g", orderID(0))
			add("EXEC")
		case 20:
			add("EXPIRE", "h:0", "5000")
			add("DEL", "h:1")
		}
	}
	return w
}

// reference runs a workload on an engine in memory and returns the state
// after each prefix of it (states[j] after the first j commands) and the
// replies.
func reference(t *testing.T, w [][]string) (states []string, replies [][]byte) {
	t.Helper()
	e := engine.New(engine.Config{Clock: fixedClock})
	defer e.Close()
	s := newSession(e)
	states = append(states, describeState(t, e))
	for _, args := range w {
		if isRewrite(args) {
			// No files in memory: the state does not change.
			replies = append(replies, []byte(rewriteStarted))
			states = append(states, states[len(states)-1])
			continue
		}
		r := s.read(t, args...)
		if isErrorReply(r) {
			t.Fatalf("the workload's %q fails on an engine in memory: %q", args, r)
		}
		replies = append(replies, r)
		states = append(states, describeState(t, e))
	}
	return states, replies
}

// crashRun is what happened in one run cut short by a crash.
type crashRun struct {
	// opened reports whether Open succeeded.
	opened bool
	// acked is the number of commands acknowledged, in order: the run
	// stops at the first that is not.
	acked int
	// attempted is acked plus one if the first command not acknowledged
	// ran (its effects may be in the file) rather than being refused.
	attempted int
	stopReply []byte // the reply of the first command not acknowledged
	stopErr   error  // and its error waiting for the journal
	replies   [][]byte
}

// runUntilFailure opens an engine on mem and runs w until a command is
// not acknowledged; it returns the open engine (nil if Open failed).
func runUntilFailure(t *testing.T, mem *vfs.Mem, w [][]string) (*engine.Engine, crashRun) {
	t.Helper()
	var run crashRun
	e, err := openOn(mem, "always")
	if err != nil {
		if !errors.Is(err, vfs.ErrCrashed) {
			t.Errorf("Open failed, not because of the simulated crash: %v", err)
		}
		return nil, run
	}
	run.opened = true
	s := newSession(e)
	for _, args := range w {
		r, err := s.do(args...)
		if isRewrite(args) && err == nil && !isErrorReply(r) {
			awaitRewrite(t, s)
		}
		if err == nil && !isErrorReply(r) {
			run.acked++
			run.replies = append(run.replies, r)
			continue
		}
		run.stopReply, run.stopErr = r, err
		run.attempted = run.acked
		if !bytes.HasPrefix(r, []byte("-MISCONF ")) {
			run.attempted++
		}
		return e, run
	}
	run.attempted = run.acked
	return e, run
}

// rewriteStarted is BGREWRITEAOF's reply.
const rewriteStarted = "+Background append only file rewriting started\r\n"

// isRewrite reports whether a workload's command is BGREWRITEAOF, which
// the crash tests run and then wait for, so that the filesystem calls of
// a run come in the same order every time.
func isRewrite(args []string) bool {
	return len(args) == 1 && strings.EqualFold(args[0], "BGREWRITEAOF")
}

// awaitRewrite waits until no rewrite runs (it may have failed).
func awaitRewrite(t *testing.T, s *session) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for bytes.Contains(s.read(t, "INFO", "persistence"), []byte("aof_rewrite_in_progress:1")) {
		if time.Now().After(deadline) {
			t.Fatal("the rewrite did not end")
		}
		time.Sleep(time.Millisecond) // polling a background rewrite
	}
}

// TestCrashAtEveryFilesystemCall runs a fixed workload with appendfsync
// always on a crashable filesystem, stopping the filesystem (every call
// from then on fails) after each of its mutating calls in turn, and
// checks what a power loss at that moment leaves: the directory opens
// (a torn tail is cut), every acknowledged write is there (stream
// entries, deliveries, acknowledgements, claims, strings, hashes) and
// nothing else is: the keyspace is exactly the one after some prefix of
// the commands tried, at least as long as the acknowledged ones.
func TestCrashAtEveryFilesystemCall(t *testing.T) {
	testCrashAtEveryFilesystemCall(t, crashWorkload())
}

// TestCrashAtEveryFilesystemCallWithRewrites does the same with two
// rewrites in the workload: a power loss at any point of a rewrite (the
// new incremental file, the base, the manifests, the deletions) leaves a
// directory that opens with everything acknowledged.
func TestCrashAtEveryFilesystemCallWithRewrites(t *testing.T) {
	w := crashWorkload()
	var with [][]string
	inMulti, rewrites := false, 0
	for i, args := range w {
		with = append(with, args)
		switch args[0] {
		case "MULTI":
			inMulti = true
		case "EXEC":
			inMulti = false
		}
		if !inMulti && i >= (rewrites+1)*len(w)/3 && rewrites < 2 {
			with = append(with, []string{"BGREWRITEAOF"})
			rewrites++
		}
	}
	testCrashAtEveryFilesystemCall(t, with)
}

func testCrashAtEveryFilesystemCall(t *testing.T, w [][]string) {
	states, refReplies := reference(t, w)

	// A full run counts the filesystem calls to crash after.
	mem := vfs.NewMem()
	e, full := runUntilFailure(t, mem, w)
	if e == nil || full.acked != len(w) {
		t.Fatalf("a run without crash acknowledged %d of %d commands; stopped at %q: %v", full.acked, len(w), full.stopReply, full.stopErr)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	total := mem.Ops()
	if got, want := describeStateOf(t, mem), states[len(w)]; got != want {
		t.Fatalf("reopened after a clean run, the state differs:\n got %s\nwant %s", got, want)
	}

	// Each crash point is tried with three of the outcomes a power loss
	// may have; more crash draws with PELICAN_LONG=1.
	draws := 3
	if os.Getenv("PELICAN_LONG") == "1" {
		draws = 8
	}
	seed := crashSeed(t)
	t.Logf("%d commands, %d filesystem calls in a full run; crashing after each, %d outcomes each", len(w), total, draws)
	failures := 0
	for k := 1; k <= total && failures < 5; k++ {
		mem := vfs.NewMem()
		mem.SetCrashAfter(k)
		e, run := runUntilFailure(t, mem, w)
		for i, r := range run.replies {
			if !bytes.Equal(r, refReplies[i]) {
				t.Errorf("crash after %d calls: command %d %q replied %q, in memory %q", k, i, w[i], r, refReplies[i])
			}
		}
		for d := range draws {
			rng := rand.New(rand.NewPCG(seed, uint64(k*draws+d)))
			crashed := mem.Crash(rng)
			if !checkRecovered(t, fmt.Sprintf("crash after %d calls (draw %d)", k, d), crashed, w, states, run) {
				failures++
				break
			}
		}
		if e != nil {
			_ = e.Close() // fails: the filesystem refuses every call
		}
	}
}

// describeStateOf opens the directory on fsys and describes its state.
func describeStateOf(t *testing.T, fsys vfs.FS) string {
	t.Helper()
	e, err := openOn(fsys, "always")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer e.Close()
	return describeState(t, e)
}

// checkRecovered opens the crashed filesystem and checks its state
// against the run; it reports whether all was well.
func checkRecovered(t *testing.T, what string, crashed *vfs.Mem, w [][]string, states []string, run crashRun) bool {
	t.Helper()
	e, err := openOn(crashed, "always")
	if err != nil {
		t.Errorf("%s: %d commands acknowledged; reopening fails: %v", what, run.acked, err)
		return false
	}
	defer e.Close()
	ok := checkAcknowledged(t, what, e, w, run)
	got := describeState(t, e)
	match := -1
	for j := run.acked; j <= run.attempted; j++ {
		if got == states[j] {
			match = j
		}
	}
	if match < 0 {
		t.Errorf("%s: the state is none of those after the %d acknowledged to %d attempted commands (stopped at %q: %q, %v)\n got %s\nwant %s",
			what, run.acked, run.attempted, w[min(run.acked, len(w)-1)], run.stopReply, run.stopErr, got, states[run.acked])
		ok = false
	}
	// The reopened engine takes writes again.
	if r, err := newSession(e).do("SET", "after-crash", "1"); err != nil || isErrorReply(r) {
		t.Errorf("%s: a write after reopening replies %q, %v", what, r, err)
		ok = false
	}
	return ok
}

// checkAcknowledged checks the acknowledged stream writes one by one, for
// a readable report: each acknowledged XADD's entry is there, each entry
// an acknowledged XREADGROUP or XCLAIM delivered is pending unless an
// attempted XACK may have acknowledged it, and each entry an acknowledged
// XACK named is not pending.
func checkAcknowledged(t *testing.T, what string, e *engine.Engine, w [][]string, run crashRun) bool {
	t.Helper()
	s := newSession(e)
	defer s.c.Close()
	entries := map[string]map[string]bool{} // by stream
	for _, stream := range []string{"orders", "events"} {
		v, err := decode(s.read(t, "XRANGE", stream, "-", "+"))
		if err != nil {
			t.Fatal(err)
		}
		entries[stream] = map[string]bool{}
		for _, ent := range v.([]any) {
			entries[stream][ent.([]any)[0].(string)] = true
		}
	}
	pending := map[string]bool{}
	v, err := decode(s.read(t, "XPENDING", "orders", "g", "-", "+", "1000"))
	if err != nil {
		t.Fatal(err)
	}
	if arr, ok := v.([]any); ok {
		for _, p := range arr {
			pending[p.([]any)[0].(string)] = true
		}
	}
	mayBeAcked := map[string]bool{}
	for _, args := range w[:run.attempted] {
		if args[0] == "XACK" {
			for _, id := range args[3:] {
				mayBeAcked[id] = true
			}
		}
	}
	ok := true
	problem := func(format string, args ...any) {
		t.Errorf("%s: "+format, append([]any{what}, args...)...)
		ok = false
	}
	inTxn := false
	for i, args := range w[:run.acked] {
		reply := run.replies[i]
		switch {
		case args[0] == "MULTI":
			inTxn = true
		case args[0] == "EXEC":
			inTxn = false
		case inTxn:
			// Checked by the state: a transaction is all or nothing.
		case args[0] == "XADD":
			id, _ := decode(reply)
			if !entries[args[1]][id.(string)] {
				problem("acknowledged XADD %s %s is missing", args[1], id)
			}
		case args[0] == "XREADGROUP" && args[len(args)-2] == "orders":
			v, _ := decode(reply)
			for _, st := range asSlice(v) {
				for _, ent := range asSlice(st.([]any)[1]) {
					id := ent.([]any)[0].(string)
					if !pending[id] && !mayBeAcked[id] {
						problem("entry %s delivered by acknowledged command %d %q is not pending", id, i, args)
					}
				}
			}
		case args[0] == "XCLAIM":
			v, _ := decode(reply)
			for _, ent := range asSlice(v) {
				id := ent.([]any)[0].(string)
				if !pending[id] && !mayBeAcked[id] {
					problem("entry %s claimed by acknowledged command %d %q is not pending", id, i, args)
				}
			}
		case args[0] == "XACK":
			// An entry not pending when acknowledged may be delivered
			// later: check only the XACKs that acknowledged every entry.
			if n, _ := decode(reply); n != int64(len(args)-3) {
				break
			}
			for _, id := range args[3:] {
				if pending[id] {
					problem("entry %s acknowledged by acknowledged command %d %q is pending", id, i, args)
				}
			}
		}
	}
	return ok
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
