package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"
)

// minTopInterval keeps top from refreshing faster than a person reads,
// and from loading the server for nothing.
const minTopInterval = 500 * time.Millisecond

// newTopCommand returns `pelican top`.
func newTopCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		t        target
		interval time.Duration
		once     bool
	)
	cmd := &cobra.Command{
		Use:   "top [STREAM...]",
		Short: "Watch streams, consumer groups and consumers live, full screen",
		Long: `Top shows, refreshed every --interval, every stream (or the streams named): its length,
groups, pending messages and the age of the oldest, lag, live consumers, messages processed per
second, and dead letters. Enter opens a stream's groups, and a group's consumers with its most
delivered pending messages; esc goes back; s sorts by the next column; q quits; ? shows the keys.

Each refresh reads every stream with a few commands whose cost does not grow with the stream
(XINFO, an XPENDING summary, the workers' heartbeats); streams are looked for (SCAN) every 30s
and on 'r'. It needs a terminal: for scripts, 'pelican streams --json', or --once for one plain
frame.`,
		Example: `  # every stream of the local server, refreshed every 2s
  pelican top

  # two streams of another server, every second
  pelican top --url redis://redis.internal:6379 --interval 1s orders payments

  # one plain frame (after two refreshes, so the rates show), for a script or a log
  pelican top --once --dir /var/lib/pelican`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval < minTopInterval {
				return usageErrorf("--interval must be at least %s, not %s", durationText(minTopInterval), durationText(interval))
			}
			if !once && !isTerminal(stdout) {
				return usageErrorf("the output is not a terminal: for one plain frame run: %s; for scripts: %s",
					t.command(append([]string{"top", "--once"}, args...)...), t.command(append([]string{"streams", "--json"}, args...)...))
			}
			return runTop(cmd.Context(), &t, args, interval, once, stdout)
		},
	}
	t.addFlags(cmd)
	durationVar(cmd.Flags(), &interval, "interval", 2*time.Second, "time between refreshes, at least 500ms")
	cmd.Flags().BoolVar(&once, "once", false, "print one plain frame of the streams table and exit (no terminal needed)")
	return cmd
}

// runTop opens the target and shows top until the user quits, or prints
// one frame with once.
func runTop(ctx context.Context, t *target, args []string, interval time.Duration, once bool, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c, err := t.open(ctx)
	if err != nil {
		return err
	}
	var streams []string
	if len(args) > 0 {
		streams = sortedStreams(args)
		for _, s := range streams {
			if err := needStream(ctx, c.Redis(), t, s); err != nil {
				c.Close()
				return err
			}
		}
	}
	s := newTopSampler(c, streams)
	// A refresh under way ends with ctx, before the client closes.
	defer func() {
		cancel()
		s.close()
		c.Close()
	}()
	color := colorful(stdout)
	m := newTopModel(ctx, s, t.where(), interval, t.timeout, color)
	if once {
		return topOnce(ctx, m, stdout)
	}
	opts := []tea.ProgramOption{tea.WithOutput(stdout)}
	if !color {
		opts = append(opts, tea.WithColorProfile(colorprofile.ASCII))
	}
	_, err = tea.NewProgram(m, opts...).Run()
	if err != nil && !errors.Is(err, tea.ErrInterrupted) {
		return fmt.Errorf("drawing the screen: %w", err)
	}
	return nil
}

// topOnce refreshes twice, interval apart so that the rates show, and
// prints the streams screen.
func topOnce(ctx context.Context, m *topModel, stdout io.Writer) error {
	for i := range 2 {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(m.interval):
			}
		}
		rctx, cancel := context.WithTimeout(ctx, m.timeout)
		snap, err := m.sampler.sample(rctx, topRequest{})
		cancel()
		if err != nil {
			return fmt.Errorf("reading %s: %w", m.where, err)
		}
		m.snap = snap
	}
	frame := m.renderOnce()
	if !colorful(stdout) {
		frame = ansi.Strip(frame) // bold too is an escape sequence
	}
	_, err := io.WriteString(stdout, frame)
	return err
}
