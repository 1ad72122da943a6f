package cli

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/pelicanhq/pelican/monitor"
)

// top's screens, from the widest to the narrowest.
type topLevel int

const (
	levelStreams   topLevel = iota // every stream
	levelGroups                    // the groups of one stream
	levelConsumers                 // the consumers of one group
)

// The columns of each screen. The first names the row and sorts by
// name; the others sort by their figure, largest first.
var topColumns = [...][]string{
	levelStreams:   {"STREAM", "LENGTH", "GROUPS", "PENDING", "OLDEST", "LAG", "CONSUMERS", "PROC/S", "DLQ", "DLQ/S"},
	levelGroups:    {"GROUP", "PENDING", "OLDEST", "IDLE", "LAG", "CONSUMERS", "PROC/S", "REDELIV/S", "GHOSTS"},
	levelConsumers: {"CONSUMER", "PENDING", "IDLE", "ALIVE", "HEARTBEAT", "PROCESSED", "FAILED", "DEAD-LETTERED", "REDELIVERED"},
}

// A topRow is one line of a table: its name (the first cell), its cells
// as shown, and the figures its other columns sort by.
type topRow struct {
	key   string
	cells []string
	vals  []float64 // vals[i] sorts column i (vals[0] unused)
	warn  []bool    // cells to draw attention to
}

// newTopRow starts a row named key with room for n columns.
func newTopRow(key string, n int) topRow {
	r := topRow{key: key, cells: make([]string, n), vals: make([]float64, n), warn: make([]bool, n)}
	r.cells[0] = key
	return r
}

// set fills column i with a shown text and the figure it sorts by.
func (r topRow) set(i int, text string, val float64, warn bool) {
	r.cells[i], r.vals[i], r.warn[i] = text, val, warn
}

// A topSort is how a screen's table is ordered.
type topSort struct {
	col     int
	reverse bool
}

// sortRows orders rows by the column: by name for the first, else by
// figure, largest first, names breaking ties.
func sortRows(rows []topRow, by topSort) {
	slices.SortStableFunc(rows, func(a, b topRow) int {
		c := 0
		if by.col > 0 && by.col < len(a.vals) {
			c = cmp.Compare(b.vals[by.col], a.vals[by.col])
		}
		if c == 0 {
			c = strings.Compare(a.key, b.key)
		}
		if by.reverse {
			c = -c
		}
		return c
	})
}

// topStyles are the looks of top's screen; without colour they keep
// only bold and reverse video, which NO_COLOR allows.
type topStyles struct {
	title, head, selected, warn, bad, dim lipgloss.Style
}

// newTopStyles returns the styles, coloured or not.
func newTopStyles(color bool) topStyles {
	st := topStyles{
		title:    lipgloss.NewStyle().Bold(true),
		head:     headStyle,
		selected: lipgloss.NewStyle().Reverse(true),
	}
	if color {
		st.warn, st.bad = warnStyle, badStyle
		st.dim = lipgloss.NewStyle().Faint(true)
	}
	return st
}

// renderTable lays out a table in width columns of the screen (no limit
// when width is 0), at most height lines with the header (no limit when
// 0), the row sel marked, scrolled so that it shows. The first left
// columns are text, aligned left; the others are figures, aligned right.
func renderTable(st topStyles, cols []string, rows []topRow, by topSort, sel, width, height, left int) []string {
	titles := slices.Clone(cols)
	if by.col >= 0 && by.col < len(titles) {
		arrow := "▼"
		if by.reverse != (by.col == 0) {
			arrow = "▲"
		}
		titles[by.col] += arrow
	}
	widths := make([]int, len(cols))
	for i, t := range titles {
		widths[i] = ansi.StringWidth(t)
	}
	for _, r := range rows {
		for i, c := range r.cells {
			widths[i] = max(widths[i], ansi.StringWidth(c))
		}
	}
	const gutter, gap = 2, 2
	if width > 0 {
		total := gutter + gap*(len(cols)-1)
		for _, w := range widths {
			total += w
		}
		if total > width {
			widths[0] = max(widths[0]-(total-width), min(widths[0], 8))
		}
	}
	line := func(cells []string, apply func(i int, s string) string) string {
		var b strings.Builder
		for i, c := range cells {
			if i > 0 {
				b.WriteString(strings.Repeat(" ", gap))
			}
			c = ansi.Truncate(c, widths[i], "…")
			pad := strings.Repeat(" ", widths[i]-ansi.StringWidth(c))
			if i < left {
				c += pad
			} else {
				c = pad + c
			}
			b.WriteString(apply(i, c))
		}
		return b.String()
	}
	plain := func(_ int, s string) string { return s }
	out := []string{strings.Repeat(" ", gutter) + st.head.Render(line(titles, plain))}
	first, last := 0, len(rows)
	if height > 1 && len(rows) > height-1 {
		first = max(0, min(sel-(height-1)/2, len(rows)-(height-1)))
		last = first + height - 1
	}
	for i := first; i < last; i++ {
		r := rows[i]
		if i == sel {
			out = append(out, "> "+st.selected.Render(line(r.cells, plain)))
			continue
		}
		out = append(out, strings.Repeat(" ", gutter)+line(r.cells, func(j int, s string) string {
			if r.warn[j] {
				return st.warn.Render(s)
			}
			return s
		}))
	}
	return out
}

// streamRows are the rows of the streams screen.
func streamRows(snap *topSnapshot) []topRow {
	cols := len(topColumns[levelStreams])
	rows := make([]topRow, 0, len(snap.streams))
	for _, s := range snap.streams {
		r := newTopRow(s.Stream, cols)
		var pending, lag, alive, total int64
		var oldest time.Duration
		lagUnknown := false
		for _, g := range s.Groups {
			pending += g.Pending
			if g.Pending > 0 {
				oldest = max(oldest, g.OldestPendingAge)
			}
			if g.LagKnown {
				lag += g.Lag
			} else {
				lagUnknown = true
			}
			total += int64(len(g.Consumers))
			alive += int64(len(g.Consumers) - g.DeadConsumers)
		}
		r.set(1, thousands(s.Length), float64(s.Length), false)
		r.set(2, thousands(int64(len(s.Groups))), float64(len(s.Groups)), false)
		r.set(3, thousands(pending), float64(pending), false)
		r.set(4, durationCell(oldest, pending > 0), oldest.Seconds(), false)
		r.set(5, lagText(lag, lagUnknown, len(s.Groups) > 0), float64(lag), false)
		r.set(6, aliveCell(int(alive), int(total)), float64(total-alive), alive < total)
		proc, known := 0.0, len(s.processed) > 0
		for _, v := range s.processed {
			proc += v
		}
		r.set(7, formatRate(proc, known), proc, false)
		if s.DeadLetters.Exists {
			r.set(8, thousands(s.DeadLetters.Length), float64(s.DeadLetters.Length), s.DeadLetters.Length > 0)
		} else {
			r.set(8, "-", 0, false)
		}
		inflow := s.DeadLetters.InflowRate
		r.set(9, formatRate(inflow, s.SinceLast > 0), inflow, inflow > 0)
		rows = append(rows, r)
	}
	return rows
}

// groupRows are the rows of a stream's groups screen.
func groupRows(s topStream) []topRow {
	cols := len(topColumns[levelGroups])
	rows := make([]topRow, 0, len(s.Groups))
	for _, g := range s.Groups {
		r := newTopRow(g.Name, cols)
		has := g.Pending > 0
		r.set(1, thousands(g.Pending), float64(g.Pending), false)
		r.set(2, durationCell(g.OldestPendingAge, has), g.OldestPendingAge.Seconds(), false)
		r.set(3, durationCell(g.OldestPendingIdle, has), g.OldestPendingIdle.Seconds(), false)
		r.set(4, lagText(g.Lag, !g.LagKnown, true), float64(g.Lag), false)
		n := len(g.Consumers)
		r.set(5, aliveCell(n-g.DeadConsumers, n), float64(g.DeadConsumers), g.DeadConsumers > 0)
		proc, known := s.processed[g.Name]
		r.set(6, formatRate(proc, known), proc, false)
		r.set(7, formatRate(g.RedeliveryRate, s.SinceLast > 0), g.RedeliveryRate, g.RedeliveryRate > 0)
		ghosts := thousands(g.GhostPending)
		if g.GhostsCapped {
			ghosts += "+"
		}
		r.set(8, ghosts, float64(g.GhostPending), g.GhostPending > 0)
		rows = append(rows, r)
	}
	return rows
}

// consumerRows are the rows of a group's consumers screen.
func consumerRows(g monitor.GroupStats, now time.Time) []topRow {
	cols := len(topColumns[levelConsumers])
	rows := make([]topRow, 0, len(g.Consumers))
	for _, c := range g.Consumers {
		r := newTopRow(c.Name, cols)
		r.set(1, thousands(c.Pending), float64(c.Pending), false)
		r.set(2, shortDuration(c.Idle), c.Idle.Seconds(), false)
		if c.Alive {
			r.set(3, "yes", 0, false)
		} else {
			r.set(3, "no", 1, true)
		}
		if c.Worker {
			since := max(now.Sub(c.LastHeartbeat), 0)
			r.set(4, ago(since), since.Seconds(), false)
		} else {
			r.set(4, "-", -1, false)
		}
		if c.Worker {
			r.set(5, thousands(c.Stats.Processed), float64(c.Stats.Processed), false)
			r.set(6, thousands(c.Stats.Failed), float64(c.Stats.Failed), false)
			r.set(7, thousands(c.Stats.DeadLettered), float64(c.Stats.DeadLettered), c.Stats.DeadLettered > 0)
			r.set(8, thousands(c.Stats.Redeliveries), float64(c.Stats.Redeliveries), false)
		} else {
			// Not a Pelican worker: no counters, as pelican consumers
			// shows; sorted below the workers' zeros.
			for col := 5; col <= 8; col++ {
				r.set(col, "-", -1, false)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// mostDeliveredLines shows a group's most-delivered pending messages and
// the delivery counts of the sample they come from.
func mostDeliveredLines(st topStyles, g *monitor.GroupStats, width int) []string {
	h := g.Deliveries
	if h.Sampled == 0 {
		return []string{"no pending messages"}
	}
	of := fmt.Sprintf("all %d pending messages", h.Sampled)
	if h.Partial {
		of = fmt.Sprintf("the oldest %d of %d pending messages", h.Sampled, g.Pending)
	}
	var buckets []string
	lo := int64(1)
	for i, n := range h.Counts {
		label := ">10"
		if i < len(monitor.DeliveryBuckets) {
			hi := monitor.DeliveryBuckets[i]
			label = strconv.FormatInt(hi, 10)
			if hi > lo {
				label = fmt.Sprintf("%d-%d", lo, hi)
			}
			lo = hi + 1
		}
		buckets = append(buckets, fmt.Sprintf("%s×: %d", label, n))
	}
	out := []string{
		fmt.Sprintf("Deliveries of %s: %s (max %d)", of, strings.Join(buckets, "  "), h.Max),
	}
	if len(g.MostDelivered) == 0 {
		return append(out, "none of them was delivered more than once")
	}
	out = append(out, "", st.title.Render("Most delivered"))
	cols := []string{"ID", "CONSUMER", "DELIVERIES", "IDLE"}
	rows := make([]topRow, 0, len(g.MostDelivered))
	for _, p := range g.MostDelivered {
		r := newTopRow(p.ID, len(cols))
		r.set(1, p.Consumer, 0, false)
		r.set(2, thousands(p.Deliveries), float64(p.Deliveries), p.Deliveries > 3)
		r.set(3, shortDuration(p.Idle), p.Idle.Seconds(), false)
		rows = append(rows, r)
	}
	return append(out, renderTable(st, cols, rows, topSort{col: -1}, -1, width, 0, 2)...)
}

// formatRate shows a per-second figure, "-" while unknown.
func formatRate(v float64, known bool) string {
	switch {
	case !known:
		return "-"
	case v == 0:
		return "0"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v < 100_000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v/1000, 'f', 0, 64) + "k"
}
