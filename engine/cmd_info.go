package engine

import (
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// INFO [section ...]: Redis's sections and field names. Fields describing
// machinery Pelican does not have (persistence, replication, eviction,
// I/O threads) are reported with the values of a Redis server that does
// not use it, so that tools parsing INFO find what they look for.

// defaultInfoSections are the sections of INFO and INFO default.
var defaultInfoSections = []string{
	"server", "clients", "memory", "persistence", "stats", "replication",
	"cpu", "module_list", "errorstats", "cluster", "keyspace",
}

func infoCommand(c *Client, args [][]byte) {
	sections := make(map[string]bool)
	all := false
	if len(args) == 1 {
		for _, s := range defaultInfoSections {
			sections[s] = true
		}
	}
	for _, a := range args[1:] {
		name := strings.ToLower(string(a))
		switch name {
		case "default":
			for _, s := range defaultInfoSections {
				sections[s] = true
			}
		case "all", "everything":
			all = true
		default:
			sections[name] = true
		}
	}
	c.out.Verbatim("txt", c.e.infoLocked(sections, all, c.now))
}

// infoWriter builds INFO's text: "# Section" headers, "name:value" lines,
// CRLF line ends and an empty line between sections.
type infoWriter struct {
	b        []byte
	sections int
}

func (w *infoWriter) section(title string) {
	if w.sections > 0 {
		w.b = append(w.b, "\r\n"...)
	}
	w.sections++
	w.b = append(w.b, "# "...)
	w.b = append(w.b, title...)
	w.b = append(w.b, "\r\n"...)
}

func (w *infoWriter) str(name, value string) {
	w.b = append(w.b, name...)
	w.b = append(w.b, ':')
	w.b = append(w.b, value...)
	w.b = append(w.b, "\r\n"...)
}

func (w *infoWriter) num(name string, n int64) { w.str(name, strconv.FormatInt(n, 10)) }

func (w *infoWriter) float(name string, f float64) {
	w.str(name, strconv.FormatFloat(f, 'f', 2, 64))
}

// zeros writes each name with the value 0.
func (w *infoWriter) zeros(names ...string) {
	for _, n := range names {
		w.str(n, "0")
	}
}

// infoLocked builds the INFO text for the wanted sections (all of them if
// all is set). nowMs is the command's time.
func (e *Engine) infoLocked(want map[string]bool, all bool, nowMs int64) string {
	w := &infoWriter{}
	has := func(s string) bool { return all || want[s] }
	if has("server") {
		e.infoServer(w, nowMs)
	}
	if has("clients") {
		e.infoClients(w)
	}
	if has("memory") {
		e.infoMemory(w)
	}
	if has("persistence") {
		w.section("Persistence")
		e.persistenceInfoLocked(w)
	}
	if has("stats") {
		e.infoStats(w)
	}
	if has("replication") {
		w.section("Replication")
		w.str("role", "master")
		w.num("connected_slaves", 0)
		w.str("master_failover_state", "no-failover")
		w.str("master_replid", e.runID)
		w.str("master_replid2", "0000000000000000000000000000000000000000")
		w.zeros("master_repl_offset")
		w.num("second_repl_offset", -1)
		w.zeros("repl_backlog_active")
		w.num("repl_backlog_size", 1048576)
		w.zeros("repl_backlog_first_byte_offset", "repl_backlog_histlen")
	}
	if has("cpu") {
		w.section("CPU")
		sys, user := cpuTimes()
		w.str("used_cpu_sys", formatCPU(sys))
		w.str("used_cpu_user", formatCPU(user))
		w.str("used_cpu_sys_children", "0.000000")
		w.str("used_cpu_user_children", "0.000000")
	}
	if has("module_list") || has("modules") {
		w.section("Modules")
	}
	if has("commandstats") {
		e.infoCommandStats(w)
	}
	if has("errorstats") {
		w.section("Errorstats")
		codes := make([]string, 0, len(e.stats.errors))
		for code := range e.stats.errors {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		for _, code := range codes {
			w.str("errorstat_"+infoSafe(code), "count="+strconv.FormatInt(e.stats.errors[code], 10))
		}
	}
	if has("latencystats") {
		w.section("Latencystats")
	}
	if has("cluster") {
		w.section("Cluster")
		w.num("cluster_enabled", 0)
	}
	if has("keyspace") {
		e.infoKeyspace(w, nowMs)
	}
	return string(w.b)
}

func (e *Engine) infoServer(w *infoWriter, nowMs int64) {
	uptime := nowMs/1000 - e.started.Unix()
	w.section("Server")
	w.str("redis_version", e.version)
	w.str("redis_git_sha1", "00000000")
	w.num("redis_git_dirty", 0)
	w.str("redis_build_id", "0000000000000000")
	w.str("redis_mode", "standalone")
	w.str("os", osName())
	w.num("arch_bits", strconv.IntSize)
	w.str("monotonic_clock", "POSIX clock_gettime")
	w.str("multiplexing_api", multiplexingAPI())
	w.str("atomicvar_api", "c11-builtin")
	w.str("gcc_version", "0.0.0")
	w.num("process_id", int64(os.Getpid()))
	w.str("process_supervised", "no")
	w.str("run_id", e.runID)
	w.num("tcp_port", int64(e.cfg.Port))
	w.num("server_time_usec", nowMs*1000)
	w.num("uptime_in_seconds", uptime)
	w.num("uptime_in_days", uptime/(3600*24))
	w.num("hz", int64(e.effectiveHz()))
	w.num("configured_hz", e.settings.hz)
	w.num("lru_clock", (nowMs/1000)&(1<<24-1))
	w.str("executable", "")
	w.str("config_file", "")
	w.num("io_threads_active", 0)
	w.str("pelican_version", pelicanVersion())
}

func (e *Engine) infoClients(w *infoWriter) {
	watching, timeouts, pubsub := 0, 0, 0
	for _, cl := range e.clients {
		if len(cl.watched) > 0 {
			watching++
		}
		if cl.subscribed() {
			pubsub++
		}
		if cl.Blocked() && !cl.block.deadline.IsZero() {
			timeouts++
		}
	}
	watchedKeys, blockingKeys, blockingNoKey := 0, 0, 0
	for _, db := range e.dbs {
		watchedKeys += len(db.watchers)
		blockingKeys += len(db.blocking)
		for _, kw := range db.blocking {
			if len(kw.groups) > 0 {
				blockingNoKey++
			}
		}
	}
	w.section("Clients")
	w.num("connected_clients", int64(len(e.clients)))
	w.num("cluster_connections", 0)
	w.num("maxclients", e.settings.maxClients)
	w.num("client_recent_max_input_buffer", 0)
	w.num("client_recent_max_output_buffer", 0)
	w.num("blocked_clients", int64(e.numBlocked))
	w.num("tracking_clients", 0)
	w.num("pubsub_clients", int64(pubsub))
	w.num("watching_clients", int64(watching))
	w.num("clients_in_timeout_table", int64(timeouts))
	w.num("total_watched_keys", int64(watchedKeys))
	w.num("total_blocking_keys", int64(blockingKeys))
	w.num("total_blocking_keys_on_nokey", int64(blockingNoKey))
}

func (e *Engine) infoMemory(w *infoWriter) {
	// used_memory is the engine's accounting of the bytes its data holds
	// (see maxmemory.go), the figure maxmemory is checked against; the
	// Go runtime's figures show what the process takes around it.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	used, peak := uint64(max(e.mem.used, 0)), uint64(max(e.mem.peak, 0))
	peakPerc := 100.0
	if peak > 0 {
		peakPerc = 100 * float64(used) / float64(peak)
	}
	rss := ms.Sys - ms.HeapReleased
	w.section("Memory")
	w.num("used_memory", int64(used))
	w.str("used_memory_human", bytesToHuman(used))
	w.num("used_memory_rss", int64(rss))
	w.str("used_memory_rss_human", bytesToHuman(rss))
	w.num("used_memory_peak", int64(peak))
	w.str("used_memory_peak_human", bytesToHuman(peak))
	w.str("used_memory_peak_perc", strconv.FormatFloat(peakPerc, 'f', 2, 64)+"%")
	w.num("used_memory_overhead", 0)
	w.num("used_memory_startup", 0)
	w.num("used_memory_dataset", int64(used))
	w.str("used_memory_dataset_perc", "100.00%")
	w.num("allocator_allocated", int64(ms.HeapAlloc))
	w.num("allocator_active", int64(ms.HeapInuse))
	w.num("allocator_resident", int64(ms.HeapSys-ms.HeapReleased))
	w.num("allocator_muzzy", 0)
	w.num("total_system_memory", 0)
	w.str("total_system_memory_human", "0B")
	w.zeros("used_memory_lua", "used_memory_vm_eval")
	w.str("used_memory_lua_human", "0B")
	w.zeros("used_memory_scripts_eval")
	cached := 0
	if e.scripting != nil {
		cached = len(e.scripting.scripts)
	}
	w.num("number_of_cached_scripts", int64(cached))
	w.zeros("number_of_functions", "number_of_libraries", "used_memory_vm_functions", "used_memory_vm_total")
	w.str("used_memory_vm_total_human", "0B")
	w.zeros("used_memory_functions", "used_memory_scripts")
	w.str("used_memory_scripts_human", "0B")
	w.num("maxmemory", int64(min(e.mem.limit, 1<<63-1)))
	w.str("maxmemory_human", bytesToHuman(e.mem.limit))
	w.str("maxmemory_policy", "noeviction")
	frag := 1.0
	if used > 0 {
		frag = float64(rss) / float64(used)
	}
	w.float("allocator_frag_ratio", 1)
	w.num("allocator_frag_bytes", 0)
	w.float("allocator_rss_ratio", 1)
	w.num("allocator_rss_bytes", 0)
	w.float("rss_overhead_ratio", 1)
	w.num("rss_overhead_bytes", 0)
	w.float("mem_fragmentation_ratio", frag)
	w.num("mem_fragmentation_bytes", int64(rss)-int64(used))
	w.zeros("mem_not_counted_for_evict", "mem_replication_backlog",
		"mem_total_replication_buffers", "mem_clients_slaves", "mem_clients_normal",
		"mem_cluster_links", "mem_aof_buffer")
	w.str("mem_allocator", "go")
	w.zeros("mem_overhead_db_hashtable_rehashing", "active_defrag_running",
		"lazyfree_pending_objects", "lazyfreed_objects")
}

func (e *Engine) infoStats(w *infoWriter) {
	s := &e.stats
	w.section("Stats")
	w.num("total_connections_received", s.connectionsReceived)
	w.num("total_commands_processed", s.commandsProcessed)
	w.num("instantaneous_ops_per_sec", 0)
	w.zeros("total_net_input_bytes", "total_net_output_bytes", "total_net_repl_input_bytes",
		"total_net_repl_output_bytes")
	for _, n := range []string{"instantaneous_input_kbps", "instantaneous_output_kbps",
		"instantaneous_input_repl_kbps", "instantaneous_output_repl_kbps"} {
		w.float(n, 0)
	}
	w.num("rejected_connections", s.rejectedConnections)
	w.zeros("sync_full", "sync_partial_ok", "sync_partial_err", "expired_subkeys")
	w.num("expired_keys", s.expiredKeys)
	w.float("expired_stale_perc", 0)
	w.zeros("expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds", "evicted_keys",
		"evicted_clients", "evicted_scripts", "total_eviction_exceeded_time",
		"current_eviction_exceeded_time")
	w.num("keyspace_hits", s.keyspaceHits)
	w.num("keyspace_misses", s.keyspaceMisses)
	w.num("pubsub_channels", int64(len(e.pubsub)))
	w.zeros("pubsub_patterns", "pubsubshard_channels", "latest_fork_usec",
		"total_forks", "migrate_cached_sockets", "slave_expires_tracked_keys",
		"active_defrag_hits", "active_defrag_misses", "active_defrag_key_hits",
		"active_defrag_key_misses", "total_active_defrag_time", "current_active_defrag_time",
		"tracking_total_keys", "tracking_total_items", "tracking_total_prefixes",
		"unexpected_error_replies")
	w.num("total_error_replies", s.totalErrorReplies)
	w.num("dump_payload_sanitizations", 0)
	w.num("total_reads_processed", s.commandsProcessed)
	w.num("total_writes_processed", s.commandsProcessed)
	w.zeros("io_threaded_reads_processed", "io_threaded_writes_processed")
	w.num("client_query_buffer_limit_disconnections", s.queryLimitDisconnects)
	w.num("client_output_buffer_limit_disconnections", s.outputLimitDisconnects)
	w.zeros("reply_buffer_shrinks", "reply_buffer_expands", "eventloop_cycles",
		"eventloop_duration_sum", "eventloop_duration_cmd_sum",
		"instantaneous_eventloop_cycles_per_sec", "instantaneous_eventloop_duration_usec")
	w.num("acl_access_denied_auth", s.errors["WRONGPASS"])
	w.zeros("acl_access_denied_cmd", "acl_access_denied_key", "acl_access_denied_channel")
}

// infoCommandStats writes a line for every command and subcommand that was
// called, rejected or failed, in name order.
func (e *Engine) infoCommandStats(w *infoWriter) {
	w.section("Commandstats")
	line := func(cmd *Command) {
		st := e.stats.cmds[cmd]
		if st == nil || (st.calls == 0 && st.failed == 0 && st.rejected == 0) {
			return
		}
		perCall := 0.0
		if st.calls > 0 {
			perCall = float64(st.usec) / float64(st.calls)
		}
		var b []byte
		b = append(b, "calls="...)
		b = strconv.AppendInt(b, st.calls, 10)
		b = append(b, ",usec="...)
		b = strconv.AppendInt(b, st.usec, 10)
		b = append(b, ",usec_per_call="...)
		b = strconv.AppendFloat(b, perCall, 'f', 2, 32)
		b = append(b, ",rejected_calls="...)
		b = strconv.AppendInt(b, st.rejected, 10)
		b = append(b, ",failed_calls="...)
		b = strconv.AppendInt(b, st.failed, 10)
		w.str("cmdstat_"+infoSafe(cmd.fullName), string(b))
	}
	for _, cmd := range topLevelCommands() {
		line(cmd)
		for _, sub := range cmd.Subcommands {
			line(sub)
		}
	}
}

// infoKeyspace writes a line for each non-empty database. avg_ttl is the
// mean remaining time to live, in ms, of a sample of the keys that expire.
func (e *Engine) infoKeyspace(w *infoWriter, nowMs int64) {
	w.section("Keyspace")
	for _, db := range e.dbs {
		if len(db.keys) == 0 && len(db.expires) == 0 {
			continue
		}
		const sample = 1000
		var sum, n int64
		for _, at := range db.expires {
			if n == sample {
				break
			}
			if ttl := at - nowMs; ttl > 0 {
				sum += ttl
			}
			n++
		}
		avg := int64(0)
		if n > 0 {
			avg = sum / n
		}
		w.str("db"+strconv.Itoa(db.id), "keys="+strconv.Itoa(len(db.keys))+
			",expires="+strconv.Itoa(len(db.expires))+
			",avg_ttl="+strconv.FormatInt(avg, 10)+",subexpiry=0")
	}
}

// infoSafe replaces the characters that would break INFO's format.
func infoSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '#', ':', '\n', '\r':
			return '_'
		}
		return r
	}, s)
}

// bytesToHuman formats a byte count as Redis's INFO does: "1.50M".
func bytesToHuman(n uint64) string {
	units := []string{"K", "M", "G", "T", "P"}
	if n < 1024 {
		return strconv.FormatUint(n, 10) + "B"
	}
	d := float64(n) / 1024
	for _, u := range units {
		if d < 1024 || u == "P" {
			return strconv.FormatFloat(d, 'f', 2, 64) + u
		}
		d /= 1024
	}
	return strconv.FormatUint(n, 10) + "B"
}

// formatCPU formats a CPU time as seconds with six decimals.
func formatCPU(d time.Duration) string {
	us := d.Microseconds()
	s := strconv.FormatInt(us%1_000_000, 10)
	return strconv.FormatInt(us/1_000_000, 10) + "." + strings.Repeat("0", 6-len(s)) + s
}

// osName is INFO's os field: the system and the machine.
func osName() string {
	sys := runtime.GOOS
	switch sys {
	case "linux":
		sys = "Linux"
	case "darwin":
		sys = "Darwin"
	case "freebsd":
		sys = "FreeBSD"
	case "windows":
		sys = "Windows"
	}
	machine := runtime.GOARCH
	switch machine {
	case "amd64":
		machine = "x86_64"
	case "386":
		machine = "i686"
	case "arm64":
		if runtime.GOOS == "linux" {
			machine = "aarch64"
		}
	}
	return sys + " " + machine
}

func multiplexingAPI() string {
	switch runtime.GOOS {
	case "linux":
		return "epoll"
	case "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
		return "kqueue"
	}
	return "select"
}

var (
	versionOnce sync.Once
	versionStr  string
)

// pelicanVersion is the version of the Pelican module in the running
// binary, from its build information: "(devel)" for a build from a
// source tree.
func pelicanVersion() string {
	versionOnce.Do(func() {
		versionStr = "(devel)"
		bi, ok := debug.ReadBuildInfo()
		if !ok {
			return
		}
		const mod = "github.com/pelicanhq/pelican"
		if bi.Main.Path == mod && bi.Main.Version != "" {
			versionStr = bi.Main.Version
			return
		}
		for _, d := range bi.Deps {
			if d.Path == mod {
				versionStr = d.Version
				return
			}
		}
	})
	return versionStr
}
