package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// A progressView shows how far a long operation has got: a progress bar
// on a terminal, and otherwise a plain line now and then, which logs
// and CI output keep readable.
type progressView struct {
	w     io.Writer
	what  string // "redriving orders:dlq"
	bar   *progressbar.ProgressBar
	total int64
	logs  *logLines // the log records written meanwhile; nil if none
	start time.Time

	every    time.Duration // plain lines: at most one per every
	last     time.Time
	lastDone int64
}

// plainEvery is how often plain progress lines are written, at most.
const plainEvery = time.Second

// rateAfter is how long the bar waits before it shows a rate: over less,
// the first batch done at once reads as hundreds of thousands a second.
const rateAfter = time.Second

// newProgressView starts showing progress on w. total may be 0 while
// unknown. The log records logs receives meanwhile are written on lines
// of their own, the bar cleared first (logs may be nil).
func newProgressView(w io.Writer, what string, total int64, logs *logLines) *progressView {
	v := &progressView{w: w, what: what, total: total, every: plainEvery, lastDone: -1, start: time.Now()}
	if isTerminal(w) {
		max := total
		if max == 0 {
			max = -1 // a spinner until the total is known
		}
		// The rate is written in the description by update, once
		// rateAfter has passed; the bar's own (OptionShowIts,
		// OptionSetPredictTime) shows from the first update.
		v.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(false),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(),
			progressbar.OptionEnableColorCodes(colorful(w)),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
		if logs != nil {
			v.logs = logs
			logs.show(v.bar)
		}
	}
	return v
}

// update shows done of total (total 0: not known yet); detail is shown on
// plain lines, after the counts.
func (v *progressView) update(done, total int64, detail string) {
	if v.bar != nil {
		defer v.logs.hold()()
		if total > 0 && total != v.total {
			v.total = total
			v.bar.ChangeMax64(total)
		}
		if took := time.Since(v.start); took >= rateAfter {
			v.bar.Describe(fmt.Sprintf("%s (%s msg/s)", v.what, thousands(int64(float64(done)/took.Seconds()))))
		}
		_ = v.bar.Set64(done)
		return
	}
	now := time.Now()
	if done == v.lastDone || now.Sub(v.last) < v.every {
		return
	}
	v.last, v.lastDone = now, done
	v.line(done, total, detail)
}

func (v *progressView) line(done, total int64, detail string) {
	of := ""
	if total > 0 {
		of = fmt.Sprintf(" of %s (%d%%)", thousands(total), done*100/total)
	}
	if detail != "" {
		detail = ": " + detail
	}
	fmt.Fprintf(v.w, "%s: %s%s%s\n", v.what, thousands(done), of, detail)
}

// finish ends the view with the final counts: a completed bar is left on
// its line; one stopped short (Ctrl-C, whose echo "^C" lands on the bar's
// line) is cleared and replaced by a plain line. Without a bar, a last
// plain line is written if it differs.
func (v *progressView) finish(done, total int64, detail string) {
	if v.bar != nil {
		v.logs.show(nil)
		release := v.logs.hold()
		if total > 0 && total != v.total {
			v.bar.ChangeMax64(total)
		}
		if total > 0 && done >= total {
			_ = v.bar.Set64(done) // completes it, ending the line
		} else {
			_ = v.bar.Exit()
			_ = v.bar.Clear()
			v.line(done, total, detail)
		}
		release()
		return
	}
	if done != v.lastDone {
		v.line(done, total, detail)
	}
}

// logLines is where the library's log records go while a command runs
// (the pelican.Client's logger): stderr, each record on a line of its
// own. While a progress bar is on screen the bar's line is cleared
// first; the bar is drawn again, below, at its next update.
type logLines struct {
	mu  sync.Mutex
	w   io.Writer
	bar *progressbar.ProgressBar // on screen, nil when none
}

// Write writes one log record.
func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bar != nil {
		_ = l.bar.Clear()
	}
	return l.w.Write(p)
}

// show says which bar is on screen (nil: none).
func (l *logLines) show(bar *progressbar.ProgressBar) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.bar = bar
	l.mu.Unlock()
}

// hold keeps log records from being written until the returned func is
// called, while the bar is drawn. A nil logLines holds nothing.
func (l *logLines) hold() func() {
	if l == nil {
		return func() {}
	}
	l.mu.Lock()
	return l.mu.Unlock
}
