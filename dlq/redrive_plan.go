package dlq

import (
	"context"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/rediserr"
)

// Plan is what a redrive would do now: the dry run.
type Plan struct {
	// Selected is how many entries the selector selects.
	Selected int64
	// Redrive is how many would be sent back to their streams, Park how
	// many would be parked (redrive limit reached) and Skip how many
	// cannot be redriven and would stay.
	Redrive, Park, Skip int64
	// Targets break Redrive down by stream and group, sorted.
	Targets []PlanTarget
	// SkipReasons break Skip down by reason.
	SkipReasons map[SkipReason]int64
	// Samples are the first few selected entries (at most PlanSamples).
	Samples []Entry
}

// PlanTarget is a stream and group entries would be sent back to.
type PlanTarget struct {
	Stream, Group string
	// Count is how many entries would go there.
	Count int64
	// Problem, if not empty, says why the stream cannot take them now
	// (it does not exist, is not a stream, or has no such group): a
	// redrive would stop with ErrTargetGone on reaching them.
	Problem string
}

// PlanSamples is how many sample entries a Plan holds.
const PlanSamples = 5

// PlanRedrive says what Redrive(ctx, sel, opts) would do if started now,
// changing nothing: how many entries it would send back, to which streams
// and groups (and whether those exist), how many it would park (per
// opts.RedriveLimit) and how many it could not redrive, and why.
func (q *Queue) PlanRedrive(ctx context.Context, sel Selector, opts RedriveOptions) (Plan, error) {
	plan := Plan{SkipReasons: map[SkipReason]int64{}}
	if err := sel.validate(); err != nil {
		return plan, err
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return plan, err
	}
	if err := q.checkRedriveCluster(); err != nil {
		return plan, err
	}
	type target struct{ stream, group string }
	counts := map[target]int64{}
	after := ""
	for {
		b, err := q.readBatch(ctx, sel, after, redriveMaxID, pageSize)
		if err != nil {
			return plan, err
		}
		for _, e := range b.entries {
			plan.Selected++
			if len(plan.Samples) < PlanSamples {
				sample := e.Entry
				sample.Fingerprint = Fingerprint(sample.Error)
				plan.Samples = append(plan.Samples, sample)
			}
			if r, skip := q.skipReason(e.Entry); skip {
				plan.Skip++
				plan.SkipReasons[r]++
				continue
			}
			if e.Redrives >= int64(opts.RedriveLimit) {
				plan.Park++
				continue
			}
			plan.Redrive++
			counts[target{e.Stream, e.Group}]++
		}
		if b.end || b.last == "" {
			break
		}
		after = b.last
	}
	for t, n := range counts {
		plan.Targets = append(plan.Targets, PlanTarget{Stream: t.stream, Group: t.group, Count: n})
	}
	slices.SortFunc(plan.Targets, func(a, b PlanTarget) int {
		if c := strings.Compare(a.Stream, b.Stream); c != 0 {
			return c
		}
		return strings.Compare(a.Group, b.Group)
	})
	if len(plan.Targets) == 0 {
		return plan, nil
	}
	cmds, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, t := range plan.Targets {
			p.XInfoGroups(ctx, t.Stream)
		}
		return nil
	})
	if err != nil && !rediserr.IsReply(err) {
		return plan, q.wrap("XINFO GROUPS", err)
	}
	for i := range plan.Targets {
		t := &plan.Targets[i]
		t.Problem = redriveTargetProblem(t.Stream, []string{t.Group}, cmds[i].(*redis.XInfoGroupsCmd))
	}
	return plan, nil
}

// selectsAll reports whether s selects every entry: All and nothing else.
func (s Selector) selectsAll() bool {
	return s.All && len(s.IDs) == 0 && s.Start == "" && s.End == "" && s.Since.IsZero() && s.Until.IsZero() &&
		s.Fingerprint == "" && s.Stream == "" && s.Group == "" && s.Class == ""
}
