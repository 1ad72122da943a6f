package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/server"
)

// runServer implements "pelican server": serve the engine over TCP until
// SIGINT or SIGTERM.
func runServer(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pelican server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:6379", "address to listen on (host:port)")
	pass := fs.String("requirepass", "", "password clients must AUTH with (none if empty)")
	var p engine.Persistence
	fs.StringVar(&p.Dir, "dir", "", "data directory; persistence is on when given (none: data is kept in memory)")
	fs.StringVar(&p.AppendOnly, "appendonly", "yes", "keep an append-only file in the data directory (yes or no)")
	fs.StringVar(&p.AppendFsync, "appendfsync", "everysec", "when to fsync the append-only file: always, everysec or no")
	fs.StringVar(&p.AppendDirName, "appenddirname", "appendonlydir", "name of the append-only directory inside --dir")
	fs.StringVar(&p.AppendFilename, "appendfilename", "appendonly.aof", "prefix of the append-only files' names")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: pelican server [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Serves a Redis-compatible stream engine. Without --dir its data is kept in memory;")
		fmt.Fprintln(stderr, "with it, in DIR/appendonlydir in Redis 7's append-only format (docs/persistence.md).")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Examples:")
		fmt.Fprintln(stderr, "  pelican server")
		fmt.Fprintln(stderr, "  pelican server --dir ./data --appendfsync always")
		fmt.Fprintln(stderr, "  pelican server --addr 0.0.0.0:6379 --requirepass secret --dir /var/lib/pelican")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pelican server: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	p.AppendOnly, p.AppendFsync = strings.ToLower(p.AppendOnly), strings.ToLower(p.AppendFsync)
	if err := p.Validate(); err != nil {
		fmt.Fprintf(stderr, "pelican server: %v\n", strings.TrimPrefix(err.Error(), "engine: "))
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "pelican server: cannot listen on %s: %v\n", *addr, listenCause(err))
		return 1
	}
	port := 0
	if ta, ok := l.Addr().(*net.TCPAddr); ok {
		port = ta.Port
	}
	shutdown := make(chan struct{}, 1)
	eng, err := engine.Open(engine.Config{
		RequirePass: *pass, ActiveExpiry: true, Port: port, Persistence: p, Logger: log,
		Shutdown: func() {
			select {
			case shutdown <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		l.Close()
		fmt.Fprintf(stderr, "pelican server: %v\n", err)
		return 1
	}
	srv := server.New(eng, server.Config{Logger: log})

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	fmt.Fprintf(stdout, "pelican server listening on %s (%s)\n", l.Addr(), persistenceSummary(p))

	select {
	case sig := <-sigs:
		fmt.Fprintf(stdout, "pelican server: %v received, shutting down\n", sig)
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
	go func() { done <- stop(srv, eng, stderr) }()
	select {
	case code := <-done:
		return code
	case sig := <-sigs:
		fmt.Fprintf(stderr, "pelican server: %v received again, exiting now: writes not yet in the append-only file are lost\n", sig)
	case <-time.After(shutdownLimit):
		fmt.Fprintf(stderr, "pelican server: shutdown did not finish in %v, exiting: writes not yet in the append-only file are lost\n", shutdownLimit)
	}
	return 1
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
