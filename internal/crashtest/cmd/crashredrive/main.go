// Command crashredrive is the redrive process of Pelican's crash test: it
// starts a rate-limited redrive of every entry of a dead-letter stream,
// or resumes one from its checkpoint, prints the job's ID and waits for
// the job to end. The test kills it with SIGKILL mid-job, resumes the job
// with a new process, and checks that every message ends up exactly once
// in its stream, the dead-letter stream or the parked stream.
//
//	crashredrive -addr 127.0.0.1:6379 -dlq crash:dlq -job j1 [-resume] [-rate 2000] [-batch 100]
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
	"github.com/pelicanhq/pelican/dlq"
)

// JobLine starts the line the program prints once the job is running,
// followed by the job's ID.
const JobLine = "crashredrive: job "

// DoneLine starts the line it prints when the job has ended without
// error, followed by its counts.
const DoneLine = "crashredrive: done "

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "crashredrive: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("crashredrive", flag.ContinueOnError)
	addr := fs.String("addr", "", "host:port of the server (required)")
	name := fs.String("dlq", "crash:dlq", "dead-letter stream to redrive")
	job := fs.String("job", "", "the job's ID (required)")
	resume := fs.Bool("resume", false, "resume the job from its checkpoint instead of starting it")
	rate := fs.Float64("rate", 2000, "messages per second (0: no limit)")
	batch := fs.Int("batch", 0, "entries per batch (0: the default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *addr == "" || *job == "" {
		return errors.New("-addr and -job are required")
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	c := pelican.New(redis.NewClient(&redis.Options{Addr: *addr}), pelican.Options{Logger: log})
	defer c.Close()
	q := dlq.Open(c, *name)
	opts := dlq.RedriveOptions{Rate: *rate, BatchSize: *batch, JobID: *job}
	var j *dlq.Job
	var err error
	if *resume {
		j, err = q.ResumeRedrive(ctx, *job, opts)
	} else {
		j, err = q.Redrive(ctx, dlq.Selector{All: true}, opts)
	}
	if err != nil {
		return err
	}
	fmt.Println(JobLine + j.ID())
	p, err := j.Wait(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%stotal=%d moved=%d parked=%d skipped=%d\n", DoneLine, p.Total, p.Moved, p.Parked, p.Skipped)
	return nil
}
