package engine

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testEngine is an engine whose clock the test controls, with one client.
type testEngine struct {
	t   *testing.T
	e   *Engine
	c   *Client
	now time.Time
}

// testEpoch is the time a testEngine starts at.
var testEpoch = time.UnixMilli(1_700_000_000_000)

func newTestEngine(t *testing.T) *testEngine {
	t.Helper()
	te := &testEngine{t: t, now: testEpoch}
	te.e = New(Config{Clock: func() time.Time { return te.now }})
	t.Cleanup(func() { te.e.Close() })
	te.c = te.newClient()
	return te
}

// newClient connects another client.
func (te *testEngine) newClient() *Client {
	c := te.e.NewClient(ClientInfo{})
	te.t.Cleanup(c.Close)
	return c
}

// run executes one command on c and returns its raw RESP reply.
func (te *testEngine) run(c *Client, args ...string) string {
	te.t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	te.e.Lock()
	defer te.e.Unlock()
	c.ExecLocked(argv)
	out := string(c.Output())
	c.ResetOutput()
	return out
}

// do runs a command line (split on spaces) on the main client.
func (te *testEngine) do(line string) string {
	te.t.Helper()
	return te.run(te.c, strings.Fields(line)...)
}

// step is one command of a table-driven test and its expected reply. A
// step with advance set moves the clock instead.
type step struct {
	cmd     string   // split on spaces
	args    []string // used instead of cmd when set
	want    string
	advance time.Duration
}

// runSteps runs steps on a new engine, comparing every reply.
func runSteps(t *testing.T, steps []step) {
	t.Helper()
	te := newTestEngine(t)
	for i, st := range steps {
		if st.advance != 0 {
			te.now = te.now.Add(st.advance)
			continue
		}
		args := st.args
		if args == nil {
			args = strings.Fields(st.cmd)
		}
		got := te.run(te.c, args...)
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("step %d %q: reply mismatch (-want +got):\n%s", i, args, diff)
		}
	}
}

type stepCase struct {
	name  string
	steps []step
}

// runStepCases runs each case as a subtest.
func runStepCases(t *testing.T, cases []stepCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runSteps(t, tc.steps) })
	}
}

// Expected replies.
const (
	okR      = "+OK\r\n"
	nilR     = "$-1\r\n"
	nilArrR  = "*-1\r\n"
	nullR    = "_\r\n"
	emptyArr = "*0\r\n"
	syntaxR  = "-ERR syntax error\r\n"
	wrongR   = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
	notIntR  = "-ERR value is not an integer or out of range\r\n"
)

func intR(n int64) string { return ":" + strconv.FormatInt(n, 10) + "\r\n" }

func bulkR(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func errR(msg string) string { return "-" + msg + "\r\n" }

func arityR(name string) string {
	return errR("ERR wrong number of arguments for '" + name + "' command")
}

// arrR is an array of elements that are already replies.
func arrR(elems ...string) string {
	return "*" + strconv.Itoa(len(elems)) + "\r\n" + strings.Join(elems, "")
}

// bulksR is an array of bulk strings.
func bulksR(elems ...string) string {
	out := make([]string, len(elems))
	for i, e := range elems {
		out[i] = bulkR(e)
	}
	return arrR(out...)
}
