package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/server"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// serverFlags are the flags of "pelican server", as given.
type serverFlags struct {
	o           serverOptions
	p           engine.Persistence
	maxmemory   string
	configFile  string
	metricsAddr string
}

// newServerCommand returns "pelican server": serve the engine over TCP
// until SIGINT, SIGTERM or SHUTDOWN.
func newServerCommand(stdout, stderr io.Writer) *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the Redis-compatible stream server",
		Long: `Serves a Redis-compatible stream engine. Without --dir its data is kept in memory;
with it, in DIR/appendonlydir in Redis 7's append-only format (docs/persistence.md).
Protected mode, TLS and the configuration file: docs/server.md; limits: docs/limits.md.`,
		Example: `  pelican server
  pelican server --dir ./data --appendfsync always
  pelican server --maxmemory 2gb
  pelican server --addr 0.0.0.0:6379 --requirepass secret --dir /var/lib/pelican
  pelican server --config /etc/pelican/redis.conf
  pelican server --dir ./data --metrics-addr 127.0.0.1:9121
  pelican server --tls-port 6380 --tls-cert-file server.crt --tls-key-file server.key \
    --tls-ca-cert-file ca.crt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exitCode(runServer(cmd.Flags(), &f, stdout, stderr))
		},
	}
	fs := cmd.Flags()
	o, p := &f.o, &f.p
	fs.StringVar(&f.maxmemory, "maxmemory", "0", "refuse writes that add data once the data exceeds this many bytes (Redis's units: 100mb, 2gb); reads, acks and deletions go on; 0: no limit")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://`HOST:PORT`/metrics (off if empty; docs/cli.md lists them)")
	fs.StringVar(&f.configFile, "config", "", "read settings from `FILE`, in redis.conf syntax (flags win over it)")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:6379", "address to listen on (host:port)")
	fs.StringVar(&o.requirePass, "requirepass", "", "password clients must AUTH with (none if empty)")
	fs.StringVar(&o.ioThreads, "io-threads", "", "how many threads run the server at once, 1 to 128 (default 1, or $GOMAXPROCS when set)")
	fs.StringVar(&o.protectedMode, "protected-mode", "yes", "refuse clients from other hosts while no password is set (yes or no)")
	fs.StringVar(&p.Dir, "dir", "", "data directory; persistence is on when given (none: data is kept in memory)")
	fs.StringVar(&p.AppendOnly, "appendonly", "yes", "keep an append-only file in the data directory (yes or no)")
	fs.StringVar(&p.AppendFsync, "appendfsync", "everysec", "when to fsync the append-only file: always, everysec or no")
	fs.StringVar(&p.AppendDirName, "appenddirname", "appendonlydir", "name of the append-only directory inside --dir")
	fs.StringVar(&p.AppendFilename, "appendfilename", "appendonly.aof", "prefix of the append-only files' names")
	fs.StringVar(&o.tls.port, "tls-port", "", "also listen for TLS clients on this port, on the same host as --addr")
	fs.StringVar(&o.tls.certFile, "tls-cert-file", "", "the server's TLS certificate (PEM)")
	fs.StringVar(&o.tls.keyFile, "tls-key-file", "", "the TLS certificate's private key (PEM)")
	fs.StringVar(&o.tls.caCertFile, "tls-ca-cert-file", "", "CA certificates (PEM) that client certificates must be signed by")
	fs.StringVar(&o.tls.authClients, "tls-auth-clients", "yes", "whether TLS clients need a certificate: yes, optional or no")
	_ = cmd.MarkFlagFilename("config", "conf")
	_ = cmd.MarkFlagDirname("dir")
	_ = cmd.RegisterFlagCompletionFunc("appendfsync", fixedCompletion("always", "everysec", "no"))
	return cmd
}

// runServer runs the server with the parsed flags and returns the exit
// code.
func runServer(fs *pflag.FlagSet, f *serverFlags, stdout, stderr io.Writer) int {
	o, p := &f.o, &f.p
	maxmemory, configFile := &f.maxmemory, &f.configFile
	given := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { given[f.Name] = true })
	if *configFile != "" {
		if err := readConfigFile(*configFile, o, p, given); err != nil {
			fmt.Fprintf(stderr, "pelican server: %v\n", err)
			return 2
		}
	}
	p.AppendOnly, p.AppendFsync = strings.ToLower(p.AppendOnly), strings.ToLower(p.AppendFsync)
	maxBytes, err := engine.ParseMemory(*maxmemory)
	if err != nil {
		fmt.Fprintf(stderr, "pelican server: --maxmemory: %v\n", strings.TrimPrefix(err.Error(), "engine: "))
		return 2
	}
	if err := p.Validate(); err != nil {
		fmt.Fprintf(stderr, "pelican server: %v\n", strings.TrimPrefix(err.Error(), "engine: "))
		return 2
	}
	unprotected := false
	switch strings.ToLower(o.protectedMode) {
	case "yes":
	case "no":
		unprotected = true
	default:
		fmt.Fprintf(stderr, "pelican server: protected-mode must be yes or no, not %q\n", o.protectedMode)
		return 2
	}
	threads, err := o.threads(os.Getenv("GOMAXPROCS"))
	if err != nil {
		fmt.Fprintf(stderr, "pelican server: %v\n", err)
		return 2
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
	addrs, err := o.listenAddrs(given["addr"])
	if err != nil {
		fmt.Fprintf(stderr, "pelican server: %v\n", err)
		return 2
	}
	if f.metricsAddr != "" {
		if err := checkMetricsAddr(f.metricsAddr); err != nil {
			fmt.Fprintf(stderr, "pelican server: %v\n", err)
			return 2
		}
	}
	var tlsConfig *tls.Config
	for _, a := range addrs {
		if a.tls && tlsConfig == nil {
			if tlsConfig, err = o.tls.config(); err != nil {
				fmt.Fprintf(stderr, "pelican server: %v\n", err)
				return 2
			}
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	type listener struct {
		net.Listener
		tls  bool
		host string // as asked for: Go shows 0.0.0.0 as [::]
	}
	var listeners []listener
	var metricsListener net.Listener
	closeListeners := func() {
		for _, l := range listeners {
			l.Close()
		}
		if metricsListener != nil {
			metricsListener.Close()
		}
	}
	for _, a := range addrs {
		l, err := net.Listen("tcp", a.addr)
		if err != nil && a.optional {
			log.Info("pelican server: skipping an optional bind address", "addr", a.addr, "err", listenCause(err))
			continue
		}
		if err != nil {
			closeListeners()
			fmt.Fprintf(stderr, "pelican server: cannot listen on %s: %v\n", a.addr, listenCause(err))
			return 1
		}
		if a.tls {
			l = tls.NewListener(l, tlsConfig)
		}
		host, _, _ := net.SplitHostPort(a.addr)
		listeners = append(listeners, listener{l, a.tls, host})
	}
	if len(listeners) == 0 {
		fmt.Fprintln(stderr, "pelican server: none of the bind addresses is available")
		return 1
	}
	if f.metricsAddr != "" {
		if metricsListener, err = net.Listen("tcp", f.metricsAddr); err != nil {
			closeListeners()
			fmt.Fprintf(stderr, "pelican server: --metrics-addr: cannot listen on %s: %v\n", f.metricsAddr, listenCause(err))
			return 1
		}
	}
	port := 0
	bind := o.binds
	for _, l := range listeners {
		if ta, ok := l.Addr().(*net.TCPAddr); ok && !l.tls {
			port = ta.Port
			if given["addr"] || len(bind) == 0 {
				bind = []string{l.host}
			}
			break
		}
	}
	shutdown := make(chan struct{}, 1)
	eng, err := engine.Open(engine.Config{
		RequirePass: o.requirePass, ActiveExpiry: true, Port: port, Bind: bind, Unprotected: unprotected,
		IOThreads:   threads,
		Persistence: *p, Logger: log, MaxMemory: maxBytes,
		// maxclients is bounded by the open file limit, as in Redis.
		ClientsAllowed: func(n int) int { return server.AdjustOpenFilesLimit(n, log) },
		Shutdown: func() {
			select {
			case shutdown <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		closeListeners()
		fmt.Fprintf(stderr, "pelican server: %v\n", err)
		return 1
	}
	for _, st := range o.settings {
		if err := eng.Configure(st.name, st.value); err != nil {
			closeListeners()
			eng.Close()
			fmt.Fprintf(stderr, "pelican server: %s:%d: %v\n", *configFile, st.line, err)
			return 2
		}
	}
	srv := server.New(eng, server.Config{Logger: log})
	var metrics *metricsServer
	if metricsListener != nil {
		metrics = startMetrics(metricsListener, eng, srv, o.requirePass, log)
		defer metrics.close()
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	errc := make(chan error, len(listeners))
	var names, listening []string
	for _, l := range listeners {
		go func() { errc <- srv.Serve(l) }()
		name := l.Addr().String()
		if ta, ok := l.Addr().(*net.TCPAddr); ok {
			name = net.JoinHostPort(l.host, strconv.Itoa(ta.Port))
		}
		listening = append(listening, name)
		if l.tls {
			name += " (TLS)"
		}
		names = append(names, name)
	}
	fmt.Fprintf(stdout, "pelican server listening on %s (%s)\n", strings.Join(names, ", "), persistenceSummary(*p))
	if metrics != nil {
		fmt.Fprintf(stdout, "pelican server: metrics at %s\n", metricsURL(metricsListener, f.metricsAddr))
	}
	if w := eng.ProtectedModeWarning(listening); w != "" {
		log.Warn("pelican server: " + w)
	}

	select {
	case sig := <-sigs:
		fmt.Fprintf(stdout, "pelican server: %s received, shutting down\n", signalName(sig))
		// A script running would keep its client's connection, and the
		// engine, forever: stop it (see engine.StopScript).
		eng.StopScript()
	case <-shutdown:
		fmt.Fprintln(stdout, "pelican server: SHUTDOWN received, shutting down")
	case err := <-errc:
		if !errors.Is(err, server.ErrServerClosed) {
			fmt.Fprintf(stderr, "pelican server: %v\n", err)
			eng.Close()
			return 1
		}
	}
	done := make(chan int, 1)
	go func() {
		if metrics != nil {
			metrics.close() // before the server: a scrape would find it closing
		}
		done <- stop(srv, eng, stderr)
	}()
	select {
	case code := <-done:
		return code
	case sig := <-sigs:
		fmt.Fprintf(stderr, "pelican server: %s received again, exiting now: writes not yet in the append-only file are lost\n", signalName(sig))
	case <-time.After(shutdownLimit):
		fmt.Fprintf(stderr, "pelican server: shutdown did not finish in %s, exiting: writes not yet in the append-only file are lost\n", durationText(shutdownLimit))
	}
	return 1
}

// signalName names a signal as people know it: "SIGTERM", "SIGINT"
// (Ctrl-C), rather than Go's "terminated" and "interrupt".
func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case os.Interrupt:
		return "SIGINT"
	}
	return sig.String()
}

// shutdownLimit bounds a shutdown: past it, or on a second signal, the
// process exits whatever is left undone.
const shutdownLimit = 10 * time.Second

// stop closes the connections and then the engine, which writes and
// fsyncs what is pending, and returns the exit code.
func stop(srv *server.Server, eng *engine.Engine, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code := 0
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "pelican server: shutdown: %v\n", err)
		code = 1
	}
	// Whatever the clients did, what was written is flushed and fsynced.
	if err := eng.Close(); err != nil {
		fmt.Fprintf(stderr, "pelican server: saving on shutdown: %v\n", err)
		return 1
	}
	return code
}

// persistenceSummary says where the data is kept, for the start line.
func persistenceSummary(p engine.Persistence) string {
	switch {
	case p.Dir == "":
		return "data is kept in memory: give --dir to keep it on disk"
	case p.AppendOnly == "no":
		return "data in " + p.Dir + ", append-only file off"
	}
	return "data in " + p.Dir + ", append-only file with appendfsync " + p.AppendFsync
}

// listenCause reduces a listen error to its cause ("address already in
// use"), which says more than the wrapped form.
func listenCause(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}
