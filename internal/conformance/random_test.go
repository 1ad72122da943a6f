package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/internal/pelicantest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// Environment variables of the random differential run.
const (
	// SeedEnv sets the seed; without it a new seed is drawn and printed.
	SeedEnv = "PELICAN_CONFORMANCE_SEED"
	// CommandsEnv sets how many commands the run sends (default 3000).
	CommandsEnv = "PELICAN_CONFORMANCE_COMMANDS"
)

const (
	defaultCommands  = 3000
	commandsPerRound = 500
	keysPerRound     = 3
	historyShown     = 40
)

func envInt(t *testing.T, name string, def uint64) uint64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// TestRandomStreamCommands sends seeded random sequences of stream
// commands to redis-server and Pelican and compares every reply. Rounds
// of commandsPerRound commands each use fresh keys.
func TestRandomStreamCommands(t *testing.T) {
	seed := envInt(t, SeedEnv, uint64(time.Now().UnixNano()))
	total := envInt(t, CommandsEnv, defaultCommands)
	t.Logf("seed %d, %d commands; rerun with %s=%d %s=%d go test -run TestRandomStreamCommands ./internal/conformance",
		seed, total, SeedEnv, seed, CommandsEnv, total)

	redis := redistest.StartRedis(t)
	t.Logf("reference: redis-server %s", redis.Version)
	pelican := pelicantest.StartPelican(t, engineConfig())
	rc := redistest.Dial(t, redis.Addr)
	pc := redistest.Dial(t, pelican.Addr)
	rn, pn := NewNormalizer(), NewNormalizer()

	sent := uint64(0)
	for round := 0; sent < total; round++ {
		prefix := fmt.Sprintf("r%d:", round)
		gen := NewRandomGen(seed+uint64(round), prefix, keysPerRound)
		var history []string
		for i := 0; i < commandsPerRound && sent < total; i++ {
			sent++
			args := gen.Next()
			rr, err := rc.Do(args...)
			if err != nil {
				t.Fatalf("redis: %v", err)
			}
			pr, err := pc.Do(args...)
			if err != nil {
				t.Fatalf("pelican: %v", err)
			}
			gen.Observe(args, rr)
			rs := MaskKnownDifferences(redis.Version, args, rn.Normalize(args, rr))
			ps := MaskKnownDifferences(redis.Version, args, pn.Normalize(args, pr))
			history = append(history, quoteArgs(args)+"\n#  -> "+abbreviate(rs.String(), 300))
			if rs.String() != ps.String() {
				transcript := saveTranscript(t, seed, round, history)
				from := max(0, len(history)-historyShown)
				t.Fatalf("seed %d, round %d, command %d: %s\nPelican differs from Redis (-redis +pelican):\n%s\nredis:   %s\npelican: %s\n"+
					"rerun: %s=%d %s=%d go test -run TestRandomStreamCommands ./internal/conformance\n"+
					"the whole round as a script: %s\nits last %d commands, with Redis's replies:\n%s",
					seed, round, i+1, quoteArgs(args), cmp.Diff(rs.Pretty(), ps.Pretty()), rs, ps,
					SeedEnv, seed, CommandsEnv, total, transcript, len(history)-from, strings.Join(history[from:], "\n"))
			}
		}
	}
}

// saveTranscript writes a failed round's commands, with Redis's replies
// as comments, as a script file in the system's temporary directory, and
// returns its path.
func saveTranscript(t *testing.T, seed uint64, round int, history []string) string {
	t.Helper()
	name := filepath.Join(os.TempDir(), fmt.Sprintf("pelican-conformance-seed%d-round%d.txt", seed, round))
	text := fmt.Sprintf("# Random run, seed %d, round %d.\n%s\n", seed, round, strings.Join(history, "\n"))
	if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
		return "(not saved: " + err.Error() + ")"
	}
	return name
}

// abbreviate shortens s to about n bytes for messages.
func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("...(%d bytes)", len(s))
}

func TestCanonicalScores(t *testing.T) {
	bulk := func(s string) redistest.Reply { return redistest.Reply{Kind: redistest.KindBulk, Str: s} }
	arr := func(e ...redistest.Reply) redistest.Reply {
		return redistest.Reply{Kind: redistest.KindArray, Elems: e}
	}
	null := redistest.Reply{Kind: redistest.KindBulk, Nil: true}
	tests := []struct {
		args []string
		in   redistest.Reply
		want string
	}{
		{[]string{"ZSCORE", "z", "a"}, bulk("0.10000000000000001"), `$"0.1"`},
		{[]string{"ZINCRBY", "z", "1", "a"}, bulk("1e+20"), `$"1e+20"`},
		{[]string{"ZADD", "z", "INCR", "1", "a"}, bulk("0.59999999999999998"), `$"0.6"`},
		{[]string{"ZADD", "z", "1", "a"}, redistest.Reply{Kind: redistest.KindInt, Int: 1}, `:1`},
		{[]string{"ZMSCORE", "z", "a", "b"}, arr(bulk("0.29999999999999999"), null), `*2[$"0.3" $nil]`},
		{[]string{"ZRANGE", "z", "0", "-1", "WITHSCORES"}, arr(bulk("1"), bulk("2.5"), bulk("b"), bulk("-inf")), `*4[$"1" $"2.5" $"b" $"-inf"]`},
		{[]string{"ZRANGE", "z", "0", "-1"}, arr(bulk("0.10000000000000001")), `*1[$"0.10000000000000001"]`},
		{[]string{"ZPOPMIN", "z"}, arr(bulk("a"), bulk("1.0000000000000001e-05")), `*2[$"a" $"1e-05"]`},
		{[]string{"ZPOPMAX", "z"}, arr(bulk("a"), bulk("0.69999999999999996")), `*2[$"a" $"0.7"]`},
	}
	for _, tt := range tests {
		if got := canonicalScores(tt.args, tt.in).String(); got != tt.want {
			t.Errorf("canonicalScores(%q, %s) = %s, want %s", tt.args, tt.in, got, tt.want)
		}
	}
}
