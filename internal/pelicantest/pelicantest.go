// Package pelicantest serves a Pelican engine on a free loopback port for
// tests, so that they can talk to it over real TCP, as clients do.
package pelicantest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/pelicanhq/pelican/engine"
	"github.com/pelicanhq/pelican/server"
)

// Pelican is a Pelican engine served over loopback TCP inside the test
// process.
type Pelican struct {
	// Addr is the loopback host:port it listens on.
	Addr string
	// Engine is the engine behind the listener.
	Engine *engine.Engine
}

// BlockedClients returns how many clients wait in a blocking command.
func (p *Pelican) BlockedClients() (int, error) { return p.Engine.BlockedClients(), nil }

// StartPelican starts an engine with cfg (opening cfg.Persistence.Dir if
// set) and serves it on a free loopback port. The listener, the connections and the engine are shut down when
// the test ends.
func StartPelican(t testing.TB, cfg engine.Config) *Pelican {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pelicantest: listening for Pelican: %v", err)
	}
	if cfg.Port == 0 {
		cfg.Port = l.Addr().(*net.TCPAddr).Port
	}
	eng, err := engine.Open(cfg)
	if err != nil {
		l.Close()
		t.Fatalf("pelicantest: opening the engine: %v", err)
	}
	srv := server.New(eng, server.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("pelicantest: shutting Pelican down: %v", err)
		}
		if err := <-served; err != nil && !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("pelicantest: Pelican's Serve: %v", err)
		}
		eng.Close()
	})
	return &Pelican{Addr: l.Addr().String(), Engine: eng}
}
