package clienttest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// cliMode is a way of running redis-cli: raw output (its default when
// stdout is not a terminal) or the terminal form (--no-raw), over RESP2 or
// RESP3 (-3).
type cliMode struct {
	name string
	args []string
	tty  bool
}

var cliModes = []cliMode{
	{"raw", nil, false},
	{"tty", []string{"--no-raw"}, true},
	{"resp3-raw", []string{"-3"}, false},
	{"resp3-tty", []string{"-3", "--no-raw"}, true},
}

// TestRedisCLI feeds each script in rediscli/ to redis-cli on stdin, in
// each mode, against Pelican and against redis-server 7, and requires the
// same output once generated IDs, clock readings and the fields Redis
// added after 7.0 are normalised.
func TestRedisCLI(t *testing.T) {
	t.Parallel()
	cli := lookTool(t, "redis-cli", "apt-get install -y redis-tools")
	if !redisAvailable() {
		missingTool(t, "redis-server (redis-cli's output is compared with it)", "apt-get install -y redis-server")
	}
	scripts, err := filepath.Glob(filepath.Join("rediscli", "*.redis"))
	ok(t, "listing scripts", err)
	if len(scripts) == 0 {
		t.Fatal("no scripts in rediscli/")
	}
	pel, red := startPelican(t), startRedis(t)
	for si, path := range scripts {
		groups := readCLIScript(t, path)
		for mi, mode := range cliModes {
			db := si*len(cliModes) + mi
			if db > 15 {
				t.Fatalf("too many scripts and modes for 16 databases")
			}
			t.Run(strings.TrimSuffix(filepath.Base(path), ".redis")+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				got := runCLIScript(t, cli, pel, db, mode, groups)
				want := runCLIScript(t, cli, red, db, mode, groups)
				if d := cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n")); d != "" {
					t.Errorf("redis-cli %s output differs (-redis +pelican):\n%s", strings.Join(mode.args, " "), d)
				}
				if !strings.Contains(got, "ERR") || strings.Count(got, "\n") < len(groups) {
					t.Errorf("output too short to be a run of the script:\n%s", got)
				}
			})
		}
	}
}

// cliGroup is what runs between two markers: one command, or a whole
// MULTI … EXEC block.
type cliGroup struct {
	lines []string
}

// readCLIScript reads a script, skipping blank lines and # comments.
func readCLIScript(t *testing.T, path string) []cliGroup {
	t.Helper()
	data, err := os.ReadFile(path)
	ok(t, "reading "+path, err)
	var groups []cliGroup
	var cur cliGroup
	inMulti := false
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cur.lines = append(cur.lines, line)
		switch strings.ToUpper(strings.Fields(line)[0]) {
		case "MULTI":
			inMulti = true
		case "EXEC", "DISCARD":
			inMulti = false
		}
		if !inMulti {
			groups = append(groups, cur)
			cur = cliGroup{}
		}
	}
	if len(cur.lines) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

// runCLIScript runs the groups through one redis-cli process, with an
// ECHO marker after each, and returns the normalised output.
func runCLIScript(t *testing.T, cli string, tg target, db int, mode cliMode, groups []cliGroup) string {
	t.Helper()
	var in strings.Builder
	for i, g := range groups {
		for _, l := range g.lines {
			in.WriteString(l + "\n")
		}
		fmt.Fprintf(&in, "ECHO \"--- %d\"\n", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(tg.port), "-n", strconv.Itoa(db)}, mode.args...)
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Stdin = strings.NewReader(in.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("redis-cli %v against %s: %v\nstderr: %s\nstdout:\n%s", args, tg.name, err, stderr.String(), out)
	}
	chunks, err := splitCLIOutput(string(out), len(groups), mode.tty)
	if err != nil {
		t.Fatalf("redis-cli output from %s: %v\n%s", tg.name, err, out)
	}
	var norm strings.Builder
	for i, chunk := range chunks {
		text, err := normalizeCLIChunk(groups[i], chunk, mode.tty)
		if err != nil {
			t.Fatalf("%s, reply to %q: %v\n%s", tg.name, groups[i].lines, err, chunk)
		}
		fmt.Fprintf(&norm, "> %s\n%s", strings.Join(groups[i].lines, " ; "), text)
	}
	return normalizeCLIClock(norm.String())
}

// splitCLIOutput cuts the output at the marker lines into one chunk per
// group.
func splitCLIOutput(out string, n int, tty bool) ([]string, error) {
	chunks := make([]string, 0, n)
	var cur strings.Builder
	for _, line := range strings.SplitAfter(out, "\n") {
		marker := "--- " + strconv.Itoa(len(chunks))
		if tty {
			marker = `"` + marker + `"`
		}
		if strings.TrimSuffix(line, "\n") == marker {
			chunks = append(chunks, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	if len(chunks) != n || cur.Len() > 0 {
		return nil, fmt.Errorf("found %d of %d markers, then %q", len(chunks), n, cur.String())
	}
	return chunks, nil
}

// normalizeCLIChunk removes from one command's output what legitimately
// differs between Pelican and Redis 7.0: the fields Redis added after 7.0
// and idle times.
func normalizeCLIChunk(g cliGroup, chunk string, tty bool) (string, error) {
	words := strings.Fields(strings.ToUpper(g.lines[0]))
	xinfo := words[0] == "XINFO"
	pendingExt := words[0] == "XPENDING" && len(words) >= 6
	if !tty {
		return normalizeRawChunk(chunk, xinfo, pendingExt), nil
	}
	replies, err := parseCLIOutput(chunk)
	if err != nil {
		return "", err
	}
	if again := renderCLI(replies); again != chunk {
		return "", fmt.Errorf("the parser misread redis-cli's output; printed again it reads:\n%s", again)
	}
	for _, r := range replies {
		if xinfo {
			dropNewerFields(r)
			maskField(r, "idle", "(integer) <idle>")
		}
		if pendingExt {
			maskPendingIdle(r)
		}
	}
	return renderCLI(replies), nil
}

// normalizeRawChunk is normalizeCLIChunk for raw output, where replies
// are flattened to one element per line and RESP3 map entries print as
// "key value".
func normalizeRawChunk(chunk string, xinfo, pendingExt bool) string {
	lines := strings.Split(strings.TrimSuffix(chunk, "\n"), "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if xinfo {
			key, _, spaced := strings.Cut(l, " ")
			if newerFields[key] {
				if !spaced {
					i++ // the value is on the next line
				}
				continue
			}
			if key == "idle" && spaced {
				l = "idle <idle>"
			} else if key == "idle" && i+1 < len(lines) {
				out = append(out, l)
				i++
				l = "<idle>"
			}
		}
		if pendingExt && i%4 == 2 {
			l = "<idle>"
		}
		out = append(out, l)
	}
	if chunk == "" {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}

var (
	generatedID = regexp.MustCompile(`\b1[0-9]{12}-[0-9]+\b`)
	clockMs     = regexp.MustCompile(`\b1[0-9]{12}\b`)
)

// normalizeCLIClock replaces IDs generated from the clock with <id-N>,
// numbered in order of first appearance, and other Unix-millisecond
// readings (delivery, seen times) with <ms>.
func normalizeCLIClock(s string) string {
	seen := map[string]string{}
	s = generatedID.ReplaceAllStringFunc(s, func(id string) string {
		if _, ok := seen[id]; !ok {
			seen[id] = "<id-" + strconv.Itoa(len(seen)+1) + ">"
		}
		return seen[id]
	})
	return clockMs.ReplaceAllString(s, "<ms>")
}
