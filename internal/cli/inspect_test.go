package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/redistest"
)

// fixtureWait bounds the fixture's waits.
const fixtureWait = 10 * time.Second

// longNote is the value of the first entry's field note: longer than a
// table cell shows.
var longNote = strings.Repeat("x", 100)

// fixture is what fill leaves in a place: the stream orders with six
// entries (IDs in ids, oldest first; the third has order=bad), and
//   - group billing, run by a Pelican worker, billing-1, now stopped: it
//     processed everything and dead-lettered the bad one (orders:dlq
//     holds it);
//   - group audit, read with XREADGROUP: a1 holds ids 0, 1 and 3 (3
//     delivered twice: it was a2's before a1 claimed it), a2 holds id 2;
//     ids 4 and 5 are not delivered yet (lag 2);
//
// and the string key plain.
type fixture struct {
	ids []string
}

// fill builds the fixture with c.
func fill(t *testing.T, c *pelican.Client) fixture {
	t.Helper()
	ctx := context.Background()
	rdb := c.Redis()
	var fx fixture
	for i, order := range []string{"1", "2", "bad", "4", "5", "6"} {
		values := map[string]string{"order": order}
		if i == 0 {
			values["note"] = longNote
		}
		id, err := c.Publish(ctx, "orders", values, nil)
		if err != nil {
			t.Fatal(err)
		}
		fx.ids = append(fx.ids, id)
	}
	if err := rdb.XGroupCreate(ctx, "orders", "audit", "0").Err(); err != nil {
		t.Fatal(err)
	}
	runBilling(t, c)
	for _, read := range []struct{ consumer string }{{"a1"}, {"a2"}} {
		err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "audit", Consumer: read.consumer, Streams: []string{"orders", ">"}, Count: 2}).Err()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.XClaim(ctx, &redis.XClaimArgs{Stream: "orders", Group: "audit", Consumer: "a1", Messages: []string{fx.ids[3]}}).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(ctx, "plain", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	return fx
}

// runBilling runs a worker of group billing until it has processed every
// entry and dead-lettered the bad one, then stops it.
func runBilling(t *testing.T, c *pelican.Client) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: "orders", Group: "billing", Consumer: "billing-1",
		Handler: pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			if m.Values["order"] == "bad" {
				return pelican.Permanent(errors.New("bad order"))
			}
			return nil
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	rdb := c.Redis()
	deadline := time.Now().Add(fixtureWait)
	for {
		groups, _ := rdb.XInfoGroups(ctx, "orders").Result()
		dead, _ := rdb.XLen(ctx, "orders:dlq").Result()
		finished := dead == 1
		for _, g := range groups {
			if g.Name == "billing" {
				finished = finished && g.Pending == 0 && g.Lag == 0
			}
		}
		if finished && len(groups) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the billing worker did not finish within %v: groups %+v, dead letters %d", fixtureWait, groups, dead)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("worker: %v", err)
	}
}

// setUp fills the place and returns the fixture.
func setUp(t *testing.T, p place) fixture {
	t.Helper()
	var fx fixture
	p.with(t, func(c *pelican.Client) { fx = fill(t, c) })
	return fx
}

// run runs pelican with the place's arguments after args.
func (p place) run(args ...string) result {
	return runCLI(append(args, p.args...)...)
}

// mustRun runs pelican and fails the test unless it exits with 0.
func (p place) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := p.run(args...)
	if r.code != 0 {
		t.Fatalf("pelican %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// mustJSON runs pelican with --json and decodes its output into v.
func (p place) mustJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := p.mustRun(t, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("pelican %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// cellSep separates a table's cells: two spaces or more.
var cellSep = regexp.MustCompile(`\s{2,}`)

// tableRows splits a table's lines into cells, header first; lines after
// the table (notes) are left out.
func tableRows(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		cells := cellSep.Split(strings.TrimSpace(line), -1)
		if len(rows) > 0 && len(cells) != len(rows[0]) {
			break
		}
		rows = append(rows, cells)
	}
	return rows
}

// column returns the cells of the named column, header left out.
func column(t *testing.T, rows [][]string, name string) []string {
	t.Helper()
	if len(rows) == 0 {
		t.Fatalf("no table")
	}
	for i, h := range rows[0] {
		if h == name {
			var out []string
			for _, r := range rows[1:] {
				out = append(out, r[i])
			}
			return out
		}
	}
	t.Fatalf("no column %s in %q", name, rows[0])
	return nil
}

// rowOf returns the row whose first cell is key, as a map by column.
func rowOf(t *testing.T, rows [][]string, key string) map[string]string {
	t.Helper()
	for _, r := range rows[1:] {
		if r[0] == key {
			m := map[string]string{}
			for i, h := range rows[0] {
				m[h] = r[i]
			}
			return m
		}
	}
	t.Fatalf("no row %s in %q", key, rows)
	return nil
}

// TestInspectBadInput runs every command on names that do not fit: each
// fails with exit status 1 and says what is wrong.
func TestInspectBadInput(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		setUp(t, p)
		tests := []struct {
			name string
			args []string
			want string
		}{
			{"streams, unknown stream", []string{"streams", "nope"}, `no stream named "nope"`},
			{"streams, wrong type", []string{"streams", "plain"}, `"plain" is a string, not a stream`},
			{"groups, unknown stream", []string{"groups", "nope"}, `no stream named "nope"`},
			{"groups, wrong type", []string{"groups", "plain"}, `"plain" is a string, not a stream`},
			{"consumers, missing group", []string{"consumers", "orders", "nope"}, `stream "orders" has no group "nope" (its groups: `},
			{"consumers, unknown stream", []string{"consumers", "nope", "g"}, `no stream named "nope"`},
			{"pending, missing group", []string{"pending", "orders", "nope"}, `has no group "nope"`},
			{"pending, wrong type", []string{"pending", "plain", "g"}, `is a string, not a stream`},
			{"claim, missing group", []string{"claim", "orders", "nope", "--to", "x", "--min-idle", "1m"}, `has no group "nope"`},
			{"claim, unknown stream", []string{"claim", "nope", "g", "--to", "x", "--min-idle", "1m"}, `no stream named "nope"`},
			{"peek, unknown stream", []string{"peek", "nope"}, `no stream named "nope"`},
			{"peek, wrong type", []string{"peek", "plain"}, `is a string, not a stream`},
			{"trim, unknown stream", []string{"trim", "nope", "--maxlen", "1"}, `no stream named "nope"`},
			{"trim, wrong type", []string{"trim", "plain", "--maxlen", "1", "--dry-run"}, `is a string, not a stream`},
		}
		for _, tt := range tests {
			r := p.run(tt.args...)
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", tt.name, r.code, r.stderr, tt.want)
			}
		}
	})
}

// TestInspectUsageErrors checks that mistakes on the command line exit
// with status 2 before anything is reached.
func TestInspectUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"streams", "--url", "redis://[::1"}, "malformed URL"},
		{[]string{"streams", "--url", "127.0.0.1:6379"}, "malformed URL"},
		{[]string{"groups"}, "wants 1 argument, got 0"},
		{[]string{"consumers", "orders"}, "wants 2 arguments, got 1"},
		{[]string{"pending", "orders", "g", "--count", "0"}, "--count must be positive"},
		{[]string{"claim", "orders", "g", "--min-idle", "1m"}, `required flag(s) "to" not set`},
		{[]string{"claim", "orders", "g", "--to", "c"}, `required flag(s) "min-idle" not set`},
		{[]string{"claim", "orders", "g", "1-1", "--to", "c", "--min-idle", "1m", "--count", "3"}, "either IDs or --count/--from"},
		{[]string{"claim", "orders", "g", "one", "--to", "c", "--min-idle", "1m"}, `"one" is not a stream ID`},
		{[]string{"peek", "orders", "--from", "yesterday"}, "--from: \"yesterday\" is not a stream ID"},
		{[]string{"trim", "orders"}, "say what to keep"},
		{[]string{"trim", "orders", "--minid", "1-1", "--max-age", "1h"}, "not both"},
		{[]string{"trim", "orders", "--max-age", "soon"}, `--max-age: "soon" is not a duration, such as 90s`},
		{[]string{"trim", "orders", "--max-age", "0s"}, "--max-age 0s is not a positive duration"},
		{[]string{"pending", "orders", "g", "--count", "abc"}, `--count: "abc" is not a whole number`},
		{[]string{"pending", "orders", "g", "--count", "99999999999999999999"}, `--count: "99999999999999999999" is out of range`},
		{[]string{"dlq", "redrive", "orders", "--all", "--rate", "fast"}, `--rate: "fast" is not a number`},
		{[]string{"dlq", "show", "orders", "1-1", "x"}, "wants 2 arguments, got 3"},
	}
	for _, tt := range tests {
		r := runCLI(append(tt.args, "--dir", dir)...)
		if strings.Contains(strings.Join(tt.args, " "), "--url") {
			r = runCLI(tt.args...)
		}
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("pelican %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.want)
		}
	}
}

// TestInspectUnreachable points the commands at a closed port and at a
// data directory another client holds: exit status 1 and a message that
// says what to do.
func TestInspectUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, args := range [][]string{{"streams"}, {"claim", "orders", "g", "--to", "c", "--min-idle", "1m"}} {
		r := runCLI(append(args, "--url", "redis://"+addr, "--timeout", "2s")...)
		if r.code != 1 || !strings.Contains(r.stderr, "is the server running") {
			t.Errorf("pelican %s at a closed port: exit %d, stderr %q", args[0], r.code, r.stderr)
		}
	}

	dir := t.TempDir()
	held, err := embedded.New(pelican.Options{Logger: backendtest.Quiet()}, embedded.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	r := runCLI("streams", "--dir", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "in use") || !strings.Contains(r.stderr, "--url") {
		t.Errorf("pelican streams on a held directory: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestInspectPasswordAndDatabase reaches a redis-server that wants a
// password, in database 3, with the URL saying both.
func TestInspectPasswordAndDatabase(t *testing.T) {
	bin, err := redistest.RedisServerPath()
	if err != nil {
		t.Fatal(err)
	}
	r := redistest.StartRedisBinary(t, bin, "--requirepass", "s3cret")
	c := pelican.New(redis.NewClient(&redis.Options{Addr: r.Addr, Password: "s3cret", DB: 3}), pelican.Options{Logger: backendtest.Quiet()})
	defer c.Close()
	if _, err := c.Publish(context.Background(), "orders", map[string]string{"order": "1"}, nil); err != nil {
		t.Fatal(err)
	}

	var got struct {
		Streams []streamJSON `json:"streams"`
	}
	p := place{args: []string{"--url", "redis://:s3cret@" + r.Addr + "/3"}}
	p.mustJSON(t, &got, "streams")
	if len(got.Streams) != 1 || got.Streams[0].Stream != "orders" || got.Streams[0].Length != 1 {
		t.Errorf("streams in database 3: %+v, want orders with 1 entry", got.Streams)
	}
	if out := p.mustRun(t, "peek", "orders"); !strings.Contains(out, "order=1") {
		t.Errorf("peek in database 3:\n%s", out)
	}
	if out := runCLI("streams", "--url", "redis://:s3cret@"+r.Addr+"/0"); out.code != 0 || !strings.Contains(out.stdout, "no streams at") {
		t.Errorf("streams in database 0: exit %d\n%s%s", out.code, out.stdout, out.stderr)
	}
	if out := runCLI("streams", "--url", "redis://"+r.Addr+"/3"); out.code != 1 || !strings.Contains(out.stderr, "wants a password") {
		t.Errorf("streams without the password: exit %d, stderr %q", out.code, out.stderr)
	}
	if out := runCLI("streams", "--url", "redis://:wrong@"+r.Addr+"/3"); out.code != 1 || !strings.Contains(out.stderr, "refused the user name or password") {
		t.Errorf("streams with a wrong password: exit %d, stderr %q", out.code, out.stderr)
	}
	if strings.Contains(runCLI("streams", "--url", "redis://:wrong@"+r.Addr+"/3").stderr, "wrong") {
		t.Errorf("the password shows in a message")
	}
}
