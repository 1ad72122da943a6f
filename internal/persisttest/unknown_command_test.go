package persisttest

import (
	"testing"
)

// TestRedisFileWithCommandsPelicanLacks loads a Redis directory whose
// journal holds write commands Pelican does not implement. Redis itself
// refuses to start on a command it does not know ("Unknown command ...
// reading the append only file"): Pelican must either load the data as
// Redis does or refuse to start, and never serve something else.
func TestRedisFileWithCommandsPelicanLacks(t *testing.T) {
	dir := t.TempDir()
	opts := []string{"--appendonly", "yes", "--aof-use-rdb-preamble", "no"}
	red := startRedis(t, dir, opts...)
	rc := red.dial(t)
	for _, cmd := range [][]string{
		{"RPUSH", "l", "a", "b", "c", "d", "e"},
		{"LSET", "l", "0", "A"},
		{"LINSERT", "l", "BEFORE", "c", "bc"},
		{"LREM", "l", "1", "d"},
		{"LTRIM", "l", "0", "3"},
		{"RPUSH", "l2", "x", "y"},
		{"LMOVE", "l2", "l", "LEFT", "RIGHT"},
		{"SADD", "set", "a", "b"},
		{"SMOVE", "set", "set2", "a"},
	} {
		mustDo(t, rc, cmd...)
	}
	want := takeSnapshot(t, rc, fieldsRedis70, true)
	red.stop(t)

	pel, err := startPelicanErr(t, dir)
	if err != nil {
		t.Logf("pelican refuses the directory: %v", err)
		return
	}
	got := takeSnapshot(t, pel.dial(t), fieldsRedis70, false)
	compareSnapshots(t, "pelican started on a journal with commands it lacks", got, want)
}
