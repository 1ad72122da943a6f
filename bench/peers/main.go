// Command peers runs the publish → no-op handler → acknowledge workload,
// the recovery measurement and the head-of-line measurement of
// bench/libbench with two other Go libraries for processing on Redis:
// asynq (lists, sorted sets and Lua scripts) and watermill-redisstream
// (streams and consumer groups). It is a module of its own so that
// Pelican's module does not depend on them.
//
//	peers asynq-consume     -addr A -n 200000 -c 16 [-server-pid P]
//	peers watermill-consume -addr A -n 200000 -c 16 [-server-pid P]
//	peers asynq-recover     -addr A -n 1000
//	peers watermill-recover -addr A -n 1000 [-min-idle 1s -claim-interval 250ms]
//	peers asynq-hol         -addr A -n 2000 -c 4 -slow-every 100 -slow 200ms
//	peers watermill-hol     -addr A -n 2000 -c 4 -slow-every 100 -slow 200ms
//	peers pelican-schedule  -addr A -n 100000 -c 16 -lead 5s -spread 10s [-check-interval D]
//	peers asynq-schedule    -addr A -n 100000 -c 16 -lead 5s -spread 10s [-check-interval D]
//
// consume prints messages per second, then the CPU time per message, in
// microseconds, of this process and of the server process (0 without
// -server-pid). recover prints the seconds from the holder's death to the
// last of its messages processed, then the counts of duplicates, missing
// messages and messages processed before the death, like libbench. hol
// prints the seconds until every message was processed, the messages per
// second that makes, and the seconds until the last fast message was
// processed, like libbench hol. schedule (scheduled messages, Pelican's
// against asynq's scheduled tasks) prints the due messages moved per
// second, the messages handled per second and the lateness p50, p99 and
// maximum in ms (see schedule.go).
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: peers asynq-consume|watermill-consume|asynq-recover|watermill-recover|asynq-hol|watermill-hol|pelican-schedule|asynq-schedule [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "asynq-consume":
		err = asynqConsume(os.Args[2:])
	case "watermill-consume":
		err = watermillConsume(os.Args[2:])
	case "asynq-recover":
		err = asynqRecover(os.Args[2:])
	case "asynq-hold":
		err = asynqHold(os.Args[2:])
	case "watermill-recover":
		err = watermillRecover(os.Args[2:])
	case "watermill-hold":
		err = watermillHold(os.Args[2:])
	case "asynq-hol":
		err = asynqHOL(os.Args[2:])
	case "watermill-hol":
		err = watermillHOL(os.Args[2:])
	case "pelican-schedule":
		err = pelicanSchedule(os.Args[2:])
	case "asynq-schedule":
		err = asynqSchedule(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

// report prints a consume result.
func report(n int, elapsed, cpu, srv time.Duration) {
	perMsg := func(d time.Duration) float64 { return d.Seconds() * 1e6 / float64(n) }
	fmt.Printf("%.0f %.3f %.3f\n", float64(n)/elapsed.Seconds(), perMsg(cpu), perMsg(srv))
}

// recovery collects what a rescuer processed, by message number.
type recovery struct {
	seen map[int]int
	last time.Time
}

// result prints a recover result for n messages and a death at died.
func (r *recovery) result(n int, died time.Time, early int) {
	dups, missing := 0, 0
	for i := 0; i < n; i++ {
		c := r.seen[i]
		if c == 0 {
			missing++
		}
		if c > 1 {
			dups += c - 1
		}
	}
	secs := -1.0
	if missing == 0 {
		secs = r.last.Sub(died).Seconds()
	}
	fmt.Printf("%.3f %d %d %d\n", secs, dups, missing, early)
}
