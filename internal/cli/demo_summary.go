package cli

import (
	"fmt"
	"strings"
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
	Server    string `json:"server"`
	Dir       string `json:"dir,omitempty"`
	ElapsedMs int64  `json:"elapsed_ms"`
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
	fmt.Fprintf(w, "\n%s\n", o.style(headStyle, fmt.Sprintf("Summary, after %.1fs", float64(s.ElapsedMs)/1000)))
	row := func(name string, n any, note string) {
		fmt.Fprintf(w, "  %-14s %6v  %s\n", name, n, note)
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
	row("claimed", s.Claimed, fmt.Sprintf("from %s, killed with SIGKILL, taken over in %.1fs", s.Killed, float64(s.ClaimMs)/1000))
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
		fmt.Fprintln(w, o.style(goodStyle, fmt.Sprintf("Nothing lost: %d published = %d acknowledged + %d dead-lettered.", s.Published, s.Acknowledged, s.DeadLettered)))
	} else {
		fmt.Fprintln(w, o.style(badStyle, fmt.Sprintf("The numbers do not add up: %d published, %d acknowledged, %d dead-lettered, %d lost, %d both, %d pending, %d duplicates.",
			s.Published, s.Acknowledged, s.DeadLettered, s.Lost, s.Both, s.Pending, s.Duplicates)))
	}
	switch {
	case s.Dir != "" && d.f.dir != "":
		fmt.Fprintf(w, "The data is in %s: look at it with pelican commands and --dir %s.\n", s.Dir, s.Dir)
	case s.Embedded:
		fmt.Fprintln(w, "The temporary data directory is removed; run with --dir DIR to keep the data.")
	}
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
