package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
)

// newDlqCommand returns "pelican dlq": the dead-letter stream of a stream,
// looked at and operated on through package dlq.
func newDlqCommand(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "Inspect, redrive, reprocess and delete dead letters",
		Long: `Works on the dead-letter stream of STREAM (STREAM:dlq, where pelican workers move the
messages they gave up on), or on any dead-letter stream named with --dlq-stream.

Commands that change the dead-letter stream (redrive, reprocess, rm, purge) take a selector
and refuse to run without one: --all for every entry, or --id, --from/--to, --cause, --group,
--class. They ask for confirmation on a terminal, and need --yes elsewhere.`,
		Example: `  pelican dlq stats orders
  pelican dlq errors orders
  pelican dlq redrive orders --cause 3f2a9c1b7d04 --dry-run
  pelican dlq redrive orders --all --rate 100`,
		Args: cobra.ArbitraryArgs,
		RunE: parentRunE(stderr),
	}
	cmd.AddCommand(
		newDlqStatsCommand(stdout, stderr),
		newDlqLsCommand(stdout, stderr),
		newDlqShowCommand(stdout, stderr),
		newDlqErrorsCommand(stdout, stderr),
		newDlqRedriveCommand(stdout, stderr),
		newDlqReprocessCommand(stdout, stderr),
		newDlqRmCommand(stdout, stderr),
		newDlqPurgeCommand(stdout, stderr),
	)
	return cmd
}

// A dlqTarget is where a dlq command finds its dead-letter stream: the
// target's server or directory, and STREAM's dead-letter stream or the
// one --dlq-stream names.
type dlqTarget struct {
	target
	dlqStream string
}

// addFlags adds the target's flags and --dlq-stream to cmd.
func (d *dlqTarget) addFlags(cmd *cobra.Command) {
	d.target.addFlags(cmd)
	cmd.Flags().StringVar(&d.dlqStream, "dlq-stream", "", "work on this dead-letter stream (as set in WorkerConfig.DeadLetterStream) instead of STREAM:dlq; STREAM may then be left out")
}

// streamArgs splits the positional arguments into STREAM (empty when
// --dlq-stream stands in for it) and the n arguments that follow it.
func (d *dlqTarget) streamArgs(cmd *cobra.Command, args []string, n int) (string, []string, error) {
	switch {
	case len(args) == n+1:
		return args[0], args[1:], nil
	case len(args) == n && d.dlqStream != "":
		return "", args, nil
	case d.dlqStream != "":
		return "", nil, usageErrorf("wants %d or %d arguments, got %d (usage: %s)", n, n+1, len(args), cmd.UseLine())
	case len(args) == n:
		return "", nil, usageErrorf("name the stream whose dead letters to work on, or give --dlq-stream (usage: %s)", cmd.UseLine())
	}
	return "", nil, usageErrorf("wants %s, got %d (usage: %s)", arguments(n+1), len(args), cmd.UseLine())
}

// A dlqCall is one run of a dlq command, with its dead-letter stream
// open.
type dlqCall struct {
	c *pelican.Client
	q *dlq.Queue
	// stream is STREAM, empty when --dlq-stream stands in for it; args
	// are the arguments after it.
	stream string
	args   []string
}

// runE returns the RunE of a dlq command that takes STREAM and n more
// arguments: it checks them, calls check with the n arguments (to check
// them and the flags; nil for nothing more to check) before connecting,
// opens the dead-letter stream, and calls f with it.
func (d *dlqTarget) runE(n int, check func(args []string) error, f func(ctx context.Context, x dlqCall) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		stream, rest, err := d.streamArgs(cmd, args, n)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(rest); err != nil {
				return err
			}
		}
		ctx := cmd.Context()
		c, q, err := d.open(ctx, stream)
		if err != nil {
			return err
		}
		defer c.Close()
		return f(ctx, dlqCall{c: c, q: q, stream: stream, args: rest})
	}
}

// open connects and returns the dead-letter stream. It refuses names
// that lead nowhere: STREAM when neither it nor its dead-letter stream
// exists, a --dlq-stream that does not exist, a key of another type.
func (d *dlqTarget) open(ctx context.Context, stream string) (*pelican.Client, *dlq.Queue, error) {
	c, err := d.target.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	q, err := d.queue(ctx, c, stream)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, q, nil
}

func (d *dlqTarget) queue(ctx context.Context, c *pelican.Client, stream string) (*dlq.Queue, error) {
	rdb := c.Redis()
	if d.dlqStream != "" {
		if err := needStream(ctx, rdb, &d.target, d.dlqStream); err != nil {
			return nil, err
		}
		return dlq.Open(c, d.dlqStream), nil
	}
	q := dlq.ForStream(c, stream)
	typ, err := rdb.Type(ctx, q.Name()).Result()
	if err != nil {
		return nil, fmt.Errorf("looking up %s: %w", q.Name(), err)
	}
	switch typ {
	case "stream":
		return q, nil
	case "none":
		// No dead letters yet: fine if the stream is there.
		if err := needStream(ctx, rdb, &d.target, stream); err != nil {
			return nil, err
		}
		return q, nil
	}
	return nil, fmt.Errorf("%q, where the dead letters of %s would be, is a %s, not a stream: give the dead-letter stream with --dlq-stream", q.Name(), stream, typ)
}

// commandFor is the command line that runs the dlq command sub on the
// same dead-letter stream of the same target, with more arguments, for
// the hints commands print: "pelican dlq redrive orders --resume JOB
// --url redis://host:6379" (see target.command).
func (d *dlqTarget) commandFor(sub, stream string, more ...string) string {
	words := []string{"dlq", sub}
	if stream != "" {
		words = append(words, stream)
	}
	if d.dlqStream != "" {
		words = append(words, "--dlq-stream", d.dlqStream)
	}
	return d.target.command(append(words, more...)...)
}

// selectorFlags are the flags that build a dlq.Selector.
type selectorFlags struct {
	all          bool
	ids          []string
	from, to     string
	cause        string
	group, class string
}

// add adds the selector's flags to cmd.
func (s *selectorFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.BoolVar(&s.all, "all", false, "select every entry")
	fs.StringArrayVar(&s.ids, "id", nil, "select the entry with this ID in the dead-letter stream (repeatable)")
	fs.StringVar(&s.from, "from", "", "select entries from this ID (inclusive), or dead-lettered since this time: "+boundHelp)
	fs.StringVar(&s.to, "to", "", "select entries up to this ID (inclusive), or dead-lettered before this time: "+boundHelp)
	fs.StringVar(&s.cause, "cause", "", "select entries whose error has this fingerprint (as 'pelican dlq errors' shows), or the fingerprint of this error text")
	fs.StringVar(&s.group, "group", "", "select entries dead-lettered by this consumer group")
	fs.StringVar(&s.class, "class", "", "select entries of this error class ("+strings.Join(errorClasses, ", ")+")")
	_ = cmd.RegisterFlagCompletionFunc("class", fixedCompletion(errorClasses...))
}

// errorClasses are the classes a worker gives failures, for completion.
var errorClasses = []string{pelican.ClassHandler, pelican.ClassPanic, pelican.ClassTimeout, pelican.ClassPermanent,
	pelican.ClassUnavailable, pelican.ClassMaxDeliveries, pelican.ClassShutdown, pelican.ClassCrash}

// selector builds the selector the flags ask for; given reports whether
// any was set. now is the time durations count back from.
func (s *selectorFlags) selector(now time.Time) (sel dlq.Selector, given bool, err error) {
	sel = dlq.Selector{All: s.all, IDs: s.ids, Group: s.group, Class: s.class}
	for _, id := range s.ids {
		if !isEntryID(id) {
			return sel, true, usageErrorf("--id %q: not a stream ID (like 1700000000000-0)", id)
		}
	}
	if s.from != "" {
		b, err := parseBound(s.from, now)
		if err != nil {
			return sel, true, usageErrorf("--from: %v", err)
		}
		sel.Start, sel.Since = b.id, b.at
	}
	if s.to != "" {
		b, err := parseBound(s.to, now)
		if err != nil {
			return sel, true, usageErrorf("--to: %v", err)
		}
		sel.End, sel.Until = b.id, b.at
	}
	if !sel.Since.IsZero() && !sel.Until.IsZero() && !sel.Since.Before(sel.Until) {
		return sel, true, usageErrorf("--from is not before --to")
	}
	if s.cause != "" {
		sel.Fingerprint = s.cause
		if !fingerprintPattern.MatchString(s.cause) {
			sel.Fingerprint = dlq.Fingerprint(s.cause)
		}
	}
	return sel, s.given(), nil
}

// args writes sel, as selector built it from these flags, back as flags,
// for a command line to print: a time ago is written as the moment it
// meant, so that the line selects the same entries later.
func (s *selectorFlags) args(sel dlq.Selector) []string {
	var out []string
	if s.all {
		out = append(out, "--all")
	}
	for _, id := range sel.IDs {
		out = append(out, "--id", id)
	}
	moment := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	switch {
	case sel.Start != "":
		out = append(out, "--from", sel.Start)
	case !sel.Since.IsZero():
		out = append(out, "--from", moment(sel.Since))
	}
	switch {
	case sel.End != "":
		out = append(out, "--to", sel.End)
	case !sel.Until.IsZero():
		out = append(out, "--to", moment(sel.Until))
	}
	if sel.Fingerprint != "" {
		out = append(out, "--cause", sel.Fingerprint)
	}
	if sel.Group != "" {
		out = append(out, "--group", sel.Group)
	}
	if sel.Class != "" {
		out = append(out, "--class", sel.Class)
	}
	return out
}

// given reports whether any selector flag is set.
func (s *selectorFlags) given() bool {
	return s.all || len(s.ids) > 0 || s.from != "" || s.to != "" || s.cause != "" || s.group != "" || s.class != ""
}

// browse returns the selector of a command that only reads: every entry
// when no flag narrows it.
func (s *selectorFlags) browse(now time.Time) (dlq.Selector, error) {
	sel, given, err := s.selector(now)
	if !given {
		sel.All = true
	}
	return sel, err
}

// change returns the selector of a command that changes the dead-letter
// stream, which refuses to run without one.
func (s *selectorFlags) change(now time.Time, verb string) (dlq.Selector, error) {
	sel, given, err := s.selector(now)
	if err == nil && !given {
		err = usageErrorf("say which entries to %s: --all for every one, or --id, --from/--to, --cause, --group, --class", verb)
	}
	return sel, err
}

// fingerprintPattern matches a fingerprint as dlq.Fingerprint writes it.
var fingerprintPattern = regexp.MustCompile(`^[0-9a-f]{12}$`)

// dlqError adds what to do to the errors of package dlq.
func dlqError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, dlq.ErrBadSelector), errors.Is(err, dlq.ErrEmptySelector), errors.Is(err, dlq.ErrBadOptions):
		return &usageError{err}
	case errors.Is(err, dlq.ErrWrongType):
		return fmt.Errorf("%w: give the dead-letter stream with --dlq-stream", err)
	}
	return err
}

// confirmation asks on a terminal whether to go ahead, unless yes says
// so already. Without a terminal and without yes it refuses, as a usage
// error, so that a script does not change things it was not told to. A
// "no" ends the command with status 1.
func confirmation(yes bool, stderr io.Writer, question string) error {
	if yes {
		return nil
	}
	if !isTerminal(os.Stdin) {
		return usageErrorf("%s: not asking without a terminal; pass --yes to go ahead", strings.TrimSuffix(question, "?"))
	}
	ok, err := confirm(os.Stdin, stderr, question)
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintln(stderr, "nothing changed")
		return exitCode(1)
	}
	return nil
}

// confirm writes question and " [y/N] " to w and reads the answer, a
// line, from in: y or yes (in any case) is a yes, anything else a no.
func confirm(in io.Reader, w io.Writer, question string) (bool, error) {
	fmt.Fprintf(w, "%s [y/N] ", question)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("reading the answer: %w", err)
	}
	if errors.Is(err, io.EOF) && line == "" {
		fmt.Fprintln(w)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
