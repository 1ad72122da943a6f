package conformance

import (
	"bufio"
	"strings"
	"testing"

	"github.com/pelicanhq/pelican/internal/redistest"
)

// reply parses a reply given in wire form with | standing for CRLF.
func reply(t *testing.T, wire string) redistest.Reply {
	t.Helper()
	r, err := redistest.ReadReply(bufio.NewReader(strings.NewReader(strings.ReplaceAll(wire, "|", "\r\n"))))
	if err != nil {
		t.Fatalf("ReadReply(%q): %v", wire, err)
	}
	return r
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		args []string
		wire string
		want string
	}{
		{"plain reply untouched", []string{"XLEN", "s"}, ":5|", ":5"},
		{"explicit XADD ID kept", []string{"XADD", "s", "1-1", "f", "v"}, "$3|1-1|", `$"1-1"`},
		{"partial XADD ID kept", []string{"XADD", "s", "5-*", "f", "v"}, "$3|5-0|", `$"5-0"`},
		{"generated XADD ID", []string{"XADD", "s", "MAXLEN", "~", "5", "*", "f", "v"}, "$15|1700000000000-0|", "$<auto-1>"},
		{"XPENDING idle", []string{"XPENDING", "s", "g", "-", "+", "10"},
			"*1|*4|$3|1-1|$1|c|:123|:1|", `*1[*4[$"1-1" $"c" :<idle> :1]]`},
		{"XPENDING summary untouched", []string{"XPENDING", "s", "g"},
			"*4|:0|$-1|$-1|*-1|", "*4[:0 $nil $nil *nil]"},
		{"XINFO CONSUMERS", []string{"XINFO", "CONSUMERS", "s", "g"},
			"*2|%4|$4|name|$1|a|$7|pending|:0|$4|idle|:5|$8|inactive|:-1|*8|$4|name|$1|b|$7|pending|:1|$4|idle|:6|$8|inactive|:3|",
			`*2[%4{$"name" $"a" $"pending" :0 $"idle" :<idle> $"inactive" :-1} *8[$"name" $"b" $"pending" :1 $"idle" :<idle> $"inactive" :<inactive>]]`},
		{"XINFO STREAM FULL", []string{"XINFO", "STREAM", "s", "full"},
			"*4|$7|entries|*0|$6|groups|*1|*4|$7|pending|*1|*4|$3|1-1|$1|c|:1700|:1|$9|consumers|*1|*8|$9|seen-time|:1700|$11|active-time|:-1|$7|pending|*1|*3|$3|1-1|:1700|:1|$4|name|$1|c|",
			`*4[$"entries" *0[] $"groups" *1[*4[$"pending" *1[*4[$"1-1" $"c" :<time> :1]] $"consumers" *1[*8[$"seen-time" :<time> $"active-time" :-1 $"pending" *1[*3[$"1-1" :<time> :1]] $"name" $"c"]]]]]`},
		{"HELLO", []string{"HELLO", "3"},
			"%3|$6|server|$5|redis|$7|version|$5|7.0.1|$2|id|:9|", `%3{$"server" $"redis" $"version" $<version> $"id" :<id>}`},
		{"CLIENT ID", []string{"client", "id"}, ":42|", ":<id>"},
		{"INFO run_id", []string{"INFO", "server"},
			"$37|# Server|run_id:0123abcd|tcp_port:1|", `$"# Server\r\nrun_id:<run_id>\r\ntcp_port:1"`},
		{"CLIENT INFO", []string{"CLIENT", "INFO"},
			"$44|id=3 addr=127.0.0.1:5 fd=8 name=x age=2 db=0|", `$"id=<n> addr=<n> fd=<n> name=x age=<n> db=0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewNormalizer().Normalize(tt.args, reply(t, tt.wire)).String()
			if got != tt.want {
				t.Errorf("Normalize(%q) = %s, want %s", tt.args, got, tt.want)
			}
		})
	}
}

func TestNormalizeRemembersGeneratedIDs(t *testing.T) {
	n := NewNormalizer()
	n.Normalize([]string{"XADD", "s", "*", "f", "v"}, reply(t, "$15|1700000000000-0|"))
	n.Normalize([]string{"XADD", "s", "*", "f", "v"}, reply(t, "$15|1700000000000-1|"))
	got := n.Normalize([]string{"XRANGE", "s", "-", "+"},
		reply(t, "*2|*2|$15|1700000000000-0|*0|*2|$15|1700000000000-1|*0|")).String()
	if want := "*2[*2[$<auto-1> *0[]] *2[$<auto-2> *0[]]]"; got != want {
		t.Errorf("XRANGE after two generated IDs = %s, want %s", got, want)
	}
}

func TestNormalizeDoesNotChangeItsInput(t *testing.T) {
	in := reply(t, "*1|*4|$3|1-1|$1|c|:123|:1|")
	NewNormalizer().Normalize([]string{"XPENDING", "s", "g", "-", "+", "1"}, in)
	if got := in.String(); got != `*1[*4[$"1-1" $"c" :123 :1]]` {
		t.Errorf("input changed to %s", got)
	}
}
