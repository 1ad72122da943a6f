package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/internal/aof"
	"github.com/pelicanhq/pelican/internal/vfs"
)

// newSnapshotEngine opens an engine without an append-only file on fs.
func newSnapshotEngine(t *testing.T, fs vfs.FS, now time.Time) *testEngine {
	t.Helper()
	te := &testEngine{t: t, now: now}
	e, err := Open(Config{
		Clock:       func() time.Time { return te.now },
		Persistence: Persistence{Dir: "/data", FS: fs, AppendOnly: "no"},
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	te.e = e
	t.Cleanup(func() { e.Close() })
	te.c = te.newClient()
	return te
}

// save runs SAVE, waits for the client to be answered and returns the
// reply.
func (te *testEngine) save() string {
	te.t.Helper()
	if got := te.do("SAVE"); got != "" {
		return got
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		te.e.Lock()
		blocked, _ := te.c.PollBlockLocked()
		out := string(te.c.Output())
		te.c.ResetOutput()
		te.e.Unlock()
		if !blocked {
			return out
		}
		if time.Now().After(deadline) {
			te.t.Fatal("SAVE did not finish")
		}
		time.Sleep(time.Millisecond) // polling a background write, not timing it
	}
}

// TestSaveAndLoadDump saves with SAVE, loads dump.rdb on Open, and checks
// the state, then does the same with BGSAVE.
func TestSaveAndLoadDump(t *testing.T) {
	fs := vfs.NewMem()
	te := newSnapshotEngine(t, fs, testEpoch)
	runFixture(t, te, rdbFixture)
	if got, want := te.do("LASTSAVE"), intR(testEpoch.Unix()); got != want {
		t.Errorf("LASTSAVE before saving: got %q, want %q", got, want)
	}
	if got := te.save(); got != okR {
		t.Fatalf("SAVE: %q", got)
	}
	if got, want := te.do("LASTSAVE"), intR(te.now.Unix()); got != want {
		t.Errorf("LASTSAVE: got %q, want %q", got, want)
	}
	want := te.state()
	te.e.Close()
	te2 := newSnapshotEngine(t, fs, te.now)
	if diff := cmp.Diff(te2.state(), want); diff != "" {
		t.Errorf("state loaded from dump.rdb (-got +want):\n%s", diff)
	}

	te2.do("SET after-bgsave v")
	if got := te2.do("BGSAVE"); got != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE: %q", got)
	}
	te2.do("SET not-saved v") // after the snapshot
	te2.e.waitSaves()
	te2.do("DEL not-saved")
	want2 := te2.state()
	te2.e.Close()
	te3 := newSnapshotEngine(t, fs, te.now)
	if diff := cmp.Diff(te3.state(), want2); diff != "" {
		t.Errorf("state loaded after BGSAVE (-got +want):\n%s", diff)
	}
	names, err := fs.List("/data")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.HasPrefix(n, "temp-") {
			t.Errorf("temporary file %s left behind", n)
		}
	}
}

// TestSaveReplies checks the replies of the save commands: without a
// data directory, with bad arguments, and while a save runs.
func TestSaveReplies(t *testing.T) {
	te := newTestEngine(t)
	for _, tc := range []struct{ cmd, want string }{
		{"SAVE", "-ERR\r\n"},
		{"BGSAVE", "-ERR\r\n"},
		{"BGSAVE now", syntaxR},
		{"BGSAVE SCHEDULE x", syntaxR},
		{"LASTSAVE", intR(testEpoch.Unix())},
	} {
		if got := te.do(tc.cmd); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.cmd, got, tc.want)
		}
	}
	fs := vfs.NewMem()
	td := newSnapshotEngine(t, fs, testEpoch)
	td.e.Lock()
	td.e.saves.running = true // as if a save were being written
	td.e.Unlock()
	for _, cmd := range []string{"SAVE", "BGSAVE", "BGSAVE SCHEDULE"} {
		if got, want := td.do(cmd), "-ERR Background save already in progress\r\n"; got != want {
			t.Errorf("%s during a save: got %q, want %q", cmd, got, want)
		}
	}
	td.e.Lock()
	td.e.saves.running = false
	td.e.Unlock()
	if got, want := td.do("MULTI")+td.do("BGSAVE")+td.do("EXEC"), okR+"+QUEUED\r\n*1\r\n+Background saving scheduled\r\n"; got != want {
		t.Errorf("BGSAVE in MULTI: got %q, want %q", got, want)
	}
	if got, want := td.do("MULTI")+td.do("SAVE"), okR+"-ERR Command not allowed inside a transaction\r\n"; got != want {
		t.Errorf("SAVE in MULTI: got %q, want %q", got, want)
	}
}

// TestOpenLoadsRDBBase opens an append-only directory whose manifest
// names an RDB base written by Pelican, then the incremental file: the
// base's expired key is loaded (the commands after it decide), and the
// state is the saved one plus the increment.
func TestOpenLoadsRDBBase(t *testing.T) {
	src := newTestEngine(t)
	runFixture(t, src, rdbFixture)
	src.do("SET expiring v PX 10")
	src.do("SET kept-expired v PX 20")
	base := saveRDB(t, src, true)
	src.now = src.now.Add(time.Second)

	fs := vfs.NewMem()
	dir := "/data/appendonlydir"
	if err := fs.MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	m := &aof.Manifest{}
	fi := m.NewBase(defaultAppendFilename, aof.BaseRDB)
	incr := m.NextIncr(defaultAppendFilename)
	for name, data := range map[string][]byte{
		fi.Name:   base,
		incr.Name: aof.AppendCommand(nil, []byte("DEL"), []byte("expiring")),
	} {
		f, err := fs.Create(dir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
		f.Close()
	}
	if err := aof.WriteManifest(fs, dir, aof.ManifestName(defaultAppendFilename), m); err != nil {
		t.Fatal(err)
	}
	te := newDiskEngine(t, fs, "always", src.now)
	t.Cleanup(func() { te.e.Close() })
	te.e.Lock()
	_, kept := te.e.dbs[0].keys["kept-expired"]
	_, deleted := te.e.dbs[0].keys["expiring"]
	te.e.Unlock()
	if !kept || deleted {
		t.Errorf("after loading: kept-expired present %v (want true), expiring present %v (want false)", kept, deleted)
	}
	src.do("DEL expiring kept-expired")
	te.do("DEL kept-expired")
	if diff := cmp.Diff(te.state(), src.state()); diff != "" {
		t.Errorf("state loaded from the RDB base (-got +want):\n%s", diff)
	}
}

// TestCloseSavesWithoutAppendOnly closes an engine with appendonly no
// without any SAVE: what it held is in dump.rdb when it opens again.
func TestCloseSavesWithoutAppendOnly(t *testing.T) {
	fs := vfs.NewMem()
	te := newSnapshotEngine(t, fs, testEpoch)
	runFixture(t, te, rdbFixture)
	want := te.state()
	if err := te.e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	te2 := newSnapshotEngine(t, fs, te.now)
	if diff := cmp.Diff(te2.state(), want); diff != "" {
		t.Errorf("state after closing and reopening (-got +want):\n%s", diff)
	}
}

// TestChangesSinceSaveAndShutdownNoSave checks INFO's count of changes
// since the last save, CONFIG GET dbfilename, and that SHUTDOWN NOSAVE
// closes without writing dump.rdb.
func TestChangesSinceSaveAndShutdownNoSave(t *testing.T) {
	fs := vfs.NewMem()
	te := &testEngine{t: t, now: testEpoch}
	e, err := Open(Config{
		Clock:       func() time.Time { return te.now },
		Persistence: Persistence{Dir: "/data", FS: fs, AppendOnly: "no"},
		Shutdown:    func() {},
	})
	if err != nil {
		t.Fatal(err)
	}
	te.e = e
	te.c = te.newClient()
	te.do("SET a 1")
	te.do("SET b 2")
	te.do("GET a")
	te.do("XADD s nope") // fails: no change
	changes := func() string {
		for _, line := range strings.Split(te.do("INFO persistence"), "\r\n") {
			if v, ok := strings.CutPrefix(line, "rdb_changes_since_last_save:"); ok {
				return v
			}
		}
		return "?"
	}
	if got := changes(); got != "2" {
		t.Errorf("rdb_changes_since_last_save after two writes = %s, want 2", got)
	}
	if got := te.save(); got != okR {
		t.Fatalf("SAVE: %q", got)
	}
	if got := changes(); got != "0" {
		t.Errorf("rdb_changes_since_last_save after SAVE = %s, want 0", got)
	}
	if got := te.do("CONFIG GET dbfilename"); !strings.Contains(got, "dump.rdb") {
		t.Errorf("CONFIG GET dbfilename = %q", got)
	}
	if _, err := fs.Stat("/data/dump.rdb"); err != nil {
		t.Fatalf("dump.rdb after SAVE: %v", err)
	}
	if err := fs.Remove("/data/dump.rdb"); err != nil {
		t.Fatal(err)
	}
	te.do("SET c 3")
	te.do("SHUTDOWN NOSAVE")
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := fs.Stat("/data/dump.rdb"); err == nil {
		t.Error("SHUTDOWN NOSAVE: dump.rdb was written on closing")
	}
}

// TestAppendOnlyStartsFromDump opens, with appendonly yes, a directory
// that so far held only dump.rdb: the data is there, and stays there
// after another reopening (it went into the append-only files).
func TestAppendOnlyStartsFromDump(t *testing.T) {
	fs := vfs.NewMem()
	te := newSnapshotEngine(t, fs, testEpoch)
	runFixture(t, te, rdbFixture)
	want := te.state()
	if err := te.e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	te2 := newDiskEngine(t, fs, "always", te.now)
	if diff := cmp.Diff(te2.state(), want); diff != "" {
		t.Errorf("state on switching to appendonly yes (-got +want):\n%s", diff)
	}
	te2.do("SET added after")
	want2 := te2.state()
	if err := fs.Remove("/data/dump.rdb"); err != nil {
		t.Fatal(err)
	}
	te3 := te2.reopen(fs)
	if diff := cmp.Diff(te3.state(), want2); diff != "" {
		t.Errorf("state after reopening without dump.rdb (-got +want):\n%s", diff)
	}
}
