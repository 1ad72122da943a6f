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
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pelican server: unexpected argument %q\n", fs.Arg(0))
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
	eng := engine.New(engine.Config{RequirePass: *pass, ActiveExpiry: true, Port: port})
	defer eng.Close()
	srv := server.New(eng, server.Config{Logger: log})

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	fmt.Fprintf(stdout, "pelican server listening on %s (data is kept in memory)\n", l.Addr())

	select {
	case sig := <-sigs:
		fmt.Fprintf(stdout, "pelican server: %v received, shutting down\n", sig)
	case err := <-errc:
		if !errors.Is(err, server.ErrServerClosed) {
			fmt.Fprintf(stderr, "pelican server: %v\n", err)
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintf(stderr, "pelican server: shutdown: %v\n", err)
		return 1
	}
	return 0
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
