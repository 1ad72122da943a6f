package trim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pelicanhq/pelican"
)

// Trimmer applies trim policies periodically and logs what each run did.
type Trimmer struct {
	// Client reaches the streams.
	Client *pelican.Client
	// Policies are applied in order, once per Interval.
	Policies []Policy
	// Interval is the time between runs. If zero, one minute.
	Interval time.Duration
	// Logger receives a line per run that removed, lost or kept back
	// something, and the errors. If nil, the client's logger.
	Logger *slog.Logger
	// OnReport, if set, is called after each policy's run with its report
	// or error (not for a run cut short by the end of Run's context).
	OnReport func(Report, error)
}

// Every applies the policies to their streams every interval until ctx
// ends, logging to the client's logger. It returns ErrBadPolicy at once if
// a policy is bad, and nil when ctx ends.
func Every(ctx context.Context, c *pelican.Client, interval time.Duration, policies ...Policy) error {
	t := &Trimmer{Client: c, Policies: policies, Interval: interval}
	return t.Run(ctx)
}

// Run applies the policies at once and then every Interval until ctx
// ends, and returns nil then. It returns ErrBadPolicy at once if a policy
// is bad. A stream that does not exist is skipped (logged once, at Warn,
// until it appears).
func (t *Trimmer) Run(ctx context.Context) error {
	if t.Client == nil {
		return errors.New("trim: Trimmer without a Client")
	}
	for _, p := range t.Policies {
		if err := p.Validate(); err != nil {
			return err
		}
	}
	interval := t.Interval
	if interval <= 0 {
		interval = time.Minute
	}
	log := t.Logger
	if log == nil {
		log = t.Client.Logger()
	}
	missing := make([]bool, len(t.Policies))
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		for i, p := range t.Policies {
			if ctx.Err() != nil {
				return nil
			}
			r, err := Run(ctx, t.Client, p)
			if ctx.Err() != nil {
				return nil // cut short: nothing to report
			}
			if t.OnReport != nil {
				t.OnReport(r, err)
			}
			missing[i] = logRun(log, p, r, err, missing[i])
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// logRun logs one run and returns whether the stream was missing.
func logRun(log *slog.Logger, p Policy, r Report, err error, wasMissing bool) bool {
	switch {
	case errors.Is(err, ErrNoStream):
		if !wasMissing {
			log.Warn("pelican: trim: no such stream; skipping it until it exists", "stream", p.Stream)
		}
		return true
	case err != nil && !errors.Is(err, context.Canceled):
		log.Warn("pelican: trim failed", "stream", p.Stream, "policy", p.String(), "err", err)
		return false
	case err != nil:
		return false
	}
	attrs := []any{"stream", p.Stream, "policy", p.String(), "mode", string(r.Mode),
		"removed", r.Removed, "length", r.LengthAfter, "unprocessed", r.Unprocessed}
	if r.Floor != "" {
		attrs = append(attrs, "floor", r.Floor)
	}
	if r.Capped {
		attrs = append(attrs, "capped_at", r.Scanned)
	}
	if r.Ghosts > 0 {
		attrs = append(attrs, "ghost_pending", r.Ghosts)
	}
	switch {
	case r.Lost > 0:
		log.Warn("pelican: trim removed unprocessed entries", append(attrs, "lost", r.Lost)...)
	case r.Mode != ModePlain && r.Unprocessed > 0:
		log.Info(fmt.Sprintf("pelican: trim kept %d unprocessed entries a plain trim would remove", r.Unprocessed), attrs...)
	case r.Removed > 0:
		log.Info("pelican: trimmed", attrs...)
	default:
		log.Debug("pelican: trim had nothing to remove", attrs...)
	}
	return false
}
