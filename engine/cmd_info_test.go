package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// infoFields parses INFO text into its name:value fields.
func infoFields(text string) map[string]string {
	fields := make(map[string]string)
	for _, line := range strings.Split(text, "\r\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			fields[name] = value
		}
	}
	return fields
}

// infoSections returns the section titles of INFO text, in order.
func infoSections(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\r\n") {
		if title, ok := strings.CutPrefix(line, "# "); ok {
			out = append(out, title)
		}
	}
	return out
}

func TestInfoSections(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	defaults := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
		"Modules", "Errorstats", "Cluster", "Keyspace"}
	all := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
		"Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"INFO"}, defaults},
		{[]string{"INFO", "default"}, defaults},
		{[]string{"INFO", "all"}, all},
		{[]string{"INFO", "everything"}, all},
		{[]string{"INFO", "SERVER"}, []string{"Server"}},
		{[]string{"INFO", "keyspace", "server", "server"}, []string{"Server", "Keyspace"}},
		{[]string{"INFO", "commandstats"}, []string{"Commandstats"}},
		{[]string{"INFO", "default", "commandstats"}, append(defaults[:8:8], "Commandstats", "Errorstats", "Cluster", "Keyspace")},
		{[]string{"INFO", "modules"}, []string{"Modules"}},
		{[]string{"INFO", "nosuch"}, nil},
	}
	for _, tt := range tests {
		text := c.do(t, tt.args...).Str
		if diff := cmp.Diff(tt.want, infoSections(text)); diff != "" {
			t.Errorf("%q sections (-want +got):\n%s", tt.args, diff)
		}
	}

	// Lines end with CRLF and sections are separated by an empty line.
	text := c.do(t, "INFO", "server", "clients").Str
	if !strings.HasPrefix(text, "# Server\r\n") || !strings.Contains(text, "\r\n\r\n# Clients\r\n") || !strings.HasSuffix(text, "\r\n") {
		t.Errorf("INFO text is not in Redis's format:\n%q", text)
	}
	if strings.Contains(strings.ReplaceAll(text, "\r\n", ""), "\n") {
		t.Errorf("INFO text has a bare newline:\n%q", text)
	}
}

func TestInfoReplyType(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	if diff := cmp.Diff(bulk("# Cluster\r\ncluster_enabled:0\r\n"), c.do(t, "INFO", "cluster")); diff != "" {
		t.Errorf("INFO cluster in RESP2 (-want +got):\n%s", diff)
	}
	c.do(t, "HELLO", "3")
	if diff := cmp.Diff(reply{Kind: '=', Str: "txt:# Cluster\r\ncluster_enabled:0\r\n"}, c.do(t, "INFO", "cluster")); diff != "" {
		t.Errorf("INFO cluster in RESP3 (-want +got):\n%s", diff)
	}
}

func TestInfoServer(t *testing.T) {
	e, clk := newIntroEngine(t, Config{Port: 7777, Version: "8.2.1"})
	c := newIntroClient(e, "127.0.0.1:1000")
	clk.now = clk.now.Add(50 * time.Hour)
	f := infoFields(c.do(t, "INFO", "server").Str)
	want := map[string]string{
		"redis_version":     "8.2.1",
		"redis_mode":        "standalone",
		"tcp_port":          "7777",
		"uptime_in_seconds": "180000",
		"uptime_in_days":    "2",
		"hz":                "10",
		"configured_hz":     "10",
		"run_id":            e.runID,
		"executable":        "",
		"config_file":       "",
	}
	for name, value := range want {
		if f[name] != value {
			t.Errorf("%s = %q, want %q", name, f[name], value)
		}
	}
	for _, name := range []string{"os", "arch_bits", "process_id", "pelican_version", "server_time_usec"} {
		if f[name] == "" {
			t.Errorf("INFO server has no %s", name)
		}
	}
}

func TestInfoStatistics(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	other := newIntroClient(e, "127.0.0.1:2000")
	other.do(t, "WATCH", "s")
	c.do(t, "XADD", "s", "*", "f", "v")
	c.do(t, "XLEN", "s")
	c.do(t, "XLEN", "nokey")
	c.do(t, "NOSUCHCOMMAND")
	c.do(t, "XLEN")
	c.do(t, "XADD", "s", "0-1", "f", "v")
	c.do(t, "SELECT", "5")
	c.do(t, "XADD", "t", "*", "f", "v")

	f := infoFields(c.do(t, "INFO", "everything").Str)
	want := map[string]string{
		"connected_clients":          "2",
		"watching_clients":           "1",
		"total_watched_keys":         "1",
		"blocked_clients":            "0",
		"total_connections_received": "2",
		"total_commands_processed":   "7",
		"keyspace_hits":              "1",
		"keyspace_misses":            "1",
		"total_error_replies":        "3",
		"errorstat_ERR":              "count=3",
		"db0":                        "keys=1,expires=0,avg_ttl=0,subexpiry=0",
		"db5":                        "keys=1,expires=0,avg_ttl=0,subexpiry=0",
		"role":                       "master",
		"connected_slaves":           "0",
		"aof_enabled":                "0",
		"loading":                    "0",
	}
	for name, value := range want {
		if f[name] != value {
			t.Errorf("%s = %q, want %q", name, f[name], value)
		}
	}
	for _, name := range []string{"used_memory", "used_memory_human", "used_memory_peak", "used_cpu_sys", "used_cpu_user"} {
		if f[name] == "" {
			t.Errorf("INFO has no %s", name)
		}
	}

	// Command statistics: calls, and rejected or failed calls.
	for name, prefix := range map[string]string{
		"cmdstat_xadd":   "calls=3,usec=",
		"cmdstat_xlen":   "calls=2,usec=",
		"cmdstat_select": "calls=1,usec=",
	} {
		if !strings.HasPrefix(f[name], prefix) {
			t.Errorf("%s = %q, want it to start with %q", name, f[name], prefix)
		}
	}
	for name, suffix := range map[string]string{
		"cmdstat_xadd": ",rejected_calls=0,failed_calls=1",
		"cmdstat_xlen": ",rejected_calls=1,failed_calls=0",
	} {
		if !strings.HasSuffix(f[name], suffix) {
			t.Errorf("%s = %q, want it to end with %q", name, f[name], suffix)
		}
	}
	if _, ok := f["cmdstat_nosuchcommand"]; ok {
		t.Error("an unknown command has a commandstats line")
	}

	// CONFIG RESETSTAT zeroes the counters; it is itself counted.
	c.do(t, "CONFIG", "RESETSTAT")
	text := c.do(t, "INFO", "stats", "commandstats", "errorstats").Str
	f = infoFields(text)
	for name, value := range map[string]string{
		"total_commands_processed":   "1",
		"total_connections_received": "0",
		"keyspace_hits":              "0",
		"total_error_replies":        "0",
	} {
		if f[name] != value {
			t.Errorf("after CONFIG RESETSTAT: %s = %q, want %q", name, f[name], value)
		}
	}
	if !strings.HasPrefix(f["cmdstat_config|resetstat"], "calls=1,") || f["cmdstat_xadd"] != "" || f["errorstat_ERR"] != "" {
		t.Errorf("statistics after CONFIG RESETSTAT:\n%s", text)
	}
}

func TestInfoKeyspaceTTL(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	c.do(t, "XADD", "a", "*", "f", "v")
	c.do(t, "XADD", "b", "*", "f", "v")
	e.Lock()
	e.setExpireLocked(e.dbs[0], []byte("a"), e.nowMs()+10_000)
	e.setExpireLocked(e.dbs[0], []byte("b"), e.nowMs()+20_000)
	e.Unlock()
	f := infoFields(c.do(t, "INFO", "keyspace").Str)
	if diff := cmp.Diff("keys=2,expires=2,avg_ttl=15000,subexpiry=0", f["db0"]); diff != "" {
		t.Errorf("db0 (-want +got):\n%s", diff)
	}
}

func TestBytesToHuman(t *testing.T) {
	tests := []struct {
		n    uint64
		want string
	}{
		{0, "0B"},
		{1023, "1023B"},
		{1024, "1.00K"},
		{1536, "1.50K"},
		{5 << 20, "5.00M"},
		{3 << 30, "3.00G"},
		{1 << 40, "1.00T"},
	}
	for _, tt := range tests {
		if got := bytesToHuman(tt.n); got != tt.want {
			t.Errorf("bytesToHuman(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestFormatCPU(t *testing.T) {
	if got, want := formatCPU(1500*time.Millisecond+7*time.Microsecond), "1.500007"; got != want {
		t.Errorf("formatCPU = %q, want %q", got, want)
	}
}
