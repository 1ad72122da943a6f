package engine

import (
	"strconv"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/internal/vfs"
)

// TestMetricsMatchInfo checks that Metrics reports what INFO does, in
// memory and with an append-only file.
func TestMetricsMatchInfo(t *testing.T) {
	for _, tt := range []struct {
		name string
		open func(t *testing.T) *testEngine
	}{
		{"memory", newTestEngine},
		{"disk", func(t *testing.T) *testEngine { return newDiskEngine(t, vfs.NewMem(), "always", testEpoch) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			te := tt.open(t)
			te.do("SET a 1")
			te.do("XADD s * f v")
			te.do("SELECT 3")
			te.do("SET b 2")
			te.do("CONFIG SET maxmemory 1000000")
			before := te.e.Metrics()
			info := infoFields(te.do("INFO everything"))
			m := te.e.Metrics()

			num := func(field string) int64 {
				t.Helper()
				n, err := strconv.ParseInt(info[field], 10, 64)
				if err != nil {
					t.Fatalf("INFO %s = %q: %v", field, info[field], err)
				}
				return n
			}
			if got := num("total_commands_processed"); got < before.CommandsProcessed || got > m.CommandsProcessed || m.CommandsProcessed != before.CommandsProcessed+1 {
				t.Errorf("commands processed: %d before INFO, %d after, INFO says %d", before.CommandsProcessed, m.CommandsProcessed, got)
			}
			checks := []struct {
				name      string
				got, want int64
			}{
				{"connected_clients", int64(m.ConnectedClients), num("connected_clients")},
				{"blocked_clients", int64(m.BlockedClients), num("blocked_clients")},
				{"total_connections_received", m.ConnectionsReceived, num("total_connections_received")},
				{"rejected_connections", m.RejectedConnections, num("rejected_connections")},
				{"used_memory", m.UsedMemory, num("used_memory")},
				{"maxmemory", int64(m.MaxMemory), num("maxmemory")},
				{"aof_enabled", boolInt(m.AOFEnabled), num("aof_enabled")},
				{"aof_rewrite_in_progress", boolInt(m.AOFRewriteInProgress), num("aof_rewrite_in_progress")},
				{"aof_rewrites", m.AOFRewrites, num("aof_rewrites")},
				{"rdb_bgsave_in_progress", boolInt(m.SaveInProgress), num("rdb_bgsave_in_progress")},
				{"rdb_last_save_time", m.LastSave.Unix(), num("rdb_last_save_time")},
				{"rdb_changes_since_last_save", m.ChangesSinceLastSave, num("rdb_changes_since_last_save")},
				{"loading", boolInt(m.Loading), num("loading")},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: Metrics says %d, INFO %d", c.name, c.got, c.want)
				}
			}
			if m.MaxMemory != 1000000 || m.UsedMemory <= 0 || m.ChangesSinceLastSave < 3 {
				t.Errorf("maxmemory %d, used memory %d, changes %d", m.MaxMemory, m.UsedMemory, m.ChangesSinceLastSave)
			}
			if ok := info["aof_last_write_status"] == "ok"; ok != m.AOFLastWriteOK {
				t.Errorf("AOFLastWriteOK %v, INFO aof_last_write_status %q", m.AOFLastWriteOK, info["aof_last_write_status"])
			}
			if ok := info["rdb_last_bgsave_status"] == "ok"; ok != m.LastSaveOK {
				t.Errorf("LastSaveOK %v, INFO rdb_last_bgsave_status %q", m.LastSaveOK, info["rdb_last_bgsave_status"])
			}
			if want := [NumDatabases]int{0: 2, 3: 1}; m.Keys != want {
				t.Errorf("keys %v, want %v", m.Keys, want)
			}
			if tt.name == "disk" {
				// Written by the server as it replies; nothing here yet.
				if m.AOFSize != num("aof_current_size") {
					t.Errorf("AOFSize %d, INFO aof_current_size %d", m.AOFSize, num("aof_current_size"))
				}
			}
			if m.LastSave.After(time.Now()) {
				t.Errorf("last save %v is in the future", m.LastSave)
			}
		})
	}
}
