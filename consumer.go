package pelican

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican/internal/rediserr"
	"github.com/pelicanhq/pelican/internal/watch"
)

// Consumer names and liveness. Two live workers under one consumer name
// would each replay the other's pending messages, processing them twice,
// so a worker holds its name: when it starts it writes its beat to the
// group's workers hash, atomically with checking that no live worker
// holds the name already, and refreshes it every heartbeat. A beat says
// when it was written, how often the worker beats, and which process the
// worker is (host, process ID and PID namespace, and a random instance
// token). A worker is live while its beats are fresh (less than three
// intervals old); one that ran on this host, in this PID namespace, is
// dead at once when its process is gone, so that a worker restarted by a
// supervisor gets its name back and replays its messages right away.

// ErrConsumerInUse means a live worker already holds the consumer name a
// worker was started with.
var ErrConsumerInUse = errors.New("pelican: consumer name in use by a live worker")

// beat is a worker's entry in the group's workers hash.
//
// Encoded as "2|<Unix ms>|<interval ms>|<pid>|<pid namespace>|<instance>|
// <state>|<host>", the state being "run" or "stopped"; the host comes
// last, so that nothing it holds can shift the other fields. Version 1,
// which Pelican wrote before, was the Unix ms alone.
type beat struct {
	at       time.Time
	interval time.Duration // zero for version 1
	pid      int
	pidNS    string
	instance string
	stopped  bool
	host     string
}

func (b beat) encode() string {
	state := "run"
	if b.stopped {
		state = "stopped"
	}
	return strings.Join([]string{"2", strconv.FormatInt(b.at.UnixMilli(), 10), strconv.FormatInt(b.interval.Milliseconds(), 10),
		strconv.Itoa(b.pid), b.pidNS, b.instance, state, b.host}, "|")
}

// parseBeat parses a beat of either version; it reports false for
// anything else.
func parseBeat(v string) (beat, bool) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return beat{at: time.UnixMilli(ms)}, true
	}
	parts := strings.SplitN(v, "|", 8)
	if len(parts) != 8 || parts[0] != "2" {
		return beat{}, false
	}
	ms, err1 := strconv.ParseInt(parts[1], 10, 64)
	interval, err2 := strconv.ParseInt(parts[2], 10, 64)
	pid, err3 := strconv.Atoi(parts[3])
	if err1 != nil || err2 != nil || err3 != nil {
		return beat{}, false
	}
	return beat{at: time.UnixMilli(ms), interval: time.Duration(interval) * time.Millisecond, pid: pid,
		pidNS: parts[4], instance: parts[5], stopped: parts[6] == "stopped", host: parts[7]}, true
}

// liveness is what a beat says of its worker.
type liveness int

const (
	// unknown: a beat of version 1, which says nothing of how often it
	// is written: judge by idle time.
	unknown liveness = iota
	alive
	dead
)

// judge tells whether the worker that wrote b is alive at now. self is
// the judging process, to probe workers that ran on its host.
func (b beat) judge(now time.Time, self *process) liveness {
	switch {
	case b.stopped:
		return dead
	case b.interval <= 0:
		return unknown
	}
	if b.gone(self) {
		return dead
	}
	if now.Sub(b.at) < b.lifetime() {
		return alive
	}
	return dead
}

// gone reports whether b's worker ran in self's host and PID namespace,
// where its process no longer exists.
func (b beat) gone(self *process) bool {
	return self.sameNamespace(b) && b.instance != self.instance && !processExists(b.pid)
}

// lifetime is how long b says its worker is alive without a new beat:
// three intervals, and a second.
func (b beat) lifetime() time.Duration { return 3*b.interval + time.Second }

// expiresIn returns how long until b's worker is taken for dead if it
// beats no more.
func (b beat) expiresIn(now time.Time) time.Duration {
	return max(b.at.Add(b.lifetime()).Sub(now), 0)
}

// process identifies the running process in beats.
type process struct {
	host, pidNS, instance string
	pid                   int
}

// thisProcess is the running process, with a fresh instance token per
// worker run.
func thisProcess() *process {
	host, _ := os.Hostname()
	var tok [8]byte
	_, _ = rand.Read(tok[:])
	return &process{host: host, pid: os.Getpid(), pidNS: pidNamespace(), instance: hex.EncodeToString(tok[:])}
}

// sameNamespace reports whether b was written by a process whose PID this
// process can probe: same host, same PID namespace.
func (p *process) sameNamespace(b beat) bool {
	return p != nil && p.pidNS != "" && b.pid > 0 && b.host == p.host && b.pidNS == p.pidNS
}

// defaultNames numbers the workers started with a default name in this
// process, by stream and group.
var defaultNames struct {
	mu sync.Mutex
	n  map[[2]string]int
}

// defaultConsumer returns the default consumer name for the next worker
// of stream and group in this process: "<host>-<pid>", then
// "<host>-<pid>-2" and so on.
func defaultConsumer(stream, group string) string {
	defaultNames.mu.Lock()
	defer defaultNames.mu.Unlock()
	if defaultNames.n == nil {
		defaultNames.n = make(map[[2]string]int)
	}
	k := [2]string{stream, group}
	defaultNames.n[k]++
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "pelican"
	}
	name := host + "-" + strconv.Itoa(os.Getpid())
	if n := defaultNames.n[k]; n > 1 {
		name += "-" + strconv.Itoa(n)
	}
	return name
}

// beatValue returns the worker's beat for now.
func (w *Worker) beatValue(stopped bool) string {
	return beat{at: w.c.clock.Now(), interval: w.cfg.HeartbeatInterval, pid: w.self.pid, pidNS: w.self.pidNS,
		instance: w.self.instance, stopped: stopped, host: w.self.host}.encode()
}

// claimName takes the worker's consumer name, writing its first beat. A
// name given in the configuration that a live worker holds is refused
// with ErrConsumerInUse; a default name that one holds (only a worker of
// another host with the same name and PID could) is replaced by the next
// default name.
func (w *Worker) claimName(ctx context.Context) error {
	for tries := 0; ; tries++ {
		holder, err := w.tryClaimName(ctx)
		if err != nil || holder == nil {
			return err
		}
		if !w.defaultName || tries >= 100 {
			return w.inUse(*holder)
		}
		w.cfg.Consumer = defaultConsumer(w.cfg.Stream, w.cfg.Group)
		w.log = w.c.log.With("stream", w.cfg.Stream, "group", w.cfg.Group, "consumer", w.cfg.Consumer)
	}
}

// tryClaimName writes the worker's beat under its name unless a live
// worker holds it, which it then returns.
func (w *Worker) tryClaimName(ctx context.Context) (*beat, error) {
	key := w.keys.workers()
	var holder *beat
	for attempt := 0; ; attempt++ {
		var get *redis.StringCmd
		err := watch.Run(ctx, w.c.rdb, []string{key}, func(p redis.Pipeliner) {
			get = p.HGet(ctx, key, w.cfg.Consumer)
		}, func(t *watch.Tx, _ []redis.Cmder, err error) error {
			if err != nil && err != redis.Nil {
				return err
			}
			if b, ok := parseBeat(get.Val()); ok && b.instance != w.self.instance && b.judge(w.c.clock.Now(), w.self) == alive {
				holder = &b
				return nil
			}
			var set *redis.IntCmd
			_, err = t.Exec(ctx, func(p redis.Pipeliner) {
				set = p.HSet(ctx, key, w.cfg.Consumer, w.beatValue(false))
			})
			// EXEC's own error may only say "previous errors": the
			// queued command's says why.
			if err != nil && set != nil && rediserr.IsOutOfMemory(set.Err()) {
				err = set.Err()
			}
			if rediserr.IsOutOfMemory(err) {
				// Over maxmemory the beat cannot be written; no live
				// worker holds the name, and the heartbeat writes the
				// beat once the server accepts writes again.
				w.health.noteRefused(err)
				return nil
			}
			return err
		})
		if errors.Is(err, redis.TxFailedErr) && attempt < 10 {
			continue // another worker wrote its beat meanwhile: look again
		}
		if err != nil {
			return nil, fmt.Errorf("pelican: taking consumer name %q: %w", w.cfg.Consumer, err)
		}
		return holder, nil
	}
}

// inUse returns the error of a worker whose name b's worker holds.
func (w *Worker) inUse(b beat) error {
	now := w.c.clock.Now()
	return fmt.Errorf("%w: consumer %q of group %q on stream %q is held by a live worker (pid %d on host %q, last heartbeat %v ago). Give each worker its own Consumer name, or leave Consumer empty for a name unique to the process; if that worker has just died, its name is free in %v",
		ErrConsumerInUse, w.cfg.Consumer, w.cfg.Group, w.cfg.Stream, b.pid, b.host, now.Sub(b.at).Round(time.Millisecond), b.expiresIn(now).Round(time.Second))
}
