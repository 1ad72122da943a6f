package redistest

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func TestReadReplyRendersEveryType(t *testing.T) {
	tests := []struct {
		name string
		wire string
		want string
	}{
		{"simple", "+OK\r\n", "+OK"},
		{"error", "-ERR syntax error\r\n", "-ERR syntax error"},
		{"integer", ":-42\r\n", ":-42"},
		{"bulk", "$2\r\nOK\r\n", `$"OK"`},
		{"bulk with CRLF", "$4\r\na\r\nb\r\n", `$"a\r\nb"`},
		{"empty bulk", "$0\r\n\r\n", `$""`},
		{"null bulk", "$-1\r\n", "$nil"},
		{"null array", "*-1\r\n", "*nil"},
		{"empty array", "*0\r\n", "*0[]"},
		{"nested array", "*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n:1\r\n", `*2[$"1-1" *2[$"f" :1]]`},
		{"map", "%1\r\n$1\r\nk\r\n$1\r\nv\r\n", `%1{$"k" $"v"}`},
		{"set", "~1\r\n+a\r\n", "~1[+a]"},
		{"push", ">2\r\n$7\r\nmessage\r\n:1\r\n", `>2[$"message" :1]`},
		{"null", "_\r\n", "_"},
		{"double", ",1.5\r\n", ",1.5"},
		{"true", "#t\r\n", "#t"},
		{"false", "#f\r\n", "#f"},
		{"big number", "(12345678901234567890\r\n", "(12345678901234567890"},
		{"verbatim", "=7\r\ntxt:abc\r\n", `="txt:abc"`},
		{"bulk error", "!5\r\nERR x\r\n", `!"ERR x"`},
		{"attribute", "|1\r\n+k\r\n:1\r\n+OK\r\n", "|1{+k :1} +OK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ReadReply(bufio.NewReader(strings.NewReader(tt.wire)))
			if err != nil {
				t.Fatalf("ReadReply(%q): %v", tt.wire, err)
			}
			if got := r.String(); got != tt.want {
				t.Errorf("ReadReply(%q).String() = %s, want %s", tt.wire, got, tt.want)
			}
		})
	}
}

func TestReadReplyRejectsMalformedInput(t *testing.T) {
	for _, wire := range []string{"", "\r\n", "?x\r\n", ":abc\r\n", "$3\r\nab\r\n", "$2\r\nabcd", "+OK\n", "#x\r\n", "*2\r\n:1\r\n"} {
		if r, err := ReadReply(bufio.NewReader(strings.NewReader(wire))); err == nil {
			t.Errorf("ReadReply(%q) = %s, want an error", wire, r)
		}
	}
}

// Replies sent back to back decode one at a time.
func TestReadReplyTakesOneReplyAtATime(t *testing.T) {
	wire := "*2\r\n$3\r\nabc\r\n%1\r\n+k\r\n*1\r\n_\r\n" + "+OK\r\n" + "$-1\r\n"
	want := []string{`*2[$"abc" %1{+k *1[_]}]`, "+OK", "$nil"}
	br := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(wire)), 16)
	var got []string
	for range want {
		r, err := ReadReply(br)
		if err != nil {
			t.Fatalf("ReadReply after %q: %v", got, err)
		}
		got = append(got, r.String())
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("replies (-got +want):\n%s", diff)
	}
	if _, err := ReadReply(br); !errors.Is(err, io.EOF) {
		t.Errorf("ReadReply at the end = %v, want io.EOF", err)
	}
}

func TestPrettyIndentsElements(t *testing.T) {
	r := Reply{Kind: KindArray, Elems: []Reply{
		{Kind: KindBulk, Str: "1-1"},
		{Kind: KindMap, Elems: []Reply{{Kind: KindBulk, Str: "idle"}, {Kind: KindInt, Placeholder: "idle"}}},
	}}
	got := r.Pretty()
	want := "*2\n  $\"1-1\"\n  %1\n    $\"idle\"\n      :<idle>\n"
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Pretty() mismatch (-got +want):\n%s", diff)
	}
}

func TestFieldFindsMapAndFlatArrayValues(t *testing.T) {
	kv := []Reply{{Kind: KindBulk, Str: "name"}, {Kind: KindBulk, Str: "g"}, {Kind: KindBulk, Str: "lag"}, {Kind: KindInt, Int: 3}}
	for _, k := range []Kind{KindMap, KindArray} {
		r := Reply{Kind: k, Elems: kv}
		got, ok := r.Field("lag")
		if !ok || got.String() != ":3" {
			t.Errorf("%c Field(lag) = %s, %v; want :3, true", k, got, ok)
		}
		if _, ok := r.Field("missing"); ok {
			t.Errorf("%c Field(missing) found a value", k)
		}
	}
}
