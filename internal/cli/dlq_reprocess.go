package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pelicanhq/pelican/dlq"
)

// reprocessFlags are the flags of "pelican dlq reprocess".
type reprocessFlags struct {
	sel     selectorFlags
	exec    string
	limit   int
	timeout time.Duration
	dryRun  bool
	yes     bool
}

// newDlqReprocessCommand returns "pelican dlq reprocess STREAM SELECTOR
// --exec COMMAND".
func newDlqReprocessCommand(stdout, stderr io.Writer) *cobra.Command {
	d := &dlqTarget{}
	var o *output
	f := &reprocessFlags{}
	cmd := &cobra.Command{
		Use:   "reprocess STREAM SELECTOR --exec COMMAND",
		Short: "Process dead letters in place with a command of yours",
		Long: `Hands the selected dead letters, oldest first and one at a time, to COMMAND (run by sh -c),
instead of sending them back to their streams. COMMAND reads the entry as JSON on its stdin
(as 'pelican dlq show --json' prints it: its fields in "fields", and its metadata) and finds
the main parts in its environment too:
PELICAN_DLQ, PELICAN_ENTRY_ID, PELICAN_STREAM, PELICAN_GROUP, PELICAN_ORIGINAL_ID,
PELICAN_ERROR. Its stdout goes to stderr.

When COMMAND exits 0 the entry is deleted; otherwise it stays, with a note of the attempt
and the last line COMMAND wrote to stderr ('pelican dlq show' shows it). Reprocessing is at
least once: an interrupted run may hand an entry over again. Exit status 1 when COMMAND failed
on any entry.`,
		Example: `  pelican dlq reprocess orders --cause 3f2a9c1b7d04 --exec './fix-order.sh'
  pelican dlq reprocess orders --all --limit 10 --exec 'jq -e .fields.order >/dev/null'
  pelican dlq reprocess orders --id 1700000000000-0 --exec 'curl -fsS -d @- http://billing/replay' --yes`,
		Args: cobra.ArbitraryArgs,
		RunE: d.runE(0, func([]string) error {
			if f.exec == "" && !f.dryRun {
				return usageErrorf("give the command that processes an entry with --exec COMMAND")
			}
			if f.limit < 0 || f.timeout <= 0 {
				return usageErrorf("--limit must not be negative and --command-timeout must be positive")
			}
			return nil
		}, func(ctx context.Context, x dlqCall) error {
			q := x.q
			sel, err := f.sel.change(x.c.Clock().Now(), "reprocess")
			if err != nil {
				return err
			}
			total, err := countSelected(ctx, q, sel)
			if err != nil {
				return err
			}
			if f.limit > 0 {
				total = min(total, int64(f.limit))
			}
			if f.dryRun {
				if o.json {
					res := dlqReprocessToJSON(q.Name(), total, dlq.ReprocessResult{})
					res.DryRun = true
					return o.printJSON(res)
				}
				fmt.Fprintf(o.w, "dry run: nothing changed. %s of %s would be handed to the command\n", messages(total), q.Name())
				return nil
			}
			if total == 0 {
				if o.json {
					return o.printJSON(dlqReprocessToJSON(q.Name(), 0, dlq.ReprocessResult{}))
				}
				fmt.Fprintf(o.w, "nothing selected: no entry of %s matches\n", q.Name())
				return nil
			}
			question := fmt.Sprintf("Reprocess %s of %s with %q (deleting each one it succeeds on)?", messages(total), q.Name(), f.exec)
			if err := confirmation(f.yes, stderr, question); err != nil {
				return err
			}
			return runReprocess(ctx, q, sel, f, total, o, stderr, &d.logs)
		}),
	}
	d.addFlags(cmd)
	f.sel.add(cmd)
	fs := cmd.Flags()
	fs.StringVar(&f.exec, "exec", "", "the shell command that processes one entry (JSON on stdin); exit status 0 deletes the entry")
	fs.IntVar(&f.limit, "limit", 0, "hand over at most this many entries (default: every selected one)")
	durationVar(fs, &f.timeout, "command-timeout", time.Minute, "kill the command after this long, which counts as a failure")
	fs.BoolVar(&f.dryRun, "dry-run", false, "count the entries that would be handed over, and change nothing")
	fs.BoolVarP(&f.yes, "yes", "y", false, "go ahead without asking")
	o = addOutputFlags(cmd, stdout)
	return cmd
}

// runReprocess reprocesses with the command, showing progress; Ctrl-C
// stops before the next entry.
func runReprocess(ctx context.Context, q *dlq.Queue, sel dlq.Selector, f *reprocessFlags, total int64, o *output, stderr io.Writer, logs *logLines) error {
	sig, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	view := newProgressView(stderr, "reprocessing "+q.Name(), total, logs)
	var done, failed int64
	h := func(_ context.Context, e dlq.Entry) error {
		// The command is not killed by Ctrl-C: its entry is settled, and
		// the run stops before the next one.
		err := runEntryCommand(context.WithoutCancel(ctx), q.Name(), e, f.exec, f.timeout, stderr)
		done++
		if err != nil {
			failed++
		}
		view.update(done, total, fmt.Sprintf("%s failed", thousands(failed)))
		return err
	}
	res, err := q.Reprocess(sig, sel, h, dlq.ReprocessOptions{Limit: f.limit})
	view.finish(done, total, fmt.Sprintf("%s failed", thousands(failed)))
	if err != nil && !errors.Is(err, context.Canceled) {
		return dlqError(err)
	}
	if o.json {
		if jerr := o.printJSON(dlqReprocessToJSON(q.Name(), total, res)); jerr != nil {
			return jerr
		}
	} else {
		if len(res.Failures) > 0 {
			t := o.table("FAILED", "ERROR")
			for _, fl := range res.Failures {
				t.row(fl.ID, clip(fl.Err.Error(), 100))
			}
			if err := t.flush(); err != nil {
				return err
			}
		}
		fmt.Fprintf(o.w, "reprocessed %s of %s: %s, %s\n", thousands(int64(res.Succeeded+res.Failed)), q.Name(),
			countWith(res.Succeeded, "succeeded and was deleted", "succeeded and were deleted"),
			countWith(res.Failed, "failed and stays", "failed and stay"))
	}
	if err != nil {
		fmt.Fprintln(stderr, "interrupted: the entries not handed over yet stay; run the same command again for them")
		return exitCode(1)
	}
	if res.Failed > 0 {
		return exitCode(1)
	}
	return nil
}

// runEntryCommand runs the user's command on one entry: the entry as
// JSON on stdin, its main parts in the environment, stdout to stderr. A
// failure's error is the command's exit status and the last line it
// wrote to stderr.
func runEntryCommand(ctx context.Context, dlqName string, e dlq.Entry, command string, timeout time.Duration, stderr io.Writer) error {
	in, err := json.Marshal(dlqShowJSON(dlqName, e))
	if err != nil {
		return fmt.Errorf("encoding entry %s: %w", e.ID, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Stdin = bytes.NewReader(in)
	// Both of the command's outputs go to stderr, copied by two
	// goroutines: one lock keeps their writes apart.
	out := &lockedWriter{w: stderr}
	var errOut bytes.Buffer
	cmd.Stdout = out
	cmd.Stderr = io.MultiWriter(out, &errOut)
	cmd.Env = append(os.Environ(),
		"PELICAN_DLQ="+dlqName,
		"PELICAN_ENTRY_ID="+e.ID,
		"PELICAN_STREAM="+e.Stream,
		"PELICAN_GROUP="+e.Group,
		"PELICAN_ORIGINAL_ID="+e.OriginalID,
		"PELICAN_ERROR="+e.Error,
	)
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("no result within %v (--command-timeout)", timeout)
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		return fmt.Errorf("%v: %s", err, last)
	}
	return err
}

// lockedWriter lets several goroutines write to w, one at a time.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
