package crashtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
)

// deadLetter is what the test reads back from a dead-letter entry.
type deadLetter struct {
	id, originalID, stream, group string
	class                         string
	deliveries                    int64
	n                             string
	kind                          string
}

// state is what the server holds about a run.
type state struct {
	effects  map[int]int64 // side effects applied, by message number
	calls    map[int]int64 // handler calls, by message number
	dead     map[int][]deadLetter
	strays   []deadLetter // dead letters of no published message
	pending  int64
	failures int64 // failure records left
}

// readState reads the side effects, handler calls, dead letters, the size
// of the PEL and the number of failure records.
func (r *run) readState(ctx context.Context) (*state, error) {
	st := &state{dead: map[int][]deadLetter{}}
	var err error
	if st.effects, err = r.readCounts(ctx, r.keys.Effects()); err != nil {
		return nil, err
	}
	if st.calls, err = r.readCounts(ctx, r.keys.Calls()); err != nil {
		return nil, err
	}
	entries, err := r.rdb.XRange(ctx, r.keys.DeadLetters(), "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("reading the dead letters: %w", err)
	}
	for _, e := range entries {
		d := deadLetter{id: e.ID}
		str := func(k string) string { s, _ := e.Values[k].(string); return s }
		d.originalID, d.stream, d.group = str(pelican.FieldOriginalID), str(pelican.FieldOriginalStream), str(pelican.FieldGroup)
		d.class, d.n, d.kind = str(pelican.FieldErrorClass), str(FieldN), str(FieldKind)
		d.deliveries, _ = strconv.ParseInt(str(pelican.FieldDeliveries), 10, 64)
		n, ok := r.byID[d.originalID]
		if !ok {
			st.strays = append(st.strays, d)
			continue
		}
		st.dead[n] = append(st.dead[n], d)
	}
	p, err := r.rdb.XPending(ctx, r.keys.Stream, r.group).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the PEL: %w", err)
	}
	st.pending = p.Count
	if st.failures, err = r.rdb.HLen(ctx, failuresKey(r.keys.Stream, r.group)).Result(); err != nil {
		return nil, fmt.Errorf("reading the failure records: %w", err)
	}
	return st, nil
}

// failuresKey is the hash of Pelican's failure records (docs/keys.md).
func failuresKey(stream, group string) string { return stream + ":pelican:failures:" + group }

// readCounts reads a hash of counters by message number.
func (r *run) readCounts(ctx context.Context, key string) (map[int]int64, error) {
	h, err := r.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	out := make(map[int]int64, len(h))
	for k, v := range h {
		n, err1 := strconv.Atoi(k)
		c, err2 := strconv.ParseInt(v, 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("%s holds %q=%q: %w", key, k, v, err)
		}
		out[n] = c
	}
	return out, nil
}

// settled reports whether message n is accounted for: processed, or
// dead-lettered.
func (st *state) settled(n int) bool { return st.effects[n] > 0 || len(st.dead[n]) > 0 }

// progress is what a look at the server says about a run.
type progress int

const (
	// running: messages are pending or not yet delivered.
	running progress = iota
	// finished: every message is settled and nothing is pending.
	finished
	// stuck: nothing is pending and every entry was delivered, yet some
	// messages are not settled; no worker will ever see them again, so
	// they are lost (if a second look agrees: the reads are not atomic).
	stuck
)

// look tells how far the run is. It reads the whole state only when
// nothing is pending and every entry was delivered.
func (r *run) look(ctx context.Context) (progress, error) {
	var pend *redis.XPendingCmd
	var groups *redis.XInfoGroupsCmd
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		pend = p.XPending(ctx, r.keys.Stream, r.group)
		groups = p.XInfoGroups(ctx, r.keys.Stream)
		return nil
	})
	if err != nil {
		return running, err
	}
	if pend.Val().Count > 0 {
		return running, nil
	}
	last := r.ids[len(r.ids)-1]
	delivered := false
	for _, g := range groups.Val() {
		delivered = delivered || g.Name == r.group && g.LastDeliveredID == last
	}
	if !delivered {
		return running, nil
	}
	st, err := r.readState(ctx)
	if err != nil {
		return running, err
	}
	if st.pending > 0 {
		return running, nil
	}
	for n := range r.kinds {
		if !st.settled(n) {
			return stuck, nil
		}
	}
	return finished, nil
}

// tally is what verify counts and finds.
type tally struct {
	byKind            map[Kind]int
	calls, duplicates int64
	deadLetters       int
	// exhausted counts messages meant to succeed that were dead-lettered
	// because kills took all their deliveries.
	exhausted int
	problems  []string
	suspects  []string // IDs whose log lines to show
}

func (tl *tally) problem(r *run, n int, format string, args ...any) {
	tl.problems = append(tl.problems, fmt.Sprintf("message %d (%s, %s): ", n, r.kinds[n], r.ids[n])+fmt.Sprintf(format, args...))
	tl.suspects = append(tl.suspects, r.ids[n])
}

// verify checks the final state of a run against what each message's kind
// asks for, and logs the run's counts.
func (r *run) verify() {
	t := r.t
	tl := r.check(context.Background())
	if r.kills < 3 || r.massKills < 1 || r.sameName < 1 || r.newName < 1 {
		tl.problems = append(tl.problems, fmt.Sprintf("the schedule did too little: %d kills (%d mass), %d same-name and %d new-name restarts", r.kills, r.massKills, r.sameName, r.newName))
	}
	t.Logf("seed %d: %d messages (%d ok, %d flaky, %d unavailable, %d fail, %d permanent) in %v; "+
		"%d kills (%d mass kills), %d graceful stops, %d restarts under the same name, %d under a new one; "+
		"%d handler calls, %d duplicate side effects, %d dead letters, %d messages meant to succeed dead-lettered after kills",
		r.cfg.seed, r.cfg.messages, tl.byKind[KindOK], tl.byKind[KindFlaky], tl.byKind[KindUnavailable], tl.byKind[KindFail], tl.byKind[KindPermanent],
		r.elapsed.Round(time.Millisecond), r.kills, r.massKills, r.terms, r.sameName, r.newName,
		tl.calls, tl.duplicates, tl.deadLetters, tl.exhausted)
	r.report(tl)
}

// check reads the final state of a run and checks it: every message
// settled as its kind asks, nothing pending, no failure record left.
func (r *run) check(ctx context.Context) *tally {
	st, err := r.readState(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	tl := &tally{byKind: map[Kind]int{}}
	for n := range r.kinds {
		r.checkMessage(st, n, tl)
	}
	for _, d := range st.strays {
		tl.problems = append(tl.problems, fmt.Sprintf("dead letter %s names no published message: %+v", d.id, d))
	}
	if st.pending != 0 {
		tl.problems = append(tl.problems, fmt.Sprintf("%d messages still pending", st.pending))
	}
	if st.failures != 0 {
		r.checkFailureRecords(ctx, st, tl)
	}
	return tl
}

// report fails the test with tl's problems, if any, and shows the kill
// schedule and the workers' log lines about the messages concerned.
func (r *run) report(tl *tally) {
	if len(tl.problems) == 0 {
		return
	}
	const show = 20
	for i, p := range tl.problems {
		if i == show {
			r.t.Errorf("... and %d more problems", len(tl.problems)-show)
			break
		}
		r.t.Error(p)
	}
	r.dumpSchedule()
	r.grepLogs(tl.suspects)
}

// checkMessage checks message n's side effects, handler calls and dead
// letters against its kind.
func (r *run) checkMessage(st *state, n int, tl *tally) {
	kind := r.kinds[n]
	tl.byKind[kind]++
	tl.calls += st.calls[n]
	eff, dead := st.effects[n], st.dead[n]
	tl.deadLetters += len(dead)
	if len(dead) > 1 {
		tl.problem(r, n, "dead-lettered %d times: %+v", len(dead), dead)
	}
	for _, d := range dead {
		if d.n != strconv.Itoa(n) || d.kind != string(kind) || d.stream != r.keys.Stream || d.group != r.group {
			tl.problem(r, n, "dead letter %s does not match the message: %+v", d.id, d)
		}
		if !slices.Contains(deadClasses(kind), d.class) {
			tl.problem(r, n, "dead-lettered with class %q, want one of %q", d.class, deadClasses(kind))
		}
		if d.class == pelican.ClassMaxDeliveries && d.deliveries <= MaxDeliveries {
			tl.problem(r, n, "dead-lettered for too many deliveries after %d (MaxDeliveries %d)", d.deliveries, MaxDeliveries)
		}
	}
	if !kind.Succeeds() {
		if len(dead) == 0 {
			tl.problem(r, n, "not dead-lettered (%d calls, %d effects)", st.calls[n], eff)
		}
		if eff != 0 {
			tl.problem(r, n, "failed on purpose, yet its side effect was applied %d times", eff)
		}
		if st.calls[n] > MaxDeliveries {
			tl.problem(r, n, "handler called %d times, more than MaxDeliveries (%d)", st.calls[n], MaxDeliveries)
		}
		return
	}
	if len(dead) > 0 {
		// Killed while holding it MaxDeliveries times: by design it is
		// dead-lettered rather than risk a crash loop.
		tl.exhausted++
	}
	switch {
	case eff == 0 && len(dead) == 0:
		tl.problem(r, n, "lost: neither processed nor dead-lettered (%d calls)", st.calls[n])
	case r.exactlyOnce && eff > 1:
		tl.problem(r, n, "exactly-once: side effect applied %d times", eff)
	case r.exactlyOnce && eff == 1 && len(dead) > 0:
		tl.problem(r, n, "exactly-once: side effect applied and dead-lettered")
	case eff > 1:
		tl.duplicates += eff - 1
	}
}

// checkFailureRecords reports the failure records left behind: every
// message is settled, so none should be.
func (r *run) checkFailureRecords(ctx context.Context, st *state, tl *tally) {
	recs, err := r.rdb.HGetAll(ctx, failuresKey(r.keys.Stream, r.group)).Result()
	if err != nil {
		r.t.Fatal(err)
	}
	for id, rec := range recs {
		n, ok := r.byID[id]
		if !ok {
			tl.problems = append(tl.problems, fmt.Sprintf("failure record left for %s, no published message: %s", id, rec))
			continue
		}
		tl.problem(r, n, "failure record left: %s (%d calls, %d effects, %d dead letters)", rec, st.calls[n], st.effects[n], len(st.dead[n]))
	}
}

// deadClasses are the failure classes a dead-lettered message of kind k
// may carry. Any message may be dead-lettered for too many deliveries if
// kills took them all: with class crash when the last of its attempts
// was cut short by a kill (its crash record says so), max-deliveries when
// no record says why.
func deadClasses(k Kind) []string {
	switch k {
	case KindFail:
		return []string{pelican.ClassHandler, pelican.ClassMaxDeliveries, pelican.ClassCrash}
	case KindPermanent:
		return []string{pelican.ClassPermanent, pelican.ClassMaxDeliveries, pelican.ClassCrash}
	case KindFlaky:
		return []string{pelican.ClassHandler, pelican.ClassMaxDeliveries, pelican.ClassCrash}
	}
	return []string{pelican.ClassMaxDeliveries, pelican.ClassCrash}
}

// diagnose logs what is left when a run does not finish in time.
func (r *run) diagnose() {
	t := r.t
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.dumpSchedule()
	if r.ids == nil {
		t.Log("the messages were not all published")
		return
	}
	st, err := r.readState(ctx)
	if err != nil {
		t.Logf("reading the state: %v", err)
		return
	}
	var open []int
	for n := range r.kinds {
		if !st.settled(n) {
			open = append(open, n)
		}
	}
	t.Logf("%d messages neither processed nor dead-lettered; %d pending; %d failure records", len(open), st.pending, st.failures)
	var suspects []string
	for i, n := range open {
		if i == 10 {
			break
		}
		id := r.ids[n]
		suspects = append(suspects, id)
		pel, err := r.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: r.keys.Stream, Group: r.group, Start: id, End: id, Count: 1}).Result()
		t.Logf("message %d (%s, %s): %d calls; PEL %+v %v", n, r.kinds[n], id, st.calls[n], pel, err)
	}
	if groups, err := r.rdb.XInfoGroups(ctx, r.keys.Stream).Result(); err == nil {
		t.Logf("groups: %+v", groups)
	}
	if consumers, err := r.rdb.XInfoConsumers(ctx, r.keys.Stream, r.group).Result(); err == nil {
		t.Logf("consumers: %+v", consumers)
	}
	r.grepLogs(suspects)
}

func (r *run) dumpSchedule() {
	r.t.Logf("seed %d; kill schedule:\n%s", r.cfg.seed, strings.Join(r.schedule, "\n"))
}

// grepLogs logs the workers' log lines that mention the first few ids.
func (r *run) grepLogs(ids []string) {
	if len(ids) > 5 {
		ids = ids[:5]
	}
	if len(ids) == 0 {
		return
	}
	files, _ := filepath.Glob(filepath.Join(r.spec.logDir, "*.log"))
	var lines []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			for _, id := range ids {
				if strings.Contains(sc.Text(), id) {
					lines = append(lines, filepath.Base(f)+": "+sc.Text())
					break
				}
			}
		}
		fh.Close()
	}
	if len(lines) > 60 {
		lines = lines[:60]
	}
	r.t.Logf("worker log lines about %v:\n%s", ids, strings.Join(lines, "\n"))
}
