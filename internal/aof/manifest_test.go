package aof_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pelicanhq/pelican/internal/aof"
	"github.com/pelicanhq/pelican/internal/vfs"
)

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // Marshal of the result
		wantErr string
	}{
		{name: "redis default", in: "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
			want: "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"},
		{name: "history after base", in: "file a.2.base.rdb seq 2 type b\nfile a.1.incr.aof seq 1 type h\nfile a.2.incr.aof seq 2 type i\n",
			want: "file a.2.base.rdb seq 2 type b\nfile a.1.incr.aof seq 1 type h\nfile a.2.incr.aof seq 2 type i\n"},
		{name: "order, case, unknown keys, comments, CRLF", in: "# made by hand\nTYPE i SEQ 3 extra x File inc.aof\r\n\ttype base seq 1 file b.rdb  \n",
			want: "file b.rdb seq 1 type b\nfile inc.aof seq 3 type i\n"},
		{name: "quoted name", in: "file \"my file\\x41\\n\" seq 1 type i\nfile 'it''s' seq 2 type i\n",
			wantErr: "invalid manifest format"},
		{name: "quoted names", in: "file \"my file\\x41\\n\" seq 1 type i\nfile 'it\\'s' seq 2 type i\n",
			want: "file \"my fileA\\n\" seq 1 type i\nfile it's seq 2 type i\n"}, // Redis quotes no single quote
		{name: "empty", in: "", wantErr: "empty"},
		{name: "only comments", in: "# nothing\n", want: ""},
		{name: "no final newline", in: "file a seq 1 type i", wantErr: "too long"},
		{name: "long line", in: "file " + strings.Repeat("a", 1100) + " seq 1 type i\n", wantErr: "too long"},
		{name: "long comment continues as a line", in: "#" + strings.Repeat("a", 1100) + "\n", wantErr: "invalid manifest format"},
		{name: "blank line", in: "\n", wantErr: "invalid manifest format"},
		{name: "too few words", in: "file a seq 1\n", wantErr: "invalid manifest format"},
		{name: "odd words", in: "file a seq 1 type i x\n", wantErr: "invalid manifest format"},
		{name: "path", in: "file ../a seq 1 type i\n", wantErr: "path"},
		{name: "seq zero", in: "file a seq x type i\n", wantErr: "invalid manifest format"},
		{name: "two bases", in: "file a seq 1 type b\nfile b seq 2 type b\n", wantErr: "more than one base"},
		{name: "incr not increasing", in: "file a seq 2 type i\nfile b seq 2 type i\n", wantErr: "does not increase"},
		{name: "unknown type", in: "file a seq 1 type z\n", wantErr: "unknown file type"},
		{name: "unbalanced quote", in: "file \"a seq 1 type i\n", wantErr: "quotes"},
		{name: "quote then text", in: "file \"a\"b seq 1 type i\n", wantErr: "quotes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := aof.ParseManifest([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(m.Marshal()), tt.want); diff != "" {
				t.Errorf("Marshal (-got +want):\n%s", diff)
			}
		})
	}
}

func TestManifestNames(t *testing.T) {
	m, err := aof.ParseManifest([]byte("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"))
	if err != nil {
		t.Fatal(err)
	}
	m.NextIncr(aof.DefaultFileName)
	m.NewBase(aof.DefaultFileName, aof.BaseAOF)
	m.RetireIncr(1)
	// Redis puts the retired files before the old base in the history.
	want := "file appendonly.aof.2.base.aof seq 2 type b\n" +
		"file appendonly.aof.1.incr.aof seq 1 type h\n" +
		"file appendonly.aof.1.base.rdb seq 1 type h\n" +
		"file appendonly.aof.2.incr.aof seq 2 type i\n"
	if diff := cmp.Diff(string(m.Marshal()), want); diff != "" {
		t.Errorf("Marshal (-got +want):\n%s", diff)
	}
}

func TestWriteManifestAtomic(t *testing.T) {
	mem := vfs.NewMem()
	if err := mem.MkdirAll("/d"); err != nil {
		t.Fatal(err)
	}
	name := aof.ManifestName(aof.DefaultFileName)
	old := &aof.Manifest{Incr: []aof.FileInfo{{Name: "a.1.incr.aof", Seq: 1, Type: aof.TypeIncr}}}
	if err := aof.WriteManifest(mem, "/d", name, old); err != nil {
		t.Fatal(err)
	}
	next := old.Clone()
	next.NextIncr("a")
	// Crash at every step of the second write: the manifest is the old
	// one or the new one, never missing or partial.
	for k := 0; ; k++ {
		m := vfs.NewMem()
		if err := m.MkdirAll("/d"); err != nil {
			t.Fatal(err)
		}
		if err := aof.WriteManifest(m, "/d", name, old); err != nil {
			t.Fatal(err)
		}
		m.SetCrashAfter(k)
		err := aof.WriteManifest(m, "/d", name, next)
		for seed := uint64(0); seed < 8; seed++ {
			got, rerr := aof.ReadManifest(m.Crash(rand.New(rand.NewPCG(seed, uint64(k)))), "/d", name)
			if rerr != nil {
				t.Fatalf("crash after %d ops, seed %d: %v", k, seed, rerr)
			}
			g := string(got.Marshal())
			if g != string(old.Marshal()) && g != string(next.Marshal()) {
				t.Fatalf("crash after %d ops, seed %d: manifest %q", k, seed, g)
			}
			if err == nil && g != string(next.Marshal()) {
				t.Fatalf("WriteManifest returned nil but a crash lost it: %q", g)
			}
		}
		if err == nil {
			break
		}
	}
	f := vfs.NewFaulty(mem)
	f.Inject(vfs.OpSync, syscall.EIO, 1)
	if err := aof.WriteManifest(f, "/d", name, next); !errors.Is(err, syscall.EIO) {
		t.Errorf("WriteManifest with failing fsync: got %v, want EIO", err)
	}
}
