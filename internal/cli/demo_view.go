package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"charm.land/lipgloss/v2"
	"golang.org/x/term"
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
	status    string    // the status line shown, live
	lastPlain time.Time // when the status was last logged, not live
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

// say prints text as it is, above the status line.
func (v *demoView) say(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
	fmt.Fprintf(v.w, format+"\n", args...)
	v.drawLocked()
}

// step prints a step of the story: the time since the start, the step's
// name, and what happened.
func (v *demoView) step(name, format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
	fmt.Fprintf(v.w, "%s  %s  %s\n", v.style(dimStyle, v.elapsed()), v.style(stepStyle, fmt.Sprintf("%-8s", name)), fmt.Sprintf(format, args...))
	v.drawLocked()
}

// more continues the last step on a line of its own, indented under it.
func (v *demoView) more(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
	fmt.Fprintf(v.w, "%s%s\n", strings.Repeat(" ", len(v.elapsed())+12), fmt.Sprintf(format, args...))
	v.drawLocked()
}

// elapsed is the time since the start, right-aligned.
func (v *demoView) elapsed() string {
	return fmt.Sprintf("%6.1fs", time.Since(v.start).Seconds())
}

// setStatus shows the status: redrawn on a terminal, logged now and then
// otherwise.
func (v *demoView) setStatus(s string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.live {
		if time.Since(v.lastPlain) >= demoLogEvery {
			v.lastPlain = time.Now()
			fmt.Fprintf(v.w, "%s  %-8s  %s\n", v.elapsed(), "progress", s)
		}
		return
	}
	v.status = s
	v.clearLocked()
	v.drawLocked()
}

// end removes the status line.
func (v *demoView) end() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clearLocked()
	v.status = ""
}

// clearLocked erases the status line, live.
func (v *demoView) clearLocked() {
	if v.live && v.status != "" {
		fmt.Fprint(v.w, "\r\x1b[2K")
	}
}

// drawLocked draws the status line, live, cut to the terminal's width so
// that it never wraps (a wrapped line could not be erased).
func (v *demoView) drawLocked() {
	if !v.live || v.status == "" {
		return
	}
	s := v.elapsed() + "  " + v.status
	if f, ok := v.w.(*os.File); ok {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 1 && len(s) >= width {
			s = s[:width-1]
		}
	}
	fmt.Fprint(v.w, v.style(dimStyle, s))
}
