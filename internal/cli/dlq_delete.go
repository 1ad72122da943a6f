package cli

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
)

// deleteChunk is how many entries one step of rm or purge deletes: a
// step is a List page and one Delete, between which progress shows, the
// rate applies and a cancel takes effect.
const deleteChunk = 500

// deleteFlags are the flags of rm and purge.
type deleteFlags struct {
	sel    selectorFlags
	dryRun bool
	yes    bool
	rate   float64
}

// newDlqRmCommand returns "pelican dlq rm STREAM SELECTOR".
func newDlqRmCommand(stdout, stderr io.Writer) *cobra.Command {
	return newDlqDeleteCommand(false, stdout, stderr)
}

// newDlqPurgeCommand returns "pelican dlq purge STREAM SELECTOR".
func newDlqPurgeCommand(stdout, stderr io.Writer) *cobra.Command {
	return newDlqDeleteCommand(true, stdout, stderr)
}

// newDlqDeleteCommand returns rm, or purge, which also removes the
// dead-letter stream once emptied.
func newDlqDeleteCommand(purge bool, stdout, stderr io.Writer) *cobra.Command {
	d := &dlqTarget{}
	var o *output
	f := &deleteFlags{}
	cmd := &cobra.Command{
		Use:   "rm STREAM SELECTOR",
		Short: "Delete dead letters",
		Long: `Deletes the selected dead letters (and their reprocessing notes) for good, 500 at a time,
at most --rate per second. The dead-letter stream stays, even when emptied (purge removes it).
Ctrl-C stops after the current step; what was deleted is gone, and running the same command
again deletes the rest.`,
		Example: `  pelican dlq rm orders --id 1700000000000-0
  pelican dlq rm orders --cause 3f2a9c1b7d04 --dry-run
  pelican dlq rm orders --class permanent --to 7d --yes`,
		Args: cobra.ArbitraryArgs,
		RunE: d.runE(0, func([]string) error {
			if f.rate < 0 || math.IsNaN(f.rate) || math.IsInf(f.rate, 0) {
				return usageErrorf("--rate must be a positive number")
			}
			return nil
		}, func(ctx context.Context, x dlqCall) error {
			del := &deleter{o: o, f: f, c: x.c, q: x.q, purge: purge, stderr: stderr, logs: &d.logs}
			return del.run(ctx)
		}),
	}
	if purge {
		cmd.Use = "purge STREAM SELECTOR"
		cmd.Short = "Delete dead letters, and the dead-letter stream once empty"
		cmd.Long = `Deletes the selected dead letters as rm does; then, if the dead-letter stream is left empty
and no consumer group reads it, removes it with its notes, so that nothing is left behind.`
		cmd.Example = `  pelican dlq purge orders --all
  pelican dlq purge orders --all --yes --json
  pelican dlq purge --dlq-stream billing-failures --to 30d --dry-run`
	}
	d.addFlags(cmd)
	f.sel.add(cmd)
	fs := cmd.Flags()
	fs.BoolVar(&f.dryRun, "dry-run", false, "show what would be deleted, by cause, and change nothing")
	fs.BoolVarP(&f.yes, "yes", "y", false, "go ahead without asking")
	fs.Float64Var(&f.rate, "rate", 0, "delete at most this many entries per second (default: no limit)")
	o = addOutputFlags(cmd, stdout)
	return cmd
}

// A deleter runs one rm or purge.
type deleter struct {
	o      *output
	f      *deleteFlags
	c      *pelican.Client
	q      *dlq.Queue
	purge  bool
	stderr io.Writer
	logs   *logLines // the client's log records
}

func (x *deleter) verb() string {
	if x.purge {
		return "purge"
	}
	return "delete"
}

func (x *deleter) run(ctx context.Context) error {
	sel, err := x.f.sel.change(x.c.Clock().Now(), x.verb())
	if err != nil {
		return err
	}
	causes, err := x.q.Failures(ctx, sel)
	if err != nil {
		return dlqError(err)
	}
	res := dlqDeleteJSON{DLQ: x.q.Name()}
	for _, g := range causes {
		res.Selected += g.Count
	}
	if x.f.dryRun {
		return x.printDryRun(res, causes)
	}
	if res.Selected == 0 {
		if x.purge {
			// Nothing to delete, but an empty stream still goes.
			if _, err := x.q.Purge(ctx, sel); err != nil {
				return dlqError(err)
			}
		}
		if x.o.json {
			return x.o.printJSON(res)
		}
		fmt.Fprintf(x.o.w, "nothing selected: no entry of %s matches\n", x.q.Name())
		return nil
	}
	question := fmt.Sprintf("Delete %s of %s for good?", messages(res.Selected), x.q.Name())
	if x.purge {
		question = fmt.Sprintf("Purge %s of %s for good?", messages(res.Selected), x.q.Name())
	}
	if err := confirmation(x.f.yes, x.stderr, question); err != nil {
		return err
	}
	deleted, err := x.deleteAll(ctx, sel, res.Selected)
	res.Deleted = deleted
	if err != nil {
		return err
	}
	if x.purge {
		n, err := x.q.Purge(ctx, sel)
		res.Deleted += n
		if err != nil {
			return dlqError(err)
		}
		typ, err := x.c.Redis().Type(ctx, x.q.Name()).Result()
		if err != nil {
			return fmt.Errorf("looking up %s: %w", x.q.Name(), err)
		}
		res.Removed = typ == "none"
	}
	if x.o.json {
		return x.o.printJSON(res)
	}
	fmt.Fprintf(x.o.w, "deleted %s of %s", messages(res.Deleted), x.q.Name())
	if res.Removed {
		fmt.Fprint(x.o.w, "; the emptied stream is removed")
	}
	fmt.Fprintln(x.o.w)
	return nil
}

// deleteAll deletes the selected entries a step at a time, with progress
// and the rate, until done or interrupted.
func (x *deleter) deleteAll(ctx context.Context, sel dlq.Selector, total int64) (int64, error) {
	sig, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	chunk := deleteChunk
	var lim *rate.Limiter
	if x.f.rate > 0 {
		chunk = min(chunk, max(1, int(math.Ceil(x.f.rate/20))))
		lim = rate.NewLimiter(rate.Limit(x.f.rate), chunk)
		lim.AllowN(time.Now(), chunk) // the rate holds from the first entry
	}
	view := newProgressView(x.stderr, "deleting from "+x.q.Name(), total, x.logs)
	var deleted int64
	after := ""
	interrupted := func() (int64, error) {
		view.finish(deleted, total, "")
		fmt.Fprintf(x.stderr, "stopped after deleting %s of %s; what was deleted is gone. Run the same command again to delete the rest.\n",
			thousands(deleted), thousands(total))
		return deleted, exitCode(1)
	}
	for {
		if sig.Err() != nil {
			return interrupted()
		}
		page, next, err := x.q.List(sig, sel, dlq.ListOptions{After: after, Limit: chunk})
		if sig.Err() != nil {
			return interrupted()
		}
		if err != nil {
			return deleted, dlqError(err)
		}
		if len(page) == 0 {
			break
		}
		if lim != nil {
			if err := lim.WaitN(sig, len(page)); err != nil {
				return interrupted()
			}
		}
		// The page's entries are those sel selects between its first and
		// last IDs: one Delete over that range takes them all.
		step := sel
		if len(sel.IDs) == 0 {
			step.Start, step.End = page[0].ID, page[len(page)-1].ID
		} else {
			step = dlq.Selector{IDs: make([]string, len(page))}
			for i, e := range page {
				step.IDs[i] = e.ID
			}
		}
		n, err := x.q.Delete(context.WithoutCancel(ctx), step)
		deleted += n
		if err != nil {
			return deleted, dlqError(err)
		}
		view.update(deleted, max(total, deleted), "")
		if next == "" {
			break
		}
		after = next
	}
	view.finish(deleted, max(total, deleted), "")
	return deleted, nil
}

// printDryRun shows what rm or purge would delete: res.Selected
// entries, of these causes.
func (x *deleter) printDryRun(res dlqDeleteJSON, causes []dlq.FailureGroup) error {
	if x.o.json {
		res.DryRun, res.Causes = true, dlqCausesToJSON(causes)
		return x.o.printJSON(res)
	}
	fmt.Fprintf(x.o.w, "dry run: nothing changed. %s of %s would be deleted\n", messages(res.Selected), x.q.Name())
	if len(causes) == 0 {
		return nil
	}
	fmt.Fprintln(x.o.w)
	t := x.o.table("COUNT", "FINGERPRINT", "CAUSE")
	for _, g := range causes {
		t.row(g.Count, g.Fingerprint, clip(dash(g.Text), 70))
	}
	return t.flush()
}
