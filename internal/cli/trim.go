package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pelicanhq/pelican/trim"
)

// trimReportJSON is what pelican trim did (trim.Report), with --json.
type trimReportJSON struct {
	Stream string `json:"stream"`
	// Policy is the policy as XTRIM would write it.
	Policy       string `json:"policy"`
	DryRun       bool   `json:"dry_run"`
	Mode         string `json:"mode"`
	Removed      int64  `json:"removed"`
	LengthBefore int64  `json:"length_before"`
	LengthAfter  int64  `json:"length_after"`
	Cut          string `json:"cut"`
	Floor        string `json:"floor"`
	Used         string `json:"used"`
	Unprocessed  int64  `json:"unprocessed"`
	Scanned      int64  `json:"scanned"`
	Capped       bool   `json:"capped"`
	Lost         int64  `json:"lost"`
	Ghosts       int64  `json:"ghosts"`
	GhostsCapped bool   `json:"ghosts_capped"`
}

// trimPlanJSON is what a plain trim would do (trim.Plan), with --json
// --dry-run.
type trimPlanJSON struct {
	Stream      string `json:"stream"`
	Policy      string `json:"policy"`
	DryRun      bool   `json:"dry_run"`
	Length      int64  `json:"length"`
	Remove      int64  `json:"remove"`
	Unprocessed int64  `json:"unprocessed"`
	Cut         string `json:"cut"`
	Floor       string `json:"floor"`
	Capped      bool   `json:"capped"`
}

// trimFlags are pelican trim's flags.
type trimFlags struct {
	maxLen    int64
	minID     string
	maxAge    time.Duration
	maxAgeSet bool // --max-age was given
	approx    bool
	unsafe    bool
	dryRun    bool
	scanLimit int64
}

// policy turns the flags into a trim policy for stream.
func (f trimFlags) policy(stream string, now time.Time) (trim.Policy, error) {
	p := trim.Policy{Stream: stream, MaxLen: f.maxLen, Approx: f.approx, Safe: !f.unsafe, ScanLimit: f.scanLimit}
	switch {
	case f.maxLen < 0:
		return p, usageErrorf("--maxlen cannot be negative")
	case f.scanLimit < 0:
		return p, usageErrorf("--scan-limit cannot be negative")
	case f.minID != "" && f.maxAgeSet:
		return p, usageErrorf("give --minid or --max-age, not both")
	case f.maxLen == 0 && f.minID == "" && !f.maxAgeSet:
		return p, usageErrorf("say what to keep: --maxlen N, --minid ID or --max-age DURATION")
	}
	if f.maxAgeSet {
		if f.maxAge <= 0 {
			return p, usageErrorf("--max-age %s is not a positive duration (such as 24h or 7d)", durationText(f.maxAge))
		}
		p.MaxAge = f.maxAge
	}
	if f.minID != "" {
		b, err := parseBound(f.minID, now)
		switch {
		case err != nil:
			return p, usageErrorf("--minid: %v", err)
		case b.id == "-" || b.id == "+":
			return p, usageErrorf("--minid %s: give %s", b.id, boundHelp)
		}
		p.MinID = b.rangeID()
	}
	return p, nil
}

// newTrimCommand returns pelican trim STREAM: trim a stream by length,
// ID or age, by default never removing what a group still needs.
func newTrimCommand(stdout, stderr io.Writer) *cobra.Command {
	var t target
	var f trimFlags
	cmd := &cobra.Command{
		Use:   "trim STREAM (--maxlen N | --minid ID | --max-age DURATION)",
		Short: "Trim a stream, never removing what a group still needs",
		Long: `Trim a stream to its newest --maxlen entries, to the entries from --minid on, or to those
younger than --max-age (by the time in their IDs); --maxlen goes with one of the others,
and then both hold.

The trim is safe: it never removes an entry some consumer group has not yet been
delivered and acknowledged (XTRIM ... ACKED on Redis 8.2 and Pelican's engine; on Redis 7
a MINID no further than the oldest entry any group still needs). --unsafe trims as XTRIM
does, whatever the groups need: unprocessed entries are then lost, and pending ones stay
in their groups' pending lists without their content.

--dry-run trims nothing: it says how many entries a plain XTRIM would remove, and how
many of those are unprocessed (what it would lose, and a safe trim keeps).

The figures of every trim are added to the stream's running totals (shown by
'pelican streams --json' and the Prometheus metrics).`,
		Example: `  pelican trim orders --maxlen 1000000 --dry-run
  pelican trim orders --max-age 7d
  pelican trim orders --minid 2026-05-01T00:00:00Z --approx
  pelican trim orders --maxlen 1000 --unsafe --json`,
		Args: exactArgs(1),
	}
	t.addFlags(cmd)
	o := addOutputFlags(cmd, stdout)
	fs := cmd.Flags()
	fs.Int64Var(&f.maxLen, "maxlen", 0, "keep at most this many of the newest entries")
	fs.StringVar(&f.minID, "minid", "", "remove the entries before this point: "+boundHelp)
	durationVar(fs, &f.maxAge, "max-age", 0, "remove the entries older than this, by the time in their IDs")
	fs.BoolVar(&f.approx, "approx", false, "trim approximately (~): whole nodes only, cheaper; a few more entries may stay")
	fs.BoolVar(&f.unsafe, "unsafe", false, "trim as XTRIM does, removing entries groups still need")
	fs.BoolVar(&f.dryRun, "dry-run", false, "say what a plain trim would remove and lose, trimming nothing")
	fs.Int64Var(&f.scanLimit, "scan-limit", 0, fmt.Sprintf("read at most this many entries to count the unprocessed (default %d)", trim.DefaultScanLimit))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		stream := args[0]
		f.maxAgeSet = cmd.Flags().Changed("max-age")
		p, err := f.policy(stream, time.Now())
		if err != nil {
			return err
		}
		c, err := t.openStream(ctx, stream)
		if err != nil {
			return err
		}
		defer c.Close()
		if f.dryRun {
			pl, err := trim.DryRun(ctx, c, p)
			if err != nil {
				return fmt.Errorf("planning the trim of %s: %w", stream, err)
			}
			return printTrimPlan(o, p, pl)
		}
		r, err := trim.Run(ctx, c, p)
		if err != nil {
			return fmt.Errorf("trimming %s: %w", stream, err)
		}
		return printTrimReport(o, p, r)
	}
	return cmd
}

// policyText writes a policy for people: "orders MAXLEN 1000", "orders
// MINID 1700000000000-0", "orders max age 7d" (there is no XTRIM option
// for an age: the trim turns it into a MINID), with "~" when approximate
// and "(safe)" when safe.
func policyText(p trim.Policy) string {
	if p.MaxAge <= 0 || p.MinID != "" {
		return p.String()
	}
	age := p
	age.MaxAge = 0
	s := age.String()
	s, safe := strings.CutSuffix(s, " (safe)")
	approx := ""
	if p.Approx {
		approx = "~"
	}
	s += " max age " + approx + durationText(p.MaxAge)
	if safe {
		s += " (safe)"
	}
	return s
}

// printTrimPlan writes what a plain trim would do.
func printTrimPlan(o *output, p trim.Policy, pl trim.Plan) error {
	plain := p
	plain.Safe = false
	if o.json {
		return o.printJSON(trimPlanJSON{
			Stream: pl.Stream, Policy: plain.String(), DryRun: true, Length: pl.Length, Remove: pl.Remove,
			Unprocessed: pl.Unprocessed, Cut: pl.Cut, Floor: pl.Floor, Capped: pl.Capped,
		})
	}
	atLeast := ""
	if pl.Capped {
		atLeast = "at least "
	}
	fmt.Fprintf(o.w, "dry run, nothing trimmed: a plain XTRIM %s would remove %s%d of %d entries\n",
		policyText(plain), atLeast, pl.Remove, pl.Length)
	var err error
	switch {
	case pl.Unprocessed == 0:
		_, err = fmt.Fprintln(o.w, "none of them unprocessed: no group needs them")
	case p.Safe:
		_, err = fmt.Fprintf(o.w, "%s%d of them unprocessed (it would lose them); a safe trim keeps them, --unsafe removes them\n",
			atLeast, pl.Unprocessed)
	default:
		_, err = fmt.Fprintln(o.w, o.style(warnStyle, fmt.Sprintf("%s%d of them unprocessed: --unsafe would lose them",
			atLeast, pl.Unprocessed)))
	}
	if err == nil && pl.Capped {
		_, err = fmt.Fprintf(o.w, "(counted over the first %d entries: --scan-limit reads more)\n", pl.Remove)
	}
	return err
}

// printTrimReport writes what a trim did.
func printTrimReport(o *output, p trim.Policy, r trim.Report) error {
	if o.json {
		return o.printJSON(trimReportJSON{
			Stream: r.Stream, Policy: p.String(), Mode: string(r.Mode), Removed: r.Removed,
			LengthBefore: r.LengthBefore, LengthAfter: r.LengthAfter, Cut: r.Cut, Floor: r.Floor, Used: r.Used,
			Unprocessed: r.Unprocessed, Scanned: r.Scanned, Capped: r.Capped, Lost: r.Lost,
			Ghosts: r.Ghosts, GhostsCapped: r.GhostsCapped,
		})
	}
	plain := p
	plain.Safe = false
	fmt.Fprintf(o.w, "trimmed %s (mode %s): removed %d of %d entries, %d left\n",
		policyText(plain), r.Mode, r.Removed, r.LengthBefore, r.LengthAfter)
	if kept := r.Unprocessed - r.Lost; r.Mode != trim.ModePlain && kept > 0 {
		fmt.Fprintf(o.w, "kept %d unprocessed entries a plain trim would have removed\n", kept)
	}
	if r.Lost > 0 {
		fmt.Fprintln(o.w, o.style(warnStyle, fmt.Sprintf("lost %d unprocessed entries: their groups will never process them", r.Lost)))
	}
	if r.Ghosts > 0 {
		more := ""
		if r.GhostsCapped {
			more = " or more"
		}
		fmt.Fprintf(o.w, "%d%s pending messages have no entry any more (ghosts); Pelican workers acknowledge them as lost to trim\n", r.Ghosts, more)
	}
	if r.Capped {
		fmt.Fprintln(o.w, "the scan stopped at --scan-limit: run again to trim further")
	}
	return nil
}
