package crashtest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// damageOps is how many writes the damage tests make, one frame each.
const damageOps = 60

// damageOp is write i of the damage tests: SET k:i for even i, XADD of
// entry i-1 to s for odd i.
func damageOp(ctx context.Context, rdb *redis.Client, i int) error {
	if i%2 == 0 {
		return rdb.Set(ctx, fmt.Sprintf("k:%d", i), fmt.Sprintf("v%d", i), 0).Err()
	}
	return rdb.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: fmt.Sprintf("%d-1", i), Values: []any{"i", i}}).Err()
}

// damageOpsPresent returns which of the writes the server holds.
func damageOpsPresent(t *testing.T, rdb *redis.Client) []bool {
	t.Helper()
	ctx := context.Background()
	entries, err := rdb.XRange(ctx, "s", "-", "+").Result()
	if err != nil {
		t.Fatalf("XRANGE: %v", err)
	}
	ids := map[string]bool{}
	for _, e := range entries {
		ids[e.ID] = true
	}
	present := make([]bool, damageOps)
	for i := range present {
		if i%2 == 1 {
			present[i] = ids[fmt.Sprintf("%d-1", i)]
			continue
		}
		v, err := rdb.Get(ctx, fmt.Sprintf("k:%d", i)).Result()
		switch {
		case err == redis.Nil:
		case err != nil:
			t.Fatalf("GET: %v", err)
		case v != fmt.Sprintf("v%d", i):
			t.Errorf("k:%d = %q", i, v)
		default:
			present[i] = true
		}
	}
	return present
}

// writtenDir has a real server write damageOps writes to a new data
// directory with appendfsync always, one command per frame, and stop;
// it returns the directory, the incremental file's path relative to it
// and the offsets at which the file's frames end.
func writtenDir(t *testing.T) (dir, incr string, ends []int64) {
	t.Helper()
	dir = t.TempDir()
	srv := startDurableServer(t, dir, "always")
	rdb := newClient(srv.addr)
	for i := range damageOps {
		if err := damageOp(context.Background(), rdb, i); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	rdb.Close()
	srv.stop(t)
	files, err := filepath.Glob(filepath.Join(dir, "appendonlydir", "*.incr.aof"))
	if err != nil || len(files) != 1 {
		t.Fatalf("incremental files in %s: %v, %v; want one", dir, files, err)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	ends = frameEnds(t, data)
	if len(ends) != damageOps {
		t.Fatalf("the incremental file has %d frames for %d writes made one at a time", len(ends), damageOps)
	}
	incr, _ = filepath.Rel(dir, files[0])
	return dir, incr, ends
}

// frameEnds returns the offsets at which the frames of an incremental
// file end (see internal/aof: "#C:<len> <crc>\r\n" and len bytes).
func frameEnds(t *testing.T, data []byte) []int64 {
	t.Helper()
	var ends []int64
	for off := 0; off < len(data); {
		rest := data[off:]
		nl := bytes.Index(rest, []byte("\r\n"))
		if !bytes.HasPrefix(rest, []byte("#C:")) || nl < 0 {
			t.Fatalf("no frame header at offset %d: %q", off, rest[:min(len(rest), 40)])
		}
		lenText, _, _ := strings.Cut(string(rest[3:nl]), " ")
		n, err := strconv.Atoi(lenText)
		if err != nil {
			t.Fatalf("frame header at offset %d: %q", off, rest[:nl])
		}
		off += nl + 2 + n
		ends = append(ends, int64(off))
	}
	return ends
}

// copyDir copies the data directory src (files and subdirectories one
// level down) to a new temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestTornTailOfRealFilesIsCut cuts the incremental file a real server
// wrote at random offsets (seeded), as a crash mid-write leaves it, and
// checks that the server starts again, says how many bytes it dropped,
// holds exactly the writes of the whole frames before the cut, and keeps
// what is written after it across another restart.
func TestTornTailOfRealFilesIsCut(t *testing.T) {
	seed := rand.Uint64()
	if s := os.Getenv(seedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", seedEnv, s, err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with %s=%d)", seed, seedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	dir, incr, ends := writtenDir(t)
	size := ends[len(ends)-1]
	cuts := []int64{0, ends[damageOps/2], size - 1}
	for range 5 {
		cuts = append(cuts, 1+rng.Int64N(size-1))
	}
	for _, cut := range cuts {
		t.Run(fmt.Sprintf("cut at %d of %d", cut, size), func(t *testing.T) {
			d := copyDir(t, dir)
			path := filepath.Join(d, incr)
			if err := os.Truncate(path, cut); err != nil {
				t.Fatal(err)
			}
			whole, valid := 0, int64(0) // frames before the cut, and where they end
			for whole < len(ends) && ends[whole] <= cut {
				valid = ends[whole]
				whole++
			}
			srv := startDurableServer(t, d, "always")
			checkTornTailLog(t, srv, path, cut-valid, valid)
			rdb := newClient(srv.addr)
			defer rdb.Close()
			present := damageOpsPresent(t, rdb)
			for i, ok := range present {
				if ok != (i < whole) {
					t.Errorf("write %d present: %v; want the %d writes of the whole frames before the cut", i, ok, whole)
				}
			}
			// The file goes on soundly after the cut.
			if err := rdb.Set(context.Background(), "after", "1", 0).Err(); err != nil {
				t.Fatalf("SET after the restart: %v", err)
			}
			srv.stop(t)
			srv = startDurableServer(t, d, "always")
			rdb2 := newClient(srv.addr)
			defer rdb2.Close()
			if got, err := rdb2.Get(context.Background(), "after").Result(); err != nil || got != "1" {
				t.Errorf("after another restart, GET after = %q, %v", got, err)
			}
			srv.stop(t)
		})
	}
}

// checkTornTailLog checks the server's log line about a torn tail: there
// is one, saying how many bytes were dropped, if and only if dropped > 0.
func checkTornTailLog(t *testing.T, srv *durableServer, path string, dropped, size int64) {
	t.Helper()
	out := srv.out.String()
	var line string
	for l := range strings.Lines(out) {
		if strings.Contains(l, "dropped_bytes=") {
			line = l
		}
	}
	switch {
	case dropped == 0 && line != "":
		t.Errorf("no bytes to drop, yet the server logged:\n%s", line)
	case dropped == 0:
	case line == "":
		t.Errorf("the server dropped %d bytes without saying so; output:\n%s", dropped, out)
	default:
		for _, want := range []string{"file=" + path, fmt.Sprintf("dropped_bytes=%d ", dropped), fmt.Sprintf("size=%d", size)} {
			if !strings.Contains(line, want) {
				t.Errorf("the torn-tail log line does not say %q:\n%s", want, line)
			}
		}
	}
}

// TestZerosAfterRealFilesAreCut appends zeros to the incremental file a
// real server wrote, as a filesystem that extended the file but never
// wrote its blocks leaves it, and checks that the server starts again,
// with every write, and says how many bytes it dropped.
func TestZerosAfterRealFilesAreCut(t *testing.T) {
	dir, incr, ends := writtenDir(t)
	path := filepath.Join(dir, incr)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	const zeros = 4096
	if _, err := f.Write(make([]byte, zeros)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	srv := startDurableServer(t, dir, "always")
	checkTornTailLog(t, srv, path, zeros, ends[len(ends)-1])
	rdb := newClient(srv.addr)
	defer rdb.Close()
	for i, ok := range damageOpsPresent(t, rdb) {
		if !ok {
			t.Errorf("write %d is missing", i)
		}
	}
	if st, err := os.Stat(path); err != nil || st.Size() != ends[len(ends)-1] {
		t.Errorf("after the restart the file is %v bytes (%v), want %d", st.Size(), err, ends[len(ends)-1])
	}
	srv.stop(t)
}

// TestDamagedRealFileIsRefused flips a bit in a frame in the middle of
// the incremental file a real server wrote, and checks that the server
// refuses to start, exiting with code 1 and a message naming the file
// and the offset of the damaged frame, and leaves the file as it was.
func TestDamagedRealFileIsRefused(t *testing.T) {
	dir, incr, ends := writtenDir(t)
	path := filepath.Join(dir, incr)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	frame := ends[damageOps/2-1] // where the middle frame starts
	header := int64(bytes.Index(data[frame:], []byte("\r\n"))) + 2
	at := frame + header + (ends[damageOps/2]-frame-header)/2
	data[at] ^= 0x04
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}

	p := startServerProcess(t, dir, "always")
	if code := exitCode(t, p, serverStartTimeout); code != 1 {
		t.Errorf("the server exited with code %d, want 1; output:\n%s", code, p.out)
	}
	out := p.out.String()
	for _, want := range []string{path, fmt.Sprintf("corrupt at offset %d", frame)} {
		if !strings.Contains(out, want) {
			t.Errorf("the server's output does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "listening on") {
		t.Errorf("the server listened on a damaged file:\n%s", out)
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(after, data) {
		t.Errorf("the server changed the damaged file (%d bytes, was %d): %v", len(after), len(data), err)
	}
}
