package cli

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/monitor"
)

func TestStreams(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		fx := setUp(t, p)

		rows := tableRows(p.mustRun(t, "streams"))
		if got := column(t, rows, "STREAM"); !reflect.DeepEqual(got, []string{"orders"}) {
			t.Errorf("streams listed %q, want only orders (not its dead-letter stream, nor Pelican's keys)", got)
		}
		row := rowOf(t, rows, "orders")
		want := map[string]string{"LENGTH": "6", "GROUPS": "2", "PENDING": "4", "LAG": "2", "DEAD LETTERS": "1"}
		for k, v := range want {
			if row[k] != v {
				t.Errorf("streams: %s = %q, want %q (row %v)", k, row[k], v, row)
			}
		}
		if row["OLDEST PENDING"] == "-" {
			t.Errorf("streams: no oldest pending age: %v", row)
		}

		var got struct {
			Streams []streamJSON `json:"streams"`
			Orphans []string     `json:"orphan_dead_letter_streams"`
		}
		p.mustJSON(t, &got, "streams", "orders")
		if len(got.Streams) != 1 {
			t.Fatalf("streams --json: %+v", got)
		}
		st := got.Streams[0]
		if st.Stream != "orders" || st.Length != 6 || st.Pending != 4 || st.Lag == nil || *st.Lag != 2 ||
			st.FirstID != fx.ids[0] || st.LastID != fx.ids[5] || st.EntriesAdded != 6 {
			t.Errorf("streams --json: %+v", st)
		}
		if d := st.DeadLetters; d.Stream != "orders:dlq" || !d.Exists || d.Length != 1 {
			t.Errorf("dead letters %+v, want orders:dlq with 1", d)
		}
		if got.Orphans == nil || len(got.Orphans) != 0 {
			t.Errorf("orphans %v, want []", got.Orphans)
		}
		audit, billing := groupNamed(t, st.Groups, "audit"), groupNamed(t, st.Groups, "billing")
		if audit.Pending != 4 || audit.Lag == nil || *audit.Lag != 2 || audit.OldestPendingID != fx.ids[0] ||
			audit.ConsumersAlive != 2 || audit.DeadConsumers != 0 || len(audit.Consumers) != 2 {
			t.Errorf("group audit: %+v", audit)
		}
		if audit.Deliveries.Sampled != 4 || audit.Deliveries.Max != 2 || len(audit.Deliveries.Buckets) != 6 ||
			audit.Deliveries.Buckets[0].Count != 3 || audit.Deliveries.Buckets[1].Count != 1 || audit.Deliveries.Buckets[5].Max != nil {
			t.Errorf("audit deliveries: %+v", audit.Deliveries)
		}
		if len(audit.MostDelivered) != 1 || audit.MostDelivered[0].ID != fx.ids[3] || audit.MostDelivered[0].Consumer != "a1" ||
			audit.MostDelivered[0].Deliveries != 2 {
			t.Errorf("audit most delivered: %+v", audit.MostDelivered)
		}
		if billing.Pending != 0 || billing.Lag == nil || *billing.Lag != 0 || len(billing.Consumers) != 1 || billing.DeadConsumers != 1 {
			t.Errorf("group billing: %+v", billing)
		}
	})
}

// groupNamed returns the group named name.
func groupNamed(t *testing.T, groups []groupJSON, name string) groupJSON {
	t.Helper()
	for _, g := range groups {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("no group %s in %+v", name, groups)
	return groupJSON{}
}

func TestStreamsEmpty(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		if out := p.mustRun(t, "streams"); !strings.HasPrefix(out, "no streams at ") {
			t.Errorf("streams of an empty place: %q", out)
		}
		var got struct {
			Streams []streamJSON `json:"streams"`
		}
		p.mustJSON(t, &got, "streams")
		if got.Streams == nil || len(got.Streams) != 0 {
			t.Errorf("streams --json of an empty place: %+v, want []", got.Streams)
		}
	})
}

func TestGroups(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		fx := setUp(t, p)
		rows := tableRows(p.mustRun(t, "groups", "orders"))
		if got := column(t, rows, "GROUP"); !reflect.DeepEqual(got, []string{"audit", "billing"}) {
			t.Errorf("groups %q", got)
		}
		audit := rowOf(t, rows, "audit")
		for k, v := range map[string]string{"CONSUMERS ALIVE": "2/2", "PENDING": "4", "MOST DELIVERIES": "2", "LAG": "2", "LAST DELIVERED": fx.ids[3]} {
			if audit[k] != v {
				t.Errorf("audit: %s = %q, want %q", k, audit[k], v)
			}
		}
		billing := rowOf(t, rows, "billing")
		for k, v := range map[string]string{"CONSUMERS ALIVE": "0/1", "PENDING": "0", "OLDEST PENDING": "-", "LAG": "0", "LAST DELIVERED": fx.ids[5]} {
			if billing[k] != v {
				t.Errorf("billing: %s = %q, want %q", k, billing[k], v)
			}
		}

		var got struct {
			Stream string      `json:"stream"`
			Groups []groupJSON `json:"groups"`
		}
		p.mustJSON(t, &got, "groups", "orders")
		if got.Stream != "orders" || len(got.Groups) != 2 || groupNamed(t, got.Groups, "billing").LastDeliveredID != fx.ids[5] {
			t.Errorf("groups --json: %+v", got)
		}
		if out := p.mustRun(t, "groups", "orders:dlq"); !strings.Contains(out, "has no consumer groups") {
			t.Errorf("groups of a stream without groups: %q", out)
		}
	})
}

func TestConsumers(t *testing.T) {
	eachPlace(t, func(t *testing.T, p place) {
		setUp(t, p)
		rows := tableRows(p.mustRun(t, "consumers", "orders", "audit"))
		if got := column(t, rows, "CONSUMER"); !reflect.DeepEqual(got, []string{"a1", "a2"}) {
			t.Errorf("consumers %q", got)
		}
		for name, pending := range map[string]string{"a1": "3", "a2": "1"} {
			r := rowOf(t, rows, name)
			if r["PENDING"] != pending || r["ALIVE"] != "yes" || r["WORKER"] != "no" || r["LAST HEARTBEAT"] != "-" {
				t.Errorf("consumer %s: %v", name, r)
			}
		}

		out := p.mustRun(t, "consumers", "orders", "billing")
		r := rowOf(t, tableRows(out), "billing-1")
		if r["PENDING"] != "0" || r["ALIVE"] != "no" || r["WORKER"] != "yes" || !strings.HasSuffix(r["LAST HEARTBEAT"], " ago") {
			t.Errorf("the stopped worker: %v", r)
		}
		if !strings.Contains(out, "no consumer is alive; none holds pending messages") || strings.Contains(out, "claim") {
			t.Errorf("no word of the consumer not alive:\n%s", out)
		}

		var got struct {
			Stream    string         `json:"stream"`
			Group     string         `json:"group"`
			Consumers []consumerJSON `json:"consumers"`
		}
		p.mustJSON(t, &got, "consumers", "orders", "billing")
		if got.Stream != "orders" || got.Group != "billing" || len(got.Consumers) != 1 {
			t.Fatalf("consumers --json: %+v", got)
		}
		w := got.Consumers[0]
		if w.Name != "billing-1" || !w.Worker || w.Alive || w.LastHeartbeat == nil || w.LastHeartbeat.IsZero() || w.Stats == nil {
			t.Errorf("the stopped worker: %+v", w)
		}
		p.mustJSON(t, &got, "consumers", "orders", "audit")
		if len(got.Consumers) != 2 || got.Consumers[0].Worker || got.Consumers[0].Stats != nil || got.Consumers[0].LastHeartbeat != nil ||
			got.Consumers[0].Pending != 3 || !got.Consumers[0].Alive {
			t.Errorf("consumers of audit --json: %+v", got.Consumers)
		}
	})
}

func TestDeadConsumersNote(t *testing.T) {
	consumers := func(alive []bool, pending ...int64) monitor.GroupStats {
		var g monitor.GroupStats
		for i, a := range alive {
			g.Consumers = append(g.Consumers, monitor.ConsumerStats{Name: fmt.Sprint("c", i), Alive: a, Pending: pending[i]})
			if !a {
				g.DeadConsumers++
			}
		}
		return g
	}
	url := &target{url: "redis://:secret@host:6379", timeout: 10 * time.Second}
	env := &target{timeout: defaultTimeout}
	tests := []struct {
		name string
		t    *target
		g    monitor.GroupStats
		want string
	}{
		{"all alive", env, consumers([]bool{true, true}, 1, 2), ""},
		{"none alive, none pending", env, consumers([]bool{false, false}, 0, 0), "no consumer is alive; none holds pending messages"},
		{"one of two, none pending", env, consumers([]bool{true, false}, 3, 0), "1 of 2 consumers is not alive; it holds no pending messages"},
		{"two of three, none pending", env, consumers([]bool{true, false, false}, 3, 0, 0), "2 of 3 consumers are not alive; none of them holds pending messages"},
		{"pending, $PELICAN_URL", env, consumers([]bool{true, false, false}, 3, 1, 0),
			"2 of 3 consumers are not alive and hold 1 pending message, which waits for a claim, as in: pelican claim orders billing --to CONSUMER --min-idle 5m"},
		{"one of two, pending", env, consumers([]bool{false, true}, 2, 3),
			"1 of 2 consumers is not alive and holds 2 pending messages, which wait for a claim, as in: pelican claim orders billing --to CONSUMER --min-idle 5m"},
		{"pending, --url with a password", url, consumers([]bool{false}, 1200),
			"no consumer is alive; they hold 1,200 pending messages, which wait for a claim, as in: " +
				"pelican claim orders billing --to CONSUMER --min-idle 5m --url redis://:xxxxx@host:6379 --timeout 10s (password hidden)"},
	}
	for _, tt := range tests {
		if got := deadConsumersNote(tt.t, "orders", "billing", tt.g); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}
