package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
)

// peekValueWidth is how many characters of a field's value the peek
// table shows; --json has them whole.
const peekValueWidth = 40

// entryJSON is a stream entry, with --json.
type entryJSON struct {
	ID string `json:"id"`
	// Time is the moment in its ID.
	Time   time.Time         `json:"time"`
	Fields map[string]string `json:"fields"`
}

// newPeekCommand returns pelican peek STREAM: browse entries without
// consuming them.
func newPeekCommand(stdout, stderr io.Writer) *cobra.Command {
	var t target
	var from, to string
	var count int64
	var reverse bool
	cmd := &cobra.Command{
		Use:   "peek STREAM",
		Short: "Show a stream's entries without consuming them",
		Long: `Show entries of a stream (XRANGE, or XREVRANGE with --reverse), from its start or --from,
up to its end or --to: no group reads them, nothing is acknowledged or changed.

--from and --to take a stream ID (1700000000000-0, or 1700000000000 for its millisecond),
a time ago (90s, 1h, 7d) or an RFC 3339 time (2026-05-01T12:00:00Z). The table cuts long
values; --json has them whole.`,
		Example: `  pelican peek orders
  pelican peek orders --reverse --count 5          # the newest five
  pelican peek orders --from 1h --count 100        # added in the last hour
  pelican peek orders:dlq --json | jq '.entries[].fields'`,
		Args: exactArgs(1),
	}
	t.addFlags(cmd)
	o := addOutputFlags(cmd, stdout)
	fs := cmd.Flags()
	fs.StringVar(&from, "from", "-", "first entry: "+boundHelp)
	fs.StringVar(&to, "to", "+", "last entry: "+boundHelp)
	fs.Int64Var(&count, "count", 10, "show at most this many entries")
	fs.BoolVar(&reverse, "reverse", false, "newest first, from --to back to --from")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if count <= 0 {
			return usageErrorf("--count must be positive, not %d", count)
		}
		now := time.Now()
		fromBound, err := parseBound(from, now)
		if err != nil {
			return usageErrorf("--from: %v", err)
		}
		toBound, err := parseBound(to, now)
		if err != nil {
			return usageErrorf("--to: %v", err)
		}
		start, end := fromBound.rangeID(), toBound.rangeID()
		ctx := cmd.Context()
		stream := args[0]
		c, err := t.openStream(ctx, stream)
		if err != nil {
			return err
		}
		defer c.Close()
		rdb := c.Redis()
		var msgs []redis.XMessage
		if reverse {
			msgs, err = rdb.XRevRangeN(ctx, stream, end, start, count).Result()
		} else {
			msgs, err = rdb.XRangeN(ctx, stream, start, end, count).Result()
		}
		if err != nil {
			return fmt.Errorf("reading %s from %s to %s: %w", stream, start, end, err)
		}
		entries := make([]entryJSON, 0, len(msgs))
		for _, m := range msgs {
			e := entryJSON{ID: m.ID, Fields: make(map[string]string, len(m.Values))}
			e.Time, _ = timeOfID(m.ID)
			for k, v := range m.Values {
				e.Fields[k] = fmt.Sprint(v)
			}
			entries = append(entries, e)
		}
		if o.json {
			return o.printJSON(struct {
				Stream  string      `json:"stream"`
				Entries []entryJSON `json:"entries"`
			}{stream, entries})
		}
		if len(entries) == 0 {
			_, err := fmt.Fprintf(o.w, "no entries in %s between %s and %s\n", stream, start, end)
			return err
		}
		tb := o.table("ID", "TIME", "FIELDS")
		for _, e := range entries {
			tb.row(e.ID, e.Time.Local().Format(time.DateTime), fieldsCell(e.Fields))
		}
		return tb.flush()
	}
	return cmd
}

// fieldsCell writes an entry's fields as name=value pairs, sorted by
// name, each value cut to peekValueWidth characters and kept on one line.
func fieldsCell(fields map[string]string) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + "=" + valueCell(fields[k], peekValueWidth)
	}
	return strings.Join(parts, " ")
}
