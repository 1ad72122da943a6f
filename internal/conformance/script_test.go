package conformance

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseScriptSteps(t *testing.T) {
	text := `# comment

!requires CONFIG SET
XADD s 1-1 f "a b"
=> $"1-1"
!resp 3
!conn other
!block
XREAD BLOCK 0 STREAMS s $
!differs help-footer
!recv
redis => +a
pelican => +b
!pelican-only https://redis.io/docs/latest/commands/xackdel/
XACKDEL s g IDS 1 1-1
=> *1[:1]
!repeat 2 XADD r {i}-{i*2+1} v {pad:x:i}
`
	s, err := ParseScript("testdata/demo.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	want := &Script{
		Name:     "demo",
		Requires: [][]string{{"CONFIG", "SET"}},
		Steps: []Step{
			{Line: 4, Kind: StepCommand, Args: []string{"XADD", "s", "1-1", "f", "a b"}, Want: `$"1-1"`, WantLine: 5},
			{Line: 6, Kind: StepRESP, Proto: 3},
			{Line: 7, Kind: StepConn, Conn: "other"},
			{Line: 9, Kind: StepCommand, Args: []string{"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}, Block: true},
			{Line: 11, Kind: StepRecv, Difference: "help-footer", WantRedis: "+a", WantPelican: "+b", WantRedisLine: 12, WantPelicanLine: 13},
			{Line: 15, Kind: StepCommand, Args: []string{"XACKDEL", "s", "g", "IDS", "1", "1-1"},
				PelicanOnly: "https://redis.io/docs/latest/commands/xackdel/", Want: "*1[:1]", WantLine: 16},
			{Line: 17, Kind: StepCommand, Args: []string{"XADD", "r", "1-3", "v", "x"}},
			{Line: 17, Kind: StepCommand, Args: []string{"XADD", "r", "2-5", "v", "xx"}},
		},
	}
	if diff := cmp.Diff(s, want); diff != "" {
		t.Errorf("ParseScript mismatch (-got +want):\n%s", diff)
	}
}

func TestParseScriptErrors(t *testing.T) {
	tests := []struct {
		name, text, wantErr string
	}{
		{"unknown directive", "!nope", "unknown directive"},
		{"unknown difference", "!differs no-such-id\nPING\nredis => +a\npelican => +b", "no such ID"},
		{"differs without replies", "!differs help-footer\nPING", "needs both"},
		{"differs with plain expectation", "!differs help-footer\nPING\n=> +PONG", "not \"=> ...\""},
		{"pelican-only without reply", "!pelican-only https://redis.io/x\nPING", "needs \"=> reply\""},
		{"pelican-only without redis.io page", "!pelican-only http://example.com\nPING\n=> +PONG", "https://redis.io/"},
		{"dangling modifier", "PING\n!block", "modifier without a command"},
		{"expectation first", "=> +OK", "must follow a command"},
		{"expectation after block", "!block\nXREAD BLOCK 0 STREAMS s $\n=> *nil", "after !recv"},
		{"two expectations", "PING\n=> +PONG\n=> +PONG", "second expected reply"},
		{"redis expectation without differs", "PING\nredis => +PONG", "only for steps declared with !differs"},
		{"requires after a step", "PING\n!requires DEL", "before the first step"},
		{"block and pelican-only", "!block\n!pelican-only https://redis.io/x\nPING", "cannot be combined"},
		{"block and differs", "!block\n!differs help-footer\nXREAD", "put !differs before its !recv"},
		{"conn after modifier", "!block\n!conn x\nPING", "between a modifier"},
		{"bad resp", "!resp 4", "takes 2 or 3"},
		{"unbalanced quotes", `ECHO "abc`, "unbalanced quotes"},
		{"bad repeat", "!repeat x PING", "positive count"},
		{"bad template", "!repeat 2 ECHO {j}", "operand must be i"},
		{"division by zero", "!repeat 2 ECHO {i/0}", "divides by zero"},
		{"unclosed template", "!repeat 2 ECHO {i", "unclosed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseScript("x.txt", tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseScript(%q) error = %v, want one containing %q", tt.text, err, tt.wantErr)
			}
		})
	}
}

func TestExpandTemplate(t *testing.T) {
	tests := []struct {
		tmpl string
		i    int
		want string
	}{
		{"{i}-1", 7, "7-1"},
		{"{i*3+1}", 2, "7"},
		{"{i%5}", 12, "2"},
		{"{i/2-1}", 9, "3"},
		{"{2*i}", 4, "8"},
		{"a{i}b{i+1}c", 1, "a1b2c"},
		{"{pad:z:i%3}", 5, "zz"},
		{"{pad:z:3}", 1, "zzz"},
		{"plain", 3, "plain"},
	}
	for _, tt := range tests {
		got, err := expandTemplate(tt.tmpl, tt.i)
		if err != nil || got != tt.want {
			t.Errorf("expandTemplate(%q, %d) = %q, %v; want %q", tt.tmpl, tt.i, got, err, tt.want)
		}
	}
}

// TestScriptsParse parses every script, so that a malformed script fails
// even where redis-server cannot run.
func TestScriptsParse(t *testing.T) {
	for _, file := range scriptFiles(t) {
		s := loadScript(t, file)
		if len(s.Steps) == 0 {
			t.Errorf("%s has no steps", file)
		}
	}
}
