package clienttest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pythonBin is the interpreter the scenarios run with: Debian's, which has
// the python3-redis package.
const pythonBin = "/usr/bin/python3"

// TestRedisPy runs each redis-py scenario in python/ against Pelican and
// against redis-server 7. A scenario is a script that asserts as it goes
// and exits non-zero on the first failed expectation.
func TestRedisPy(t *testing.T) {
	t.Parallel()
	if err := exec.Command(pythonBin, "-c", "import redis").Run(); err != nil {
		missingTool(t, pythonBin+" with the redis module (redis-py)", "apt-get install -y python3 python3-redis")
	}
	scripts, err := filepath.Glob(filepath.Join("python", "scenario_*.py"))
	ok(t, "listing scenarios", err)
	if len(scripts) == 0 {
		t.Fatal("no scenarios in python/")
	}
	for _, tg := range bothTargets(t) {
		for db, script := range scripts {
			name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(script), "scenario_"), ".py")
			t.Run(tg.name+"/"+name, func(t *testing.T) {
				t.Parallel()
				runScript(t, tg, db, pythonBin, filepath.Base(script), "python")
			})
		}
	}
}

// runScript runs a client script in dir with the server's port and a
// database number in the environment, and fails the test, showing the
// script's output, if it exits non-zero or runs for over a minute.
func runScript(t *testing.T, tg target, db int, bin, script, dir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"CLIENTTEST_PORT="+strconv.Itoa(tg.port),
		"CLIENTTEST_DB="+strconv.Itoa(db),
		"PYTHONDONTWRITEBYTECODE=1",
	)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s against %s failed after %v: %v\n%s", filepath.Base(bin), script, tg.name, time.Since(start).Round(time.Millisecond), err, out)
	}
	t.Logf("%s", strings.TrimSpace(string(out)))
}
