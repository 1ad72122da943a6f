package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/monitor"
)

// scrape fetches url and parses the exposition text.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scraping %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing the metrics of %s: %v", url, err)
	}
	return mfs
}

// value returns the value of the metric of family name with the labels
// (name=value pairs), and false if there is none.
func value(mfs map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
next:
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		for _, l := range m.GetLabel() {
			if want[l.GetName()] != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// labelValues lists the values of label in the metrics of family name.
func labelValues(mfs map[string]*dto.MetricFamily, name, label string) []string {
	var out []string
	for _, m := range mfs[name].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out = append(out, l.GetValue())
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestServerMetrics starts pelican server with --metrics-addr and a data
// directory, makes a stream with a group, pending messages and dead
// letters, and checks what a scrape says of the server and the stream.
func TestServerMetrics(t *testing.T) {
	s := startMetricsServer(t, "--dir", t.TempDir())
	ctx := context.Background()
	rdb, metricsAddr := s.rdb, s.metricsAddr
	cmds := [][]any{
		{"XADD", "orders", "1-1", "n", 1}, {"XADD", "orders", "2-1", "n", 2}, {"XADD", "orders", "3-1", "n", 3},
		{"XADD", "orders", "4-1", "n", 4}, {"XADD", "orders", "5-1", "n", 5},
		{"XGROUP", "CREATE", "orders", "billing", "0"},
		{"XREADGROUP", "GROUP", "billing", "alice", "COUNT", 3, "STREAMS", "orders", ">"},
		{"XADD", pelican.DeadLetterStreamOf("orders"), "*", "n", "x"},
		{"XADD", pelican.DeadLetterStreamOf("orders"), "*", "n", "y"},
		{"SELECT", 2}, {"SET", "k", "v"},
	}
	conn := rdb.Conn()
	for _, c := range cmds {
		if err := conn.Do(ctx, c...).Err(); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
	}
	conn.Close()

	mfs := scrape(t, "http://"+metricsAddr+"/metrics")
	dlq := pelican.DeadLetterStreamOf("orders")
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"pelican_stream_length", []string{"stream", "orders"}, 5},
		{"pelican_group_pending_messages", []string{"stream", "orders", "group", "billing"}, 3},
		{"pelican_group_lag_messages", []string{"stream", "orders", "group", "billing"}, 2},
		{"pelican_consumer_pending_messages", []string{"stream", "orders", "group", "billing", "consumer", "alice"}, 3},
		{"pelican_delivery_count", []string{"stream", "orders", "group", "billing"}, 3},
		{"pelican_dlq_length", []string{"stream", "orders", "dlq", dlq}, 2},
		{"pelican_scrape_errors_total", []string{"stream", "orders"}, 0},
		{"pelican_server_keys", []string{"db", "0"}, 2},
		{"pelican_server_keys", []string{"db", "2"}, 1},
		{"pelican_server_aof_enabled", nil, 1},
		{"pelican_server_aof_last_write_ok", nil, 1},
		{"pelican_server_aof_rewrite_in_progress", nil, 0},
		{"pelican_server_loading", nil, 0},
		{"pelican_server_max_memory_bytes", nil, 0},
		{"pelican_server_last_save_ok", nil, 1},
	}
	for _, c := range checks {
		got, ok := value(mfs, c.name, c.labels...)
		if !ok {
			t.Errorf("%s%v missing", c.name, c.labels)
		} else if got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// The dead-letter stream is the stream's, not a stream of its own.
	if got := strings.Join(labelValues(mfs, "pelican_stream_length", "stream"), ","); got != "orders" {
		t.Errorf("streams scraped: %q, want orders", got)
	}
	atLeast := []struct {
		name string
		min  float64
	}{
		{"pelican_server_commands_processed_total", float64(len(cmds))},
		{"pelican_server_connections_received_total", 1},
		{"pelican_server_connected_clients", 1},
		{"pelican_server_used_memory_bytes", 1},
		{"pelican_server_changes_since_last_save", 10},
		{"pelican_server_aof_size_bytes", 1},
		{"pelican_server_last_save_timestamp_seconds", float64(time.Now().Add(-time.Hour).Unix())},
		{"go_goroutines", 1},
	}
	for _, c := range atLeast {
		if got, ok := value(mfs, c.name); !ok || got < c.min {
			t.Errorf("%s = %v (present %v), want at least %v", c.name, got, ok, c.min)
		}
	}

	stdout := s.stop(t)
	if want := "metrics at http://" + metricsAddr + "/metrics"; !strings.Contains(stdout, want) {
		t.Errorf("stdout %q lacks %q", stdout, want)
	}
}

// runningServer is a pelican server with --metrics-addr running in this
// process, and a client of it.
type runningServer struct {
	rdb         *redis.Client
	metricsAddr string
	done        chan int
	stdout      *bytes.Buffer
	stderr      *bytes.Buffer
}

// startMetricsServer starts pelican server with --metrics-addr and the
// other args, and waits until it answers.
func startMetricsServer(t *testing.T, args ...string) *runningServer {
	t.Helper()
	addr := freeAddr(t)
	s := &runningServer{metricsAddr: freeAddr(t), done: make(chan int, 1), stdout: new(bytes.Buffer), stderr: new(bytes.Buffer)}
	args = append([]string{"server", "--addr", addr, "--metrics-addr", s.metricsAddr}, args...)
	go func() { s.done <- Main(args, s.stdout, s.stderr) }()
	s.rdb = redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { s.rdb.Close() })
	// Up once it answers PING, or refuses it for want of a password.
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := s.rdb.Ping(context.Background()).Err()
		if err == nil || strings.HasPrefix(err.Error(), "NOAUTH") {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("pelican server does not answer: %v\n%s", err, s.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop sends SHUTDOWN, waits for the server to exit 0, and returns what it
// wrote on stdout.
func (s *runningServer) stop(t *testing.T) string {
	t.Helper()
	s.rdb.Shutdown(context.Background()) // the connection ends with the server: no reply to check
	select {
	case code := <-s.done:
		if code != 0 {
			t.Errorf("exit code %d\n%s", code, s.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("pelican server did not stop after SHUTDOWN")
	}
	return s.stdout.String()
}

// TestServerMetricsWithPassword checks that the stream metrics reach a
// server that wants a password.
func TestServerMetricsWithPassword(t *testing.T) {
	s := startMetricsServer(t, "--requirepass", "secret")
	ctx := context.Background()
	conn := s.rdb.Conn()
	if err := conn.Do(ctx, "AUTH", "secret").Err(); err != nil {
		t.Fatal(err)
	}
	if err := conn.Do(ctx, "XADD", "orders", "*", "n", 1).Err(); err != nil {
		t.Fatal(err)
	}
	mfs := scrape(t, "http://"+s.metricsAddr+"/metrics")
	if got, ok := value(mfs, "pelican_stream_length", "stream", "orders"); got != 1 {
		t.Errorf("pelican_stream_length{stream=orders} = %v (present %v), want 1", got, ok)
	}
	if got, ok := value(mfs, "pelican_server_aof_enabled"); !ok || got != 0 {
		t.Errorf("pelican_server_aof_enabled = %v (present %v), want 0 without --dir", got, ok)
	}
	conn.Shutdown(ctx)
	conn.Close()
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		t.Fatal("pelican server did not stop after SHUTDOWN")
	}
}

// TestServerMetricsAddrErrors checks that a bad --metrics-addr stops the
// server from starting, with a usage error for what is not an address.
func TestServerMetricsAddrErrors(t *testing.T) {
	taken := freeAddr(t)
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", taken)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tests := []struct {
		metricsAddr string
		code        int
		err         string
	}{
		{"9121", 2, `pelican server: --metrics-addr: "9121" is not host:port`},
		{"localhost", 2, `pelican server: --metrics-addr: "localhost" is not host:port`},
		{"127.0.0.1:", 2, `"127.0.0.1:" is not host:port`},
		{taken, 1, "pelican server: --metrics-addr: cannot listen on " + taken + ": address already in use"},
	}
	for _, tt := range tests {
		r := runCLI("server", "--addr", freeAddr(t), "--metrics-addr", tt.metricsAddr)
		if r.code != tt.code {
			t.Errorf("--metrics-addr %q: exit code %d, want %d (stderr %q)", tt.metricsAddr, r.code, tt.code, r.stderr)
		}
		if !strings.Contains(r.stderr, tt.err) {
			t.Errorf("--metrics-addr %q: stderr %q lacks %q", tt.metricsAddr, r.stderr, tt.err)
		}
	}
}

// TestStreamsRediscovered checks that the streams are looked for again
// only once rediscoverEvery has passed, not at every scrape.
func TestStreamsRediscovered(t *testing.T) {
	c, err := embedded.New(pelican.Options{Logger: backendtest.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	rdb := c.Redis()
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "a", Values: []any{"n", 1}}).Err(); err != nil {
		t.Fatal(err)
	}
	d := &discoveringCollector{rdb: rdb, col: monitor.NewCollector(monitor.New(c, monitor.Options{})), log: backendtest.Quiet()}
	streams := func() string {
		t.Helper()
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(d)
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]*dto.MetricFamily{}
		for _, mf := range mfs {
			byName[mf.GetName()] = mf
		}
		return strings.Join(labelValues(byName, "pelican_stream_length", "stream"), ",")
	}
	if got := streams(); got != "a" {
		t.Fatalf("first scrape: streams %q, want a", got)
	}
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "b", Values: []any{"n", 1}}).Err(); err != nil {
		t.Fatal(err)
	}
	if got := streams(); got != "a" {
		t.Errorf("a scrape right after: streams %q, want a (not looked for again yet)", got)
	}
	d.mu.Lock()
	d.next = time.Now().Add(-time.Nanosecond) // rediscoverEvery has passed
	d.mu.Unlock()
	if got := streams(); got != "a,b" {
		t.Errorf("after rediscoverEvery: streams %q, want a,b", got)
	}
}

// TestEngineMetricsLint checks the engine metrics with client_golang's
// linter and a pedantic registry (which checks them against their
// descriptions).
func TestEngineMetricsLint(t *testing.T) {
	db, err := embedded.Open(embedded.Config{Engine: engine.Config{Logger: backendtest.Quiet()}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(engineCollector{db.Engine()})
	n, err := testutil.GatherAndCount(reg)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(engineDescs) {
		t.Errorf("%d metrics, want %d (one per description: database 0's keys alone)", n, len(engineDescs))
	}
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
