package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/redistest"
	"github.com/pelicanhq/pelican/monitor"
)

func TestTopNeedsATerminal(t *testing.T) {
	// Refused before reaching any server: the output is not a terminal.
	r := runCLI("top", "--url", "redis://127.0.0.1:1")
	if r.code != 2 {
		t.Errorf("exit code %d, want 2", r.code)
	}
	for _, want := range []string{"not a terminal", "pelican streams --json", "pelican top --once"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q lacks %q", r.stderr, want)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
}

func TestTopBadInput(t *testing.T) {
	closed := freeAddr(t)
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"interval too short", []string{"top", "--once", "--interval", "100ms"}, 2, "--interval must be at least 500ms, not 100ms"},
		{"malformed URL", []string{"top", "--once", "--url", "redis//nohost"}, 2, "it needs a scheme"},
		{"unreachable server", []string{"top", "--once", "--url", "redis://" + closed}, 1, "connection refused at " + closed},
		{"missing directory", []string{"top", "--once", "--dir", t.TempDir() + "/nope"}, 1, "no data directory at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.err) {
				t.Errorf("stderr %q lacks %q", r.stderr, tt.err)
			}
		})
	}
}

func TestTopOnce(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		p.with(t, func(c *pelican.Client) {
			seedTop(t, c.Redis())
			if err := c.Redis().Set(context.Background(), "text", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
		})
		top := func(args ...string) result {
			return runCLI(append(append([]string{"top", "--once", "--interval", "500ms"}, p.args...), args...)...)
		}

		r := top()
		if r.code != 0 {
			t.Fatalf("exit code %d; stderr %s", r.code, r.stderr)
		}
		if strings.Contains(r.stdout, "\x1b") {
			t.Errorf("escape sequences in a frame that is not for a terminal: %q", r.stdout)
		}
		for _, want := range []string{"pelican top", "3 streams", "STREAM▲", "DLQ/S", " · read at "} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("the frame lacks %q:\n%s", want, r.stdout)
			}
		}
		// STREAM LENGTH GROUPS PENDING OLDEST LAG CONSUMERS PROC/S DLQ DLQ/S;
		// nothing moved between the two refreshes, so the rates are 0.
		want := map[string][]string{
			"alpha":    {"alpha", "1", "0", "0", "-", "-", "0/0", "-", "-", "0"},
			"orders":   {"orders", "20", "2", "8", "*", "32", "2/2", "0", "1", "0"},
			"payments": {"payments", "3", "0", "0", "-", "-", "0/0", "-", "-", "0"},
		}
		for name, w := range want {
			got, _ := screenRow(r.stdout, name)
			if len(got) == len(w) && w[4] == "*" {
				w[4] = got[4] // the age of the oldest pending message
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("row of %s (-want +got):\n%s\n%s", name, diff, r.stdout)
			}
		}
		if _, y := screenRow(r.stdout, "orders:dlq"); y >= 0 {
			t.Errorf("the dead-letter stream has a row of its own:\n%s", r.stdout)
		}

		// Streams given: those alone.
		r = top("payments", "orders", "payments")
		if r.code != 0 || !strings.Contains(r.stdout, "2 streams") || strings.Contains(r.stdout, "alpha") {
			t.Errorf("top orders payments: exit %d, stdout:\n%s\nstderr %s", r.code, r.stdout, r.stderr)
		}

		for _, tt := range []struct{ stream, err string }{
			{"nope", `no stream named "nope" at`},
			{"text", `"text" is a string, not a stream`},
		} {
			r = top("orders", tt.stream)
			if r.code != 1 || !strings.Contains(r.stderr, tt.err) {
				t.Errorf("top %s: exit %d, stderr %q; want 1 and %q", tt.stream, r.code, r.stderr, tt.err)
			}
		}
	})
}

func TestTopOnceNoStreams(t *testing.T) {
	dir := t.TempDir()
	r := runCLI("top", "--once", "--interval", "500ms", "--dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "0 streams") || !strings.Contains(r.stdout, "no streams yet") {
		t.Errorf("exit %d, stdout:\n%s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}

func TestTopDirectoryInUse(t *testing.T) {
	dir := t.TempDir()
	c, err := embedded.New(pelican.Options{Logger: backendtest.Quiet()}, embedded.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := runCLI("top", "--once", "--dir", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "in use by a running server") {
		t.Errorf("exit %d, stderr %q; want 1 and the directory in use", r.code, r.stderr)
	}
}

// TestTopProcessingRate checks the rate from two refreshes: entries
// delivered minus the growth of the pending list, per second; the
// workers' counters when the lag is unknown.
func TestTopProcessingRate(t *testing.T) {
	s := &topSampler{prev: map[string]ackSample{}}
	t0 := time.Unix(1000, 0)
	sample := func(at time.Time, added, lag, pending int64, lagKnown bool, processed int64) map[string]float64 {
		st := &monitor.StreamStats{Stream: "s", At: at, EntriesAdded: added, Groups: []monitor.GroupStats{{
			Name: "g", Pending: pending, Lag: lag, LagKnown: lagKnown,
			Consumers: []monitor.ConsumerStats{{Name: "w", Stats: pelican.WorkerStats{Processed: processed}}},
		}}}
		return s.ratesLocked(st, map[string]bool{})
	}
	steps := []struct {
		name                string
		at                  time.Duration
		added, lag, pending int64
		lagKnown            bool
		processed           int64
		want                map[string]float64
	}{
		{"first refresh: no rate", 0, 100, 50, 10, true, 0, map[string]float64{}},
		// 40 more read (read 50 → 90), pending 10 → 20: 30 acknowledged in 2 s.
		{"from the lag", 2 * time.Second, 120, 30, 20, true, 0, map[string]float64{"g": 15}},
		// Lag unknown: the workers' counters, 0 → 8 in 4 s.
		{"from the workers", 6 * time.Second, 130, 0, 20, false, 8, map[string]float64{"g": 2}},
		// A worker restarted: its counter went down and counts from zero.
		{"worker restarted", 7 * time.Second, 130, 0, 20, false, 3, map[string]float64{"g": 3}},
		// The lag known again, but not at the previous refresh: the workers.
		{"lag known again", 8 * time.Second, 130, 0, 25, true, 3, map[string]float64{"g": 0}},
		// More pending and nothing read (messages given back): never negative.
		{"given back", 9 * time.Second, 130, 0, 30, true, 3, map[string]float64{"g": 0}},
		// 10 read, 10 fewer pending: 20 acknowledged in 1 s.
		{"from the lag again", 10 * time.Second, 140, 0, 20, true, 3, map[string]float64{"g": 20}},
	}
	for _, st := range steps {
		got := sample(t0.Add(st.at), st.added, st.lag, st.pending, st.lagKnown, st.processed)
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", st.name, diff)
		}
	}
}

func TestFormatRate(t *testing.T) {
	rates := []struct {
		v     float64
		known bool
		want  string
	}{{0, false, "-"}, {0, true, "0"}, {2.345, true, "2.3"}, {123.4, true, "123"}, {250_000, true, "250k"}}
	for _, r := range rates {
		if got := formatRate(r.v, r.known); got != r.want {
			t.Errorf("formatRate(%v, %v) = %q, want %q", r.v, r.known, got, r.want)
		}
	}
}

func TestSortRows(t *testing.T) {
	row := func(name string, v float64) topRow {
		r := newTopRow(name, 2)
		r.set(1, "", v, false)
		return r
	}
	names := func(rows []topRow) string {
		var s []string
		for _, r := range rows {
			s = append(s, r.key)
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		by   topSort
		want string
	}{
		{topSort{col: 0}, "a,b,c,d"},
		{topSort{col: 0, reverse: true}, "d,c,b,a"},
		{topSort{col: 1}, "c,a,d,b"}, // largest first, names break ties
		{topSort{col: 1, reverse: true}, "b,d,a,c"},
	}
	for _, tt := range tests {
		rows := []topRow{row("d", 5), row("b", 1), row("a", 5), row("c", 9)}
		sortRows(rows, tt.by)
		if got := names(rows); got != tt.want {
			t.Errorf("sorted by %+v: %s, want %s", tt.by, got, tt.want)
		}
	}
}

// TestTopModel drives the screen's model with messages, as Bubble Tea
// would: a refresh, keys, a failed refresh, and a stream that goes away.
func TestTopModel(t *testing.T) {
	snap := &topSnapshot{at: time.Unix(1000, 0), streams: []topStream{
		{StreamStats: monitor.StreamStats{Stream: "orders", Length: 7, Groups: []monitor.GroupStats{
			{Name: "billing", Pending: 2, OldestPendingAge: 3 * time.Second, LagKnown: true, Lag: 1,
				Consumers: []monitor.ConsumerStats{{Name: "w1", Pending: 2, Alive: true}}},
		}}},
		{StreamStats: monitor.StreamStats{Stream: "mail", Length: 70}},
	}}
	m := newTopModel(context.Background(), &topSampler{}, "redis://x", time.Second, time.Second, false)
	send := func(msgs ...tea.Msg) string {
		for _, msg := range msgs {
			m.Update(msg)
		}
		return ansi.Strip(m.render())
	}
	press := func(text string) tea.Msg { return tea.KeyPressMsg{Code: []rune(text)[0], Text: text} }
	enter, esc := tea.KeyPressMsg{Code: tea.KeyEnter}, tea.KeyPressMsg{Code: tea.KeyEscape}

	s := send(tea.WindowSizeMsg{Width: 100, Height: 20}, topDataMsg{snap: snap, at: snap.at})
	if lines := strings.Split(s, "\n"); len(lines) != 20 {
		t.Errorf("%d lines on a screen of 20:\n%s", len(lines), s)
	}
	if !strings.Contains(s, "> mail") {
		t.Errorf("mail, first by name, is not selected:\n%s", s)
	}
	s = send(press("s"))
	if !strings.Contains(s, "LENGTH▼") || !strings.Contains(s, "> mail") {
		t.Errorf("after s, not sorted by length with mail selected:\n%s", s)
	}
	s = send(press("S"), press("g"), enter)
	if !strings.Contains(s, "pelican top › orders") || !strings.Contains(s, "> billing") {
		t.Errorf("after S, g, enter: not orders' groups:\n%s", s)
	}
	s = send(enter)
	if !strings.Contains(s, "pelican top › orders › billing") || !strings.Contains(s, "> w1") || !strings.Contains(s, "reading the pending messages") {
		t.Errorf("after enter: not billing's consumers:\n%s", s)
	}
	if !m.fetching {
		t.Errorf("opening a group did not start a refresh for its pending messages")
	}
	// w1 is not a Pelican worker: no heartbeat, no counters.
	if row, _ := screenRow(s, "w1"); len(row) != 9 || strings.Join(row[4:], " ") != "- - - - -" {
		t.Errorf("the row of w1, not a Pelican worker: %q, want - for its heartbeat and counters\n%s", row, s)
	}

	// A failed refresh keeps the figures and says why.
	s = send(topDataMsg{err: context.DeadlineExceeded, at: time.Unix(1002, 0)})
	if !strings.Contains(s, "refresh failed at") || !strings.Contains(s, "no answer in time") || !strings.Contains(s, "> w1") {
		t.Errorf("after a failed refresh:\n%s", s)
	}

	// The stream goes away: the screen says so, esc goes back up.
	gone := &topSnapshot{at: time.Unix(1004, 0), streams: snap.streams[1:]}
	s = send(topDataMsg{snap: gone, at: gone.at})
	if !strings.Contains(s, `stream "orders" is gone`) || strings.Contains(s, "refresh failed") {
		t.Errorf("after orders went away:\n%s", s)
	}
	s = send(esc, esc)
	if !strings.Contains(s, "1 stream") || !strings.Contains(s, "> mail") {
		t.Errorf("after esc, esc: not the streams screen:\n%s", s)
	}
	// The time since streams were looked for counts up from refresh to
	// refresh.
	for i, want := range []string{"looked for streams just now (r: look again)", "looked for streams 2.0s ago", "looked for streams 4.0s ago"} {
		at := time.Unix(1010+2*int64(i), 0)
		s = send(topDataMsg{snap: &topSnapshot{at: at, streams: snap.streams, discovery: time.Unix(1010, 0)}, at: at})
		if !strings.Contains(s, want) {
			t.Errorf("refresh %d: the summary lacks %q:\n%s", i, want, s)
		}
	}
	if once := m.renderOnce(); !strings.Contains(once, "looked for streams 4.0s ago\n") {
		t.Errorf("--once shows key hints:\n%s", once)
	}
	if _, cmd := m.Update(press("q")); cmd == nil || cmd() != tea.Quit() {
		t.Errorf("q does not quit")
	}
}

// TestTopRefreshCommands counts the commands one refresh sends to a
// redis-server: only those whose cost does not grow with a stream, and
// SCAN only when discovering.
func TestTopRefreshCommands(t *testing.T) {
	r := redistest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr})
	defer rdb.Close()
	seedTop(t, rdb)
	c := pelican.New(rdb, pelican.Options{Logger: backendtest.Quiet()})
	s := newTopSampler(c, nil)
	ctx := context.Background()
	refresh := func(req topRequest) map[string]int64 {
		t.Helper()
		if err := rdb.ConfigResetStat(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.sample(ctx, req); err != nil {
			t.Fatal(err)
		}
		info, err := rdb.Info(ctx, "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		calls := map[string]int64{}
		for _, line := range strings.Split(info, "\n") {
			name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
			if !ok {
				continue
			}
			n, _, _ := strings.Cut(rest, ",")
			v, _ := strconv.ParseInt(n, 10, 64)
			calls[strings.TrimPrefix(name, "cmdstat_")] = v
		}
		delete(calls, "config|resetstat")
		return calls
	}
	allowed := map[string]bool{"xinfo|stream": true, "xinfo|groups": true, "xinfo|consumers": true,
		"xpending": true, "hgetall": true, "hmget": true, "scan": true,
		"zcard": true, "zcount": true, "zrange": true, // the scheduled messages' figures, O(log n)
		"hello": true, "client|setinfo": true} // new connections
	check := func(name string, calls map[string]int64, scan bool) {
		t.Helper()
		for cmd := range calls {
			if !allowed[cmd] {
				t.Errorf("%s: %s sent (%v)", name, cmd, calls)
			}
		}
		if got := calls["scan"] > 0; got != scan {
			t.Errorf("%s: SCAN sent %v, want %v (%v)", name, got, scan, calls)
		}
		t.Logf("%s: %v", name, calls)
	}
	check("first refresh", refresh(topRequest{}), true)
	next := refresh(topRequest{})
	check("next refresh", next, false)
	// 3 streams, 2 groups of orders, one of them with pending messages:
	// XPENDING for its oldest message and for its ghosts.
	if next["xinfo|stream"] != 6 || next["xinfo|groups"] != 3 || next["xpending"] != 2 {
		t.Errorf("next refresh: %v; want 6 XINFO STREAM (streams and their dead letters), 3 XINFO GROUPS, 2 XPENDING", next)
	}
	check("refresh on r", refresh(topRequest{rediscover: true}), true)
	check("refresh with a group open", refresh(topRequest{stream: "orders", group: "billing"}), false)
}

// TestRenderTableFits checks that a table keeps the selected row in
// view when it has more rows than lines, and fits the width by cutting
// the names.
func TestRenderTableFits(t *testing.T) {
	var rows []topRow
	for i := range 50 {
		r := newTopRow(fmt.Sprintf("stream-with-a-long-name-%02d", i), 2)
		r.set(1, strconv.Itoa(i), float64(i), false)
		rows = append(rows, r)
	}
	lines := renderTable(newTopStyles(false), []string{"STREAM", "LENGTH"}, rows, topSort{}, 40, 30, 10, 1)
	if len(lines) != 10 {
		t.Errorf("%d lines, want 10 (the header and 9 rows)", len(lines))
	}
	selected := 0
	for _, l := range lines {
		l = ansi.Strip(l)
		if w := ansi.StringWidth(l); w > 30 {
			t.Errorf("line %q is %d wide, more than 30", l, w)
		}
		if strings.HasPrefix(l, "> ") {
			selected++
			if !strings.HasSuffix(l, " 40") || !strings.Contains(l, "…") {
				t.Errorf("selected line %q, want row 40 with its name cut", l)
			}
		}
	}
	if selected != 1 {
		t.Errorf("%d selected lines, want 1:\n%s", selected, strings.Join(lines, "\n"))
	}
}
