package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
)

// pendingPage is how many pending entries one XPENDING reads.
const pendingPage = 1000

// A pendingFilter selects pending messages of a group.
type pendingFilter struct {
	// consumer, if set, selects that consumer's messages (XPENDING's
	// consumer argument).
	consumer string
	// minIdle selects the messages idle at least that long (XPENDING
	// IDLE).
	minIdle time.Duration
	// minDeliveries selects the messages delivered at least that many
	// times; XPENDING cannot, so it is done here.
	minDeliveries int64
	// skipConsumer, if set, leaves that consumer's messages out.
	skipConsumer string
}

// listPending returns up to limit pending messages of a group that the
// filter selects, oldest (smallest ID) first, and whether there are more.
// It pages through the PEL with XPENDING, so a filter on deliveries may
// read the whole PEL.
func listPending(ctx context.Context, rdb redis.UniversalClient, stream, group string, f pendingFilter, limit int64) ([]redis.XPendingExt, bool, error) {
	var out []redis.XPendingExt
	for start := "-"; ; {
		page, err := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
			Stream: stream, Group: group, Idle: f.minIdle, Start: start, End: "+", Count: pendingPage, Consumer: f.consumer,
		}).Result()
		if err != nil {
			return nil, false, fmt.Errorf("XPENDING %s %s: %w", stream, group, err)
		}
		for _, p := range page {
			if p.RetryCount < f.minDeliveries || f.skipConsumer != "" && p.Consumer == f.skipConsumer {
				continue
			}
			if int64(len(out)) == limit {
				return out, true, nil
			}
			out = append(out, p)
		}
		if len(page) < pendingPage {
			return out, false, nil
		}
		start = "(" + page[len(page)-1].ID
	}
}

// pendingToJSON converts pending messages; now dates their ages.
func pendingToJSON(pend []redis.XPendingExt, now time.Time) []pendingJSON {
	out := make([]pendingJSON, 0, len(pend))
	for _, p := range pend {
		out = append(out, pendingJSON{
			ID: p.ID, Consumer: p.Consumer, Deliveries: p.RetryCount, IdleMs: millis(p.Idle), AgeMs: millis(ageOfID(p.ID, now)),
		})
	}
	return out
}

// pendingTable writes pending messages as a table; holder heads the
// column of the consumers holding them.
func pendingTable(o *output, pend []redis.XPendingExt, now time.Time, holder string) error {
	tb := o.table("ID", "AGE", holder, "IDLE", "DELIVERIES")
	for _, p := range pend {
		tb.row(p.ID, shortDuration(ageOfID(p.ID, now)), p.Consumer, idleCell(p.Idle, true), p.RetryCount)
	}
	return tb.flush()
}

// pendingListJSON is what pelican pending prints with --json.
type pendingListJSON struct {
	Stream string `json:"stream"`
	Group  string `json:"group"`
	// GroupPending counts every pending message of the group, whatever
	// the filters.
	GroupPending int64 `json:"group_pending"`
	// Matched counts the pending messages the filters select, listed or
	// not; null when only reading them all would tell (--min-idle or
	// --min-deliveries, with more than --count selected).
	Matched *int64 `json:"matched"`
	// More says that more messages match than are listed.
	More     bool          `json:"more"`
	Messages []pendingJSON `json:"messages"`
}

// matchedPending counts the pending messages filter f selects, when it
// can tell without reading them all: from the listed messages when they
// are all, else from the group's XPENDING summary (in all, or of the
// consumer); nil when --min-idle or --min-deliveries select among more
// messages than were listed.
func matchedPending(f pendingFilter, summary *redis.XPending, listed []redis.XPendingExt, more bool) *int64 {
	var n int64
	switch {
	case !more:
		n = int64(len(listed))
	case f.minIdle > 0 || f.minDeliveries > 0:
		return nil
	case f.consumer != "":
		n = summary.Consumers[f.consumer]
	default:
		n = summary.Count
	}
	return &n
}

// newPendingCommand returns pelican pending STREAM GROUP: the messages a
// group's consumers hold, oldest first.
func newPendingCommand(stdout, stderr io.Writer) *cobra.Command {
	var t target
	var f pendingFilter
	var count int64
	cmd := &cobra.Command{
		Use:   "pending STREAM GROUP",
		Short: "List a group's pending messages: delivered, not yet acknowledged",
		Long: `List the pending messages of a consumer group, oldest first: delivered to a consumer and
not yet acknowledged. Each shows its age (from the time in its ID), the consumer holding
it, how long since it was last delivered (IDLE; "given back" for one returned to the
group to be delivered again) and how many times it was delivered.

Filters select the messages of one consumer, idle at least so long, or delivered at
least so many times. Nothing is claimed or changed.`,
		Example: `  pelican pending orders billing
  pelican pending orders billing --min-idle 10m --consumer billing-2
  pelican pending orders billing --min-deliveries 3 --count 1000 --json`,
		Args: exactArgs(2),
	}
	t.addFlags(cmd)
	o := addOutputFlags(cmd, stdout)
	fs := cmd.Flags()
	fs.StringVar(&f.consumer, "consumer", "", "only the messages this consumer holds")
	durationVar(fs, &f.minIdle, "min-idle", 0, "only the messages not delivered for at least this long")
	fs.Int64Var(&f.minDeliveries, "min-deliveries", 0, "only the messages delivered at least this many times")
	fs.Int64Var(&count, "count", 100, "list at most this many messages")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if count <= 0 {
			return usageErrorf("--count must be positive, not %d", count)
		}
		if f.minIdle < 0 || f.minDeliveries < 0 {
			return usageErrorf("--min-idle and --min-deliveries cannot be negative")
		}
		ctx := cmd.Context()
		stream, group := args[0], args[1]
		c, err := t.openGroup(ctx, stream, group)
		if err != nil {
			return err
		}
		defer c.Close()
		rdb := c.Redis()
		summary, err := rdb.XPending(ctx, stream, group).Result()
		if err != nil {
			return fmt.Errorf("XPENDING %s %s: %w", stream, group, err)
		}
		pend, more, err := listPending(ctx, rdb, stream, group, f, count)
		if err != nil {
			return err
		}
		matched := matchedPending(f, summary, pend, more)
		now := c.Clock().Now()
		if o.json {
			return o.printJSON(pendingListJSON{
				Stream: stream, Group: group, GroupPending: summary.Count, Matched: matched, More: more,
				Messages: pendingToJSON(pend, now),
			})
		}
		if len(pend) == 0 {
			msg := fmt.Sprintf("no pending messages in group %s of %s", group, stream)
			switch {
			case summary.Count > 0 && f.consumer != "" && summary.Consumers[f.consumer] == 0:
				msg = fmt.Sprintf("%s holds none of the %d pending messages of group %s of %s", f.consumer, summary.Count, group, stream)
			case summary.Count > 0:
				msg = fmt.Sprintf("none of the %d pending messages of group %s of %s match", summary.Count, group, stream)
			}
			_, err := fmt.Fprintln(o.w, msg)
			return err
		}
		if err := pendingTable(o, pend, now, "CONSUMER"); err != nil {
			return err
		}
		if more {
			of := "more match"
			switch {
			case matched == nil:
			case *matched == summary.Count:
				of = fmt.Sprintf("of %d pending", summary.Count)
			default:
				of = fmt.Sprintf("of %d that match", *matched)
			}
			_, err := fmt.Fprintf(o.w, "the oldest %d shown, %s; --count shows more\n", len(pend), of)
			return err
		}
		return nil
	}
	return cmd
}
