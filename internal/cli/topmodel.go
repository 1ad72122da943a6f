package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// topKeys are top's key bindings; they also make its help.
type topKeys struct {
	up, down, pageUp, pageDown, home, end key.Binding
	enter, back, sort, reverse, refresh   key.Binding
	help, quit                            key.Binding
}

func newTopKeys() topKeys {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return topKeys{
		up:       b("↑/k", "up", "up", "k"),
		down:     b("↓/j", "down", "down", "j"),
		pageUp:   b("pgup", "page up", "pgup", "ctrl+b"),
		pageDown: b("pgdn", "page down", "pgdown", "ctrl+f", "space"),
		home:     b("home/g", "first", "home", "g"),
		end:      b("end/G", "last", "end", "G"),
		enter:    b("enter", "open", "enter", "right", "l"),
		back:     b("esc", "back", "esc", "backspace", "left", "h"),
		sort:     b("s", "sort", "s"),
		reverse:  b("S", "reverse", "S"),
		refresh:  b("r", "refresh", "r"),
		help:     b("?", "help", "?"),
		quit:     b("q", "quit", "q", "ctrl+c"),
	}
}

// ShortHelp is the help line under the screen.
func (k topKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.enter, k.back, k.sort, k.reverse, k.refresh, k.help, k.quit}
}

// FullHelp is the help screen, in columns.
func (k topKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.up, k.down, k.pageUp, k.pageDown, k.home, k.end},
		{k.enter, k.back, k.sort, k.reverse},
		{k.refresh, k.help, k.quit},
	}
}

// topModel is top's state: the last refresh's figures, the screen on
// show and each screen's selection and order. Only Bubble Tea's event
// loop touches it; refreshes run as commands and come back as messages.
type topModel struct {
	ctx      context.Context // cancelled when top ends
	sampler  *topSampler
	timeout  time.Duration // of one refresh
	interval time.Duration
	where    string
	st       topStyles
	keys     topKeys
	help     help.Model

	width, height int

	snap  *topSnapshot // the last good refresh; nil before the first
	err   error        // the last refresh's failure, if it failed
	errAt time.Time

	fetching   bool // a refresh is under way
	again      bool // refresh as soon as the one under way ends
	rediscover bool // the next refresh looks for streams
	once       bool // drawing the one frame of --once, without key hints
	gen        int  // ticks of an older generation are stale

	level         topLevel
	stream, group string    // the stream and group opened
	sel           [3]int    // each screen's selected row
	selKey        [3]string // and its name, which follows it when rows move
	sorts         [3]topSort
	showHelp      bool
}

// topTickMsg says it is time to refresh.
type topTickMsg struct{ gen int }

// topDataMsg is a refresh's result.
type topDataMsg struct {
	snap *topSnapshot
	err  error
	at   time.Time
}

func newTopModel(ctx context.Context, s *topSampler, where string, interval, timeout time.Duration, color bool) *topModel {
	h := help.New()
	if !color {
		h.Styles = help.Styles{}
	}
	return &topModel{
		ctx: ctx, sampler: s, where: where, interval: interval, timeout: timeout,
		st: newTopStyles(color), keys: newTopKeys(), help: h,
	}
}

// Init starts the first refresh.
func (m *topModel) Init() tea.Cmd { return m.fetch() }

// fetch starts a refresh.
func (m *topModel) fetch() tea.Cmd {
	m.fetching = true
	req := topRequest{rediscover: m.rediscover}
	if m.level == levelConsumers {
		req.stream, req.group = m.stream, m.group
	}
	m.rediscover = false
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(m.ctx, m.timeout)
		defer cancel()
		snap, err := m.sampler.sample(ctx, req)
		return topDataMsg{snap: snap, err: err, at: time.Now()}
	}
}

// refreshNow refreshes at once, or right after the refresh under way.
func (m *topModel) refreshNow() tea.Cmd {
	if m.fetching {
		m.again = true
		return nil
	}
	m.gen++ // the tick already set would refresh too soon after
	return m.fetch()
}

// Update handles keys, the window's size, ticks and refreshes.
func (m *topModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
	case topTickMsg:
		if msg.gen == m.gen && !m.fetching {
			return m, m.fetch()
		}
	case topDataMsg:
		m.fetching = false
		if msg.err != nil {
			m.err, m.errAt = msg.err, msg.at
		} else {
			m.snap, m.err = msg.snap, nil
		}
		if m.again {
			m.again = false
			return m, m.fetch()
		}
		m.gen++
		gen := m.gen
		return m, tea.Tick(m.interval, func(time.Time) tea.Msg { return topTickMsg{gen} })
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

// key acts on a key press.
func (m *topModel) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.quit):
		return tea.Quit
	case key.Matches(msg, k.help):
		m.showHelp = !m.showHelp
	case m.showHelp && key.Matches(msg, k.back):
		m.showHelp = false
	case key.Matches(msg, k.up):
		m.move(-1)
	case key.Matches(msg, k.down):
		m.move(1)
	case key.Matches(msg, k.pageUp):
		m.move(-max(m.bodyHeight()-1, 1))
	case key.Matches(msg, k.pageDown):
		m.move(max(m.bodyHeight()-1, 1))
	case key.Matches(msg, k.home):
		m.move(-1 << 30)
	case key.Matches(msg, k.end):
		m.move(1 << 30)
	case key.Matches(msg, k.sort):
		s := &m.sorts[m.level]
		s.col, s.reverse = (s.col+1)%len(topColumns[m.level]), false
	case key.Matches(msg, k.reverse):
		m.sorts[m.level].reverse = !m.sorts[m.level].reverse
	case key.Matches(msg, k.refresh):
		m.rediscover = true
		return m.refreshNow()
	case key.Matches(msg, k.enter):
		return m.open()
	case key.Matches(msg, k.back):
		m.back()
	}
	return nil
}

// open shows the selected stream's groups, or the selected group's
// consumers.
func (m *topModel) open() tea.Cmd {
	if m.level == levelConsumers {
		return nil
	}
	rows := m.rows()
	i := m.cursor(rows)
	if i < 0 {
		return nil
	}
	m.level++
	m.sel[m.level], m.selKey[m.level] = 0, ""
	if m.level == levelGroups {
		m.stream = rows[i].key
		return nil
	}
	m.group = rows[i].key
	return m.refreshNow() // for the group's most-delivered messages
}

// back returns to the screen above.
func (m *topModel) back() {
	switch m.level {
	case levelConsumers:
		m.group = ""
	case levelGroups:
		m.stream = ""
	default:
		return
	}
	m.level--
}

// rows returns the current screen's rows, in its order.
func (m *topModel) rows() []topRow {
	if m.snap == nil {
		return nil
	}
	var rows []topRow
	switch m.level {
	case levelStreams:
		rows = streamRows(m.snap)
	case levelGroups:
		if s, ok := m.snap.stream(m.stream); ok {
			rows = groupRows(s)
		}
	case levelConsumers:
		if s, ok := m.snap.stream(m.stream); ok {
			if g, ok := s.Group(m.group); ok {
				rows = consumerRows(g, m.snap.at)
			}
		}
	}
	sortRows(rows, m.sorts[m.level])
	return rows
}

// cursor returns the index of the selected row: the one of the selected
// name, else the one at the selected place; -1 when there are no rows.
func (m *topModel) cursor(rows []topRow) int {
	if len(rows) == 0 {
		return -1
	}
	for i, r := range rows {
		if r.key == m.selKey[m.level] {
			return i
		}
	}
	return min(max(m.sel[m.level], 0), len(rows)-1)
}

// move moves the selection by n rows.
func (m *topModel) move(n int) {
	rows := m.rows()
	i := m.cursor(rows)
	if i < 0 {
		return
	}
	i = min(max(i+n, 0), len(rows)-1)
	m.sel[m.level], m.selKey[m.level] = i, rows[i].key
}

// View draws the screen.
func (m *topModel) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "pelican top"
	return v
}

// The lines around the body: title and summary above (and a blank),
// the last refresh's failure, the status and the keys below.
const topHeadLines, topFootLines = 3, 3

// bodyHeight is how many lines the table may take.
func (m *topModel) bodyHeight() int {
	return max(m.height-topHeadLines-topFootLines, 1)
}

// render draws the whole screen as text.
func (m *topModel) render() string {
	lines := []string{m.titleLine(), m.summaryLine(), ""}
	body := m.body(m.bodyHeight())
	if m.height > 0 {
		for len(body) < m.bodyHeight() {
			body = append(body, "")
		}
		body = body[:m.bodyHeight()]
	}
	lines = append(lines, body...)
	lines = append(lines, m.errorLine(), m.statusLine(), m.help.ShortHelpView(m.keys.ShortHelp()))
	if m.width > 0 {
		for i, l := range lines {
			lines[i] = ansi.Truncate(l, m.width, "")
		}
	}
	return strings.Join(lines, "\n")
}

// renderOnce draws one plain frame of the streams screen, for --once.
func (m *topModel) renderOnce() string {
	m.once = true // no key hints: no keys are read
	lines := []string{m.titleLine(), m.summaryLine(), ""}
	lines = append(lines, m.body(0)...)
	lines = append(lines, "", fmt.Sprintf("%s · read at %s", m.where, m.snap.at.Format("15:04:05")))
	return strings.Join(lines, "\n") + "\n"
}

// titleLine says where the screen is.
func (m *topModel) titleLine() string {
	parts := []string{"pelican top"}
	if m.stream != "" {
		parts = append(parts, m.stream)
	}
	if m.group != "" {
		parts = append(parts, m.group)
	}
	return m.st.title.Render(strings.Join(parts, " › "))
}

// summaryLine gives the figures of the stream or group on screen, or
// how many streams there are.
func (m *topModel) summaryLine() string {
	s := m.snap
	switch {
	case s == nil:
		return ""
	case m.level == levelStreams:
		line := fmt.Sprintf("%d streams", len(s.streams))
		if len(s.streams) == 1 {
			line = "1 stream"
		}
		if !s.discovery.IsZero() {
			looked := "just now"
			if d := s.at.Sub(s.discovery); d >= time.Second {
				looked = ago(d)
			}
			line += " · looked for streams " + looked
			if !m.once {
				line += " (r: look again)"
			}
		}
		if len(s.missing) > 0 {
			line += " · " + m.st.warn.Render(describeMissing(s.missing))
		}
		return line
	}
	st, ok := s.stream(m.stream)
	if !ok {
		return m.st.warn.Render(fmt.Sprintf("stream %q is gone (esc: back)", m.stream))
	}
	if m.level == levelGroups {
		return streamSummary(m.st, st)
	}
	g, ok := st.Group(m.group)
	if !ok {
		return m.st.warn.Render(fmt.Sprintf("group %q of %s is gone (esc: back)", m.group, m.stream))
	}
	line := fmt.Sprintf("pending %d", g.Pending)
	if g.Pending > 0 {
		line += fmt.Sprintf(" · oldest %s (%s since delivered) %s", shortDuration(g.OldestPendingAge), shortDuration(g.OldestPendingIdle), g.OldestPendingID)
	}
	line += " · lag " + lagText(g.Lag, !g.LagKnown, true)
	if g.LastDeliveredID != "" {
		line += " · last delivered " + g.LastDeliveredID
	}
	return line
}

// streamSummary gives a stream's own figures and its dead letters'.
func streamSummary(st topStyles, s topStream) string {
	line := fmt.Sprintf("length %d · added %d", s.Length, s.EntriesAdded)
	if s.LastID != "" {
		line += " · last " + s.LastID
	}
	d := s.DeadLetters
	switch {
	case !d.Exists:
		line += " · no dead letters"
	case d.Length == 0:
		line += " · dead letters 0"
	default:
		dl := fmt.Sprintf("dead letters %d (oldest %s", d.Length, shortDuration(d.OldestAge))
		if s.SinceLast > 0 {
			dl += ", " + formatRate(d.InflowRate, true) + "/s"
		}
		line += " · " + st.warn.Render(dl+")")
	}
	if t := s.Trim; t.Removed > 0 {
		line += fmt.Sprintf(" · trimmed %d", t.Removed)
		if t.Lost > 0 {
			line += " " + st.bad.Render(fmt.Sprintf("(%d unprocessed)", t.Lost))
		}
	}
	return line
}

// body draws the screen's table (or the help), in at most height lines
// (no limit when 0).
func (m *topModel) body(height int) []string {
	if m.showHelp {
		return strings.Split(m.help.FullHelpView(m.keys.FullHelp()), "\n")
	}
	if m.snap == nil {
		if m.err != nil {
			return []string{"no figures yet"}
		}
		return []string{"reading…"}
	}
	rows := m.rows()
	if len(rows) == 0 {
		return []string{m.empty()}
	}
	sel := m.cursor(rows)
	if height == 0 {
		sel = -1
	}
	if m.level != levelConsumers {
		return renderTable(m.st, topColumns[m.level], rows, m.sorts[m.level], sel, m.width, height, 1)
	}
	// The consumers, and under them the most-delivered messages.
	tableHeight := 0
	if height > 0 {
		tableHeight = min(len(rows)+1, max(height/2, 2))
	}
	lines := renderTable(m.st, topColumns[m.level], rows, m.sorts[m.level], sel, m.width, tableHeight, 1)
	lines = append(lines, "")
	if d := m.snap.detail; d != nil && m.snap.detailOf == [2]string{m.stream, m.group} {
		lines = append(lines, mostDeliveredLines(m.st, d, m.width)...)
	} else {
		lines = append(lines, "reading the pending messages…")
	}
	return lines
}

// empty says why the screen has no rows.
func (m *topModel) empty() string {
	switch m.level {
	case levelStreams:
		if m.sampler.fixed != nil {
			return "none of the streams given exists"
		}
		return "no streams yet ('r' looks again)"
	case levelGroups:
		if _, ok := m.snap.stream(m.stream); ok {
			return "no consumer groups"
		}
		return ""
	}
	return "no consumers"
}

// statusLine says what top reads, how often, and when it last did.
func (m *topModel) statusLine() string {
	parts := []string{m.where, "every " + m.interval.String()}
	if m.snap != nil {
		parts = append(parts, fmt.Sprintf("refreshed %s (%s)", m.snap.at.Format("15:04:05"), roundTook(m.snap.took)))
	}
	return strings.Join(parts, " · ")
}

// errorLine says why the last refresh failed; empty if it did not.
func (m *topModel) errorLine() string {
	if m.err == nil {
		return ""
	}
	msg := fmt.Sprintf("refresh failed at %s: %s", m.errAt.Format("15:04:05"), refreshError(m.err))
	if m.snap != nil {
		msg += fmt.Sprintf("; showing the figures of %s", m.snap.at.Format("15:04:05"))
	}
	return m.st.bad.Render(msg)
}

// roundTook rounds a refresh's duration for the status line.
func roundTook(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

// refreshError says briefly why a refresh failed: the status line has
// one line for it, and top tries again at the next refresh.
func refreshError(err error) string {
	var nerr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is the server running?)"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return "no answer in time (a longer --timeout may help)"
	}
	return err.Error()
}
