package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
)

// redriveFlags are the flags of "pelican dlq redrive".
type redriveFlags struct {
	sel      selectorFlags
	dryRun   bool
	yes      bool
	rate     float64
	limit    int
	jobID    string
	jobs     bool
	resume   string
	cancel   string
	progress time.Duration // how often the job's progress is looked at
}

// newDlqRedriveCommand returns "pelican dlq redrive STREAM".
func newDlqRedriveCommand(stdout, stderr io.Writer) *cobra.Command {
	d := &dlqTarget{}
	var o *output
	f := &redriveFlags{progress: 100 * time.Millisecond}
	cmd := &cobra.Command{
		Use:   "redrive STREAM (SELECTOR | --jobs | --resume JOB | --cancel JOB)",
		Short: "Send dead letters back to their streams, as a resumable job",
		Long: `Sends the selected dead letters back to the streams they came from, for the group that gave
up on them, as a job: in batches, each one transaction, at --rate messages per second, with
progress, resumable from its checkpoint. Entries redriven --redrive-limit times before are
parked in STREAM:dlq:parked instead. --dry-run shows what would happen and changes nothing.

Ctrl-C cancels the job after its current batch; what it has not moved stays, and
--resume JOB carries on. --jobs lists the jobs of the dead-letter stream (kept 7 days after
they end), --cancel JOB stops a job running elsewhere.`,
		Example: `  pelican dlq redrive orders --all --dry-run
  pelican dlq redrive orders --cause 3f2a9c1b7d04 --rate 200
  pelican dlq redrive orders --from 2h --yes            # no question asked
  pelican dlq redrive orders --jobs
  pelican dlq redrive orders --resume 20250102T150405Z-1a2b3c4d
  pelican dlq redrive orders --cancel 20250102T150405Z-1a2b3c4d`,
		Args: cobra.ArbitraryArgs,
		RunE: d.runE(0, func([]string) error { return f.check() }, func(ctx context.Context, x dlqCall) error {
			r := &redriver{d: d, o: o, f: f, c: x.c, q: x.q, stream: x.stream, stderr: stderr}
			switch {
			case f.jobs:
				return r.listJobs(ctx)
			case f.cancel != "":
				return r.cancelJob(ctx)
			case f.resume != "":
				return r.resumeJob(ctx)
			}
			return r.start(ctx)
		}),
	}
	d.addFlags(cmd)
	f.sel.add(cmd)
	fs := cmd.Flags()
	fs.BoolVar(&f.dryRun, "dry-run", false, "show what the redrive would do, and change nothing")
	fs.BoolVarP(&f.yes, "yes", "y", false, "go ahead without asking")
	fs.Float64Var(&f.rate, "rate", 0, "send at most this many messages per second (default: no limit)")
	fs.IntVar(&f.limit, "redrive-limit", dlq.DefaultRedriveLimit, "park entries redriven this many times before instead of sending them back")
	fs.StringVar(&f.jobID, "job-id", "", "name the job (letters, digits, '.', '_', '-'); default: the time and random digits")
	fs.BoolVar(&f.jobs, "jobs", false, "list the redrive jobs of the dead-letter stream")
	fs.StringVar(&f.resume, "resume", "", "carry on with this job from its checkpoint")
	fs.StringVar(&f.cancel, "cancel", "", "ask this job, wherever it runs, to stop after its current batch")
	o = addOutputFlags(cmd, stdout)
	return cmd
}

// check refuses flags that do not go together.
func (f *redriveFlags) check() error {
	var modes []string
	for _, m := range []struct {
		set  bool
		name string
	}{{f.jobs, "--jobs"}, {f.resume != "", "--resume"}, {f.cancel != "", "--cancel"}, {f.dryRun, "--dry-run"}} {
		if m.set {
			modes = append(modes, m.name)
		}
	}
	if len(modes) > 1 {
		return usageErrorf("%s go separately", strings.Join(modes, " and "))
	}
	if f.rate < 0 {
		return usageErrorf("--rate must not be negative")
	}
	if f.limit < 1 {
		return usageErrorf("--redrive-limit must be at least 1")
	}
	return nil
}

// A redriver runs one "pelican dlq redrive".
type redriver struct {
	d      *dlqTarget
	o      *output
	f      *redriveFlags
	c      *pelican.Client
	q      *dlq.Queue
	stream string
	stderr io.Writer
}

// options are the job's options from the flags.
func (r *redriver) options() dlq.RedriveOptions {
	return dlq.RedriveOptions{Rate: r.f.rate, RedriveLimit: r.f.limit, JobID: r.f.jobID}
}

// start plans a redrive, shows the plan (the dry run stops there), asks,
// and runs the job.
func (r *redriver) start(ctx context.Context) error {
	sel, err := r.f.sel.change(r.c.Clock().Now(), "redrive")
	if err != nil {
		return err
	}
	plan, err := r.q.PlanRedrive(ctx, sel, r.options())
	if err != nil {
		return dlqError(err)
	}
	if r.f.dryRun {
		if r.o.json {
			return r.o.printJSON(dlqPlanToJSON(r.q.Name(), plan, sel))
		}
		return r.printPlan(plan)
	}
	if plan.Selected == 0 {
		return r.nothingSelected(sel)
	}
	if err := r.planProblems(plan); err != nil {
		return err
	}
	if err := confirmation(r.f.yes, r.stderr, r.question(plan)); err != nil {
		return err
	}
	job, err := r.q.Redrive(ctx, sel, r.options())
	if err != nil {
		return dlqError(err)
	}
	return r.follow(ctx, job, "started")
}

// nothingSelected reports a selector that selects no entry: not an
// error, since there is nothing left to do. With --json it prints a job
// that did nothing, without an ID: what a redrive prints, in a shape a
// script need not tell apart.
func (r *redriver) nothingSelected(sel dlq.Selector) error {
	if r.o.json {
		opts := r.options()
		return r.o.printJSON(dlqRedriveJSON(r.q.Name(), dlq.JobInfo{
			State: dlq.StateDone, Selector: sel, Counted: true, Rate: opts.Rate, RedriveLimit: opts.RedriveLimit,
		}))
	}
	fmt.Fprintf(r.o.w, "nothing selected: no entry of %s matches\n", r.q.Name())
	return nil
}

// question is the confirmation asked before a redrive.
func (r *redriver) question(plan dlq.Plan) string {
	var streams []string
	for _, t := range plan.Targets {
		if !slices.Contains(streams, t.Stream) {
			streams = append(streams, t.Stream)
		}
	}
	q := fmt.Sprintf("Redrive %s of %s", messages(plan.Redrive), r.q.Name())
	if len(streams) > 0 {
		q += " to " + strings.Join(streams, ", ")
	}
	var also []string
	if plan.Park > 0 {
		also = append(also, fmt.Sprintf("park %s in %s", thousands(plan.Park), r.q.Parked().Name()))
	}
	if plan.Skip > 0 {
		also = append(also, fmt.Sprintf("leave %s that cannot be redriven", thousands(plan.Skip)))
	}
	if len(also) > 0 {
		q += " (and " + strings.Join(also, ", ") + ")"
	}
	return q + "?"
}

// planProblems refuses a redrive whose targets cannot take the messages:
// the job would stop on reaching them.
func (r *redriver) planProblems(plan dlq.Plan) error {
	var problems []string
	for _, t := range plan.Targets {
		if t.Problem != "" {
			problems = append(problems, fmt.Sprintf("%s (group %s, %s): %s", t.Stream, t.Group, messages(t.Count), t.Problem))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("cannot redrive to %s; create the stream and group (XGROUP CREATE STREAM GROUP $ MKSTREAM), or select other entries", strings.Join(problems, "; "))
}

// printPlan shows the dry run.
func (r *redriver) printPlan(plan dlq.Plan) error {
	w := r.o.w
	fmt.Fprintf(w, "dry run: nothing changed. %s selected in %s: %s would be redriven, %s parked, %s left as they cannot be redriven\n",
		thousands(plan.Selected), r.q.Name(), thousands(plan.Redrive), thousands(plan.Park), thousands(plan.Skip))
	if len(plan.Targets) > 0 {
		fmt.Fprintln(w)
		t := r.o.table("TO STREAM", "GROUP", "MESSAGES", "")
		for _, tg := range plan.Targets {
			state := r.o.style(goodStyle, "ok")
			if tg.Problem != "" {
				state = r.o.style(badStyle, tg.Problem)
			}
			t.row(tg.Stream, tg.Group, tg.Count, state)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if len(plan.SkipReasons) > 0 {
		fmt.Fprintln(w)
		t := r.o.table("CANNOT REDRIVE", "ENTRIES")
		for _, reason := range slices.Sorted(maps.Keys(plan.SkipReasons)) {
			t.row(string(reason), plan.SkipReasons[reason])
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if len(plan.Samples) > 0 {
		fmt.Fprintln(w)
		t := r.o.table("SAMPLE", "GROUP", "REDRIVES", "ERROR")
		for _, e := range plan.Samples {
			t.row(e.ID, dash(e.Group), e.Redrives, clip(e.Error, 60))
		}
		return t.flush()
	}
	return nil
}

// follow shows a job's progress until it ends. An interrupt (Ctrl-C) or
// SIGTERM cancels it after its current batch; a second one kills the
// process, which a redrive survives too (its batches are transactions).
// how says how the job came to run: "started", "resumed (it was
// cancelled)".
func (r *redriver) follow(ctx context.Context, job *dlq.Job, how string) error {
	sig, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(r.stderr, "redrive job %s %s (Ctrl-C cancels it; it can be resumed)\n", job.ID(), how)
	view := newProgressView(r.stderr, "redriving "+r.q.Name(), job.Progress().Total, &r.d.logs)
	tick := time.NewTicker(r.f.progress)
	defer tick.Stop()
	cancelled := false
	for done := false; !done; {
		select {
		case <-job.Done():
			done = true
		case <-sig.Done():
			if !cancelled {
				cancelled = true
				stop() // a second Ctrl-C ends the process
				job.Cancel()
			}
		case <-tick.C:
		}
		p := job.Progress()
		view.update(handled(p), p.Total, progressDetail(p))
	}
	p, err := job.Wait(context.WithoutCancel(ctx))
	view.finish(handled(p), p.Total, progressDetail(p))
	return r.report(job.ID(), p, err)
}

// handled is how many of a job's entries it has dealt with.
func handled(p dlq.Progress) int64 { return p.Moved + p.Parked + p.Skipped + p.Gone }

// progressDetail breaks down a job's progress for plain lines.
func progressDetail(p dlq.Progress) string {
	return fmt.Sprintf("moved %s, parked %s, skipped %s, gone %s", thousands(p.Moved), thousands(p.Parked), thousands(p.Skipped), thousands(p.Gone))
}

// report says how a job ended: status 0 when it did everything, 1 when it
// was cancelled or failed, with how to resume it.
func (r *redriver) report(id string, p dlq.Progress, err error) error {
	if r.o.json {
		info, ierr := r.q.RedriveJob(context.Background(), id)
		if ierr != nil {
			return dlqError(ierr)
		}
		if jerr := r.o.printJSON(dlqRedriveJSON(r.q.Name(), info)); jerr != nil {
			return jerr
		}
	}
	resume := r.d.commandFor("redrive", r.stream, r.resumeFlags(id)...)
	switch {
	case err == nil:
		if !r.o.json {
			fmt.Fprintf(r.o.w, "redrive %s done: %s sent back, %s parked in %s, %s skipped, %s gone meanwhile\n",
				id, thousands(p.Moved), thousands(p.Parked), r.q.Parked().Name(), thousands(p.Skipped), thousands(p.Gone))
		}
		return nil
	case errors.Is(err, dlq.ErrCancelled):
		fmt.Fprintf(r.stderr, "redrive %s cancelled after sending back %s of %s; the rest stay in %s.\nResume it with: %s\n",
			id, thousands(p.Moved), thousands(p.Total), r.q.Name(), resume)
		return exitCode(1)
	case errors.Is(err, dlq.ErrTargetGone):
		return fmt.Errorf("%w\ncreate the stream and its group again, then resume with: %s", err, resume)
	case errors.Is(err, dlq.ErrJobTaken):
		return fmt.Errorf("%w: it carries on there; see it with: %s", err, r.d.commandFor("redrive", r.stream, "--jobs"))
	}
	return fmt.Errorf("%w\nonce the cause is fixed, resume with: %s", err, resume)
}

// resumeFlags are the flags of the command line that resumes job id:
// --resume, and --rate when one was given (a resumed job takes the rate
// afresh).
func (r *redriver) resumeFlags(id string) []string {
	flags := []string{"--resume", id}
	if r.f.rate > 0 {
		flags = append(flags, "--rate", strconv.FormatFloat(r.f.rate, 'f', -1, 64))
	}
	return flags
}

// resumeJob carries on with a job from its checkpoint.
func (r *redriver) resumeJob(ctx context.Context) error {
	if r.f.sel.given() {
		return usageErrorf("--resume takes the selector of the job; leave out the selector flags")
	}
	info, err := r.q.RedriveJob(ctx, r.f.resume)
	if errors.Is(err, dlq.ErrUnknownJob) {
		return fmt.Errorf("no redrive job %s on %s (its checkpoint may have expired); list them with: %s", r.f.resume, r.q.Name(), r.d.commandFor("redrive", r.stream, "--jobs"))
	}
	if err != nil {
		return dlqError(err)
	}
	if info.State == dlq.StateDone {
		if r.o.json {
			return r.o.printJSON(dlqRedriveJSON(r.q.Name(), info))
		}
		fmt.Fprintf(r.o.w, "redrive %s is already done (%s sent back, %s parked, %s skipped, %s gone): nothing to do\n",
			info.ID, thousands(info.Moved), thousands(info.Parked), thousands(info.Skipped), thousands(info.Gone))
		return nil
	}
	left := "the rest of"
	if info.Counted {
		left = messages(info.Total-info.Moved-info.Parked-info.Skipped-info.Gone) + " left of"
	}
	q := fmt.Sprintf("Resume redrive %s (%s) of %s %s?", info.ID, info.State, left, r.q.Name())
	if err := confirmation(r.f.yes, r.stderr, q); err != nil {
		return err
	}
	opts := r.options()
	opts.JobID = ""
	job, err := r.q.ResumeRedrive(ctx, r.f.resume, opts)
	if err != nil {
		return dlqError(err)
	}
	return r.follow(ctx, job, fmt.Sprintf("resumed (it was %s)", info.State))
}

// cancelJob asks a job to stop.
func (r *redriver) cancelJob(ctx context.Context) error {
	err := r.q.CancelRedrive(ctx, r.f.cancel)
	if errors.Is(err, dlq.ErrUnknownJob) {
		return fmt.Errorf("no redrive job %s on %s; list them with: %s", r.f.cancel, r.q.Name(), r.d.commandFor("redrive", r.stream, "--jobs"))
	}
	if err != nil {
		return dlqError(err)
	}
	info, err := r.q.RedriveJob(ctx, r.f.cancel)
	if err != nil {
		return dlqError(err)
	}
	if r.o.json {
		return r.o.printJSON(dlqRedriveJSON(r.q.Name(), info))
	}
	if info.State == dlq.StateRunning {
		fmt.Fprintf(r.o.w, "asked redrive %s to stop after its current batch; resume it with: %s\n",
			info.ID, r.d.commandFor("redrive", r.stream, r.resumeFlags(info.ID)...))
	} else {
		fmt.Fprintf(r.o.w, "redrive %s is not running (%s): nothing to cancel\n", info.ID, info.State)
	}
	return nil
}

// listJobs shows the jobs of the dead-letter stream.
func (r *redriver) listJobs(ctx context.Context) error {
	jobs, err := r.q.RedriveJobs(ctx)
	if err != nil {
		return dlqError(err)
	}
	if r.o.json {
		out := struct {
			DLQ  string       `json:"dead_letter_stream"`
			Jobs []dlqJobJSON `json:"jobs"`
		}{r.q.Name(), make([]dlqJobJSON, len(jobs))}
		for i, j := range jobs {
			out.Jobs[i] = dlqJobToJSON(j)
		}
		return r.o.printJSON(out)
	}
	if len(jobs) == 0 {
		fmt.Fprintf(r.o.w, "no redrive jobs on %s (finished ones are kept %s)\n", r.q.Name(), durationText(dlq.FinishedJobTTL))
		return nil
	}
	now := r.c.Clock().Now()
	t := r.o.table("JOB", "STATE", "TOTAL", "MOVED", "PARKED", "SKIPPED", "GONE", "STARTED", "UPDATED", "ERROR")
	for _, j := range jobs {
		state := string(j.State)
		switch j.State {
		case dlq.StateFailed:
			state = r.o.style(badStyle, state)
		case dlq.StateCancelled:
			state = r.o.style(warnStyle, state)
		case dlq.StateDone:
			state = r.o.style(goodStyle, state)
		}
		total := "?"
		if j.Counted {
			total = thousands(j.Total)
		}
		t.row(j.ID, state, total, j.Moved, j.Parked, j.Skipped, j.Gone,
			ago(now.Sub(j.Started)), ago(now.Sub(j.Updated)), clip(dash(j.Error), 60))
	}
	return t.flush()
}
