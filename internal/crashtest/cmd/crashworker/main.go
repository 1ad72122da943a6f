// Command crashworker is the worker process of Pelican's crash test: one
// Pelican worker, with crashtest's handler and configuration, consuming a
// stream until SIGTERM or SIGINT (after which it shuts down gracefully) or
// SIGKILL (after which the test checks that nothing was lost).
//
//	crashworker -addr 127.0.0.1:6379 -stream crash -group g -consumer w1 [-exactly-once] [-batch n] [-fallbacks] [-log file]
//
// With -consumer "" the worker takes Pelican's default consumer name.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/crashtest"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "crashworker: %v\n", err)
		os.Exit(1)
	}
}

// Ready is the line the worker prints once SIGTERM and SIGINT lead to a
// graceful shutdown rather than to the default exit.
const Ready = "crashworker: ready"

func run(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	fmt.Println(Ready)

	fs := flag.NewFlagSet("crashworker", flag.ContinueOnError)
	addr := fs.String("addr", "", "host:port of the server (required)")
	stream := fs.String("stream", "crash", "stream to consume")
	group := fs.String("group", "g", "consumer group")
	consumer := fs.String("consumer", "", "consumer name (Pelican's default if empty)")
	batch := fs.Int("batch", 0, "BatchSize (crashtest's if zero)")
	fallbacks := fs.Bool("fallbacks", false, "use only Redis 7 commands (pelican.Options.ForceFallbacks)")
	exactlyOnce := fs.Bool("exactly-once", false, "run the worker in exactly-once mode")
	logPath := fs.String("log", "", "file to append the log to (none if empty)")
	maxWork := fs.Duration("max-work", time.Millisecond, "upper bound of the random pause each handler call makes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *addr == "" {
		return errors.New("-addr is required")
	}

	var out io.Writer = io.Discard
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("opening the log: %w", err)
		}
		defer f.Close()
		out = f
	}
	log := slog.New(slog.NewTextHandler(out, nil)).With("pid", os.Getpid())

	rdb := redis.NewClient(&redis.Options{Addr: *addr})
	c := pelican.New(rdb, pelican.Options{Logger: log, ProducerID: *consumer, ForceFallbacks: *fallbacks})
	defer c.Close()
	h := &crashtest.Handler{Redis: rdb, Keys: crashtest.Keys{Stream: *stream}, ExactlyOnce: *exactlyOnce, MaxWork: *maxWork, Log: log}
	cfg := crashtest.WorkerConfig(*stream, *group, *consumer, h, *exactlyOnce)
	if *batch > 0 {
		cfg.BatchSize = *batch
	}
	w, err := c.NewWorker(cfg)
	if err != nil {
		return err
	}
	log.Info("crashworker: starting", "consumer", w.Consumer())
	if err := w.Run(ctx); err != nil {
		return fmt.Errorf("running the worker: %w", err)
	}
	log.Info("crashworker: stopped", "consumer", w.Consumer(), "stats", fmt.Sprintf("%+v", w.Stats()))
	return nil
}
