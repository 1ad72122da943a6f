package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/pelicanhq/pelican"
)

// demoWorkerReady is the line a demo worker prints once it runs.
const demoWorkerReady = "ready"

// newDemoWorkerCommand returns "pelican demo worker", the worker process
// the demo starts (several times) by running its own executable again.
// It is hidden: it exists for the demo alone.
func newDemoWorkerCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		url, run, name string
		priceLookup    bool
	)
	cmd := &cobra.Command{
		Use:    "worker",
		Short:  "Run one worker process of the demo",
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			return runDemoWorker(ctx, url, demoKeys{run}, name, priceLookup, stdout, stderr)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&url, "url", "", "server to reach")
	fs.StringVar(&run, "run", "", "run ID of the demo")
	fs.StringVar(&name, "name", "", "consumer name")
	fs.BoolVar(&priceLookup, "price-lookup", false, "charge orders without an amount at the catalogue's price")
	for _, f := range []string{"url", "run", "name"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

// runDemoWorker runs one worker until ctx ends. Its log goes to stderr,
// which the demo keeps to show if the worker fails.
func runDemoWorker(ctx context.Context, url string, keys demoKeys, name string, priceLookup bool, stdout, stderr io.Writer) error {
	rdb, _, err := dialURL(url, 5*time.Second)
	if err != nil {
		return usageErrorf("--url: %v", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("worker", name, "pid", os.Getpid())
	c := pelican.New(rdb, pelican.Options{Logger: log, ProducerID: name})
	defer c.Close()
	h := &demoHandler{rdb: rdb, keys: keys, priceLookup: priceLookup, work: 2 * time.Millisecond}
	w, err := c.NewWorker(demoWorkerConfig(keys, name, h))
	if err != nil {
		return fmt.Errorf("worker %s: %w", name, err)
	}
	fmt.Fprintln(stdout, demoWorkerReady)
	if err := w.Run(ctx); err != nil {
		return fmt.Errorf("worker %s: %w", name, err)
	}
	return nil
}
