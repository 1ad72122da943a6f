package conformance

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// scriptFiles returns the scripts in testdata.
func scriptFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scripts in testdata")
	}
	return files
}

func loadScript(t *testing.T, file string) *Script {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseScript(file, string(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var logVersion sync.Once

// engineConfig is the configuration of the Pelican under test.
func engineConfig() engine.Config { return engine.Config{} }

// CandidateEnv names the environment variable that, set to the path of
// a redis-server binary, runs that server in Pelican's place: a way to
// check the scripts' expected Pelican replies against a newer Redis.
const CandidateEnv = "PELICAN_CONFORMANCE_CANDIDATE"

// startTargets starts a private redis-server and an in-process Pelican
// (or the candidate redis-server that CandidateEnv names).
func startTargets(t *testing.T, s *Script) (redis, pelican Target) {
	t.Helper()
	bin, err := redistest.RedisServerPath()
	if err != nil {
		t.Fatalf("%v", err)
	}
	var options []string
	if s.RequirePass != "" {
		options = append(options, "--requirepass", s.RequirePass)
	}
	r := redistest.StartRedisBinary(t, bin, options...)
	redis = Target{Name: "redis", Addr: r.Addr, BlockedClients: r.BlockedClients, Version: r.Version}
	if cand := os.Getenv(CandidateEnv); cand != "" {
		c := redistest.StartRedisBinary(t, cand, options...)
		logVersion.Do(func() { t.Logf("reference: redis-server %s; in Pelican's place: %s %s", r.Version, cand, c.Version) })
		return redis, Target{Name: "pelican", Addr: c.Addr, BlockedClients: c.BlockedClients, Version: c.Version}
	}
	logVersion.Do(func() { t.Logf("reference: redis-server %s (%s)", r.Version, r.Addr) })
	cfg := engineConfig()
	cfg.RequirePass = s.RequirePass
	p := pelicantest.StartPelican(t, cfg)
	return redis, Target{Name: "pelican", Addr: p.Addr, BlockedClients: p.BlockedClients}
}

// missingCommand reports whether Pelican lacks a command (or subcommand),
// probing it with no further arguments.
func missingCommand(t *testing.T, addr string, words []string) bool {
	t.Helper()
	c := redistest.Dial(t, addr)
	rep := c.MustDo(t, words...)
	return rep.IsError() && (strings.HasPrefix(rep.Str, "ERR unknown command") || strings.HasPrefix(rep.Str, "ERR unknown subcommand"))
}

// TestScripts runs every script against redis-server and Pelican.
func TestScripts(t *testing.T) {
	for _, file := range scriptFiles(t) {
		s := loadScript(t, file)
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			redis, pelican := startTargets(t, s)
			for _, req := range s.Requires {
				if missingCommand(t, pelican.Addr, req) {
					t.Skipf("Pelican does not implement %s yet; %s runs once it does", strings.Join(req, " "), file)
				}
			}
			fills := Run(t, file, s, redis, pelican)
			if len(fills) > 0 {
				fillScript(t, file, fills)
			}
		})
	}
}

// fillScript replaces the "?" expectations of file with the replies got.
func fillScript(t *testing.T, file string, fills map[int]string) {
	t.Helper()
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(text), "\n")
	for n, repl := range fills {
		lines[n-1] = repl
	}
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Errorf("%s: filled in %d expected replies: review them, then run again", file, len(fills))
}
