package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/pelicanhq/pelican/dlq"
)

// The dlq commands that only read: stats, ls, show, errors.

// newDlqStatsCommand returns "pelican dlq stats STREAM".
func newDlqStatsCommand(stdout, stderr io.Writer) *cobra.Command {
	d := &dlqTarget{}
	var o *output
	cmd := &cobra.Command{
		Use:   "stats STREAM",
		Short: "How many dead letters, how old, and from which groups and error classes",
		Example: `  pelican dlq stats orders
  pelican dlq stats --dlq-stream billing-failures --json`,
		Args: cobra.ArbitraryArgs,
		RunE: d.runE(0, nil, func(ctx context.Context, x dlqCall) error {
			st, err := x.q.Stats(ctx)
			if err != nil {
				return dlqError(err)
			}
			if o.json {
				return o.printJSON(dlqStatsToJSON(x.q.Name(), st))
			}
			return printStats(o, x.q.Name(), st, x.c.Clock().Now())
		}),
	}
	d.addFlags(cmd)
	o = addOutputFlags(cmd, stdout)
	return cmd
}

// printStats shows a dead-letter stream's stats as a table.
func printStats(o *output, name string, st dlq.Stats, now time.Time) error {
	t := o.table("DEAD LETTERS", name)
	entries := thousands(st.Count)
	if st.Count > 0 {
		entries = o.style(warnStyle, entries)
	}
	t.row("entries", entries)
	if st.Oldest != nil {
		t.row("oldest", st.Oldest.ID+"  "+when(st.Oldest.DeadAt, now))
		t.row("newest", st.Newest.ID+"  "+when(st.Newest.DeadAt, now))
	}
	t.row("malformed", st.Malformed)
	t.row("redriven before", st.Redriven)
	for _, b := range []struct {
		what   string
		counts map[string]int64
	}{{"stream", st.ByStream}, {"group", st.ByGroup}, {"class", st.ByClass}} {
		for _, k := range slices.Sorted(maps.Keys(b.counts)) {
			name := k
			if name == "" {
				name = "(none)"
			}
			t.row("by "+b.what+" "+name, b.counts[k])
		}
	}
	return t.flush()
}

// defaultLsCount is how many entries a page of "pelican dlq ls" holds
// by default.
const defaultLsCount = 50

// newDlqLsCommand returns "pelican dlq ls STREAM".
func newDlqLsCommand(stdout, stderr io.Writer) *cobra.Command {
	d := &dlqTarget{}
	var o *output
	var s selectorFlags
	var count int
	var after string
	var reverse bool
	cmd := &cobra.Command{
		Use:   "ls STREAM",
		Short: "List dead letters, a page at a time",
		Long: `Lists the dead letters of STREAM, oldest first (newest first with --reverse), --count at a
time. When more follow, it says how to get the next page (--after ID). Selector flags narrow
the list; without them it lists every entry. Listing changes nothing.`,
		Example: `  pelican dlq ls orders
  pelican dlq ls orders --count 100 --after 1700000000000-3
  pelican dlq ls orders --cause 3f2a9c1b7d04 --reverse
  pelican dlq ls orders --from 2h --json`,
		Args: cobra.ArbitraryArgs,
		RunE: d.runE(0, func([]string) error {
			if count <= 0 {
				return usageErrorf("--count must be at least 1")
			}
			if after != "" && !isEntryID(after) {
				return usageErrorf("--after %q: not a stream ID; give the ID the previous page ended at", after)
			}
			return nil
		}, func(ctx context.Context, x dlqCall) error {
			now := x.c.Clock().Now()
			sel, err := s.browse(now)
			if err != nil {
				return err
			}
			entries, next, err := x.q.List(ctx, sel, dlq.ListOptions{After: after, Limit: count, Reverse: reverse})
			if err != nil {
				return dlqError(err)
			}
			if o.json {
				return o.printJSON(struct {
					DLQ     string         `json:"dead_letter_stream"`
					Entries []dlqEntryJSON `json:"entries"`
					// Next is the ID to give --after for the next page,
					// "" on the last page.
					Next string `json:"next"`
				}{x.q.Name(), dlqEntriesToJSON(entries), next})
			}
			if len(entries) == 0 {
				switch {
				case after != "":
					fmt.Fprintf(o.w, "no more dead letters in %s after %s\n", x.q.Name(), after)
				case !s.given():
					fmt.Fprintf(o.w, "%s holds no dead letters\n", x.q.Name())
				default:
					fmt.Fprintf(o.w, "no dead letters in %s match\n", x.q.Name())
				}
				return nil
			}
			t := o.table("ID", "DEAD", "GROUP", "DELIVERIES", "CLASS", "ERROR")
			for _, e := range entries {
				t.row(e.ID, ago(now.Sub(e.DeadAt)), dash(e.Group), e.Deliveries, dash(e.Class), clip(e.Error, 60))
			}
			if err := t.flush(); err != nil {
				return err
			}
			if next != "" {
				more := s.args(sel)
				if count != defaultLsCount {
					more = append(more, "--count", strconv.Itoa(count))
				}
				if reverse {
					more = append(more, "--reverse")
				}
				more = append(more, "--after", next)
				fmt.Fprintf(stderr, "more: %s\n", d.commandFor("ls", x.stream, more...))
			}
			return nil
		}),
	}
	d.addFlags(cmd)
	s.add(cmd)
	fs := cmd.Flags()
	fs.IntVar(&count, "count", defaultLsCount, "how many entries a page holds")
	fs.StringVar(&after, "after", "", "start after this entry ID: the last of the previous page")
	fs.StringVar(&after, "cursor", "", "the same as --after")
	fs.BoolVar(&reverse, "reverse", false, "newest first")
	o = addOutputFlags(cmd, stdout)
	return cmd
}

// newDlqShowCommand returns "pelican dlq show STREAM ID".
func newDlqShowCommand(stdout, stderr io.Writer) *cobra.Command {
	d := &dlqTarget{}
	var o *output
	cmd := &cobra.Command{
		Use:   "show STREAM ID",
		Short: "Show one dead letter: its fields and its failure history",
		Example: `  pelican dlq show orders 1700000000000-0
  pelican dlq show orders 1700000000000-0 --json`,
		Args: cobra.ArbitraryArgs,
		RunE: d.runE(1, func(args []string) error {
			if !isEntryID(args[0]) {
				return usageErrorf("%q is not a stream ID (like 1700000000000-0): 'pelican dlq ls' lists the IDs", args[0])
			}
			return nil
		}, func(ctx context.Context, x dlqCall) error {
			id := x.args[0]
			e, err := x.q.Get(ctx, id)
			if errors.Is(err, dlq.ErrNotFound) {
				return fmt.Errorf("no entry %s in %s; list the entries with: %s", id, x.q.Name(), d.commandFor("ls", x.stream))
			}
			if err != nil {
				return dlqError(err)
			}
			if o.json {
				return o.printJSON(dlqShowJSON(x.q.Name(), e))
			}
			return printEntry(o, e, x.c.Clock().Now())
		}),
	}
	d.addFlags(cmd)
	o = addOutputFlags(cmd, stdout)
	return cmd
}

// printEntry shows every field of a dead letter.
func printEntry(o *output, e dlq.Entry, now time.Time) error {
	t := o.table("ENTRY", e.ID)
	t.row("original ID", dash(e.OriginalID))
	t.row("stream", dash(e.Stream))
	t.row("group", dash(e.Group))
	t.row("consumer", dash(e.Consumer))
	t.row("deliveries", e.Deliveries)
	t.row("first failure", when(e.FirstFailure, now))
	t.row("last failure", when(e.LastFailure, now))
	t.row("dead-lettered", when(e.DeadAt, now))
	t.row("class", dash(e.Class))
	t.row("error", o.style(badStyle, dash(e.Error)))
	t.row("fingerprint", e.Fingerprint)
	t.row("redriven", times(e.Redrives)+" before")
	if n := e.Reprocessed; n != nil {
		t.row("reprocessing", fmt.Sprintf("failed %s, last %s: %s", times(int64(n.Attempts)), when(n.LastAttempt, now), n.LastError))
	}
	if len(e.Malformed) > 0 {
		t.row("malformed", o.style(warnStyle, fmt.Sprint(e.Malformed)))
	}
	for _, k := range slices.Sorted(maps.Keys(e.Values)) {
		t.row("field "+k, valueCell(e.Values[k], 200))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if e.Stack != "" {
		_, err := fmt.Fprintf(o.w, "\nstack of the panic:\n%s\n", e.Stack)
		return err
	}
	return nil
}

// newDlqErrorsCommand returns "pelican dlq errors STREAM".
func newDlqErrorsCommand(stdout, stderr io.Writer) *cobra.Command {
	d := &dlqTarget{}
	var o *output
	var s selectorFlags
	cmd := &cobra.Command{
		Use:   "errors STREAM",
		Short: "Dead letters grouped by cause, largest group first",
		Long: `Groups the dead letters by cause: errors that differ only in numbers, IDs and quoted values
("order 88214 not found", "order 91007 not found") are one cause, with one fingerprint. For
each: how many, first and last seen, a sample, and the fingerprint, which --cause takes to
select that cause's entries in the other commands.`,
		Example: `  pelican dlq errors orders
  pelican dlq errors orders --from 1h --json
  pelican dlq redrive orders --cause 3f2a9c1b7d04    # then redrive one cause`,
		Args: cobra.ArbitraryArgs,
		RunE: d.runE(0, nil, func(ctx context.Context, x dlqCall) error {
			now := x.c.Clock().Now()
			sel, err := s.browse(now)
			if err != nil {
				return err
			}
			groups, err := x.q.Failures(ctx, sel)
			if err != nil {
				return dlqError(err)
			}
			if o.json {
				return o.printJSON(struct {
					DLQ    string         `json:"dead_letter_stream"`
					Causes []dlqCauseJSON `json:"causes"`
				}{x.q.Name(), dlqCausesToJSON(groups)})
			}
			if len(groups) == 0 {
				if !s.given() {
					fmt.Fprintf(o.w, "%s holds no dead letters\n", x.q.Name())
				} else {
					fmt.Fprintf(o.w, "no dead letters in %s match\n", x.q.Name())
				}
				return nil
			}
			t := o.table("COUNT", "FINGERPRINT", "FIRST SEEN", "LAST SEEN", "CAUSE", "SAMPLE")
			for _, g := range groups {
				t.row(g.Count, g.Fingerprint, ago(now.Sub(g.FirstSeen)), ago(now.Sub(g.LastSeen)),
					clip(dash(g.Text), 50), g.Sample.ID+": "+clip(g.Sample.Error, 50))
			}
			return t.flush()
		}),
	}
	d.addFlags(cmd)
	s.add(cmd)
	o = addOutputFlags(cmd, stdout)
	return cmd
}

// countSelected counts the entries sel selects, in one pass that reads
// their metadata only.
func countSelected(ctx context.Context, q *dlq.Queue, sel dlq.Selector) (int64, error) {
	groups, err := q.Failures(ctx, sel)
	if err != nil {
		return 0, dlqError(err)
	}
	var n int64
	for _, g := range groups {
		n += g.Count
	}
	return n, nil
}
