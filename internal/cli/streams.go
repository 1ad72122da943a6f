package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pelicanhq/pelican/monitor"
)

// newStreamsCommand returns pelican streams: every stream (or the ones
// named) with its length, groups, pending messages, lag and dead letters.
func newStreamsCommand(stdout, stderr io.Writer) *cobra.Command {
	var t target
	cmd := &cobra.Command{
		Use:   "streams [STREAM...]",
		Short: "List streams: length, groups, pending, lag, dead letters",
		Long: `List the streams of the server (found with SCAN TYPE stream), or the streams named, with
their length, consumer groups, pending messages and the age of the oldest, lag (entries
not yet delivered to the group furthest behind) and dead letters.

Dead-letter streams are shown beside their streams, not as streams of their own.`,
		Example: `  pelican streams
  pelican streams orders payments --json
  pelican streams --dir ./data
  PELICAN_URL=redis://:secret@redis.internal:6379/2 pelican streams`,
		Args: cobra.ArbitraryArgs,
	}
	t.addFlags(cmd)
	o := addOutputFlags(cmd, stdout)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		c, err := t.open(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		names, discovered := args, len(args) == 0
		var orphans []string
		if discovered {
			set, err := discoverStreams(ctx, c.Redis())
			if err != nil {
				return err
			}
			names, orphans = set.Streams, set.Orphans
		} else {
			for _, name := range names {
				if err := needStream(ctx, c.Redis(), &t, name); err != nil {
					return err
				}
			}
		}
		m := monitor.New(c, monitor.Options{})
		var stats []monitor.StreamStats
		for _, name := range names {
			st, err := m.Stats(ctx, name)
			if discovered && errors.Is(err, monitor.ErrNoStream) {
				continue // deleted since the scan
			}
			if err != nil {
				return fmt.Errorf("reading %s: %w", name, err)
			}
			stats = append(stats, st)
		}
		if o.json {
			out := struct {
				Streams []streamJSON `json:"streams"`
				// Orphans are dead-letter streams whose stream is gone.
				Orphans []string `json:"orphan_dead_letter_streams"`
			}{Streams: make([]streamJSON, 0, len(stats)), Orphans: orphans}
			if out.Orphans == nil {
				out.Orphans = []string{}
			}
			for _, st := range stats {
				out.Streams = append(out.Streams, streamToJSON(st))
			}
			return o.printJSON(out)
		}
		return printStreams(o, &t, stats, orphans)
	}
	return cmd
}

// printStreams writes the streams table.
func printStreams(o *output, t *target, stats []monitor.StreamStats, orphans []string) error {
	if len(stats) == 0 && len(orphans) == 0 {
		_, err := fmt.Fprintf(o.w, "no streams at %s\n", t.where())
		return err
	}
	tb := o.table("STREAM", "LENGTH", "GROUPS", "PENDING", "OLDEST PENDING", "LAG", "DEAD LETTERS", "SCHEDULED")
	for _, st := range stats {
		sum := totalGroups(st)
		lag := lagText(sum.lag, !sum.lagKnown, len(st.Groups) > 0)
		sched := thousands(st.Scheduled.Count)
		if st.Scheduled.Due > 0 {
			sched += " (" + thousands(st.Scheduled.Due) + " due)"
		}
		tb.row(st.Stream, st.Length, len(st.Groups), sum.pending, durationCell(sum.oldestAge, sum.pending > 0), lag, st.DeadLetters.Length, sched)
	}
	if err := tb.flush(); err != nil {
		return err
	}
	for _, k := range orphans {
		if _, err := fmt.Fprintln(o.w, o.style(warnStyle, "dead-letter stream "+k+" has no stream any more")); err != nil {
			return err
		}
	}
	return nil
}

// newGroupsCommand returns pelican groups STREAM: the consumer groups of
// a stream.
func newGroupsCommand(stdout, stderr io.Writer) *cobra.Command {
	var t target
	cmd := &cobra.Command{
		Use:   "groups STREAM",
		Short: "List a stream's consumer groups: consumers, pending, lag",
		Long: `List the consumer groups of a stream: their consumers (alive of all, by the Pelican
workers' heartbeats or, for other consumers, by how recently they read), pending
messages, the age and idle time of the oldest, the most deliveries among them, lag and
the last ID delivered.`,
		Example: `  pelican groups orders
  pelican groups orders --json | jq '.groups[] | {name, lag}'`,
		Args: exactArgs(1),
	}
	t.addFlags(cmd)
	o := addOutputFlags(cmd, stdout)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		stream := args[0]
		c, err := t.openStream(ctx, stream)
		if err != nil {
			return err
		}
		defer c.Close()
		st, err := monitor.Stats(ctx, c, stream, monitor.Options{})
		if err != nil {
			return fmt.Errorf("reading %s: %w", stream, err)
		}
		if o.json {
			js := streamToJSON(st)
			return o.printJSON(struct {
				Stream string      `json:"stream"`
				Groups []groupJSON `json:"groups"`
			}{stream, js.Groups})
		}
		if len(st.Groups) == 0 {
			_, err := fmt.Fprintf(o.w, "stream %s has no consumer groups\n", stream)
			return err
		}
		tb := o.table("GROUP", "CONSUMERS ALIVE", "PENDING", "OLDEST PENDING", "OLDEST IDLE", "MOST DELIVERIES", "LAG", "LAST DELIVERED")
		for _, g := range st.Groups {
			most := "-"
			if g.Deliveries.Sampled > 0 {
				most = thousands(g.Deliveries.Max)
			}
			tb.row(g.Name, aliveCell(len(g.Consumers)-g.DeadConsumers, len(g.Consumers)), g.Pending,
				durationCell(g.OldestPendingAge, g.Pending > 0), idleCell(g.OldestPendingIdle, g.Pending > 0), most,
				lagText(g.Lag, !g.LagKnown, true), g.LastDeliveredID)
		}
		return tb.flush()
	}
	return cmd
}

// newConsumersCommand returns pelican consumers STREAM GROUP: the
// consumers of a group, with their liveness.
func newConsumersCommand(stdout, stderr io.Writer) *cobra.Command {
	var t target
	cmd := &cobra.Command{
		Use:   "consumers STREAM GROUP",
		Short: "List a group's consumers: pending, idle, alive",
		Long: `List the consumers of a consumer group: the messages each holds, how long since it last
tried to read (IDLE) and last got something (INACTIVE; Redis 7.2 and later, and Pelican's
engine), and whether it is alive. A Pelican worker is alive while its heartbeats say it
runs (it has not stopped or missed three); another consumer while it tried to read
within the last 5 minutes. A dead consumer's messages wait for another to claim them
(see 'pelican claim').`,
		Example: `  pelican consumers orders billing
  pelican consumers orders billing --json | jq '.consumers[] | select(.alive | not)'`,
		Args: exactArgs(2),
	}
	t.addFlags(cmd)
	o := addOutputFlags(cmd, stdout)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		stream, group := args[0], args[1]
		c, err := t.openGroup(ctx, stream, group)
		if err != nil {
			return err
		}
		defer c.Close()
		g, err := monitor.New(c, monitor.Options{}).Group(ctx, stream, group)
		if err != nil {
			return fmt.Errorf("reading group %s of %s: %w", group, stream, err)
		}
		if o.json {
			js := groupToJSON(g, c.Clock().Now())
			return o.printJSON(struct {
				Stream    string         `json:"stream"`
				Group     string         `json:"group"`
				Consumers []consumerJSON `json:"consumers"`
			}{stream, group, js.Consumers})
		}
		if len(g.Consumers) == 0 {
			_, err := fmt.Fprintf(o.w, "group %s of %s has no consumers\n", group, stream)
			return err
		}
		now := c.Clock().Now()
		tb := o.table("CONSUMER", "PENDING", "IDLE", "INACTIVE", "ALIVE", "WORKER", "LAST HEARTBEAT", "PROCESSED", "FAILED")
		for _, cs := range g.Consumers {
			inactive := "?"
			switch {
			case cs.InactiveKnown && cs.Inactive < 0:
				inactive = "never"
			case cs.InactiveKnown:
				inactive = shortDuration(cs.Inactive)
			}
			alive, worker, beat, processed, failed := "no", "no", "-", "-", "-"
			if cs.Alive {
				alive = "yes"
			}
			if cs.Worker {
				worker, beat = "yes", ago(now.Sub(cs.LastHeartbeat))
				processed, failed = thousands(cs.Stats.Processed), thousands(cs.Stats.Failed)
			}
			tb.row(cs.Name, cs.Pending, shortDuration(cs.Idle), inactive, alive, worker, beat, processed, failed)
		}
		if err := tb.flush(); err != nil {
			return err
		}
		if note := deadConsumersNote(&t, stream, group, g); note != "" {
			_, err := fmt.Fprintln(o.w, o.style(warnStyle, note))
			return err
		}
		return nil
	}
	return cmd
}

// deadConsumersNote says, under the consumers table, which consumers are
// not alive and what becomes of their pending messages: those wait for a
// claim, which it says how to make. It is empty when every consumer is
// alive.
func deadConsumersNote(t *target, stream, group string, g monitor.GroupStats) string {
	if g.DeadConsumers == 0 {
		return ""
	}
	var held int64
	for _, cs := range g.Consumers {
		if !cs.Alive {
			held += cs.Pending
		}
	}
	all := len(g.Consumers)
	if held > 0 {
		claim := t.command("claim", stream, group, "--to", "CONSUMER", "--min-idle", "5m")
		who := fmt.Sprintf("%d of %d consumers are not alive and hold", g.DeadConsumers, all)
		switch {
		case g.DeadConsumers == all:
			who = "no consumer is alive; they hold"
		case g.DeadConsumers == 1:
			who = fmt.Sprintf("1 of %d consumers is not alive and holds", all)
		}
		wait := "wait"
		if held == 1 {
			wait = "waits"
		}
		return fmt.Sprintf("%s %s, which %s for a claim, as in: %s", who, pendingMessages(held), wait, claim)
	}
	switch {
	case g.DeadConsumers == all:
		return "no consumer is alive; none holds pending messages"
	case g.DeadConsumers == 1:
		return fmt.Sprintf("1 of %d consumers is not alive; it holds no pending messages", all)
	}
	return fmt.Sprintf("%d of %d consumers are not alive; none of them holds pending messages", g.DeadConsumers, all)
}

// pendingMessages is "1 pending message" or "1,234 pending messages".
func pendingMessages(n int64) string {
	if n == 1 {
		return "1 pending message"
	}
	return thousands(n) + " pending messages"
}
