package engine_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/redistest"
	"github.com/pelicanhq/pelican/internal/resp"
	"github.com/pelicanhq/pelican/server"
)

// The differential test runs the same commands on redis-server (the
// binary named by PELICAN_REDIS_SERVER, Redis 7) and on Pelican, both over
// raw RESP connections, and compares the reply bytes. Replies whose order
// Redis leaves unspecified are sorted on both sides first.

// sortMode says how a reply is normalised before comparing.
type sortMode int

const (
	exact     sortMode = iota
	sortElems          // sort the elements of the top-level aggregate
	sortPairs          // sort the key-value pairs of a map (or flat RESP2 pairs)
	scanAll            // the step is a SCAN: iterate to the end, compare the sorted union
)

// diffStep is one command and how to compare its replies.
type diffStep struct {
	args []string
	mode sortMode
	// other runs the command on a second connection, such as a write
	// that a WATCH on the first must notice.
	other bool
}

// diffCase is a sequence of commands run on a fresh database.
type diffCase struct {
	name  string
	steps []diffStep
}

// s splits a command line on spaces; use a diffStep literal for arguments
// with spaces or binary data.
func s(line string) diffStep { return diffStep{args: strings.Fields(line)} }

// sorted is s for a reply compared with its elements sorted.
func sorted(line string) diffStep { return diffStep{args: strings.Fields(line), mode: sortElems} }

// sortedPairs is s for a map reply compared with its pairs sorted.
func sortedPairs(line string) diffStep {
	return diffStep{args: strings.Fields(line), mode: sortPairs}
}

// scan is s for a SCAN (cursor omitted) iterated to completion.
func scan(opts string) diffStep { return diffStep{args: strings.Fields(opts), mode: scanAll} }

func TestKeysAgainstRedis(t *testing.T) {
	addr := redistest.StartRedis(t).Addr
	for _, tc := range diffCases() {
		t.Run(tc.name, func(t *testing.T) {
			red := dialRESP(t, func() (net.Conn, error) { return net.Dial("tcp", addr) })
			red.do(t, "FLUSHALL")
			red.do(t, "SELECT", "0")

			eng := engine.New(engine.Config{})
			t.Cleanup(func() { eng.Close() })
			srv := server.New(eng, server.Config{})
			pelDial := func() (net.Conn, error) {
				client, side := net.Pipe()
				srv.ServeConn(side)
				return client, nil
			}
			pel := dialRESP(t, pelDial)
			var red2, pel2 *respConn

			for i, st := range tc.steps {
				var got, want string
				if st.mode == scanAll {
					got = scanToEnd(t, pel, st.args)
					want = scanToEnd(t, red, st.args)
				} else if st.other {
					if red2 == nil {
						red2 = dialRESP(t, func() (net.Conn, error) { return net.Dial("tcp", addr) })
						pel2 = dialRESP(t, pelDial)
					}
					got = normalise(t, pel2.do(t, st.args...), st.mode)
					want = normalise(t, red2.do(t, st.args...), st.mode)
				} else {
					got = normalise(t, pel.do(t, st.args...), st.mode)
					want = normalise(t, red.do(t, st.args...), st.mode)
				}
				if len(st.args) > 0 && st.args[0] == "HELLO" {
					continue // server name, version and client ID differ
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("step %d %q: reply differs from Redis (-redis +pelican):\n%s", i, st.args, diff)
				}
			}
		})
	}
}

// respConn is a raw RESP connection.
type respConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialRESP(t *testing.T, dial func() (net.Conn, error)) *respConn {
	t.Helper()
	conn, err := dial()
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return &respConn{conn: conn, r: bufio.NewReader(conn)}
}

// do sends a command and returns its raw reply.
func (rc *respConn) do(t *testing.T, args ...string) []byte {
	t.Helper()
	var req bytes.Buffer
	fmt.Fprintf(&req, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
	}
	_ = rc.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := rc.conn.Write(req.Bytes()); err != nil {
		t.Fatalf("sending %q: %v", args, err)
	}
	raw, err := resp.ReadReply(rc.r)
	if err != nil {
		t.Fatalf("reading the reply to %q: %v", args, err)
	}
	return raw
}

// reply is a parsed RESP reply: its bytes up to its elements (all of them
// for a string or number), the text of a string, and its elements.
type reply struct {
	head  []byte
	text  []byte
	elems []*reply
}

func (r *reply) raw() []byte {
	out := append([]byte(nil), r.head...)
	for _, e := range r.elems {
		out = append(out, e.raw()...)
	}
	return out
}

// parseRESP parses the reply in raw.
func parseRESP(raw []byte) (*reply, error) {
	return scanNode(resp.NewScanner(raw))
}

func scanNode(s *resp.Scanner) (*reply, error) {
	start := s.Pos()
	v, err := s.Next()
	if err != nil && !v.IsError() {
		return nil, err
	}
	n := &reply{head: s.Input()[start:s.Pos()], text: s.Text(v)}
	count := v.Elems()
	if v.Kind == resp.KindAttribute {
		count++ // the value the attribute describes
	}
	for range count {
		e, err := scanNode(s)
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, e)
	}
	return n, nil
}

// normalise renders a reply for comparison, sorting it as mode says.
func normalise(t *testing.T, raw []byte, mode sortMode) string {
	t.Helper()
	n, err := parseRESP(raw)
	if err != nil {
		t.Fatalf("re-reading reply %q: %v", raw, err)
	}
	switch mode {
	case sortElems:
		slices.SortFunc(n.elems, func(a, b *reply) int { return bytes.Compare(a.raw(), b.raw()) })
	case sortPairs:
		type pair struct{ k, v *reply }
		var ps []pair
		for i := 0; i+1 < len(n.elems); i += 2 {
			ps = append(ps, pair{n.elems[i], n.elems[i+1]})
		}
		slices.SortFunc(ps, func(a, b pair) int { return bytes.Compare(a.k.raw(), b.k.raw()) })
		n.elems = n.elems[:0]
		for _, p := range ps {
			n.elems = append(n.elems, p.k, p.v)
		}
	}
	return string(n.raw())
}

// scanToEnd runs SCAN with the given options from cursor 0 until the
// cursor is 0 again, and renders the sorted, deduplicated keys as an
// array; an error reply is returned as is.
func scanToEnd(t *testing.T, rc *respConn, opts []string) string {
	t.Helper()
	cursor := "0"
	seen := map[string]bool{}
	for calls := 0; ; calls++ {
		if calls > 10000 {
			t.Fatalf("SCAN %q did not finish", opts)
		}
		raw := rc.do(t, append([]string{"SCAN", cursor}, opts...)...)
		n, err := parseRESP(raw)
		if err != nil {
			t.Fatalf("re-reading reply %q: %v", raw, err)
		}
		if n.head[0] == '-' {
			return string(raw)
		}
		if len(n.elems) != 2 {
			t.Fatalf("SCAN reply %q is not a pair", raw)
		}
		for _, k := range n.elems[1].elems {
			seen[string(k.text)] = true
		}
		cursor = string(n.elems[0].text)
		if cursor == "0" {
			break
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(keys))
	for _, k := range keys {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(k), k)
	}
	return b.String()
}
