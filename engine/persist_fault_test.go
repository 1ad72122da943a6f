package engine_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/vfs"
)

// faultCase is a disk fault and the MISCONF error it must cause.
type faultCase struct {
	name   string
	fsync  string
	inject func(f *vfs.Faulty)
	// misconf is the error writes get while the fault lasts: Redis 7's
	// text (writeCommandsGetDiskErrorMessage in src/server.c), with C's
	// strerror of the failing call's errno.
	misconf string
}

var faultCases = []faultCase{
	{
		name:    "write ENOSPC/always",
		fsync:   "always",
		inject:  func(f *vfs.Faulty) { f.Inject(vfs.OpWrite, syscall.ENOSPC, -1) },
		misconf: "MISCONF Errors writing to the AOF file: No space left on device",
	},
	{
		name:    "write ENOSPC/everysec",
		fsync:   "everysec",
		inject:  func(f *vfs.Faulty) { f.Inject(vfs.OpWrite, syscall.ENOSPC, -1) },
		misconf: "MISCONF Errors writing to the AOF file: No space left on device",
	},
	{
		// The disk fills up in the middle of a write: part of the frame
		// is written, and must not stay in the file.
		name:    "short write ENOSPC/always",
		fsync:   "always",
		inject:  func(f *vfs.Faulty) { f.InjectShortWrite(vfs.OpWrite, syscall.ENOSPC, -1, 7) },
		misconf: "MISCONF Errors writing to the AOF file: No space left on device",
	},
	{
		// As above, and cutting the partial write fails too: the
		// partial frame must not end up between acknowledged frames.
		name:  "short write ENOSPC, truncate EIO/always",
		fsync: "always",
		inject: func(f *vfs.Faulty) {
			f.InjectShortWrite(vfs.OpWrite, syscall.ENOSPC, 1, 7)
			f.Inject(vfs.OpTruncate, syscall.EIO, -1)
		},
		misconf: "MISCONF Errors writing to the AOF file: No space left on device",
	},
	{
		name:    "fsync EIO/always",
		fsync:   "always",
		inject:  func(f *vfs.Faulty) { f.Inject(vfs.OpSync, syscall.EIO, -1) },
		misconf: "MISCONF Errors writing to the AOF file: Input/output error",
	},
	{
		// The background fsync fails: writes are refused once it has.
		name:    "fsync EIO/everysec",
		fsync:   "everysec",
		inject:  func(f *vfs.Faulty) { f.Inject(vfs.OpSync, syscall.EIO, -1) },
		misconf: "MISCONF Errors writing to the AOF file: Input/output error",
	},
}

// faultRun drives one engine through a fault and records what it
// acknowledged.
type faultRun struct {
	t      *testing.T
	s      *session
	nextID int
	// entries are the acknowledged XADDs' IDs; values the acknowledged
	// SETs (each key is set once).
	entries []string
	values  map[string]string
}

// write adds a stream entry and sets a key, and reports whether both were
// acknowledged; reply is the first reply that is an error, if any.
func (r *faultRun) write() (ok bool, reply []byte, err error) {
	r.nextID++
	id := strconv.Itoa(r.nextID) + "-0"
	reply, err = r.s.do("XADD", "st", id, "n", id)
	if err != nil || isErrorReply(reply) {
		return false, reply, err
	}
	r.entries = append(r.entries, id)
	k, v := "k:"+id, "v"+id
	reply, err = r.s.do("SET", k, v)
	if err != nil || isErrorReply(reply) {
		return false, reply, err
	}
	r.values[k] = v
	return true, reply, nil
}

// refused reports whether writes are refused with MISCONF. It runs a
// write command that changes nothing (DEL of a key that does not exist)
// without waiting for the journal.
func (r *faultRun) refused() bool {
	s := r.s
	s.e.Lock()
	defer s.e.Unlock()
	s.c.ExecLocked([][]byte{[]byte("DEL"), []byte("no-such-key")})
	reply := string(s.c.Output())
	s.c.ResetOutput()
	switch {
	case strings.HasPrefix(reply, "-MISCONF "):
		return true
	case reply != ":0\r\n":
		r.t.Fatalf("DEL of a missing key replied %q", reply)
	}
	return false
}

// check checks that e holds every acknowledged write.
func (r *faultRun) check(what string, e *engine.Engine) {
	t := r.t
	t.Helper()
	s := newSession(e)
	defer s.c.Close()
	v, err := decode(s.read(t, "XRANGE", "st", "-", "+"))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, ent := range asSlice(v) {
		have[ent.([]any)[0].(string)] = true
	}
	for _, id := range r.entries {
		if !have[id] {
			t.Errorf("%s: acknowledged entry %s is missing", what, id)
		}
	}
	for k, want := range r.values {
		if got := string(s.read(t, "GET", k)); got != fmt.Sprintf("$%d\r\n%s\r\n", len(want), want) {
			t.Errorf("%s: GET %s = %q, want %q", what, k, got, want)
		}
	}
}

// TestDiskFaultsRefuseWritesUntilCleared injects disk faults (no space
// left on write, a short write, an I/O error from fsync) and checks that
// writes are refused with Redis's MISCONF error while the fault lasts,
// that reads keep working, that writes resume by themselves within about
// two seconds of the fault clearing, and that every write acknowledged
// before and after is in the files: after a clean close, and with
// appendfsync always after a power loss too.
func TestDiskFaultsRefuseWritesUntilCleared(t *testing.T) {
	seed := crashSeed(t)
	for i, tc := range faultCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testDiskFault(t, tc, rand.New(rand.NewPCG(seed, uint64(i))))
		})
	}
}

func testDiskFault(t *testing.T, tc faultCase, rng *rand.Rand) {
	mem := vfs.NewMem()
	faulty := vfs.NewFaulty(mem)
	e, err := openOn(faulty, tc.fsync)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r := &faultRun{t: t, s: newSession(e), values: map[string]string{}}
	for range 5 {
		if ok, reply, err := r.write(); !ok {
			t.Fatalf("before the fault, a write replied %q, %v", reply, err)
		}
	}

	// While the fault lasts, a write fails (the engine learns of the
	// fault from it, or from the background fsync) and later ones are
	// refused with MISCONF.
	tc.inject(faulty)
	var misconf []byte
	deadline := time.Now().Add(5 * time.Second)
	for misconf == nil {
		ok, reply, err := r.write()
		switch {
		case bytes.HasPrefix(reply, []byte("-MISCONF")):
			misconf = reply
		case ok || err != nil:
			// Acknowledged before the fault showed, or the write that
			// met it; under everysec the background fsync meets it
			// within a second.
			if time.Now().After(deadline) {
				t.Fatalf("writes are not refused 5s after the fault; the last replied %q, %v", reply, err)
			}
			time.Sleep(10 * time.Millisecond)
		default:
			t.Fatalf("during the fault, a write replied %q, %v", reply, err)
		}
	}
	if got, want := string(misconf), "-"+tc.misconf+"\r\n"; got != want {
		t.Errorf("a write during the fault replied %q, want %q", got, want)
	}

	// Reads keep working. (Under appendfsync always the server sends no
	// reply while the journal cannot be made durable, since a read may
	// have seen a write that is not: it closes the connection instead,
	// as Redis exits. Here the engine's replies are checked.)
	if got, _ := r.s.do("GET", "k:1-0"); string(got) != "$4\r\nv1-0\r\n" {
		t.Errorf("GET during the fault = %q", got)
	}
	got, _ := r.s.do("XRANGE", "st", "-", "+")
	if v, err := decode(got); err != nil || len(asSlice(v)) < len(r.entries) {
		t.Errorf("XRANGE during the fault = %v, %v; want at least the %d acknowledged entries", v, err, len(r.entries))
	}

	// Once the fault clears, writes resume by themselves: the probe
	// neither writes nor waits for the journal, so only the engine's
	// background work can end the refusal.
	faulty.Clear()
	cleared := time.Now()
	for r.refused() {
		if time.Since(cleared) > 3*time.Second {
			t.Fatalf("writes still refused 3s after the fault cleared")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("writes resumed %v after the fault cleared", time.Since(cleared).Round(time.Millisecond))
	if strings.Contains(tc.name, "fsync") {
		// After a failed fsync the files are written again from memory:
		// the kernel may have dropped pages a later fsync does not
		// report.
		for {
			info, _ := r.s.do("INFO", "persistence")
			if bytes.Contains(info, []byte("aof_rewrites:1")) {
				break
			}
			if time.Since(cleared) > 5*time.Second {
				t.Fatalf("no rewrite 5s after a failed fsync cleared:\n%s", info)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for range 5 {
		if ok, reply, err := r.write(); !ok {
			t.Fatalf("after the fault, a write replied %q, %v", reply, err)
		}
	}
	r.check("before closing", e)

	if tc.fsync == "always" {
		// Acknowledged means fsynced: a power loss now loses nothing.
		crashed := mem.Crash(rng)
		re, err := openOn(crashed, tc.fsync)
		if err != nil {
			t.Fatalf("reopening after a power loss: %v", err)
		}
		r.check("after a power loss", re)
		re.Close()
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	re, err := openOn(mem, tc.fsync)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer re.Close()
	r.check("after reopening", re)
}

// TestPingRefusedDuringDiskFault checks that PING, like a write, is
// refused with MISCONF while the append-only file cannot be written, as
// Redis 7 refuses it (processCommand denies writes and PING when
// writeCommandsDeniedByDiskError), so that a health check notices.
func TestPingRefusedDuringDiskFault(t *testing.T) {
	faulty := vfs.NewFaulty(vfs.NewMem())
	e, err := openOn(faulty, "everysec")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := newSession(e)
	if got := string(s.read(t, "PING")); got != "+PONG\r\n" {
		t.Fatalf("PING = %q", got)
	}
	faulty.Inject(vfs.OpWrite, syscall.ENOSPC, -1)
	// The write that meets the fault stays in memory, its reply held
	// back (the server closes the connection); the engine refuses what
	// follows.
	if r, err := s.do("SET", "k", "v"); string(r) != "+OK\r\n" || err == nil {
		t.Fatalf("the write meeting the fault replied %q, %v; want its reply held back by an error", r, err)
	}
	const want = "-MISCONF Errors writing to the AOF file: No space left on device\r\n"
	if got, _ := s.do("PING"); string(got) != want {
		t.Errorf("PING during the fault = %q, want %q", got, want)
	}
	faulty.Clear()
}

// TestFailedRewriteLeavesWritesWorking makes a rewrite fail at its start
// (its new incremental file cannot be created): the rewrite reports the
// failure, and writing goes on in the current file, acknowledged and
// kept.
func TestFailedRewriteLeavesWritesWorking(t *testing.T) {
	mem := vfs.NewMem()
	faulty := vfs.NewFaulty(mem)
	e, err := openOn(faulty, "always")
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(e)
	if r, err := s.do("SET", "before", "1"); err != nil || string(r) != "+OK\r\n" {
		t.Fatalf("SET = %q, %v", r, err)
	}
	faulty.Inject(vfs.OpCreate, syscall.EACCES, 1)
	if r := s.read(t, "BGREWRITEAOF"); string(r) != rewriteStarted {
		t.Fatalf("BGREWRITEAOF = %q", r)
	}
	awaitRewrite(t, s)
	info := s.read(t, "INFO", "persistence")
	for _, want := range []string{"aof_last_bgrewrite_status:err", "aof_last_write_status:ok"} {
		if !bytes.Contains(info, []byte(want)) {
			t.Errorf("INFO persistence lacks %s:\n%s", want, info)
		}
	}
	if r, err := s.do("SET", "after", "1"); err != nil || string(r) != "+OK\r\n" {
		t.Fatalf("SET after the failed rewrite = %q, %v; want it acknowledged", r, err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	re, err := openOn(mem, "always")
	if err != nil {
		t.Fatal(err)
	}
	defer re.Close()
	rs := newSession(re)
	for _, k := range []string{"before", "after"} {
		if got := rs.read(t, "GET", k); string(got) != "$1\r\n1\r\n" {
			t.Errorf("GET %s after reopening = %q", k, got)
		}
	}
}
