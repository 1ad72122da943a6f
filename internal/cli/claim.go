package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/pelicanhq/pelican/internal/streamid"
)

// claimOptions are pelican claim's flags.
type claimOptions struct {
	to      string
	from    string
	minIdle time.Duration
	count   int64
	dryRun  bool
}

// skippedJSON is a message a claim left alone, and why.
type skippedJSON struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// claimJSON is what pelican claim did, with --json.
type claimJSON struct {
	Stream string `json:"stream"`
	Group  string `json:"group"`
	To     string `json:"to"`
	DryRun bool   `json:"dry_run"`
	// Selected are the messages chosen to claim, as they were listed
	// (consumer is the one holding them then); Claimed the IDs moved to
	// To (none in a dry run); Skipped those left alone.
	Selected []pendingJSON `json:"selected"`
	Claimed  []string      `json:"claimed"`
	Skipped  []skippedJSON `json:"skipped"`
}

// Reasons a claim leaves a message alone.
const (
	skipNotPending = "not pending in the group"
	skipHeld       = "already held by the consumer"
	skipRecent     = "delivered more recently than --min-idle"
	skipRaced      = "taken by another consumer meanwhile, or deleted from the stream (dropped from the pending list)"
)

// newClaimCommand returns pelican claim STREAM GROUP: move pending
// messages idle long enough to a consumer.
func newClaimCommand(stdout, stderr io.Writer) *cobra.Command {
	var t target
	var co claimOptions
	cmd := &cobra.Command{
		Use:   "claim STREAM GROUP [ID...] --to CONSUMER --min-idle DURATION",
		Short: "Move pending messages idle long enough to a consumer",
		Long: `Move pending messages of a consumer group to another consumer (XCLAIM): the oldest ones
idle at least --min-idle (at most --count, of one consumer with --from), or the IDs
given. A message delivered again since it was listed (its idle time below --min-idle)
is left to whoever has it. Claiming does not count a delivery (JUSTID).

The consumer then holds the messages in its pending list: a Pelican worker of that
name processes them when it starts (it reads its own pending list first), or when they
are idle for its ClaimMinIdle. --dry-run lists what would move, moving nothing.

A claim that selects nothing says "nothing to claim" and exits with status 0.`,
		Example: `  pelican claim orders billing --to billing-2 --min-idle 10m
  pelican claim orders billing --from billing-1 --to billing-2 --min-idle 1m --count 500
  pelican claim orders billing 1700000000000-0 1700000000001-0 --to billing-2 --min-idle 0s
  pelican claim orders billing --to billing-2 --min-idle 1h --dry-run`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageErrorf("wants a stream and a group (usage: %s)", cmd.UseLine())
			}
			return nil
		},
	}
	t.addFlags(cmd)
	o := addOutputFlags(cmd, stdout)
	fs := cmd.Flags()
	fs.StringVar(&co.to, "to", "", "the consumer to move the messages to (created if new)")
	fs.StringVar(&co.from, "from", "", "only the messages this consumer holds")
	durationVar(fs, &co.minIdle, "min-idle", 0, "only messages not delivered for at least this long (0s for any)")
	fs.Int64Var(&co.count, "count", 100, "claim at most this many messages (not with IDs)")
	fs.BoolVar(&co.dryRun, "dry-run", false, "list what would be claimed, claiming nothing")
	_ = cmd.MarkFlagRequired("to")
	_ = cmd.MarkFlagRequired("min-idle")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		stream, group, ids := args[0], args[1], args[2:]
		if err := co.check(cmd, ids); err != nil {
			return err
		}
		ctx := cmd.Context()
		c, err := t.openGroup(ctx, stream, group)
		if err != nil {
			return err
		}
		defer c.Close()
		rdb := c.Redis()
		res := claimJSON{Stream: stream, Group: group, To: co.to, DryRun: co.dryRun, Claimed: []string{}, Skipped: []skippedJSON{}}
		var selected []redis.XPendingExt
		if len(ids) > 0 {
			selected, res.Skipped, err = co.selectIDs(ctx, rdb, stream, group, ids)
		} else {
			selected, _, err = listPending(ctx, rdb, stream, group,
				pendingFilter{consumer: co.from, minIdle: co.minIdle, skipConsumer: co.to}, co.count)
		}
		if err != nil {
			return err
		}
		now := c.Clock().Now()
		res.Selected = pendingToJSON(selected, now)
		if len(selected) > 0 && !co.dryRun {
			claimed, err := rdb.XClaimJustID(ctx, &redis.XClaimArgs{
				Stream: stream, Group: group, Consumer: co.to, MinIdle: co.minIdle, Messages: pendingIDs(selected),
			}).Result()
			if err != nil && err != redis.Nil {
				return fmt.Errorf("XCLAIM %s %s: %w", stream, group, err)
			}
			res.Claimed = claimed
			for _, p := range selected {
				if !slices.Contains(claimed, p.ID) {
					res.Skipped = append(res.Skipped, skippedJSON{p.ID, skipRaced})
				}
			}
		}
		if o.json {
			return o.printJSON(res)
		}
		held := &redis.XPending{}
		if len(selected) == 0 && len(ids) == 0 {
			if held, err = rdb.XPending(ctx, stream, group).Result(); err != nil {
				return fmt.Errorf("XPENDING %s %s: %w", stream, group, err)
			}
		}
		return printClaim(o, co, res, selected, held, now)
	}
	return cmd
}

// check refuses flags that do not go together.
func (co claimOptions) check(cmd *cobra.Command, ids []string) error {
	switch {
	case co.to == "":
		return usageErrorf("--to names the consumer to move the messages to")
	case co.minIdle < 0:
		return usageErrorf("--min-idle cannot be negative")
	case co.count <= 0:
		return usageErrorf("--count must be positive, not %d", co.count)
	case co.from != "" && co.from == co.to:
		return usageErrorf("--from and --to name the same consumer, %s", co.to)
	case len(ids) > 0 && (cmd.Flags().Changed("count") || co.from != ""):
		return usageErrorf("give either IDs or --count/--from, not both")
	}
	for _, id := range ids {
		if _, ok := streamid.Parse(id); !ok {
			return usageErrorf("%q is not a stream ID (such as 1700000000000-0)", id)
		}
	}
	return nil
}

// selectIDs looks the given IDs up in the group's PEL: those pending to
// another consumer and idle long enough are selected, the others
// skipped with the reason.
func (co claimOptions) selectIDs(ctx context.Context, rdb redis.UniversalClient, stream, group string, ids []string) ([]redis.XPendingExt, []skippedJSON, error) {
	cmds := make([]*redis.XPendingExtCmd, len(ids))
	_, _ = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: stream, Group: group, Start: id, End: id, Count: 1})
		}
		return nil
	})
	var selected []redis.XPendingExt
	skipped := []skippedJSON{}
	for i, cmd := range cmds {
		pend, err := cmd.Result()
		if err != nil {
			return nil, nil, fmt.Errorf("XPENDING %s %s %s: %w", stream, group, ids[i], err)
		}
		switch {
		case len(pend) == 0:
			skipped = append(skipped, skippedJSON{ids[i], skipNotPending})
		case pend[0].Consumer == co.to:
			skipped = append(skipped, skippedJSON{ids[i], skipHeld})
		case pend[0].Idle < co.minIdle:
			skipped = append(skipped, skippedJSON{ids[i], skipRecent})
		default:
			selected = append(selected, pend[0])
		}
	}
	return selected, skipped, nil
}

// pendingIDs returns the IDs of pending entries.
func pendingIDs(pend []redis.XPendingExt) []string {
	ids := make([]string, len(pend))
	for i, p := range pend {
		ids[i] = p.ID
	}
	return ids
}

// printClaim writes what a claim did, for people.
// held counts the group's pending messages, in all and by consumer, for
// "nothing to claim".
func printClaim(o *output, co claimOptions, res claimJSON, selected []redis.XPendingExt, held *redis.XPending, now time.Time) error {
	var moved []redis.XPendingExt
	for _, p := range selected {
		if co.dryRun || slices.Contains(res.Claimed, p.ID) {
			moved = append(moved, p)
		}
	}
	var err error
	switch {
	case len(selected) == 0 && len(res.Skipped) > 0:
		_, err = fmt.Fprintln(o.w, "nothing to claim: none of the IDs given can be claimed")
	case len(selected) == 0:
		_, err = fmt.Fprintf(o.w, "nothing to claim: %s\n", co.describe(res.Stream, res.Group, held))
	case len(moved) == 0:
		_, err = fmt.Fprintf(o.w, "nothing claimed: the %s selected were taken meanwhile\n", messages(int64(len(selected))))
	case co.dryRun:
		_, err = fmt.Fprintf(o.w, "would claim %s to %s (dry run: nothing moved):\n", messages(int64(len(moved))), co.to)
	default:
		_, err = fmt.Fprintf(o.w, "claimed %s to %s:\n", messages(int64(len(moved))), co.to)
	}
	if err != nil {
		return err
	}
	if len(moved) > 0 {
		if err := pendingTable(o, moved, now, "FROM"); err != nil {
			return err
		}
	}
	for _, s := range res.Skipped {
		if _, err := fmt.Fprintln(o.w, o.style(warnStyle, "skipped "+s.ID+": "+s.Reason)); err != nil {
			return err
		}
	}
	return nil
}

// describe says why no message was selected, for "nothing to claim":
// held is the group's XPENDING summary.
func (co claimOptions) describe(stream, group string, held *redis.XPending) string {
	of := fmt.Sprintf("group %s of %s", group, stream)
	own := held.Consumers[co.to]
	switch {
	case held.Count == 0:
		return of + " has no pending messages"
	case co.from != "" && held.Consumers[co.from] == 0:
		return fmt.Sprintf("%s holds no pending messages in %s", co.from, of)
	case co.from == "" && own == held.Count:
		return fmt.Sprintf("%s already holds every pending message of %s", co.to, of)
	}
	whose := of
	if co.from != "" {
		whose = co.from + " (" + of + ")"
	}
	msg := fmt.Sprintf("none of the pending messages of %s has been idle for %s or more", whose, durationText(co.minIdle))
	if co.from == "" && own > 0 {
		msg += fmt.Sprintf(" (leaving out the %s that %s holds already)", thousands(own), co.to)
	}
	return msg
}
