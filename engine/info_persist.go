package engine

import "time"

// persistenceInfoLocked writes INFO's persistence section with Redis's
// field names: the state of the append-only files and of snapshots. An
// engine without a data directory reports what a Redis that persists
// nothing reports.
func (e *Engine) persistenceInfoLocked(w *infoWriter) {
	d := e.disk
	loading := 0
	if e.loading {
		loading = 1
	}
	w.num("loading", int64(loading))
	w.zeros("async_loading", "current_cow_peak", "current_cow_size", "current_cow_size_age")
	w.float("current_fork_perc", 0)
	w.zeros("current_save_keys_processed", "current_save_keys_total")
	sv := &e.saves
	w.num("rdb_changes_since_last_save", e.dirty)
	w.num("rdb_bgsave_in_progress", boolInt(sv.running))
	w.num("rdb_last_save_time", e.lastSaveLocked())
	w.str("rdb_last_bgsave_status", okErr(sv.lastErr == nil))
	if sv.count == 0 && sv.lastErr == nil {
		w.num("rdb_last_bgsave_time_sec", -1)
	} else {
		w.num("rdb_last_bgsave_time_sec", int64(sv.duration.Seconds()))
	}
	if sv.running {
		w.num("rdb_current_bgsave_time_sec", int64(time.Since(sv.started).Seconds()))
	} else {
		w.num("rdb_current_bgsave_time_sec", -1)
	}
	w.num("rdb_saves", sv.count)
	w.zeros("rdb_last_cow_size")
	w.num("rdb_last_load_keys_expired", 0)
	w.num("rdb_last_load_keys_loaded", e.loadedKeys())
	aofOn := d != nil && d.log != nil
	w.num("aof_enabled", boolInt(aofOn))
	var rw rewriteState
	if aofOn {
		rw.running, rw.scheduled, rw.started = d.rw.running, d.rw.scheduled, d.rw.started
		rw.lastOK, rw.lastDuration, rw.count, rw.failures = d.rw.lastOK, d.rw.lastDuration, d.rw.count, d.rw.failures
	} else {
		rw.lastOK = true
		rw.lastDuration = -time.Second
	}
	w.num("aof_rewrite_in_progress", boolInt(rw.running))
	w.num("aof_rewrite_scheduled", boolInt(rw.scheduled))
	if aofOn && (rw.count > 0 || rw.failures > 0) {
		w.num("aof_last_rewrite_time_sec", int64(rw.lastDuration.Seconds()))
	} else {
		w.num("aof_last_rewrite_time_sec", -1)
	}
	if rw.running {
		w.num("aof_current_rewrite_time_sec", int64(time.Since(rw.started).Seconds()))
	} else {
		w.num("aof_current_rewrite_time_sec", -1)
	}
	w.str("aof_last_bgrewrite_status", okErr(rw.lastOK))
	w.num("aof_rewrites", rw.count)
	w.num("aof_rewrites_consecutive_failures", rw.failures)
	writeOK := !aofOn || d.log.Err() == nil
	w.str("aof_last_write_status", okErr(writeOK))
	w.zeros("aof_last_cow_size", "module_fork_in_progress", "module_fork_last_cow_size")
	if aofOn {
		st := d.log.Stats()
		w.num("aof_current_size", d.aofSize())
		w.num("aof_base_size", d.rw.baseSize)
		w.num("aof_pending_rewrite", boolInt(rw.scheduled))
		w.num("aof_buffer_length", st.Buffered)
		w.num("aof_pending_bio_fsync", 0)
		w.num("aof_delayed_fsync", st.DelayedFsyncs)
	}
}

// loadedKeys is the number of keys the engine loaded at open.
func (e *Engine) loadedKeys() int64 {
	if e.disk == nil {
		return 0
	}
	return e.disk.loaded.keys
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func okErr(ok bool) string {
	if ok {
		return "ok"
	}
	return "err"
}
