package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"charm.land/lipgloss/v2"
)

// demoView shows the demo as it runs. Each step of the story is a line
// ("  3.4s  crash     ..."). On a terminal a status line under them is
// redrawn in place (rates, pending, dead letters); elsewhere the status
// is a line of its own every demoLogEvery, so that a log file reads well.
type demoView struct {
	w     io.Writer
	live  bool // redraw a status line (a terminal)
	color bool
	start time.Time

	mu        sync.Mutex
	phase     string       // what the status line says is going on
	status    []statusPart // the status line shown, live; nil when none
	lastPlain time.Time    // when the status was last logged, not live
	// refresh, if set, is called (holding mu) after a line is printed,
	// to have the status line drawn again from fresh figures; it must
	// not block.
	refresh func()
	// lines counts the lines printed above the status: a status computed
	// before the last of them is out of date.
	lines int
}

// demoLogEvery is how often the status is logged when the output is not a
// terminal.
const demoLogEvery = 2 * time.Second

// Styles of the demo's output, when colour is on.
var (
	stepStyle = lipgloss.NewStyle().Foreground(lipgloss.Color("6")).Bold(true)
	dimStyle  = lipgloss.NewStyle().Faint(true)
)

// newDemoView returns a view writing to w.
func newDemoView(w io.Writer, start time.Time) *demoView {
	return &demoView{w: w, live: isTerminal(w), color: colorful(w), start: start}
}

// style renders s in st when colour is on.
func (v *demoView) style(st lipgloss.Style, s string) string {
	if !v.color {
		return s
	}
	return st.Render(s)
}

// stepIndent is how far a step's text is indented: past the elapsed
// time ("  3.4s") and the step's name.
const stepIndent = 7 + 2 + 8 + 2

// say prints text above the status line; on a terminal, lines too wide
// are wrapped at spaces, the lines after the first indented by hang.
func (v *demoView) say(hang int, format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
	fmt.Fprintln(v.w, wrapWords(fmt.Sprintf(format, args...), v.widthLocked(), 0, hang))
	v.afterLineLocked()
}

// sayStyled is say of one line in st.
func (v *demoView) sayStyled(st lipgloss.Style, text string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
	fmt.Fprintln(v.w, v.style(st, wrapWords(text, v.widthLocked(), 0, 0)))
	v.afterLineLocked()
}

// step prints a step of the story: the time since the start, the step's
// name, and what happened.
func (v *demoView) step(name, format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
	text := wrapWords(fmt.Sprintf(format, args...), v.widthLocked(), stepIndent, stepIndent)
	fmt.Fprintf(v.w, "%s  %s  %s\n", v.style(dimStyle, v.elapsed()), v.style(stepStyle, fmt.Sprintf("%-8s", name)), text)
	v.afterLineLocked()
}

// more continues the last step on a line of its own, indented under it.
func (v *demoView) more(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
	text := wrapWords(fmt.Sprintf(format, args...), v.widthLocked(), stepIndent, stepIndent+2)
	fmt.Fprintf(v.w, "%s%s\n", strings.Repeat(" ", stepIndent), text)
	v.afterLineLocked()
}

// afterLineLocked follows a line printed above the status: the status it
// replaced is out of date (it says what was going on before the line),
// so it is not drawn again; refresh, if set, is asked for a fresh one.
func (v *demoView) afterLineLocked() {
	v.lines++
	if v.live && v.status != nil {
		v.status = nil
		if v.refresh != nil {
			v.refresh()
		}
	}
}

// elapsed is the time since the start, right-aligned.
func (v *demoView) elapsed() string {
	return fmt.Sprintf("%6.1fs", time.Since(v.start).Seconds())
}

// widthLocked is the terminal's width, 0 (no limit) when the output is
// not a terminal: a pipe or a file keeps whole lines.
func (v *demoView) widthLocked() int {
	if !v.live {
		return 0
	}
	return termWidth(v.w)
}

// A statusPart is a piece of the status line: glue joins it to the part
// before it. When the line is wider than the terminal, the parts of the
// lowest rank are left out first.
type statusPart struct {
	glue, text string
	rank       int
}

// linesPrinted is how many lines were printed above the status so far,
// for setStatus.
func (v *demoView) linesPrinted() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lines
}

// setStatus shows the status: redrawn on a terminal, logged now and then
// otherwise (whole). A status whose figures were read before a line was
// printed (linesPrinted was not yet lines) is dropped: it says what was
// going on before that line.
func (v *demoView) setStatus(lines int, phase string, parts []statusPart) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if lines != v.lines {
		return
	}
	if !v.live {
		if time.Since(v.lastPlain) >= demoLogEvery {
			v.lastPlain = time.Now()
			fmt.Fprintf(v.w, "%s  %-8s  %s\n", v.elapsed(), phase, joinStatus(parts))
		}
		return
	}
	v.clearLocked()
	v.phase, v.status = phase, parts
	v.drawLocked()
}

// end removes the status line.
func (v *demoView) end() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
	v.status = nil
}

// clearLocked erases the status line, live.
func (v *demoView) clearLocked() {
	if v.live && v.status != nil {
		fmt.Fprint(v.w, "\r\x1b[2K")
	}
}

// drawLocked draws the status line, live, fitted to the terminal's width
// so that it never wraps (a wrapped line could not be erased): the
// least useful parts are left out first (the rates, then the totals),
// and what is still too wide is cut.
func (v *demoView) drawLocked() {
	if !v.live || v.status == nil {
		return
	}
	head := fmt.Sprintf("%s  %-8s  ", v.elapsed(), v.phase)
	fmt.Fprint(v.w, v.style(dimStyle, fitStatus(head, v.status, v.widthLocked())))
}

// fitStatus writes a status line, head and then the parts, in fewer
// than width characters (no limit when width is 0): the parts of the
// lowest rank are left out first, and what is still too wide is cut.
func fitStatus(head string, parts []statusPart, width int) string {
	parts = slices.Clone(parts)
	s := head + joinStatus(parts)
	for width > 0 && len([]rune(s)) >= width && len(parts) > 1 {
		low := 0
		for i, p := range parts {
			if p.rank < parts[low].rank {
				low = i
			}
		}
		parts = slices.Delete(parts, low, low+1)
		if low == 0 {
			parts[0].glue = ""
		}
		s = head + joinStatus(parts)
	}
	if width > 0 {
		s = cut(s, width-1)
	}
	return s
}

// joinStatus writes the parts of a status line.
func joinStatus(parts []statusPart) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteString(p.glue)
		}
		b.WriteString(p.text)
	}
	return b.String()
}

// wrapWords wraps text at spaces so that no line passes column width (0
// or less: no limit): the first line starts at column first (after what
// is printed before it), the others are indented to column hang. Runs
// of spaces within a line are kept (they line up columns); a word longer
// than a line is left whole.
func wrapWords(text string, width, first, hang int) string {
	if width <= 0 || first+len([]rune(text)) <= width {
		return text
	}
	var b strings.Builder
	col, words, wrapped := first, 0, false // words: on this line
	for i, word := range strings.Split(text, " ") {
		n := len([]rune(word))
		switch {
		case i == 0:
		case word != "" && words > 0 && col+1+n > width:
			b.WriteString("\n" + strings.Repeat(" ", hang))
			col, words, wrapped = hang, 0, true
		case word == "" && (col+1 > width || wrapped && words == 0):
			// a space that would pass the edge, or start a new line
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += n
		if word != "" {
			words++
		}
	}
	return b.String()
}
