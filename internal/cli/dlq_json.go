package cli

import (
	"time"

	"github.com/pelicanhq/pelican/dlq"
)

// The results of package dlq as the dlq commands print them with --json,
// in the conventions of the other commands (see stats_json.go):
// snake_case keys, times in RFC 3339 (null when unknown), maps and lists
// empty rather than null. Every document names its dead-letter stream in
// dead_letter_stream.

// dlqEntryJSON is a dead letter (dlq.Entry): where it came from, its
// failure history, and its own fields.
type dlqEntryJSON struct {
	// ID is its ID in the dead-letter stream; OriginalID its ID in
	// Stream, for Group, which Consumer gave up on.
	ID         string `json:"id"`
	OriginalID string `json:"original_id"`
	Stream     string `json:"stream"`
	Group      string `json:"group"`
	Consumer   string `json:"consumer"`
	// Deliveries is its delivery count when it was dead-lettered.
	Deliveries   int64      `json:"deliveries"`
	FirstFailure *time.Time `json:"first_failure"`
	LastFailure  *time.Time `json:"last_failure"`
	DeadAt       *time.Time `json:"dead_lettered_at"`
	// Error and Class are the last failure's; Fingerprint groups it by
	// cause; Stack is the panic's, if it was one.
	Error       string `json:"error"`
	Class       string `json:"class"`
	Fingerprint string `json:"fingerprint"`
	Stack       string `json:"stack"`
	// Redrives counts the times it was redriven before.
	Redrives int64 `json:"redrives"`
	// Reprocessed records failed reprocessing attempts; null when none.
	Reprocessed *dlqNoteJSON `json:"reprocessed"`
	// Malformed lists the metadata fields that were missing or did not
	// parse.
	Malformed []string `json:"malformed"`
	// ContentType is the payload's format (pelican:content-type); ""
	// when the message had none.
	ContentType string `json:"content_type"`
	// Headers are those it was published with (such as its trace
	// context), by name; Fields are its own fields.
	Headers map[string]string `json:"headers"`
	Fields  map[string]string `json:"fields"`
}

// dlqNoteJSON records the failed attempts to reprocess an entry.
type dlqNoteJSON struct {
	Attempts    int64      `json:"attempts"`
	LastAttempt *time.Time `json:"last_attempt"`
	LastError   string     `json:"last_error"`
}

// dlqEntryToJSON converts an entry.
func dlqEntryToJSON(e dlq.Entry) dlqEntryJSON {
	out := dlqEntryJSON{
		ID: e.ID, OriginalID: e.OriginalID, Stream: e.Stream, Group: e.Group, Consumer: e.Consumer,
		Deliveries: e.Deliveries, FirstFailure: timeOrNull(e.FirstFailure), LastFailure: timeOrNull(e.LastFailure),
		DeadAt: timeOrNull(e.DeadAt), Error: e.Error, Class: e.Class, Fingerprint: e.Fingerprint, Stack: e.Stack,
		Redrives: e.Redrives, Malformed: nonNil(e.Malformed), ContentType: e.ContentType,
		Headers: e.Headers, Fields: e.Values,
	}
	if out.Fields == nil {
		out.Fields = map[string]string{}
	}
	if out.Headers == nil {
		out.Headers = map[string]string{}
	}
	if n := e.Reprocessed; n != nil {
		out.Reprocessed = &dlqNoteJSON{Attempts: n.Attempts, LastAttempt: timeOrNull(n.LastAttempt), LastError: n.LastError}
	}
	return out
}

// dlqEntriesToJSON converts entries.
func dlqEntriesToJSON(es []dlq.Entry) []dlqEntryJSON {
	out := make([]dlqEntryJSON, len(es))
	for i, e := range es {
		out[i] = dlqEntryToJSON(e)
	}
	return out
}

// dlqShowJSON is an entry as dlq show prints it, and as reprocess hands
// it to its command: the entry, and the dead-letter stream it is in.
func dlqShowJSON(name string, e dlq.Entry) any {
	return struct {
		DLQ string `json:"dead_letter_stream"`
		dlqEntryJSON
	}{name, dlqEntryToJSON(e)}
}

// dlqStatsJSON describes a dead-letter stream as a whole (dlq.Stats).
type dlqStatsJSON struct {
	DLQ   string `json:"dead_letter_stream"`
	Count int64  `json:"count"`
	// Oldest and Newest are null when it is empty.
	Oldest *dlqEntryJSON `json:"oldest"`
	Newest *dlqEntryJSON `json:"newest"`
	// ByStream, ByGroup and ByClass count the entries; those lacking the
	// field count under "".
	ByStream  map[string]int64 `json:"by_stream"`
	ByGroup   map[string]int64 `json:"by_group"`
	ByClass   map[string]int64 `json:"by_class"`
	Malformed int64            `json:"malformed"`
	Redriven  int64            `json:"redriven"`
}

// dlqStatsToJSON converts a dead-letter stream's stats.
func dlqStatsToJSON(name string, st dlq.Stats) dlqStatsJSON {
	out := dlqStatsJSON{
		DLQ: name, Count: st.Count, ByStream: nonNilMap(st.ByStream), ByGroup: nonNilMap(st.ByGroup),
		ByClass: nonNilMap(st.ByClass), Malformed: st.Malformed, Redriven: st.Redriven,
	}
	if st.Oldest != nil {
		e := dlqEntryToJSON(*st.Oldest)
		out.Oldest = &e
	}
	if st.Newest != nil {
		e := dlqEntryToJSON(*st.Newest)
		out.Newest = &e
	}
	return out
}

// dlqCauseJSON is the entries of one cause (dlq.FailureGroup).
type dlqCauseJSON struct {
	Fingerprint string `json:"fingerprint"`
	// Text is the error text normalised: "order <n> not found".
	Text      string     `json:"text"`
	Count     int64      `json:"count"`
	FirstSeen *time.Time `json:"first_seen"`
	LastSeen  *time.Time `json:"last_seen"`
	// Sample is the most recently dead-lettered of them.
	Sample   dlqEntryJSON     `json:"sample"`
	ByClass  map[string]int64 `json:"by_class"`
	ByStream map[string]int64 `json:"by_stream"`
}

// dlqCausesToJSON converts failure groups.
func dlqCausesToJSON(gs []dlq.FailureGroup) []dlqCauseJSON {
	out := make([]dlqCauseJSON, len(gs))
	for i, g := range gs {
		out[i] = dlqCauseJSON{
			Fingerprint: g.Fingerprint, Text: g.Text, Count: g.Count, FirstSeen: timeOrNull(g.FirstSeen),
			LastSeen: timeOrNull(g.LastSeen), Sample: dlqEntryToJSON(g.Sample),
			ByClass: nonNilMap(g.ByClass), ByStream: nonNilMap(g.ByStream),
		}
	}
	return out
}

// dlqPlanJSON is what a redrive would do (dlq.Plan), printed by
// redrive --dry-run.
type dlqPlanJSON struct {
	DLQ      string `json:"dead_letter_stream"`
	DryRun   bool   `json:"dry_run"`
	Selected int64  `json:"selected"`
	// Redrive would be sent back, Park parked, Skip left (see
	// SkipReasons).
	Redrive     int64               `json:"redrive"`
	Park        int64               `json:"park"`
	Skip        int64               `json:"skip"`
	Targets     []dlqPlanTargetJSON `json:"targets"`
	SkipReasons map[string]int64    `json:"skip_reasons"`
	Samples     []dlqEntryJSON      `json:"samples"`
	// Selector is how the command read the selector flags.
	Selector dlqSelectorJSON `json:"selector"`
}

// dlqPlanTargetJSON is a stream and group a redrive would send entries
// back to; Problem says why it cannot take them now ("" when it can).
type dlqPlanTargetJSON struct {
	Stream  string `json:"stream"`
	Group   string `json:"group"`
	Count   int64  `json:"count"`
	Problem string `json:"problem"`
}

// dlqRedriveOptionsJSON are the options a redrive job last ran with.
type dlqRedriveOptionsJSON struct {
	// Rate is in messages per second, 0 for no limit.
	Rate         float64 `json:"rate"`
	BatchSize    int     `json:"batch_size"`
	RedriveLimit int     `json:"redrive_limit"`
}

// dlqPlanToJSON converts a redrive's plan.
func dlqPlanToJSON(name string, p dlq.Plan, sel dlq.Selector) dlqPlanJSON {
	out := dlqPlanJSON{
		DLQ: name, DryRun: true, Selected: p.Selected, Redrive: p.Redrive, Park: p.Park, Skip: p.Skip,
		Targets: make([]dlqPlanTargetJSON, len(p.Targets)), SkipReasons: make(map[string]int64, len(p.SkipReasons)),
		Samples: dlqEntriesToJSON(p.Samples), Selector: dlqSelectorToJSON(sel),
	}
	for i, t := range p.Targets {
		out.Targets[i] = dlqPlanTargetJSON{Stream: t.Stream, Group: t.Group, Count: t.Count, Problem: t.Problem}
	}
	for r, n := range p.SkipReasons {
		out.SkipReasons[string(r)] = n
	}
	return out
}

// dlqSelectorJSON is which entries a command or job selects
// (dlq.Selector): each criterion set must hold; empty or null ones are
// not set.
type dlqSelectorJSON struct {
	All   bool     `json:"all"`
	IDs   []string `json:"ids"`
	Start string   `json:"start"`
	End   string   `json:"end"`
	// Since and Until bound when the entries were dead-lettered.
	Since       *time.Time `json:"since"`
	Until       *time.Time `json:"until"`
	Fingerprint string     `json:"fingerprint"`
	Stream      string     `json:"stream"`
	Group       string     `json:"group"`
	Class       string     `json:"class"`
}

// dlqSelectorToJSON converts a selector.
func dlqSelectorToJSON(s dlq.Selector) dlqSelectorJSON {
	return dlqSelectorJSON{
		All: s.All, IDs: nonNil(s.IDs), Start: s.Start, End: s.End, Since: timeOrNull(s.Since), Until: timeOrNull(s.Until),
		Fingerprint: s.Fingerprint, Stream: s.Stream, Group: s.Group, Class: s.Class,
	}
}

// dlqJobJSON is a redrive job as its checkpoint has it (dlq.JobInfo).
type dlqJobJSON struct {
	// ID is empty when a redrive selected nothing and started no job.
	ID    string `json:"id"`
	State string `json:"state"`
	// Error is why it failed.
	Error    string                `json:"error"`
	Selector dlqSelectorJSON       `json:"selector"`
	Options  dlqRedriveOptionsJSON `json:"options"`
	// Until is the last entry ID the job may handle; Last the last it
	// handled.
	Until string `json:"until"`
	Last  string `json:"last"`
	// Total is how many entries it selected, once Counted; of those,
	// Moved were sent back, Parked parked, Skipped left (they cannot be
	// redriven) and Gone left the dead-letter stream by other means.
	Total           int64      `json:"total"`
	Counted         bool       `json:"counted"`
	Moved           int64      `json:"moved"`
	Parked          int64      `json:"parked"`
	Skipped         int64      `json:"skipped"`
	Gone            int64      `json:"gone"`
	CancelRequested bool       `json:"cancel_requested"`
	Started         *time.Time `json:"started"`
	Updated         *time.Time `json:"updated"`
}

// dlqJobToJSON converts a job's checkpoint.
func dlqJobToJSON(j dlq.JobInfo) dlqJobJSON {
	return dlqJobJSON{
		ID: j.ID, State: string(j.State), Error: j.Error, Selector: dlqSelectorToJSON(j.Selector),
		Options: dlqRedriveOptionsJSON{Rate: j.Rate, BatchSize: j.BatchSize, RedriveLimit: j.RedriveLimit},
		Until:   j.Until, Last: j.Last, Total: j.Total, Counted: j.Counted, Moved: j.Moved, Parked: j.Parked,
		Skipped: j.Skipped, Gone: j.Gone, CancelRequested: j.CancelRequested,
		Started: timeOrNull(j.Started), Updated: timeOrNull(j.Updated),
	}
}

// dlqRedriveJSON is a redrive job as redrive prints it alone: the job,
// and the dead-letter stream it works on.
func dlqRedriveJSON(name string, j dlq.JobInfo) any {
	return struct {
		DLQ string `json:"dead_letter_stream"`
		dlqJobJSON
	}{name, dlqJobToJSON(j)}
}

// dlqDeleteJSON is what rm and purge did, or with --dry-run would do.
type dlqDeleteJSON struct {
	DLQ      string `json:"dead_letter_stream"`
	DryRun   bool   `json:"dry_run"`
	Selected int64  `json:"selected"`
	Deleted  int64  `json:"deleted"`
	// Removed says that purge removed the emptied dead-letter stream.
	Removed bool `json:"removed"`
	// Causes are the selected entries' causes: set by a dry run only.
	Causes []dlqCauseJSON `json:"causes,omitempty"`
}

// dlqReprocessJSON is what reprocess did (dlq.ReprocessResult), or with
// --dry-run would do.
type dlqReprocessJSON struct {
	DLQ    string `json:"dead_letter_stream"`
	DryRun bool   `json:"dry_run"`
	// Selected is how many entries are handed to the command (at most
	// --limit); Succeeded were deleted, Failed stay, annotated.
	Selected  int64                     `json:"selected"`
	Succeeded int                       `json:"succeeded"`
	Failed    int                       `json:"failed"`
	Failures  []dlqReprocessFailureJSON `json:"failures"`
}

// dlqReprocessFailureJSON is an entry the command failed on.
type dlqReprocessFailureJSON struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

// dlqReprocessToJSON converts what reprocess did.
func dlqReprocessToJSON(name string, selected int64, res dlq.ReprocessResult) dlqReprocessJSON {
	out := dlqReprocessJSON{
		DLQ: name, Selected: selected, Succeeded: res.Succeeded, Failed: res.Failed,
		Failures: make([]dlqReprocessFailureJSON, len(res.Failures)),
	}
	for i, f := range res.Failures {
		out.Failures[i] = dlqReprocessFailureJSON{ID: f.ID, Error: f.Err.Error()}
	}
	return out
}

// timeOrNull is t for JSON, nil (null) for the zero time.
func timeOrNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// nonNil is s, or an empty slice (JSON []) for nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nonNilMap is m, or an empty map (JSON {}) for nil.
func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}
