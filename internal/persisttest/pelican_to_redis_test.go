package persisttest

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestPelicanToRedis runs the workload on pelican server, kills it with
// SIGKILL, starts redis-server 7.0 on its directory, and compares what
// both report (the fields 7.0 knows; see fieldsRedis70NoSeen for why the
// consumers' seen-time is checked apart). redis-check-aof must accept
// Pelican's files as they are.
func TestPelicanToRedis(t *testing.T) {
	tests := []struct {
		name     string
		dirName  string // --appenddirname, or "" for the default
		fileName string // --appendfilename, or "" for the default
		fsync    string
	}{
		{name: "defaults", fsync: "everysec"},
		{name: "names", dirName: "aof-here", fileName: "pel.aof", fsync: "always"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var pelOpts, redisOpts []string
			aofDir, prefix := "appendonlydir", "appendonly.aof"
			if tt.dirName != "" {
				aofDir = tt.dirName
				pelOpts = append(pelOpts, "--appenddirname", tt.dirName)
				redisOpts = append(redisOpts, "--appenddirname", tt.dirName)
			}
			if tt.fileName != "" {
				prefix = tt.fileName
				pelOpts = append(pelOpts, "--appendfilename", tt.fileName)
				redisOpts = append(redisOpts, "--appendfilename", tt.fileName)
			}
			pel := startPelican(t, dir, append(pelOpts, "--appendfsync", tt.fsync)...)
			pc := pel.dial(t)
			runWorkload(t, pc)
			before := takeSnapshot(t, pc, fieldsRedis70NoSeen, false)
			seen := consumerTimes(t, pc)
			pel.kill()

			manifest := filepath.Join(dir, aofDir, prefix+".manifest")
			if out, err := exec.Command(redisCheckAOF, manifest).CombinedOutput(); err != nil {
				t.Errorf("redis-check-aof %s: %v\n%s", manifest, err, out)
			}

			red := startRedis(t, dir, append([]string{"--appendonly", "yes"}, redisOpts...)...)
			rc := red.dial(t)
			after := takeSnapshot(t, rc, fieldsRedis70NoSeen, true)
			compareSnapshots(t, "redis-server "+redisVersion+" on pelican's directory", after, before)
			// 7.0 "sees" each consumer when it replays a command naming
			// it: every seen-time is at least the time it started.
			for c, ts := range consumerTimes(t, rc) {
				if _, ok := seen[c]; !ok {
					t.Errorf("consumer %s: redis has it, pelican had not", c)
				}
				if ts.seen < red.start {
					t.Errorf("consumer %s: redis seen-time %d, before redis started (%d): it kept a time, which 7.0 is not known to do",
						c, ts.seen, red.start)
				}
			}
		})
	}
}
