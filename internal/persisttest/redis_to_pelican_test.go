package persisttest

import (
	"testing"
	"time"

	"github.com/pelicanhq/pelican/internal/redistest"
)

// TestRedisToPelican runs the workload on redis-server 7.0, stops it with
// SIGTERM, and starts pelican server on its directory. The reference is
// redis-server itself restarted on the directory: Pelican must load
// Redis's files as Redis does. (Redis live and Redis reloaded differ
// where 7.0 does not journal what it did, such as the delivery counts of
// history reads; see TestStreamPersistenceRegressions. Those differences
// are logged.) The consumers' seen-time is not compared: a server loading
// these files has nothing to take it from but its own clock.
func TestRedisToPelican(t *testing.T) {
	tests := []struct {
		name    string
		options []string
		rewrite bool // BGREWRITEAOF after the workload
		// versionDiffs are snapshot entries where Pelican, which follows
		// Redis 8, and 7.0 read the same file differently, each with
		// the reason: they are logged, not compared.
		versionDiffs map[string]string
	}{
		{name: "resp base", options: []string{"--aof-use-rdb-preamble", "no"}},
		{name: "resp base rewritten", options: []string{"--aof-use-rdb-preamble", "no"}, rewrite: true,
			versionDiffs: map[string]string{
				// 7.0's rewrite writes a consumer whose pending entries
				// are all deleted as XCLAIM ... FORCE of those IDs (and
				// loses them: see the regression tests). Replaying it,
				// 7.0 creates the consumer only when an ID is claimed, so
				// consumer "c" vanishes; since 7.2 XCLAIM creates the
				// consumer first, as Pelican does, so "c" stays, without
				// pending entries.
				`db0 "s3" xinfo full`: "XCLAIM of only deleted IDs creates the consumer since Redis 7.2",
			}},
		{name: "rdb base", rewrite: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := append([]string{"--appendonly", "yes"}, tt.options...)
			red := startRedis(t, dir, opts...)
			rc := red.dial(t)
			runWorkload(t, rc)
			if tt.rewrite {
				mustDo(t, rc, "BGREWRITEAOF")
				waitRewrite(t, rc)
				// Written after the rewrite: in the new incremental file.
				mustDo(t, rc, "SET", "after:rewrite", "1")
			}
			live := takeSnapshot(t, rc, fieldsRedis70NoSeen, true)
			red.stop(t)

			again := startRedis(t, dir, opts...)
			want := takeSnapshot(t, again.dial(t), fieldsRedis70NoSeen, true)
			again.stop(t)
			if diff := snapshotDiff(want, live); diff != "" {
				t.Logf("redis-server %s reloaded differs from what it had before (-reloaded +live):\n%s", redisVersion, diff)
			}

			pel, err := startPelicanErr(t, dir)
			if err != nil {
				t.Fatal(err)
			}
			got := takeSnapshot(t, pel.dial(t), fieldsRedis70NoSeen, false)
			for k, why := range tt.versionDiffs {
				if got[k] == want[k] {
					t.Errorf("%s: pelican and redis %s agree, though they should not (%s): drop it from versionDiffs", k, redisVersion, why)
				}
				t.Logf("%s not compared (%s):\nredis %s:\n%s\npelican:\n%s", k, why, redisVersion, want[k], got[k])
				delete(got, k)
				delete(want, k)
			}
			compareSnapshots(t, "pelican on redis-server's directory", got, want)
		})
	}
}

// waitRewrite polls INFO persistence until no rewrite is scheduled or
// running, and checks the last one succeeded.
func waitRewrite(t *testing.T, c *redistest.Conn) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		info := mustDo(t, c, "INFO", "persistence").Str
		running, _ := redistest.InfoField(info, "aof_rewrite_in_progress")
		scheduled, _ := redistest.InfoField(info, "aof_rewrite_scheduled")
		if running == "0" && scheduled == "0" {
			if status, _ := redistest.InfoField(info, "aof_last_bgrewrite_status"); status != "ok" {
				t.Fatalf("aof_last_bgrewrite_status:%s", status)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rewrite did not finish within 20s:\n%s", info)
		}
		time.Sleep(pollInterval)
	}
}
