package cli

import (
	"fmt"
	"io"
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

	every    time.Duration // plain lines: at most one per every
	last     time.Time
	lastDone int64
}

// plainEvery is how often plain progress lines are written, at most.
const plainEvery = time.Second

// newProgressView starts showing progress on w. total may be 0 while
// unknown.
func newProgressView(w io.Writer, what string, total int64) *progressView {
	v := &progressView{w: w, what: what, total: total, every: plainEvery, lastDone: -1}
	if isTerminal(w) {
		max := total
		if max == 0 {
			max = -1 // a spinner until the total is known
		}
		v.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("msg"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionFullWidth(),
			progressbar.OptionEnableColorCodes(colorful(w)),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	}
	return v
}

// update shows done of total (total 0: not known yet); detail is shown on
// plain lines, after the counts.
func (v *progressView) update(done, total int64, detail string) {
	if v.bar != nil {
		if total > 0 && total != v.total {
			v.total = total
			v.bar.ChangeMax64(total)
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

// finish ends the view with the final counts: the bar is completed (or
// left where it stopped), a last plain line written if it differs.
func (v *progressView) finish(done, total int64, detail string) {
	if v.bar != nil {
		if total > 0 && total != v.total {
			v.bar.ChangeMax64(total)
		}
		_ = v.bar.Set64(done)
		if total <= 0 || done < total {
			_ = v.bar.Exit()
			fmt.Fprintln(v.w)
		}
		return
	}
	if done != v.lastDone {
		v.line(done, total, detail)
	}
}
