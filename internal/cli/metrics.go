package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/internal/memconn"
	"github.com/pelicanhq/pelican/monitor"
	"github.com/pelicanhq/pelican/server"
)

// pelican server --metrics-addr serves Prometheus metrics over HTTP at
// /metrics: the engine's own figures (pelican_server_*, read from the
// engine directly), the stream metrics of monitor.Collector for the
// streams the server holds (read through an in-process connection, as a
// client would), and the Go runtime's and the process's.

// rediscoverEvery is how long the streams found by a scrape serve later
// scrapes: discovery walks the keyspace, a scrape reads only the streams.
const rediscoverEvery = 30 * time.Second

// checkMetricsAddr refuses a --metrics-addr that is not host:port, as a
// usage error.
func checkMetricsAddr(addr string) error {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return usageErrorf("--metrics-addr: %q is not host:port (say 127.0.0.1:9121, or :9121 for every interface)", addr)
	}
	return nil
}

// metricsServer is the HTTP server of --metrics-addr and the in-process
// client its stream metrics read through.
type metricsServer struct {
	http *http.Server
	rdb  *redis.Client
	once sync.Once
}

// startMetrics serves the metrics on l until close. srv is the server
// the stream metrics connect to, in process; password is what they
// AUTH with (requirepass at start).
func startMetrics(l net.Listener, eng *engine.Engine, srv *server.Server, password string, log *slog.Logger) *metricsServer {
	var conns int64
	var mu sync.Mutex
	rdb := redis.NewClient(&redis.Options{
		Addr:       "metrics:0",
		ClientName: "pelican-metrics",
		Password:   password,
		PoolSize:   8,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			conns++
			peer := memconn.Addr("metrics:" + strconv.FormatInt(conns, 10))
			mu.Unlock()
			client, end := memconn.Pipe(peer, "metrics:0")
			srv.ServeConn(end)
			return client, nil
		},
	})
	c := pelican.New(rdb, pelican.Options{Logger: log})
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		engineCollector{eng},
		&discoveringCollector{rdb: rdb, col: monitor.NewCollector(monitor.New(c, monitor.Options{})), log: log},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	m := &metricsServer{http: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, rdb: rdb}
	go func() {
		if err := m.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("pelican server: serving metrics failed", "addr", l.Addr().String(), "err", err)
		}
	}()
	return m
}

// close stops serving metrics, letting a scrape under way finish for a
// moment, and closes the in-process client. It may be called again.
func (m *metricsServer) close() {
	m.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if m.http.Shutdown(ctx) != nil {
			m.http.Close()
		}
		m.rdb.Close()
	})
}

// discoveringCollector is a monitor.Collector whose streams are those the
// server holds, found with discoverStreams by the first scrape after
// rediscoverEvery has passed (a failed discovery keeps the streams of the
// last one).
type discoveringCollector struct {
	rdb redis.UniversalClient
	col *monitor.Collector
	log *slog.Logger

	mu   sync.Mutex // held by the scrape that discovers; guards next
	next time.Time  // when the streams are looked for again
}

// Describe describes the stream metrics.
func (d *discoveringCollector) Describe(ch chan<- *prometheus.Desc) { d.col.Describe(ch) }

// Collect discovers the streams if it is time, then collects theirs.
func (d *discoveringCollector) Collect(ch chan<- prometheus.Metric) {
	d.rediscover()
	d.col.Collect(ch)
}

func (d *discoveringCollector) rediscover() {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	if now.Before(d.next) {
		return
	}
	d.next = now.Add(rediscoverEvery)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	set, err := discoverStreams(ctx, d.rdb)
	if err != nil {
		d.log.Warn("pelican server: metrics: discovering the streams failed; the streams found before are scraped", "err", err)
		return
	}
	d.col.SetStreams(set.Streams...)
}

// engineCollector exports the engine's figures (engine.Metrics) as the
// pelican_server_* metrics; docs/cli.md lists them.
type engineCollector struct{ eng *engine.Engine }

func serverDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("pelican_server_"+name, help, labels, nil)
}

// The engine metrics' descriptions.
var (
	dCommands      = serverDesc("commands_processed_total", "Commands the server ran (INFO total_commands_processed).")
	dConnections   = serverDesc("connections_received_total", "Connections the server accepted (INFO total_connections_received).")
	dRejected      = serverDesc("rejected_connections_total", "Connections refused for maxclients (INFO rejected_connections).")
	dClients       = serverDesc("connected_clients", "Clients connected, the metrics' own connections included (INFO connected_clients).")
	dBlocked       = serverDesc("blocked_clients", "Clients waiting in a blocking command (INFO blocked_clients).")
	dUsedMemory    = serverDesc("used_memory_bytes", "Bytes the data holds, as maxmemory counts them (INFO used_memory).")
	dMaxMemory     = serverDesc("max_memory_bytes", "The maxmemory limit, 0 for none (INFO maxmemory).")
	dKeys          = serverDesc("keys", "Keys of a database (INFO keyspace); database 0 always, others while they hold keys.", "db")
	dLoading       = serverDesc("loading", "1 while the server loads its files (INFO loading).")
	dAOFEnabled    = serverDesc("aof_enabled", "1 if the server keeps an append-only file (INFO aof_enabled).")
	dAOFWriteOK    = serverDesc("aof_last_write_ok", "0 while the append-only file cannot be written or fsynced, when writes are refused (INFO aof_last_write_status); 1 otherwise.")
	dAOFRewriting  = serverDesc("aof_rewrite_in_progress", "1 while the append-only files are rewritten (INFO aof_rewrite_in_progress).")
	dAOFRewrites   = serverDesc("aof_rewrites_total", "Rewrites of the append-only files that succeeded (INFO aof_rewrites).")
	dAOFSize       = serverDesc("aof_size_bytes", "Size of the append-only files (INFO aof_current_size).")
	dFsyncs        = serverDesc("aof_fsyncs_total", "Fsyncs of the append-only file.")
	dDelayedFsyncs = serverDesc("aof_delayed_fsyncs_total", "Writes that waited for an fsync in progress (INFO aof_delayed_fsync).")
	dSaving        = serverDesc("save_in_progress", "1 while a SAVE or BGSAVE runs (INFO rdb_bgsave_in_progress).")
	dLastSaveOK    = serverDesc("last_save_ok", "1 if the last SAVE or BGSAVE succeeded, or none ran (INFO rdb_last_bgsave_status).")
	dLastSave      = serverDesc("last_save_timestamp_seconds", "Unix time of the last successful save, or of the start (INFO rdb_last_save_time).")
	dChanges       = serverDesc("changes_since_last_save", "Writes since the last save (INFO rdb_changes_since_last_save).")

	engineDescs = []*prometheus.Desc{dCommands, dConnections, dRejected, dClients, dBlocked, dUsedMemory, dMaxMemory,
		dKeys, dLoading, dAOFEnabled, dAOFWriteOK, dAOFRewriting, dAOFRewrites, dAOFSize, dFsyncs, dDelayedFsyncs,
		dSaving, dLastSaveOK, dLastSave, dChanges}
)

// Describe describes the engine metrics.
func (c engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range engineDescs {
		ch <- d
	}
}

// Collect reads the engine's figures once and sends them.
func (c engineCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.eng.Metrics()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	flag := func(d *prometheus.Desc, b bool) {
		v := 0.0
		if b {
			v = 1
		}
		gauge(d, v)
	}
	counter(dCommands, m.CommandsProcessed)
	counter(dConnections, m.ConnectionsReceived)
	counter(dRejected, m.RejectedConnections)
	gauge(dClients, float64(m.ConnectedClients))
	gauge(dBlocked, float64(m.BlockedClients))
	gauge(dUsedMemory, float64(m.UsedMemory))
	gauge(dMaxMemory, float64(m.MaxMemory))
	for db, n := range m.Keys {
		if db == 0 || n > 0 {
			gauge(dKeys, float64(n), strconv.Itoa(db))
		}
	}
	flag(dLoading, m.Loading)
	flag(dAOFEnabled, m.AOFEnabled)
	flag(dAOFWriteOK, m.AOFLastWriteOK)
	flag(dAOFRewriting, m.AOFRewriteInProgress)
	counter(dAOFRewrites, m.AOFRewrites)
	gauge(dAOFSize, float64(m.AOFSize))
	counter(dFsyncs, m.Fsyncs)
	counter(dDelayedFsyncs, m.DelayedFsyncs)
	flag(dSaving, m.SaveInProgress)
	flag(dLastSaveOK, m.LastSaveOK)
	gauge(dLastSave, float64(m.LastSave.Unix()))
	gauge(dChanges, float64(m.ChangesSinceLastSave))
}

// metricsURL is the address of the metrics, for the start line.
func metricsURL(l net.Listener, asked string) string {
	host, _, _ := net.SplitHostPort(asked)
	if ta, ok := l.Addr().(*net.TCPAddr); ok {
		return fmt.Sprintf("http://%s/metrics", net.JoinHostPort(host, strconv.Itoa(ta.Port)))
	}
	return "http://" + l.Addr().String() + "/metrics"
}
