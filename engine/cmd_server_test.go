package engine

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pairs builds a RESP2 map reply.
func pairs(kv ...string) reply {
	r := reply{Kind: '*', Elems: []reply{}}
	for _, s := range kv {
		r.Elems = append(r.Elems, bulk(s))
	}
	return r
}

func TestTime(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	want := reply{Kind: '*', Elems: []reply{bulk("1700000000"), bulk("123456")}}
	if diff := cmp.Diff(want, c.do(t, "TIME")); diff != "" {
		t.Errorf("TIME (-want +got):\n%s", diff)
	}
}

func TestFlushScriptsAndFunctions(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	tests := []struct {
		args []string
		want reply
	}{
		{[]string{"FUNCTION", "FLUSH"}, status("OK")},
		{[]string{"FUNCTION", "FLUSH", "async"}, status("OK")},
		{[]string{"FUNCTION", "FLUSH", "SYNC"}, status("OK")},
		{[]string{"FUNCTION", "FLUSH", "later"}, errReply("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")},
		{[]string{"FUNCTION", "FLUSH", "sync", "x"}, errReply("ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.")},
		{[]string{"FUNCTION", "LOAD", "x"}, errReply("ERR unknown subcommand 'LOAD'. Try FUNCTION HELP.")},
		{[]string{"SCRIPT", "FLUSH"}, status("OK")},
		{[]string{"SCRIPT", "FLUSH", "ASYNC"}, status("OK")},
		{[]string{"SCRIPT", "FLUSH", "later"}, errReply("ERR SCRIPT FLUSH only support SYNC|ASYNC option")},
		{[]string{"SCRIPT", "FLUSH", "sync", "x"}, errReply("ERR SCRIPT FLUSH only support SYNC|ASYNC option")},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, c.do(t, tt.args...)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, diff)
		}
	}
}

func TestConfigGet(t *testing.T) {
	e, _ := newIntroEngine(t, Config{Port: 6380})
	c := newIntroClient(e, "127.0.0.1:1000")
	tests := []struct {
		args []string
		want reply
	}{
		{[]string{"CONFIG", "GET", "maxmemory"}, pairs("maxmemory", "0")},
		{[]string{"CONFIG", "GET", "MaxMemory"}, pairs("MaxMemory", "0")},
		{[]string{"CONFIG", "GET", "MAXMEMORY", "maxmemory", "maxmemory*"}, pairs("MAXMEMORY", "0", "maxmemory-policy", "noeviction")},
		{[]string{"CONFIG", "GET", "stream-node-*"}, pairs("stream-node-max-bytes", "4096", "stream-node-max-entries", "100")},
		{[]string{"CONFIG", "GET", "STREAM-NODE-MAX-?YTES"}, pairs("stream-node-max-bytes", "4096")},
		{[]string{"CONFIG", "GET", "port", "databases", "appendonly", "save", "timeout"},
			pairs("port", "6380", "databases", "16", "appendonly", "no", "save", "", "timeout", "0")},
		{[]string{"CONFIG", "GET", "proto-max-bulk-len", "hz", "maxclients", "requirepass"},
			pairs("proto-max-bulk-len", "536870912", "hz", "10", "maxclients", "10000", "requirepass", "")},
		{[]string{"CONFIG", "GET", "nosuch", "no*such"}, pairs()},
		{[]string{"CONFIG", "GET"}, errReply("ERR wrong number of arguments for 'config|get' command")},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, c.do(t, tt.args...)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, diff)
		}
	}
	all := c.do(t, "CONFIG", "GET", "*")
	if len(all.Elems) != 2*len(configParams) {
		t.Errorf("CONFIG GET * returned %d settings, want %d", len(all.Elems)/2, len(configParams))
	}
	c.do(t, "HELLO", "3")
	if got := c.do(t, "CONFIG", "GET", "hz"); got.Kind != '%' {
		t.Errorf("CONFIG GET in RESP3 = %v, want a map", got)
	}
}

func TestConfigSet(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	failed := func(name, detail string) reply {
		return errReply("ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + detail)
	}
	tests := []struct {
		args []string
		want reply
	}{
		{[]string{"CONFIG", "SET", "stream-node-max-entries", "7", "stream-node-max-bytes", "1kb"}, status("OK")},
		{[]string{"CONFIG", "GET", "stream-node-max-*"}, pairs("stream-node-max-bytes", "1024", "stream-node-max-entries", "7")},
		// All or nothing: a bad value leaves the others unchanged.
		{[]string{"CONFIG", "SET", "stream-node-max-entries", "9", "proto-max-bulk-len", "1000"},
			failed("proto-max-bulk-len", "argument must be between 1048576 and 9223372036854775807 inclusive")},
		{[]string{"CONFIG", "GET", "stream-node-max-entries"}, pairs("stream-node-max-entries", "7")},
		{[]string{"CONFIG", "SET", "proto-max-bulk-len", "2mb"}, status("OK")},
		{[]string{"CONFIG", "GET", "proto-max-bulk-len"}, pairs("proto-max-bulk-len", "2097152")},
		{[]string{"CONFIG", "SET", "PROTO-MAX-BULK-LEN", "1G"}, status("OK")},
		{[]string{"CONFIG", "GET", "proto-max-bulk-len"}, pairs("proto-max-bulk-len", "1000000000")},
		{[]string{"CONFIG", "SET", "proto-max-bulk-len", "ten"}, failed("proto-max-bulk-len", "argument must be a memory value")},
		{[]string{"CONFIG", "SET", "stream-node-max-entries", "1k"}, failed("stream-node-max-entries", "argument couldn't be parsed into an integer")},
		{[]string{"CONFIG", "SET", "stream-node-max-entries", "-1"}, failed("stream-node-max-entries", "argument must be between 0 and 9223372036854775807 inclusive")},
		{[]string{"CONFIG", "SET", "foo", "1"}, errReply("ERR Unknown option or number of arguments for CONFIG SET - 'foo'")},
		{[]string{"CONFIG", "SET", "hz", "5", "foo", "1"}, errReply("ERR Unknown option or number of arguments for CONFIG SET - 'foo'")},
		{[]string{"CONFIG", "SET", "databases", "16", "foo", "1"}, failed("databases", "can't set immutable config")},
		{[]string{"CONFIG", "SET", "foo", "1", "databases", "16"}, errReply("ERR Unknown option or number of arguments for CONFIG SET - 'foo'")},
		{[]string{"CONFIG", "SET", "hz", "5", "HZ", "6"}, failed("HZ", "duplicate parameter")},
		{[]string{"CONFIG", "SET", "hz", "5", "timeout"}, errReply("ERR syntax error")},
		{[]string{"CONFIG", "SET", "hz"}, errReply("ERR wrong number of arguments for 'config|set' command")},
		{[]string{"CONFIG", "SET", "maxmemory", "100mb"}, status("OK")},
		{[]string{"CONFIG", "GET", "maxmemory"}, pairs("maxmemory", "104857600")},
		{[]string{"CONFIG", "SET", "maxmemory", "0mb"}, status("OK")},
		{[]string{"CONFIG", "GET", "maxmemory"}, pairs("maxmemory", "0")},
		{[]string{"CONFIG", "SET", "maxmemory", "-1"}, failed("maxmemory", "argument must be a memory value")},
		{[]string{"CONFIG", "SET", "maxmemory-policy", "NoEviction"}, status("OK")},
		{[]string{"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"},
			failed("maxmemory-policy", "Pelican supports only the noeviction policy: evicting keys would drop queued messages")},
		{[]string{"CONFIG", "SET", "maxmemory-policy", "lru"},
			failed("maxmemory-policy", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction")},
		{[]string{"CONFIG", "GET", "maxmemory-policy"}, pairs("maxmemory-policy", "noeviction")},
		// Settings Pelican does not act upon accept only their value.
		{[]string{"CONFIG", "SET", "appendonly", "NO", "save", ""}, status("OK")},
		{[]string{"CONFIG", "SET", "appendonly", "yes"}, failed("appendonly", "can't set immutable config")},
		{[]string{"CONFIG", "SET", "appendonly", "1"}, failed("appendonly", "argument must be 'yes' or 'no'")},
		{[]string{"CONFIG", "SET", "save", "3600 1"}, failed("save", "can't set immutable config")},
		{[]string{"CONFIG", "SET", "save", "3600"}, failed("save", "Invalid save parameters")},
		{[]string{"CONFIG", "SET", "maxclients", "10000", "timeout", "0", "maxmemory-policy", "noeviction"}, status("OK")},
		{[]string{"CONFIG", "SET", "maxclients", "0"}, failed("maxclients", "argument must be between 1 and 4294967295 inclusive")},
		{[]string{"CONFIG", "SET", "port", "0"}, status("OK")},
		{[]string{"CONFIG", "SET", "port", "6379"}, failed("port", "can't set immutable config")},
		{[]string{"CONFIG", "REWRITE"}, errReply("ERR The server is running without a config file")},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, c.do(t, tt.args...)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, diff)
		}
	}
	if got := e.ProtoMaxBulkLen(); got != 1000000000 {
		t.Errorf("ProtoMaxBulkLen() = %d after CONFIG SET, want 1000000000", got)
	}
	e.Lock()
	lim := e.settings.limits
	e.Unlock()
	if lim.NodeMaxEntries != 7 || lim.NodeMaxBytes != 1024 {
		t.Errorf("stream limits after CONFIG SET: %+v", lim)
	}
}

func TestConfigSetHz(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	tests := []struct {
		value     string
		get       string
		effective int
	}{
		{"100", "100", 100},
		{"0", "0", 1},
		{"1000", "1000", 500},
		{"10", "10", 10},
	}
	for _, tt := range tests {
		if got := c.do(t, "CONFIG", "SET", "hz", tt.value); got.Kind != '+' || got.Str != "OK" {
			t.Fatalf("CONFIG SET hz %s = %v", tt.value, got)
		}
		if diff := cmp.Diff(pairs("hz", tt.get), c.do(t, "CONFIG", "GET", "hz")); diff != "" {
			t.Errorf("CONFIG GET hz after setting %s (-want +got):\n%s", tt.value, diff)
		}
		f := infoFields(c.do(t, "INFO", "server").Str)
		if diff := cmp.Diff([2]string{itoa(int64(tt.effective)), tt.get}, [2]string{f["hz"], f["configured_hz"]}); diff != "" {
			t.Errorf("INFO hz and configured_hz after setting %s (-want +got):\n%s", tt.value, diff)
		}
	}
}

func TestConfigSetRequirePass(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	admin := newIntroClient(e, "127.0.0.1:1000")
	if got := admin.do(t, "CONFIG", "SET", "requirepass", "s3cret"); got.Kind != '+' || got.Str != "OK" {
		t.Fatalf("CONFIG SET requirepass = %v", got)
	}
	if !e.AuthRequired() || !admin.Authenticated() {
		t.Errorf("after setting a password: auth required %v, existing client authenticated %v; want true, true",
			e.AuthRequired(), admin.Authenticated())
	}
	newcomer := newIntroClient(e, "127.0.0.1:2000")
	tests := []struct {
		args []string
		want reply
	}{
		{[]string{"PING"}, errReply("NOAUTH Authentication required.")},
		{[]string{"AUTH", "wrong"}, errReply("WRONGPASS invalid username-password pair or user is disabled.")},
		{[]string{"AUTH", "s3cret"}, status("OK")},
		{[]string{"CONFIG", "GET", "requirepass"}, pairs("requirepass", "s3cret")},
		{[]string{"CONFIG", "SET", "requirepass", ""}, status("OK")},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, newcomer.do(t, tt.args...)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, diff)
		}
	}
	if e.AuthRequired() || !newIntroClient(e, "127.0.0.1:3000").Authenticated() {
		t.Error("clearing the password still requires authentication")
	}
}

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"100", 100, true},
		{"1b", 1, true},
		{"1k", 1000, true},
		{"1KB", 1024, true},
		{"2m", 2000000, true},
		{"2mb", 2 << 20, true},
		{"1g", 1000000000, true},
		{"1Gb", 1 << 30, true},
		{"mb", 0, true},
		{"", 0, true},
		{"-1", 0, false},
		{"1tb", 0, false},
		{"1.5mb", 0, false},
		{"+1", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseMemory([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseMemory(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestConfigParamsAreUnique guards the settings table, which several
// files extend: a second entry with a name would never be found.
func TestConfigParamsAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range configParams {
		if seen[strings.ToLower(p.name)] {
			t.Errorf("setting %q is defined twice", p.name)
		}
		seen[strings.ToLower(p.name)] = true
	}
}
