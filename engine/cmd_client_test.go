package engine

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var nullBulk = reply{Kind: 'n'}

func TestClientNameAndInfoAttributes(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	tests := []struct {
		args []string
		want reply
	}{
		{[]string{"CLIENT", "ID"}, integer(c.ID())},
		{[]string{"CLIENT", "GETNAME"}, nullBulk},
		{[]string{"CLIENT", "SETNAME", "a b"}, errReply("ERR Client names cannot contain spaces, newlines or special characters.")},
		{[]string{"CLIENT", "SETNAME", "a\nb"}, errReply("ERR Client names cannot contain spaces, newlines or special characters.")},
		{[]string{"CLIENT", "SETNAME", "caf\xc3\xa9"}, errReply("ERR Client names cannot contain spaces, newlines or special characters.")},
		{[]string{"CLIENT", "SETNAME", "worker-1"}, status("OK")},
		{[]string{"CLIENT", "GETNAME"}, bulk("worker-1")},
		{[]string{"CLIENT", "SETNAME", ""}, status("OK")},
		{[]string{"CLIENT", "GETNAME"}, nullBulk},
		{[]string{"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}, status("OK")},
		{[]string{"CLIENT", "SETINFO", "lib-ver", "5.0.1"}, status("OK")},
		{[]string{"CLIENT", "SETINFO", "lib-name", "a b"}, errReply("ERR lib-name cannot contain spaces, newlines or special characters.")},
		{[]string{"CLIENT", "SETINFO", "LIB-VER", "1\n"}, errReply("ERR LIB-VER cannot contain spaces, newlines or special characters.")},
		{[]string{"CLIENT", "SETINFO", "color", "blue"}, errReply("ERR Unrecognized option 'color'")},
		{[]string{"CLIENT", "SETINFO", "lib-name"}, errReply("ERR wrong number of arguments for 'client|setinfo' command")},
		{[]string{"CLIENT", "NO-EVICT", "on"}, status("OK")},
		{[]string{"CLIENT", "NO-TOUCH", "ON"}, status("OK")},
		{[]string{"CLIENT", "NO-TOUCH", "maybe"}, errReply("ERR syntax error")},
		{[]string{"CLIENT", "NOSUCH"}, errReply("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.")},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, c.do(t, tt.args...)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, diff)
		}
	}
	info := c.do(t, "CLIENT", "INFO").Str
	for _, field := range []string{" name= ", " flags=eT ", " lib-name=redis-py ", " lib-ver=5.0.1 "} {
		if !strings.Contains(info, field) {
			t.Errorf("CLIENT INFO lacks %q: %s", field, info)
		}
	}
	help := c.do(t, "CLIENT", "HELP")
	if diff := cmp.Diff(status("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"), help.Elems[0]); diff != "" {
		t.Errorf("CLIENT HELP first line (-want +got):\n%s", diff)
	}
}

// clientLine is the CLIENT LIST line Pelican writes for a client in the
// state these tests leave it in.
func clientLine(id int64, addr, name string, age, idle int64, flags string, db int, multi, watch, multiMem int, cmd string, proto int, libName, libVer string, cmds int64) string {
	return "id=" + strconv.FormatInt(id, 10) + " addr=" + addr + " laddr=127.0.0.1:6379 fd=-1 name=" + name +
		" age=" + strconv.FormatInt(age, 10) + " idle=" + strconv.FormatInt(idle, 10) + " flags=" + flags +
		" db=" + strconv.Itoa(db) + " sub=0 psub=0 ssub=0 multi=" + strconv.Itoa(multi) + " watch=" + strconv.Itoa(watch) +
		" qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=" + strconv.Itoa(multiMem) + " rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=" +
		strconv.Itoa(1024+multiMem) + " events=r cmd=" + cmd +
		" user=default redir=-1 resp=" + strconv.Itoa(proto) + " lib-name=" + libName + " lib-ver=" + libVer +
		" io-thread=0 tot-net-in=0 tot-net-out=0 tot-cmds=" + strconv.FormatInt(cmds, 10)
}

func TestClientList(t *testing.T) {
	e, clk := newIntroEngine(t, Config{})
	a := newIntroClient(e, "127.0.0.1:1000")
	b := newIntroClient(e, "127.0.0.1:2000")
	a.do(t, "CLIENT", "SETNAME", "alpha")
	clk.now = clk.now.Add(5 * time.Second)
	b.do(t, "CLIENT", "SETINFO", "LIB-NAME", "go-redis")
	clk.now = clk.now.Add(3 * time.Second)

	// a's line changes with every command it runs: its command count.
	lineA := func(cmds int64) string {
		return clientLine(a.ID(), "127.0.0.1:1000", "alpha", 8, 0, "N", 0, -1, 0, 0, "client|list", 2, "", "", cmds)
	}
	lineB := clientLine(b.ID(), "127.0.0.1:2000", "", 8, 3, "N", 0, -1, 0, 0, "client|setinfo", 2, "go-redis", "", 1)
	tests := []struct {
		args []string
		want reply
	}{
		{[]string{"CLIENT", "LIST"}, bulk(lineA(1) + "\n" + lineB + "\n")},
		{[]string{"CLIENT", "LIST", "TYPE", "normal"}, bulk(lineA(2) + "\n" + lineB + "\n")},
		{[]string{"CLIENT", "LIST", "TYPE", "pubsub"}, bulk("")},
		{[]string{"CLIENT", "LIST", "TYPE", "nosuch"}, errReply("ERR Unknown client type 'nosuch'")},
		{[]string{"CLIENT", "LIST", "ID", strconv.FormatInt(b.ID(), 10), "999"}, bulk(lineB + "\n")},
		{[]string{"CLIENT", "LIST", "ID", "x"}, errReply("ERR Invalid client ID")},
		{[]string{"CLIENT", "LIST", "TYPE"}, errReply("ERR syntax error")},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, a.do(t, tt.args...)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, diff)
		}
	}

	// MULTI and WATCH show in the flags and counters; the queued command
	// is the last command, but is not counted as run.
	a.do(t, "SELECT", "2")
	a.do(t, "WATCH", "k")
	a.do(t, "MULTI")
	a.do(t, "PING")
	b.do(t, "HELLO", "3")
	got := b.do(t, "CLIENT", "LIST", "ID", strconv.FormatInt(a.ID(), 10))
	want := reply{Kind: '=', Str: "txt:" + clientLine(a.ID(), "127.0.0.1:1000", "alpha", 8, 0, "x", 2, 1, 1, 4, "ping", 2, "", "", 11) + "\n"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CLIENT LIST of a client in MULTI, in RESP3 (-want +got):\n%s", diff)
	}
}

func TestClientKill(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	self := newIntroClient(e, "127.0.0.1:1000")
	other := newIntroClient(e, "127.0.0.1:2000")

	// The old form kills by address and replies OK.
	if diff := cmp.Diff(status("OK"), self.do(t, "CLIENT", "KILL", "127.0.0.1:2000")); diff != "" {
		t.Errorf("CLIENT KILL addr (-want +got):\n%s", diff)
	}
	if !other.killed {
		t.Error("the killed client's kill hook was not called")
	}
	if out := other.raw("PING"); len(out) != 0 {
		t.Errorf("a killed client still runs commands: %q", out)
	}
	list := self.do(t, "CLIENT", "LIST").Str
	if strings.Contains(list, "127.0.0.1:2000") {
		t.Errorf("CLIENT LIST still shows the killed client:\n%s", list)
	}
	if diff := cmp.Diff(errReply("ERR No such client"), self.do(t, "CLIENT", "KILL", "127.0.0.1:2000")); diff != "" {
		t.Errorf("CLIENT KILL of a gone client (-want +got):\n%s", diff)
	}

	// The filter form counts, and skips the caller unless SKIPME no.
	b := newIntroClient(e, "127.0.0.1:3000")
	c := newIntroClient(e, "127.0.0.1:4000")
	tests := []struct {
		args []string
		want reply
	}{
		{[]string{"CLIENT", "KILL", "ADDR", "127.0.0.1:1000"}, integer(0)},
		{[]string{"CLIENT", "KILL", "LADDR", "127.0.0.1:9"}, integer(0)},
		{[]string{"CLIENT", "KILL", "ID", strconv.FormatInt(b.ID(), 10)}, integer(1)},
		{[]string{"CLIENT", "KILL", "ID", "0"}, errReply("ERR client-id should be greater than 0")},
		{[]string{"CLIENT", "KILL", "MAXAGE", "0"}, errReply("ERR maxage should be greater than 0")},
		{[]string{"CLIENT", "KILL", "MAXAGE", "x"}, errReply("ERR maxage is not an integer or out of range")},
		{[]string{"CLIENT", "KILL", "MAXAGE", "100"}, integer(0)},
		{[]string{"CLIENT", "KILL", "USER", "alice"}, errReply("ERR No such user 'alice'")},
		{[]string{"CLIENT", "KILL", "TYPE", "bogus"}, errReply("ERR Unknown client type 'bogus'")},
		{[]string{"CLIENT", "KILL", "TYPE", "replica"}, integer(0)},
		{[]string{"CLIENT", "KILL", "SKIPME", "perhaps"}, errReply("ERR syntax error")},
		{[]string{"CLIENT", "KILL", "ID", "1", "SKIPME"}, errReply("ERR syntax error")},
		{[]string{"CLIENT", "KILL", "USER", "default", "TYPE", "normal"}, integer(1)},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, self.do(t, tt.args...)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, diff)
		}
	}
	if !b.killed || !c.killed {
		t.Errorf("kill hooks called: b %v, c %v; want both", b.killed, c.killed)
	}

	// Killing oneself replies, then closes.
	if diff := cmp.Diff(integer(1), self.do(t, "CLIENT", "KILL", "SKIPME", "no", "ID", strconv.FormatInt(self.ID(), 10))); diff != "" {
		t.Errorf("CLIENT KILL of oneself (-want +got):\n%s", diff)
	}
	if !self.CloseAfterReply() || self.killed {
		t.Errorf("after killing itself: close after reply %v, kill hook called %v; want true, false", self.CloseAfterReply(), self.killed)
	}
}

func TestClientKillBlocked(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	self := newIntroClient(e, "127.0.0.1:1000")
	blocked := newIntroClient(e, "127.0.0.1:2000")
	blocked.raw("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
	if !blocked.Blocked() {
		t.Fatal("XREAD BLOCK did not block")
	}
	info := infoFields(self.do(t, "INFO", "clients").Str)
	if info["blocked_clients"] != "1" {
		t.Fatalf("blocked_clients = %q before the kill, want 1", info["blocked_clients"])
	}
	self.do(t, "CLIENT", "KILL", "127.0.0.1:2000")
	info = infoFields(self.do(t, "INFO", "clients").Str)
	if diff := cmp.Diff([2]string{"0", "1"}, [2]string{info["blocked_clients"], info["connected_clients"]}); diff != "" {
		t.Errorf("blocked and connected clients after the kill (-want +got):\n%s", diff)
	}
	// A later XADD on the key does not try to serve the gone client.
	self.do(t, "XADD", "s", "*", "f", "v")
	if blocked.Blocked() {
		t.Error("the killed client is still blocked")
	}
}

func TestReset(t *testing.T) {
	e, _ := newIntroEngine(t, Config{})
	c := newIntroClient(e, "127.0.0.1:1000")
	for _, args := range [][]string{
		{"SELECT", "3"}, {"CLIENT", "SETNAME", "n"}, {"CLIENT", "SETINFO", "LIB-NAME", "lib"},
		{"CLIENT", "NO-EVICT", "on"}, {"HELLO", "3"}, {"WATCH", "k"}, {"MULTI"}, {"PING"},
	} {
		c.do(t, args...)
	}
	if diff := cmp.Diff(status("RESET"), c.do(t, "RESET")); diff != "" {
		t.Errorf("RESET (-want +got):\n%s", diff)
	}
	got := c.do(t, "CLIENT", "INFO")
	want := bulk(clientLine(c.ID(), "127.0.0.1:1000", "", 0, 0, "N", 0, -1, 0, 0, "client|info", 2, "lib", "", 8) + "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CLIENT INFO after RESET (-want +got):\n%s", diff)
	}

	// With a password, RESET logs the connection out.
	e2, _ := newIntroEngine(t, Config{RequirePass: "secret"})
	c2 := newIntroClient(e2, "127.0.0.1:1000")
	tests := []struct {
		args []string
		want reply
	}{
		{[]string{"RESET"}, status("RESET")},
		{[]string{"AUTH", "secret"}, status("OK")},
		{[]string{"PING"}, status("PONG")},
		{[]string{"RESET"}, status("RESET")},
		{[]string{"PING"}, errReply("NOAUTH Authentication required.")},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, c2.do(t, tt.args...)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tt.args, diff)
		}
	}
}
