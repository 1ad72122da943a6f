package pelican_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// The library speaks only the Redis protocol, so an application that
// talks to Redis must not link Pelican's engine, its server or the Lua
// interpreter: they come with package embedded, for those who ask for it.
func TestLibraryDoesNotLinkTheEngine(t *testing.T) {
	library := []string{
		"github.com/pelicanhq/pelican",
		"github.com/pelicanhq/pelican/dlq",
		"github.com/pelicanhq/pelican/monitor",
		"github.com/pelicanhq/pelican/trim",
	}
	engine := []string{
		"github.com/pelicanhq/pelican/engine",
		"github.com/pelicanhq/pelican/embedded",
		"github.com/pelicanhq/pelican/server",
		"github.com/pelicanhq/pelican/internal/memconn",
		"github.com/yuin/gopher-lua",
	}
	for _, pkg := range library {
		out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", pkg).Output()
		if err != nil {
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				t.Fatalf("go list -deps %s: %v\n%s", pkg, err, exit.Stderr)
			}
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, e := range engine {
				if dep == e || strings.HasPrefix(dep, e+"/") {
					t.Errorf("%s links %s", pkg, dep)
				}
			}
		}
	}
}

// The processing library measures its workers without a metrics library:
// package monitor exports the figures to Prometheus, for those who ask.
func TestLibraryDoesNotLinkPrometheus(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", "github.com/pelicanhq/pelican").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/prometheus/") {
			t.Errorf("github.com/pelicanhq/pelican links %s", dep)
		}
	}
}

// The codecs with dependencies of their own live in packages of their
// own, so that an application links protobuf or msgpack only if it uses
// that codec. (Package monitor links protobuf through Prometheus's client.)
func TestLibraryDoesNotLinkTheCodecs(t *testing.T) {
	codecs := []string{"google.golang.org/protobuf/", "github.com/vmihailenco/", "github.com/pelicanhq/pelican/codec/"}
	for _, pkg := range []string{"github.com/pelicanhq/pelican", "github.com/pelicanhq/pelican/dlq", "github.com/pelicanhq/pelican/trim"} {
		out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, c := range codecs {
				if strings.HasPrefix(dep, c) {
					t.Errorf("%s links %s", pkg, dep)
				}
			}
		}
	}
}

// Tracing is package pelicanotel's: an application that does not import
// it does not link OpenTelemetry, whichever of the other packages it uses.
func TestLibraryDoesNotLinkOpenTelemetry(t *testing.T) {
	for _, pkg := range []string{"github.com/pelicanhq/pelican", "github.com/pelicanhq/pelican/dlq", "github.com/pelicanhq/pelican/monitor", "github.com/pelicanhq/pelican/trim"} {
		out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "go.opentelemetry.io/") {
				t.Errorf("%s links %s", pkg, dep)
			}
		}
	}
}
