package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/syncbuf"
)

// runWorker runs a worker of group billing on "orders" with handler h
// until stop is called, once its group exists.
func runWorker(t *testing.T, c *pelican.Client, h pelican.HandlerFunc) (w *pelican.Worker, stop func()) {
	t.Helper()
	w, err := c.NewWorker(pelican.WorkerConfig{
		Stream: "orders", Group: "billing", Consumer: "b1", Handler: h,
		MaxDeliveries: 2, Block: 20 * time.Millisecond, Backoff: pelican.Delays{10 * time.Millisecond},
		RetryInterval: 20 * time.Millisecond, ClaimMinIdle: time.Second, HeartbeatInterval: 100 * time.Millisecond,
		ShutdownGrace: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	await.True(t, "group billing exists", func() bool {
		groups, err := c.Redis().XInfoGroups(context.Background(), "orders").Result()
		return err == nil && slices.ContainsFunc(groups, func(g redis.XInfoGroup) bool { return g.Name == "billing" })
	})
	return w, func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	}
}

// makeDeadLetters publishes orders to "orders" and lets a worker whose
// handler always fails dead-letter them: orders named "declined" fail
// with "card declined", the others with "order N not found".
func makeDeadLetters(t *testing.T, p place, orders ...string) {
	t.Helper()
	p.with(t, func(c *pelican.Client) {
		w, stop := runWorker(t, c, func(ctx context.Context, m *pelican.Message) error {
			if m.Values["order"] == "declined" {
				return errors.New("card declined")
			}
			return fmt.Errorf("order %s not found", m.Values["order"])
		})
		for _, o := range orders {
			if _, err := c.Publish(context.Background(), "orders", map[string]string{"order": o}, nil); err != nil {
				t.Fatal(err)
			}
		}
		await.True(t, "every order is dead-lettered", func() bool { return w.Stats().DeadLettered >= int64(len(orders)) })
		stop()
	})
}

// dlqLen is the length of orders:dlq, 0 when it is gone.
func dlqLen(t *testing.T, p place) (n int64) {
	t.Helper()
	p.with(t, func(c *pelican.Client) {
		var err error
		if n, err = c.Redis().XLen(context.Background(), "orders:dlq").Result(); err != nil {
			t.Fatal(err)
		}
	})
	return n
}

// cli runs pelican dlq at p and wants exit status code.
func cli(t *testing.T, p place, code int, args ...string) result {
	t.Helper()
	r := runCLI(append(append([]string{"dlq"}, args...), p.args...)...)
	if r.code != code {
		t.Fatalf("pelican dlq %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	return r
}

// decode parses JSON output into v, and checks that its keys follow the
// commands' conventions.
func decode(t *testing.T, r result, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	var doc any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, "", doc)
}

// snakeKey is a key as the commands' JSON writes it.
var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// checkKeys fails for a key of doc that is not snake_case, and for a
// time that is not RFC 3339, leaving out maps keyed by data (fields,
// groups, classes).
func checkKeys(t *testing.T, path string, doc any) {
	t.Helper()
	switch v := doc.(type) {
	case map[string]any:
		for k, sub := range v {
			if !snakeKey.MatchString(k) {
				t.Errorf("JSON key %s.%s is not snake_case", path, k)
			}
			switch k {
			case "fields", "headers", "by_stream", "by_group", "by_class", "skip_reasons":
				continue
			}
			checkKeys(t, path+"."+k, sub)
		}
	case []any:
		for _, sub := range v {
			checkKeys(t, path+"[]", sub)
		}
	case string:
		if strings.HasSuffix(path, "_at") || strings.HasSuffix(path, "_failure") || strings.HasSuffix(path, "_seen") {
			if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
				t.Errorf("JSON time %s = %q: %v", path, v, err)
			}
		}
	}
}

// redriveJobs returns the redrive jobs of orders:dlq at p.
func redriveJobs(t *testing.T, p place) []dlqJobJSON {
	t.Helper()
	var jobs struct {
		DLQ  string       `json:"dead_letter_stream"`
		Jobs []dlqJobJSON `json:"jobs"`
	}
	decode(t, cli(t, p, 0, "redrive", "orders", "--jobs", "--json"), &jobs)
	if jobs.DLQ != "orders:dlq" {
		t.Errorf("redrive --jobs --json names %q", jobs.DLQ)
	}
	return jobs.Jobs
}

func TestDlqBrowse(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		makeDeadLetters(t, p, "88214", "91007", "declined", "5")

		r := cli(t, p, 0, "stats", "orders")
		for _, want := range []string{"orders:dlq", "entries", "4", "by group billing", "by class handler"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stats lacks %q:\n%s", want, r.stdout)
			}
		}
		var st dlqStatsJSON
		decode(t, cli(t, p, 0, "stats", "orders", "--json"), &st)
		if st.DLQ != "orders:dlq" || st.Count != 4 || st.ByGroup["billing"] != 4 || st.ByClass["handler"] != 4 ||
			st.Oldest == nil || st.Oldest.Fields["order"] != "88214" || st.Newest == nil || st.Newest.Fields["order"] != "5" {
			t.Errorf("stats --json: %+v", st)
		}

		// Pages of two, in order.
		r = cli(t, p, 0, "ls", "orders", "--count", "2")
		if n := strings.Count(r.stdout, "\n"); n != 3 || !strings.Contains(r.stdout, "order <n> not found") && !strings.Contains(r.stdout, "not found") {
			t.Errorf("ls --count 2: %d lines:\n%s", n, r.stdout)
		}
		m := regexp.MustCompile(`--after (\S+)`).FindStringSubmatch(r.stderr)
		if m == nil {
			t.Fatalf("ls --count 2 does not say how to go on: %q", r.stderr)
		}
		var page struct {
			DLQ     string         `json:"dead_letter_stream"`
			Entries []dlqEntryJSON `json:"entries"`
			Next    string         `json:"next"`
		}
		decode(t, cli(t, p, 0, "ls", "orders", "--count", "2", "--after", m[1], "--json"), &page)
		if page.DLQ != "orders:dlq" || len(page.Entries) != 2 || page.Next != "" || page.Entries[1].Fields["order"] != "5" {
			t.Errorf("second page: %+v", page)
		}
		decode(t, cli(t, p, 0, "ls", "orders", "--json"), &page)
		if len(page.Entries) != 4 {
			t.Fatalf("ls --json: %+v", page)
		}
		first := page.Entries[0]

		r = cli(t, p, 0, "show", "orders", first.ID)
		for _, want := range []string{first.ID, "order 88214 not found", "billing", "b1", "field order", "88214", first.Fingerprint} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("show lacks %q:\n%s", want, r.stdout)
			}
		}
		var e struct {
			DLQ string `json:"dead_letter_stream"`
			dlqEntryJSON
		}
		decode(t, cli(t, p, 0, "show", "orders", first.ID, "--json"), &e)
		if e.DLQ != "orders:dlq" || e.ID != first.ID || e.OriginalID == "" || e.Deliveries != 2 || e.Consumer != "b1" ||
			e.Stream != "orders" || e.Group != "billing" || e.Class != "handler" || e.FirstFailure == nil ||
			e.LastFailure == nil || e.DeadAt == nil || e.FirstFailure.After(*e.LastFailure) || e.Fields["order"] != "88214" ||
			e.Error != "order 88214 not found" || e.Fingerprint != first.Fingerprint || e.Reprocessed != nil || len(e.Malformed) != 0 {
			t.Errorf("show --json: %+v", e)
		}
		var raw map[string]any
		decode(t, cli(t, p, 0, "show", "orders", first.ID, "--json"), &raw)
		for _, k := range []string{"id", "original_id", "first_failure", "last_failure", "dead_lettered_at", "redrives", "reprocessed", "malformed", "stack", "content_type", "headers", "fields"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("show --json lacks %q: %v", k, raw)
			}
		}

		// Errors group by cause, and --cause takes a fingerprint or a text.
		r = cli(t, p, 0, "errors", "orders")
		if !strings.Contains(r.stdout, "order <n> not found") || !strings.Contains(r.stdout, "card declined") {
			t.Errorf("errors:\n%s", r.stdout)
		}
		var causes struct {
			Causes []dlqCauseJSON `json:"causes"`
		}
		decode(t, cli(t, p, 0, "errors", "orders", "--json"), &causes)
		if len(causes.Causes) != 2 || causes.Causes[0].Count != 3 || causes.Causes[0].Text != "order <n> not found" ||
			causes.Causes[0].Sample.Fields["order"] == "" || causes.Causes[0].FirstSeen == nil ||
			causes.Causes[0].ByClass["handler"] != 3 || causes.Causes[0].ByStream["orders"] != 3 {
			t.Fatalf("errors --json: %+v", causes)
		}
		for _, cause := range []string{causes.Causes[0].Fingerprint, "order 1 not found"} {
			decode(t, cli(t, p, 0, "ls", "orders", "--cause", cause, "--json"), &page)
			if len(page.Entries) != 3 {
				t.Errorf("ls --cause %q: %d entries, want 3", cause, len(page.Entries))
			}
		}
		decode(t, cli(t, p, 0, "ls", "orders", "--from", "1h", "--to", "2099-01-01T00:00:00Z", "--json"), &page)
		if len(page.Entries) != 4 {
			t.Errorf("ls --from 1h: %d entries, want 4", len(page.Entries))
		}
		// The line that says how to go on keeps the target, the page size,
		// the order and the selector: following it gives the next page,
		// the next older one with --reverse.
		fp := causes.Causes[0].Fingerprint
		r = cli(t, p, 0, "ls", "orders", "--count", "1", "--reverse", "--cause", fp, "--from", "1h", "--group", "billing", "--class", "handler")
		if rows := tableRows(r.stdout); len(rows) != 2 || rows[1][0] != page.Entries[3].ID {
			t.Errorf("ls --reverse --count 1: want the newest match %s:\n%s", page.Entries[3].ID, r.stdout)
		}
		var seen []string
		for range 3 {
			line, ok := strings.CutPrefix(strings.TrimSpace(r.stderr), "more: pelican ")
			if !ok {
				t.Fatalf("ls does not say how to go on after %q: %q", seen, r.stderr)
			}
			if !strings.Contains(line, strings.Join(p.args, " ")) {
				t.Errorf("the more: line lacks the target %q: %s", p.args, line)
			}
			r = runCLI(strings.Fields(line)...)
			if r.code != 0 {
				t.Fatalf("following %q: exit %d: %s", line, r.code, r.stderr)
			}
			rows := tableRows(r.stdout)
			if len(rows) != 2 {
				t.Fatalf("following %q: %d rows, want 1:\n%s", line, len(rows)-1, r.stdout)
			}
			seen = append(seen, rows[1][0])
			if r.stderr == "" {
				break
			}
		}
		if want := []string{page.Entries[1].ID, page.Entries[0].ID}; !slices.Equal(seen, want) {
			t.Errorf("following the more: lines of ls --reverse --cause gave %q, want the older matches %q", seen, want)
		}
		if r := cli(t, p, 0, "ls", "orders", "--from", "2099-01-01T00:00:00Z"); r.stdout != "no dead letters in orders:dlq match\n" {
			t.Errorf("ls selecting nothing: %q", r.stdout)
		}
	})
}

func TestDlqRedrive(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		makeDeadLetters(t, p, "1", "2", "declined", "3")
		var causes struct {
			Causes []dlqCauseJSON `json:"causes"`
		}
		decode(t, cli(t, p, 0, "errors", "orders", "--json"), &causes)
		fp := causes.Causes[0].Fingerprint

		// The dry run says what would happen and changes nothing.
		r := cli(t, p, 0, "redrive", "orders", "--cause", fp, "--dry-run")
		if !strings.Contains(r.stdout, "3 would be redriven") || !strings.Contains(r.stdout, "billing") {
			t.Errorf("dry run:\n%s", r.stdout)
		}
		var plan dlqPlanJSON
		decode(t, cli(t, p, 0, "redrive", "orders", "--all", "--dry-run", "--json"), &plan)
		if plan.DLQ != "orders:dlq" || !plan.DryRun || plan.Selected != 4 || plan.Redrive != 4 || len(plan.Targets) != 1 ||
			plan.Targets[0] != (dlqPlanTargetJSON{Stream: "orders", Group: "billing", Count: 4}) || len(plan.Samples) != 4 ||
			!plan.Selector.All {
			t.Errorf("dry run --json: %+v", plan)
		}
		if n := dlqLen(t, p); n != 4 {
			t.Fatalf("after dry runs %d dead letters, want 4", n)
		}

		// Without a terminal, and without --yes, nothing happens.
		r = cli(t, p, 2, "redrive", "orders", "--cause", fp)
		if !strings.Contains(r.stderr, "--yes") || !strings.Contains(r.stderr, "Redrive 3 messages of orders:dlq to orders") {
			t.Errorf("without --yes: %q", r.stderr)
		}
		// Nor without a selector.
		if r := cli(t, p, 2, "redrive", "orders", "--yes"); !strings.Contains(r.stderr, "--all") {
			t.Errorf("without a selector: %q", r.stderr)
		}
		// A selector that selects nothing is not an error.
		if r := cli(t, p, 0, "redrive", "orders", "--cause", "no such problem", "--yes"); !strings.Contains(r.stdout, "nothing selected") {
			t.Errorf("selecting nothing: %q", r.stdout)
		}
		var none dlqJobJSON
		decode(t, cli(t, p, 0, "redrive", "orders", "--cause", "no such problem", "--yes", "--json"), &none)
		if none.ID != "" || none.State != "done" || !none.Counted || none.Total != 0 || none.Selector.Fingerprint == "" {
			t.Errorf("selecting nothing, --json: %+v", none)
		}
		if n := dlqLen(t, p); n != 4 {
			t.Fatalf("%d dead letters, want 4", n)
		}

		r = cli(t, p, 0, "redrive", "orders", "--cause", fp, "--yes")
		if !strings.Contains(r.stdout, "3 sent back") {
			t.Errorf("redrive:\n%s\n%s", r.stdout, r.stderr)
		}
		if n := dlqLen(t, p); n != 1 {
			t.Fatalf("after the redrive %d dead letters, want 1", n)
		}
		// A worker that works now processes them.
		p.with(t, func(c *pelican.Client) {
			var processed atomic.Int64
			_, stop := runWorker(t, c, func(ctx context.Context, m *pelican.Message) error {
				processed.Add(1)
				return nil
			})
			await.True(t, "the redriven messages are processed", func() bool { return processed.Load() == 3 })
			stop()
		})
		jobs := redriveJobs(t, p)
		if len(jobs) != 1 || jobs[0].State != "done" || jobs[0].Moved != 3 || jobs[0].Total != 3 || !jobs[0].Counted ||
			jobs[0].Selector.Fingerprint != fp || jobs[0].Options.RedriveLimit != dlq.DefaultRedriveLimit || jobs[0].Started == nil {
			t.Errorf("jobs: %+v", jobs)
		}
		if r := cli(t, p, 0, "redrive", "orders", "--jobs"); !strings.Contains(r.stdout, jobs[0].ID) || !strings.Contains(r.stdout, "done") {
			t.Errorf("jobs table:\n%s", r.stdout)
		}
	})
}

// TestDlqRedriveInterruptAndResume cancels a slow redrive as Ctrl-C does
// (ending the command's context), then resumes it to the end.
func TestDlqRedriveInterruptAndResume(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		orders := make([]string, 30)
		for i := range orders {
			orders[i] = fmt.Sprint(i)
		}
		makeDeadLetters(t, p, orders...)

		var stdout, stderr syncbuf.Buffer
		root := newRoot(&stdout, &stderr)
		root.SetArgs(append([]string{"dlq", "redrive", "orders", "--all", "--rate", "20", "--yes", "--job-id", "slow"}, p.args...))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- root.ExecuteContext(ctx) }()
		await.True(t, "the job starts", func() bool { return strings.Contains(stderr.String(), "redrive job slow started") })
		cancel()
		var err error
		select {
		case err = <-done:
		case <-time.After(await.Timeout):
			t.Fatal("the redrive did not stop")
		}
		var code exitCode
		if !errors.As(err, &code) || code != 1 {
			t.Errorf("interrupted redrive: %v, want exit status 1", err)
		}
		if want := "Resume it with: pelican dlq redrive orders --resume slow --rate 20 " + strings.Join(p.args, " ") + "\n"; !strings.Contains(stderr.String(), want) {
			t.Errorf("no resume hint:\n%s", stderr.String())
		}
		left := dlqLen(t, p)
		if left == 0 {
			t.Fatalf("%d dead letters left after the cancel", left)
		}

		if jobs := redriveJobs(t, p); len(jobs) != 1 || jobs[0].ID != "slow" || jobs[0].State != "cancelled" {
			t.Fatalf("jobs after the cancel: %+v", jobs)
		}
		cli(t, p, 2, "redrive", "orders", "--resume", "slow") // no terminal, no --yes
		r := cli(t, p, 0, "redrive", "orders", "--resume", "slow", "--yes", "--json")
		if !strings.Contains(r.stderr, "redrive job slow resumed (it was cancelled)") {
			t.Errorf("resuming a cancelled job:\n%s", r.stderr)
		}
		var info struct {
			DLQ string `json:"dead_letter_stream"`
			dlqJobJSON
		}
		decode(t, r, &info)
		if info.DLQ != "orders:dlq" || info.ID != "slow" || info.State != "done" || info.Moved != 30 || info.Total != 30 {
			t.Errorf("resumed job: %+v", info)
		}
		if n := dlqLen(t, p); n != 0 {
			t.Errorf("%d dead letters left after the resumed job", n)
		}
		p.with(t, func(c *pelican.Client) {
			if n, _ := c.Redis().XLen(context.Background(), "orders").Result(); n != 60 {
				t.Errorf("orders holds %d entries, want 30 published and 30 redriven", n)
			}
		})
		if r := cli(t, p, 0, "redrive", "orders", "--resume", "slow", "--yes"); !strings.HasPrefix(r.stdout, "redrive slow is already done (30 sent back") ||
			!strings.Contains(r.stdout, "nothing to do") || strings.Contains(r.stderr, "started") {
			t.Errorf("resuming a job that is done:\n%s%s", r.stdout, r.stderr)
		}
		if r := cli(t, p, 0, "redrive", "orders", "--cancel", "slow"); !strings.Contains(r.stdout, "not running") {
			t.Errorf("cancelling a finished job: %q", r.stdout)
		}
		if r := cli(t, p, 1, "redrive", "orders", "--resume", "nosuchjob", "--yes"); !strings.Contains(r.stderr, "--jobs") {
			t.Errorf("resuming an unknown job: %q", r.stderr)
		}
	})
}

// TestDlqCancelElsewhere stops a job running in another process with
// --cancel, which a data directory held by that process cannot show.
func TestDlqCancelElsewhere(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		if p.name == "dir" {
			t.Skip("a data directory is held by the process running the job")
		}
		orders := make([]string, 20)
		for i := range orders {
			orders[i] = fmt.Sprint(i)
		}
		makeDeadLetters(t, p, orders...)
		done := make(chan result, 1)
		go func() {
			done <- runCLI(append([]string{"dlq", "redrive", "orders", "--all", "--rate", "10", "--yes", "--job-id", "far"}, p.args...)...)
		}()
		await.True(t, "the job runs", func() bool {
			var jobs struct {
				Jobs []dlqJobJSON `json:"jobs"`
			}
			r := runCLI(append([]string{"dlq", "redrive", "orders", "--jobs", "--json"}, p.args...)...)
			return json.Unmarshal([]byte(r.stdout), &jobs) == nil && len(jobs.Jobs) == 1 && jobs.Jobs[0].State == "running"
		})
		if r := cli(t, p, 0, "redrive", "orders", "--cancel", "far"); !strings.Contains(r.stdout, "asked redrive far to stop") {
			t.Errorf("--cancel: %q", r.stdout)
		}
		r := <-done
		if r.code != 1 || !strings.Contains(r.stderr, "--resume far") {
			t.Errorf("cancelled job: exit %d\n%s", r.code, r.stderr)
		}
		cli(t, p, 0, "redrive", "orders", "--resume", "far", "--yes")
		if n := dlqLen(t, p); n != 0 {
			t.Errorf("%d dead letters left after the resumed job", n)
		}
	})
}

func TestDlqRmAndPurge(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		makeDeadLetters(t, p, "1", "2", "declined")
		var page struct {
			Entries []dlqEntryJSON `json:"entries"`
		}
		decode(t, cli(t, p, 0, "ls", "orders", "--json"), &page)
		id := page.Entries[0].ID

		if r := cli(t, p, 2, "rm", "orders", "--yes"); !strings.Contains(r.stderr, "--all") {
			t.Errorf("rm without a selector: %q", r.stderr)
		}
		if r := cli(t, p, 2, "rm", "orders", "--id", id); !strings.Contains(r.stderr, "--yes") || !strings.Contains(r.stderr, "Delete 1 message of orders:dlq") {
			t.Errorf("rm without --yes: %q", r.stderr)
		}
		if r := cli(t, p, 0, "rm", "orders", "--id", id, "--dry-run"); !strings.Contains(r.stdout, "1 message of orders:dlq would be deleted") {
			t.Errorf("rm --dry-run: %q", r.stdout)
		}
		if n := dlqLen(t, p); n != 3 {
			t.Fatalf("%d dead letters, want 3", n)
		}
		if r := cli(t, p, 0, "rm", "orders", "--id", id, "--yes"); !strings.Contains(r.stdout, "deleted 1 message") {
			t.Errorf("rm --id: %q", r.stdout)
		}
		if r := cli(t, p, 1, "show", "orders", id); !strings.Contains(r.stderr, "no entry") {
			t.Errorf("show of the deleted entry: %q", r.stderr)
		}
		if r := cli(t, p, 0, "rm", "orders", "--id", id, "--yes"); !strings.Contains(r.stdout, "nothing selected") {
			t.Errorf("rm of a deleted entry: %q", r.stdout)
		}
		if n := dlqLen(t, p); n != 2 {
			t.Fatalf("%d dead letters, want 2", n)
		}

		var res dlqDeleteJSON
		decode(t, cli(t, p, 0, "purge", "orders", "--all", "--dry-run", "--json"), &res)
		if !res.DryRun || res.Selected != 2 || res.Deleted != 0 || len(res.Causes) != 2 {
			t.Errorf("purge --all --dry-run: %+v", res)
		}
		res = dlqDeleteJSON{}
		decode(t, cli(t, p, 0, "purge", "orders", "--all", "--yes", "--json"), &res)
		if res.DLQ != "orders:dlq" || res.DryRun || res.Selected != 2 || res.Deleted != 2 || !res.Removed || res.Causes != nil {
			t.Errorf("purge --all: %+v", res)
		}
		p.with(t, func(c *pelican.Client) {
			if n, _ := c.Redis().Exists(context.Background(), "orders:dlq").Result(); n != 0 {
				t.Error("orders:dlq is still there after purge --all")
			}
		})
		// The stream is there: its dead-letter stream is empty, not unknown.
		if r := cli(t, p, 0, "ls", "orders"); r.stdout != "orders:dlq holds no dead letters\n" {
			t.Errorf("ls of an empty dead-letter stream: %q", r.stdout)
		}
		if r := cli(t, p, 0, "stats", "orders"); !strings.Contains(r.stdout, "entries") {
			t.Errorf("stats after purge: %q", r.stdout)
		}
	})
}

func TestDlqReprocess(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		makeDeadLetters(t, p, "1", "declined", "2")
		cli(t, p, 2, "reprocess", "orders", "--all", "--yes") // no --exec
		// The command succeeds on the declined card only, and reads the
		// entry on its stdin.
		r := cli(t, p, 1, "reprocess", "orders", "--all", "--yes",
			"--exec", `grep -q '"fields":{"order":"declined"}' || { echo "still no order $PELICAN_ENTRY_ID" >&2; exit 3; }`)
		if !strings.Contains(r.stdout, "reprocessed 3 of orders:dlq: 1 succeeded and was deleted, 2 failed and stay") || !strings.Contains(r.stdout, "still no order") {
			t.Errorf("reprocess:\n%s\n%s", r.stdout, r.stderr)
		}
		if n := dlqLen(t, p); n != 2 {
			t.Fatalf("%d dead letters left, want 2", n)
		}
		var page struct {
			Entries []dlqEntryJSON `json:"entries"`
		}
		decode(t, cli(t, p, 0, "ls", "orders", "--json"), &page)
		if r := cli(t, p, 0, "show", "orders", page.Entries[0].ID); !strings.Contains(r.stdout, "failed 1 time, last") || !strings.Contains(r.stdout, "0 times before") {
			t.Errorf("show after one failed reprocess:\n%s", r.stdout)
		}
		for _, e := range page.Entries {
			if e.Reprocessed == nil || e.Reprocessed.Attempts != 1 || !strings.Contains(e.Reprocessed.LastError, "still no order "+e.ID) ||
				e.Reprocessed.LastAttempt == nil {
				t.Errorf("entry %s after a failed reprocess: %+v", e.ID, e.Reprocessed)
			}
		}
		var res dlqReprocessJSON
		decode(t, cli(t, p, 1, "reprocess", "orders", "--all", "--limit", "1", "--yes", "--json", "--exec", "exit 4"), &res)
		if res.Selected != 1 || res.Succeeded != 0 || res.Failed != 1 || len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Error, "exit status 4") {
			t.Errorf("reprocess failing --json: %+v", res)
		}
		r = cli(t, p, 0, "reprocess", "orders", "--all", "--limit", "1", "--yes", "--json", "--exec", "cat >/dev/null")
		res = dlqReprocessJSON{}
		decode(t, r, &res)
		if res.DLQ != "orders:dlq" || res.Selected != 1 || res.Succeeded != 1 || res.Failed != 0 || len(res.Failures) != 0 || dlqLen(t, p) != 1 {
			t.Errorf("reprocess --limit 1: %+v, %d left", res, dlqLen(t, p))
		}
	})
}

func TestDlqBadInput(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		makeDeadLetters(t, p, "1")
		p.with(t, func(c *pelican.Client) {
			c.Redis().HSet(context.Background(), "ahash", "f", "v")
			c.Redis().HSet(context.Background(), "weird:dlq", "f", "v")
		})
		for _, tc := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"stats", "nosuch"}, 1, `no stream named "nosuch"`},
			{[]string{"stats", "ahash"}, 1, "is a hash, not a stream"},
			{[]string{"stats", "weird"}, 1, "--dlq-stream"},
			{[]string{"stats", "--dlq-stream", "nosuch:dlq"}, 1, `no stream named "nosuch:dlq"`},
			{[]string{"stats"}, 2, "--dlq-stream"},
			{[]string{"ls", "orders", "--from", "yesterday"}, 2, "RFC 3339"},
			{[]string{"ls", "orders", "--from", "1h", "--to", "2h"}, 2, "not before"},
			{[]string{"ls", "orders", "--id", "x"}, 2, "not a stream ID"},
			{[]string{"ls", "orders", "--after", "x"}, 2, "not a stream ID"},
			{[]string{"ls", "orders", "--count", "0"}, 2, "--count"},
			{[]string{"show", "orders", "nope"}, 2, "not a stream ID"},
			{[]string{"show", "orders", "1-1"}, 1, "no entry 1-1 in orders:dlq"},
			{[]string{"redrive", "orders", "--all", "--jobs"}, 0, "no redrive jobs"},
			{[]string{"redrive", "orders", "--jobs", "--dry-run"}, 2, "separately"},
			{[]string{"redrive", "orders", "--all", "--rate", "-1"}, 2, "--rate"},
			{[]string{"redrive", "orders", "--all", "--job-id", "a b", "--yes"}, 2, "job ID"},
			{[]string{"purge", "orders"}, 2, "--all"},
		} {
			r := runCLI(append(append([]string{"dlq"}, tc.args...), p.args...)...)
			if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Errorf("pelican dlq %s: exit %d, want %d with %q\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), r.code, tc.code, tc.want, r.stdout, r.stderr)
			}
		}
		// A target stream whose group is gone stops the redrive before it starts.
		p.with(t, func(c *pelican.Client) {
			if err := c.Redis().XGroupDestroy(context.Background(), "orders", "billing").Err(); err != nil {
				t.Fatal(err)
			}
		})
		if r := cli(t, p, 1, "redrive", "orders", "--all", "--yes"); !strings.Contains(r.stderr, "XGROUP CREATE") {
			t.Errorf("redrive to a missing group: %q", r.stderr)
		}
		if n := dlqLen(t, p); n != 1 {
			t.Errorf("%d dead letters, want 1", n)
		}
	})
	r := runCLI("dlq", "nosuchcommand")
	if r.code != 2 || !strings.Contains(r.stderr, "unknown command") {
		t.Errorf("unknown subcommand: exit %d, %q", r.code, r.stderr)
	}
	r = runCLI("dlq", "stats", "orders", "--url", "redis://127.0.0.1:1")
	if r.code != 1 || !strings.Contains(r.stderr, "connection refused") {
		t.Errorf("unreachable server: exit %d, %q", r.code, r.stderr)
	}
	r = runCLI("dlq", "stats", "orders", "--url", "http://x")
	if r.code != 2 || !strings.Contains(r.stderr, "malformed URL") {
		t.Errorf("malformed URL: exit %d, %q", r.code, r.stderr)
	}
}

func TestConfirm(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{{"y\n", true}, {"YES\n", true}, {" yes ", true}, {"n\n", false}, {"\n", false}, {"", false}, {"sure\n", false}} {
		var out strings.Builder
		got, err := confirm(strings.NewReader(tc.in), &out, "Redrive 3 messages of orders:dlq to orders?")
		if err != nil || got != tc.want {
			t.Errorf("answer %q: %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if !strings.HasPrefix(out.String(), "Redrive 3 messages of orders:dlq to orders? [y/N] ") {
			t.Errorf("prompt %q", out.String())
		}
	}
}
