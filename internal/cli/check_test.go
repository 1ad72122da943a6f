package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/aof"
	"github.com/pelicanhq/pelican/internal/vfs"
)

// writeIncr writes an incremental file of framed SET commands, one frame
// per key, and returns the file's size after each frame.
func writeIncr(t *testing.T, path string, keys ...string) []int64 {
	t.Helper()
	var b []byte
	var ends []int64
	for _, k := range keys {
		b = aof.AppendFrame(b, aof.AppendCommand(nil, []byte("SET"), []byte(k), []byte("v")))
		ends = append(ends, int64(len(b)))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return ends
}

// twoFileDir makes a data directory with two incremental files.
func twoFileDir(t *testing.T) (dir string, first, second string, firstEnds []int64) {
	t.Helper()
	dir = t.TempDir()
	aofDir := filepath.Join(dir, "appendonlydir")
	if err := os.MkdirAll(aofDir, 0o755); err != nil {
		t.Fatal(err)
	}
	m := &aof.Manifest{}
	f1, f2 := m.NextIncr("appendonly.aof"), m.NextIncr("appendonly.aof")
	first, second = filepath.Join(aofDir, f1.Name), filepath.Join(aofDir, f2.Name)
	firstEnds = writeIncr(t, first, "a", "b", "c")
	writeIncr(t, second, "d")
	if err := aof.WriteManifest(vfs.Default, aofDir, "appendonly.aof.manifest", m); err != nil {
		t.Fatal(err)
	}
	return dir, first, second, firstEnds
}

func runCheckArgs(args ...string) (code int, out string) {
	var stdout, stderr bytes.Buffer
	code = Main(append([]string{"check"}, args...), &stdout, &stderr)
	return code, stdout.String() + stderr.String()
}

func TestCheckSoundDirectory(t *testing.T) {
	dir, _, _, _ := twoFileDir(t)
	code, out := runCheckArgs(dir)
	if code != 0 || !strings.Contains(out, "sound") {
		t.Fatalf("check = %d:\n%s", code, out)
	}
}

// TestCheckRepairsDamageInTheMiddle flips a byte inside the first of two
// files: check reports it (exit 1) and what follows; --repair keeps the
// valid part, sets the second file aside, and the engine then opens the
// directory with the keys written before the damage.
func TestCheckRepairsDamageInTheMiddle(t *testing.T) {
	dir, first, second, ends := twoFileDir(t)
	b, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	b[ends[0]+int64(len("#C:"))+12] ^= 0x20 // inside the second frame's content
	if err := os.WriteFile(first, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Open(engine.Config{Persistence: engine.Persistence{Dir: dir}}); err == nil {
		t.Fatal("Open of a damaged directory succeeded")
	} else if !strings.Contains(err.Error(), first) {
		t.Errorf("Open's error does not name the damaged file: %v", err)
	}
	code, out := runCheckArgs(dir)
	if code != 1 || !strings.Contains(out, "DAMAGED") || !strings.Contains(out, filepath.Base(second)+": follows the damage") {
		t.Fatalf("check = %d, want 1 reporting the damage and the file after it:\n%s", code, out)
	}
	code, out = runCheckArgs("--repair", dir)
	if code != 0 || !strings.Contains(out, "set aside") {
		t.Fatalf("check --repair = %d:\n%s", code, out)
	}
	if _, err := os.Stat(second + ".damaged"); err != nil {
		t.Errorf("the file after the damage was not set aside: %v", err)
	}
	e, err := engine.Open(engine.Config{Persistence: engine.Persistence{Dir: dir}})
	if err != nil {
		t.Fatalf("Open after repair: %v", err)
	}
	defer e.Close()
	c := e.NewClient(engine.ClientInfo{})
	defer c.Close()
	got := func(k string) string {
		e.Lock()
		defer e.Unlock()
		c.ExecLocked([][]byte{[]byte("EXISTS"), []byte(k)})
		out := string(c.Output())
		c.ResetOutput()
		return out
	}
	for k, want := range map[string]string{"a": ":1\r\n", "b": ":0\r\n", "c": ":0\r\n", "d": ":0\r\n"} {
		if g := got(k); g != want {
			t.Errorf("EXISTS %s after repair = %q, want %q", k, g, want)
		}
	}
}

// TestCheckTornTailOfLastFile is not damage: the server cuts it off.
func TestCheckTornTailOfLastFile(t *testing.T) {
	dir, _, second, _ := twoFileDir(t)
	b, err := os.ReadFile(second)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second, b[:len(b)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCheckArgs(dir)
	if code != 0 || !strings.Contains(out, "incomplete write") {
		t.Fatalf("check = %d, want 0 reporting the incomplete write:\n%s", code, out)
	}
}

func TestCheckUsage(t *testing.T) {
	if code, _ := runCheckArgs(); code != 2 {
		t.Errorf("check without DIR = %d, want 2", code)
	}
	if code, out := runCheckArgs(t.TempDir()); code != 1 || !strings.Contains(out, "no append-only files") {
		t.Errorf("check of an empty directory = %d:\n%s", code, out)
	}
}
