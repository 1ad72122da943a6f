package engine

import "time"

// Metrics are the engine's figures for monitoring, read at once: the
// values INFO reports under the field names given in parentheses,
// without formatting INFO's text. Counters count from the engine's start
// and CONFIG RESETSTAT zeroes them, as it does INFO's.
type Metrics struct {
	// CommandsProcessed counts the commands run (total_commands_processed).
	CommandsProcessed int64
	// ConnectionsReceived counts the connections accepted
	// (total_connections_received), and RejectedConnections those refused
	// for maxclients (rejected_connections).
	ConnectionsReceived, RejectedConnections int64
	// ConnectedClients is the number of clients connected
	// (connected_clients), and BlockedClients of those waiting in a
	// blocking command (blocked_clients).
	ConnectedClients, BlockedClients int
	// UsedMemory is the engine's accounting of the bytes its data holds
	// (used_memory), and MaxMemory the limit on it, 0 for none (maxmemory).
	UsedMemory int64
	MaxMemory  uint64
	// Keys is the number of keys of each database (the keyspace section).
	Keys [NumDatabases]int

	// Loading is set while the engine loads its files (loading).
	Loading bool
	// AOFEnabled reports an append-only file (aof_enabled).
	AOFEnabled bool
	// AOFLastWriteOK is false while the append-only file cannot be
	// written or fsynced, which refuses writes (aof_last_write_status);
	// true without an append-only file.
	AOFLastWriteOK bool
	// AOFRewriteInProgress reports a rewrite under way
	// (aof_rewrite_in_progress), and AOFRewrites counts those that
	// succeeded (aof_rewrites).
	AOFRewriteInProgress bool
	AOFRewrites          int64
	// AOFSize is the size of the append-only files in bytes
	// (aof_current_size); 0 without them.
	AOFSize int64
	// Fsyncs counts the append-only file's fsyncs, and DelayedFsyncs the
	// times a write had to wait for an fsync in progress
	// (aof_delayed_fsync).
	Fsyncs, DelayedFsyncs int64
	// SaveInProgress reports a SAVE or BGSAVE under way
	// (rdb_bgsave_in_progress), and LastSaveOK whether the last one
	// succeeded (rdb_last_bgsave_status).
	SaveInProgress, LastSaveOK bool
	// LastSave is the time of the last successful save, or the engine's
	// start if none (rdb_last_save_time, LASTSAVE).
	LastSave time.Time
	// ChangesSinceLastSave counts the writes since the last save
	// (rdb_changes_since_last_save).
	ChangesSinceLastSave int64
}

// Metrics returns the engine's figures. It takes the engine lock briefly
// and does no I/O: it suits a metrics scrape. It does not wait for a
// busy script to end (the figures are then those of the moment).
func (e *Engine) Metrics() Metrics {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := Metrics{
		CommandsProcessed:    e.stats.commandsProcessed,
		ConnectionsReceived:  e.stats.connectionsReceived,
		RejectedConnections:  e.stats.rejectedConnections,
		ConnectedClients:     len(e.clients),
		BlockedClients:       e.numBlocked,
		UsedMemory:           max(e.mem.used, 0),
		MaxMemory:            e.mem.limit,
		Loading:              e.loading,
		AOFLastWriteOK:       true,
		SaveInProgress:       e.saves.running,
		LastSaveOK:           e.saves.lastErr == nil,
		LastSave:             time.Unix(e.lastSaveLocked(), 0),
		ChangesSinceLastSave: e.dirty,
	}
	for i, db := range e.dbs {
		m.Keys[i] = len(db.keys)
	}
	if d := e.disk; d != nil && d.log != nil {
		st := d.log.Stats()
		m.AOFEnabled = true
		m.AOFLastWriteOK = d.log.Err() == nil
		m.AOFRewriteInProgress = d.rw.running
		m.AOFRewrites = d.rw.count
		m.AOFSize = d.aofSize()
		m.Fsyncs, m.DelayedFsyncs = st.Fsyncs, st.DelayedFsyncs
	}
	return m
}
