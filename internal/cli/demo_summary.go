package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"charm.land/lipgloss/v2"
	"golang.org/x/term"
)

// demoSummary is the demo's result: what --json prints, and the numbers
// the summary shows.
type demoSummary struct {
	// Published orders; each one is in exactly one of Acknowledged,
	// DeadLettered, Both and Lost.
	Published int `json:"published"`
	// Acknowledged orders were charged, and their messages acknowledged
	// in the same transaction.
	Acknowledged int `json:"acknowledged"`
	// DeadLettered orders are still in the dead-letter stream at the end.
	DeadLettered int `json:"dead_lettered"`
	// Lost orders are neither charged nor dead-lettered.
	Lost int `json:"lost"`
	// Both counts orders charged and also in the dead-letter stream
	// (never, if all goes well).
	Both int `json:"charged_and_dead_lettered"`
	// Pending is what the group's Pending Entries List holds at the end.
	Pending int64 `json:"pending"`
	// Duplicates counts the charges beyond the first of an order.
	Duplicates int64 `json:"duplicates"`
	// Retries counts the handler calls for messages delivered before.
	Retries int64 `json:"retries"`
	// TransientFailures counts the payment gateway's timeouts.
	TransientFailures int64 `json:"transient_failures"`
	// Killed is the worker killed with SIGKILL; Claimed the messages it
	// held, which the others took over ClaimMs milliseconds after the
	// kill.
	Killed  string `json:"killed_worker"`
	Claimed int64  `json:"claimed"`
	ClaimMs int64  `json:"claim_ms"`
	// Restarted is true once the engine was stopped and reopened from its
	// directory; RestartMatched when it held the same before and after.
	Restarted      bool        `json:"restarted"`
	RestartMatched bool        `json:"restart_matched"`
	RestartBefore  *demoCounts `json:"restart_before,omitempty"`
	RestartAfter   *demoCounts `json:"restart_after,omitempty"`
	RestartSkipped string      `json:"restart_skipped,omitempty"`
	// Causes are the dead letters grouped by cause, before the redrive.
	Causes []demoCause `json:"causes"`
	// Redriven dead letters, of RedrivenCause, were sent back after the
	// fix.
	Redriven      int64  `json:"redriven"`
	RedrivenCause string `json:"redriven_cause,omitempty"`

	Orders    int    `json:"orders"`
	Workers   int    `json:"workers"`
	Seed      uint64 `json:"seed"`
	Stream    string `json:"stream"`
	Embedded  bool   `json:"embedded"`
	ElapsedMs int64  `json:"elapsed_ms"`
	// Server is the embedded engine's address or the --url (its
	// password hidden); Dir the engine's data directory.
	Server string `json:"-"`
	Dir    string `json:"-"`
	// ServerLeft and DirLeft are Server and Dir in the JSON, null when
	// they are gone by the time it is read: the embedded engine's port
	// (closed when the demo ends) and a temporary directory (removed).
	ServerLeft *string `json:"server"`
	DirLeft    *string `json:"dir"`
}

// settle fills in ServerLeft and DirLeft: what is left once the demo has
// ended; keptDir says whether the data directory stays (--dir).
func (s *demoSummary) settle(keptDir bool) {
	s.ServerLeft, s.DirLeft = nil, nil
	if !s.Embedded {
		s.ServerLeft = &s.Server
	}
	if s.Dir != "" && keptDir {
		s.DirLeft = &s.Dir
	}
}

// demoCause is one cause of dead letters.
type demoCause struct {
	Cause       string `json:"cause"`
	Count       int64  `json:"count"`
	Fingerprint string `json:"fingerprint"`
	Sample      string `json:"sample"`
}

// proven reports whether the numbers add up: every order published is
// acknowledged or dead-lettered, once, and nothing is left pending.
func (s *demoSummary) proven() bool {
	return s.Lost == 0 && s.Both == 0 && s.Pending == 0 && s.Duplicates == 0 &&
		s.Published == s.Acknowledged+s.DeadLettered
}

// printSummary prints the summary for people.
func (d *demo) printSummary(o *output) {
	s := &d.sum
	w := o.w
	width := termWidth(w) // 0 for a pipe or a file: whole lines
	fmt.Fprintf(w, "\n%s\n", o.style(headStyle, fmt.Sprintf("Summary, after %.1fs", float64(s.ElapsedMs)/1000)))
	const noteAt = 2 + 14 + 1 + 6 + 2 // where a row's note starts
	row := func(name string, n any, note string) {
		fmt.Fprintf(w, "  %-14s %6v  %s\n", name, n, wrapWords(note, width, noteAt, noteAt))
	}
	line := func(st lipgloss.Style, text string) {
		fmt.Fprintln(w, o.style(st, wrapWords(text, width, 0, 0)))
	}
	row("published", s.Published, "orders")
	row("acknowledged", s.Acknowledged, fmt.Sprintf("charged, each exactly once (%d charged twice)", s.Duplicates))
	row("dead-lettered", s.DeadLettered, "still in "+d.keys.deadLetters()+stillDead(s))
	lost := fmt.Sprintf("published - acknowledged - dead-lettered, order by order; %d left pending", s.Pending)
	if s.Lost > 0 {
		row("lost", o.style(badStyle, fmt.Sprint(s.Lost)), lost)
	} else {
		row("lost", s.Lost, lost)
	}
	if s.Both > 0 {
		row("both", o.style(badStyle, fmt.Sprint(s.Both)), "orders charged and also dead-lettered")
	}
	row("retries", s.Retries, fmt.Sprintf("deliveries after a failure or a crash (%d gateway timeouts, each retried)", s.TransientFailures))
	row("claimed", s.Claimed, fmt.Sprintf("from %s, killed with SIGKILL, taken over in %s", s.Killed, preciseMillis(s.ClaimMs)))
	switch {
	case s.Restarted && s.RestartMatched:
		row("restart", "ok", "the engine reopened from its directory holding exactly what it closed with")
	case s.Restarted:
		row("restart", o.style(badStyle, "lost"), "the engine reopened with other contents")
	default:
		row("restart", "-", "skipped: "+s.RestartSkipped)
	}
	row("redriven", s.Redriven, s.RedrivenCause+", after the fix")
	fmt.Fprintln(w)
	if s.proven() {
		line(goodStyle, fmt.Sprintf("Nothing lost: %d published = %d acknowledged + %d dead-lettered.", s.Published, s.Acknowledged, s.DeadLettered))
	} else {
		line(badStyle, fmt.Sprintf("The numbers do not add up: %d published, %d acknowledged, %d dead-lettered, %d lost, %d both, %d pending, %d duplicates.",
			s.Published, s.Acknowledged, s.DeadLettered, s.Lost, s.Both, s.Pending, s.Duplicates))
	}
	switch {
	case s.Dir != "" && d.f.dir != "":
		line(plainStyle, fmt.Sprintf("The data is in %s: look at it with pelican commands and --dir %s.", s.Dir, shellWord(s.Dir)))
	case s.Embedded:
		line(plainStyle, "The temporary data directory is removed; run with --dir DIR to keep the data.")
	default:
		line(plainStyle, d.keysLeftNote())
	}
}

// plainStyle leaves text as it is.
var plainStyle = lipgloss.NewStyle()

// keysLeftNote says, after a run against --url, that its keys are left
// on the server, and how to remove them.
func (d *demo) keysLeftNote() string {
	url := redactURL(d.f.url)
	hidden := ""
	if url != d.f.url {
		hidden = " (password hidden)"
	}
	pattern := shellWord(d.keys.prefix() + ":*")
	return fmt.Sprintf("The demo's keys, %s:*, are left on the server; remove them with: redis-cli -u %s --scan --pattern %s | xargs redis-cli -u %s unlink%s",
		d.keys.prefix(), shellWord(url), pattern, shellWord(url), hidden)
}

// termWidth is the width of the terminal w is, 0 when it is not one.
func termWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !isTerminal(f) {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}

// stillDead names the causes that stay dead-lettered.
func stillDead(s *demoSummary) string {
	var causes []string
	for _, c := range s.Causes {
		if c.Cause != s.RedrivenCause {
			causes = append(causes, c.Cause)
		}
	}
	if len(causes) == 0 {
		return ""
	}
	return ": " + strings.Join(causes, "; ") + " (bad data)"
}
