// Command crashscheduler is the mover process of Pelican's crash test of
// scheduled messages: it moves the due scheduled messages of a stream
// into it, one batch per atomic step, until none is left, then prints a
// line and exits. Built with -tags pelican_crashtest, it kills itself at
// the step PELICAN_CRASH_AT names (before-schedule-move or
// after-schedule-move), the PELICAN_CRASH_AFTER-th time it gets there; the
// test then runs it again and checks that every message was moved
// exactly once.
//
//	crashscheduler -addr 127.0.0.1:6379 -stream s [-batch 50] [-fallbacks]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
)

// DoneLine starts the line the program prints when nothing is left to
// move, followed by how many messages it moved.
const DoneLine = "crashscheduler: done "

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "crashscheduler: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("crashscheduler", flag.ContinueOnError)
	addr := fs.String("addr", "", "host:port of the server (required)")
	stream := fs.String("stream", "s", "the stream whose scheduled messages to move")
	batch := fs.Int("batch", 50, "messages per atomic step")
	fallbacks := fs.Bool("fallbacks", false, "move under WATCH instead of with a script")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *addr == "" {
		return errors.New("-addr is required")
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c := pelican.New(redis.NewClient(&redis.Options{Addr: *addr}), pelican.Options{Logger: log, ForceFallbacks: *fallbacks})
	defer c.Close()
	s, err := c.NewScheduler(pelican.SchedulerConfig{Streams: []string{*stream}, BatchSize: *batch})
	if err != nil {
		return err
	}
	for {
		if _, err := s.MoveDue(ctx); err != nil {
			return err
		}
		st, err := c.ScheduledStats(ctx, *stream)
		if err != nil {
			return err
		}
		if st.Due == 0 {
			fmt.Printf("%smoved=%d\n", DoneLine, s.Moved())
			return nil
		}
	}
}
