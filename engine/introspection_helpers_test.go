package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/internal/resp"
)

// Helpers for the tests of the connection, server and introspection
// commands: an engine with a settable clock, clients driven through
// ExecLocked, and a parser for the replies.

// manualClock is a clock tests move by hand.
type manualClock struct{ now time.Time }

func (m *manualClock) Now() time.Time { return m.now }

// newIntroEngine returns an engine on a manual clock.
func newIntroEngine(t *testing.T, cfg Config) (*Engine, *manualClock) {
	t.Helper()
	clk := &manualClock{now: time.Unix(1700000000, 123456000)}
	cfg.Clock = clk.Now
	e := New(cfg)
	t.Cleanup(func() { e.Close() })
	return e, clk
}

// introClient is a client whose kill hook records that it was called.
type introClient struct {
	*Client
	killed bool
}

func newIntroClient(e *Engine, addr string) *introClient {
	ic := &introClient{}
	ic.Client = e.NewClient(ClientInfo{
		Addr:      addr,
		LocalAddr: "127.0.0.1:6379",
		Kill:      func() { ic.killed = true },
	})
	return ic
}

// do runs one command and returns its parsed reply.
func (ic *introClient) do(t *testing.T, args ...string) reply {
	t.Helper()
	out := ic.raw(args...)
	r, rest, err := parseReply(out)
	if err != nil {
		t.Fatalf("%q: cannot parse reply %q: %v", args, out, err)
	}
	if len(rest) != 0 {
		t.Fatalf("%q: more than one reply: %q", args, out)
	}
	return r
}

// raw runs one command and returns the bytes of its reply.
func (ic *introClient) raw(args ...string) []byte {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	e := ic.e
	e.Lock()
	defer e.Unlock()
	ic.ExecLocked(argv)
	out := append([]byte(nil), ic.Output()...)
	ic.ResetOutput()
	return out
}

// reply is a parsed RESP2 or RESP3 reply. Kind is the type byte; nulls of
// RESP2 ($-1, *-1) have Kind 'n'. Str holds simple strings, errors, bulk
// and verbatim strings (with their format prefix), doubles and booleans;
// Int holds integers; Elems holds aggregates (a map's keys and values
// alternate).
type reply struct {
	Kind  byte
	Str   string
	Int   int64
	Elems []reply
}

// String renders a reply compactly, for messages.
func (r reply) String() string {
	switch r.Kind {
	case ':':
		return strconv.FormatInt(r.Int, 10)
	case '*', '~', '%', '>':
		var b bytes.Buffer
		b.WriteByte(r.Kind)
		b.WriteByte('[')
		for i, e := range r.Elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(e.String())
		}
		b.WriteByte(']')
		return b.String()
	case 'n', '_':
		return "nil"
	}
	return string(r.Kind) + strconv.Quote(r.Str)
}

// mapGet returns the value under key in a map reply (RESP3 map or RESP2
// flat array).
func (r reply) mapGet(key string) (reply, bool) {
	for i := 0; i+1 < len(r.Elems); i += 2 {
		if r.Elems[i].Str == key {
			return r.Elems[i+1], true
		}
	}
	return reply{}, false
}

// parseReply parses the first reply in b and returns the bytes after it.
func parseReply(b []byte) (reply, []byte, error) {
	s := resp.NewScanner(b)
	r, err := scanValue(s)
	if err != nil {
		return reply{}, nil, err
	}
	return r, b[s.Pos():], nil
}

// readReply reads one reply from br.
func readReply(br *bufio.Reader) (reply, error) {
	raw, err := resp.ReadReply(br)
	if err != nil {
		return reply{}, err
	}
	r, _, err := parseReply(raw)
	return r, err
}

// scanValue builds the reply of the next value in s.
func scanValue(s *resp.Scanner) (reply, error) {
	v, err := s.Next()
	if err != nil && !v.IsError() {
		return reply{}, err
	}
	switch {
	case v.Kind == resp.KindNull:
		return reply{Kind: '_'}, nil
	case v.Null():
		return reply{Kind: 'n'}, nil
	case v.Kind == resp.KindInt:
		return reply{Kind: ':', Int: v.N}, nil
	case v.Kind == resp.KindBool && v.N == 1:
		return reply{Kind: '#', Str: "t"}, nil
	case v.Kind == resp.KindBool:
		return reply{Kind: '#', Str: "f"}, nil
	case v.Kind == resp.KindAttribute:
		return reply{}, fmt.Errorf("unexpected attribute")
	case !v.IsAggregate():
		return reply{Kind: v.Kind, Str: string(s.Text(v))}, nil
	}
	r := reply{Kind: v.Kind, Elems: []reply{}}
	for range v.Elems() {
		e, err := scanValue(s)
		if err != nil {
			return reply{}, err
		}
		r.Elems = append(r.Elems, e)
	}
	return r, nil
}

// bulk returns a bulk string reply.
func bulk(s string) reply { return reply{Kind: '$', Str: s} }

// status returns a simple string reply.
func status(s string) reply { return reply{Kind: '+', Str: s} }

// errReply returns an error reply.
func errReply(s string) reply { return reply{Kind: '-', Str: s} }

// integer returns an integer reply.
func integer(n int64) reply { return reply{Kind: ':', Int: n} }
