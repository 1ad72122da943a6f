package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/cputime"
)

const (
	benchStream = "bench"
	benchGroup  = "g"
	benchDLQ    = benchStream + ":dlq"
	consumer    = "bench"
)

// forceFallbacks is the -fallbacks flag.
var forceFallbacks bool

// errAlways is what the dead-letter benchmark's handler fails with.
var errAlways = errors.New("bench: always fails")

// runConsume measures one implementation consuming a preloaded stream:
// acknowledging every message (dead=false) or moving every message to the
// dead-letter stream (dead=true). It prints messages per second.
func runConsume(args []string, dead bool) error {
	fs := flag.NewFlagSet("consume", flag.ExitOnError)
	var f commonFlags
	f.register(fs, 300000, 4, 64)
	impl := fs.String("impl", "worker", "worker (pelican.Worker), loop (hand-written go-redis loop) or, for deadletter, loop-script (a loop that moves each batch in one Lua script, without a guard) or loop-guarded (a loop that also moves each message once)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured part to this file")
	fs.BoolVar(&forceFallbacks, "fallbacks", false, "make the worker use only Redis 7 commands (Options.ForceFallbacks)")
	fs.Parse(args)

	t, err := openTarget(f.backend, f.addr, f.c+8)
	if err != nil {
		return err
	}
	defer t.close()
	ctx := context.Background()
	setup := t.client()
	defer setup.Close()
	if err := preload(ctx, setup, benchStream, benchGroup, f.n, f.size); err != nil {
		return err
	}

	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	var elapsed time.Duration
	cpu0, srv0 := cputime.Self(), cputime.Of(f.serverPID)
	switch *impl {
	case "worker":
		elapsed, err = consumeWorker(ctx, t, setup, f, dead)
	case "loop":
		elapsed, err = consumeLoop(ctx, t, setup, f, dead, *impl)
	case "loop-script", "loop-guarded":
		if !dead {
			return fmt.Errorf("-impl %s is for deadletter only", *impl)
		}
		elapsed, err = consumeLoop(ctx, t, setup, f, dead, *impl)
	default:
		return fmt.Errorf("unknown -impl %q", *impl)
	}
	if err != nil {
		return err
	}
	cpu, srv := cputime.Self()-cpu0, cputime.Of(f.serverPID)-srv0
	if dead {
		// Both implementations must have put every message in the
		// dead-letter stream, once.
		n, err := setup.XLen(ctx, benchDLQ).Result()
		if err != nil {
			return err
		}
		if n != int64(f.n) {
			return fmt.Errorf("the dead-letter stream holds %d entries, want %d", n, f.n)
		}
	}
	perMsg := func(d time.Duration) float64 { return d.Seconds() * 1e6 / float64(f.n) }
	fmt.Printf("%.0f %.3f %.3f\n", float64(f.n)/elapsed.Seconds(), perMsg(cpu), perMsg(srv))
	return nil
}

// consumeWorker runs a pelican.Worker with a no-op handler (or one that
// fails permanently) until every message is acknowledged (or moved).
func consumeWorker(ctx context.Context, t *target, setup *redis.Client, f commonFlags, dead bool) (time.Duration, error) {
	pc := pelican.New(t.client(), pelican.Options{Logger: quiet, ForceFallbacks: forceFallbacks})
	defer pc.Close()
	if _, err := pc.Capabilities(ctx); err != nil {
		return 0, err
	}
	// The handlers count their calls, and the measurement ends once every
	// message was handled and the group's PEL is empty, as the loop's
	// does. The worker's own Stats are not used: the worker of the second
	// edition counts a message processed only when the round trip
	// carrying its acknowledgement returns, and the last acknowledgements
	// ride on a read that blocks for Block.
	var handled atomic.Int64
	h := pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
		handled.Add(1)
		return nil
	})
	if dead {
		h = func(ctx context.Context, m *pelican.Message) error {
			handled.Add(1)
			return pelican.Permanent(errAlways)
		}
	}
	w, err := pc.NewWorker(pelican.WorkerConfig{
		Stream: benchStream, Group: benchGroup, Consumer: consumer, Handler: h,
		Concurrency: f.c, BatchSize: f.b,
	})
	if err != nil {
		return 0, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- w.Run(runCtx) }()
	end, err := waitDrained(ctx, setup, benchStream, benchGroup, int64(f.n), handled.Load, 5*time.Minute)
	stop()
	if rerr := <-done; rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return 0, err
	}
	return end.Sub(start), nil
}

// consumeLoop runs f.c goroutines that each read a batch (XREADGROUP
// COUNT f.b BLOCK 1000) and acknowledge it with one XACK, or move it to
// the dead-letter stream in one MULTI/EXEC (an XADD per message, with the
// metadata fields Pelican writes, and one XACK). impl "loop-script" makes
// the same move in one Lua script (moveScript), which says what running
// the move on the server as a script costs. impl "loop-guarded" moves a
// message once even when two consumers race on it, without a script:
// WATCH and MGET of a marker per message, then the MULTI/EXEC sets the
// markers too.
func consumeLoop(ctx context.Context, t *target, setup *redis.Client, f commonFlags, dead bool, impl string) (time.Duration, error) {
	rdb := t.client()
	defer rdb.Close()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, f.c)
	start := time.Now()
	for i := 0; i < f.c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := loopLane(runCtx, rdb, f.b, dead, impl, &done); err != nil && runCtx.Err() == nil {
				errs <- err
				stop()
			}
		}()
	}
	end, err := waitDrained(ctx, setup, benchStream, benchGroup, int64(f.n), done.Load, 5*time.Minute)
	stop()
	wg.Wait()
	close(errs)
	if lerr := <-errs; lerr != nil {
		return 0, lerr
	}
	if err != nil {
		return 0, err
	}
	return end.Sub(start), nil
}

// moveScript moves a batch to the dead-letter stream without a guard:
// KEYS are the stream and the dead-letter stream; ARGV the group, then per
// message its ID, its number of field values and the values. It adds
// every message and acknowledges them all with one XACK.
var moveScript = redis.NewScript(`
local ids, i = {}, 2
while i <= #ARGV do
	local n = tonumber(ARGV[i + 1])
	redis.call('xadd', KEYS[2], '*', unpack(ARGV, i + 2, i + 1 + n))
	ids[#ids + 1] = ARGV[i]
	i = i + 2 + n
end
return redis.call('xack', KEYS[1], ARGV[1], unpack(ids))
`)

func loopLane(ctx context.Context, rdb *redis.Client, batch int, dead bool, impl string, done *atomic.Int64) error {
	guarded := impl == "loop-guarded"
	ids := make([]string, 0, batch)
	markers := make([]string, 0, batch)
	for ctx.Err() == nil {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: benchGroup, Consumer: consumer, Streams: []string{benchStream, ">"},
			Count: int64(batch), Block: time.Second,
		}).Result()
		if err == redis.Nil {
			continue
		}
		if err != nil {
			return fmt.Errorf("XREADGROUP: %w", err)
		}
		msgs := res[0].Messages
		ids = ids[:0]
		for _, m := range msgs {
			ids = append(ids, m.ID)
		}
		if !dead {
			if err := rdb.XAck(ctx, benchStream, benchGroup, ids...).Err(); err != nil {
				return fmt.Errorf("XACK: %w", err)
			}
			done.Add(int64(len(ids)))
			continue
		}
		fields := deadFields(msgs)
		move := func(p redis.Pipeliner) error {
			for i := range msgs {
				p.XAdd(ctx, &redis.XAddArgs{Stream: benchDLQ, Values: fields[i]})
				if guarded {
					p.Set(ctx, markers[i], "1", 24*time.Hour)
				}
			}
			p.XAck(ctx, benchStream, benchGroup, ids...)
			return nil
		}
		switch impl {
		case "loop":
			_, err = rdb.TxPipelined(ctx, move)
		case "loop-script":
			args := []any{benchGroup}
			for i, f := range fields {
				args = append(args, ids[i], len(f))
				args = append(args, f...)
			}
			err = moveScript.Run(ctx, rdb, []string{benchStream, benchDLQ}, args...).Err()
		default:
			markers = markers[:0]
			for _, id := range ids {
				markers = append(markers, benchStream+":pelican:dead:"+benchGroup+":"+id)
			}
			err = rdb.Watch(ctx, func(tx *redis.Tx) error {
				found, err := tx.MGet(ctx, markers...).Result()
				if err != nil {
					return err
				}
				for _, v := range found {
					if v != nil {
						return errors.New("a marker exists: nothing races in this benchmark")
					}
				}
				_, err = tx.TxPipelined(ctx, move)
				return err
			}, markers...)
		}
		if err != nil {
			return fmt.Errorf("moving: %w", err)
		}
		done.Add(int64(len(ids)))
	}
	return nil
}

// deadFields returns the fields of each message's entry in the dead-letter
// stream: its own, then the metadata fields Pelican writes.
func deadFields(msgs []redis.XMessage) [][]any {
	now := time.Now().UnixMilli()
	out := make([][]any, len(msgs))
	for i, m := range msgs {
		fields := make([]any, 0, 2*len(m.Values)+22)
		for k, v := range m.Values {
			fields = append(fields, k, v)
		}
		out[i] = append(fields,
			pelican.FieldOriginalID, m.ID,
			pelican.FieldOriginalStream, benchStream,
			pelican.FieldGroup, benchGroup,
			pelican.FieldConsumer, consumer,
			pelican.FieldDeliveries, 1,
			pelican.FieldFirstFailure, now,
			pelican.FieldLastFailure, now,
			pelican.FieldError, "bench: always fails",
			pelican.FieldErrorClass, pelican.ClassPermanent,
			pelican.FieldRedrives, 0,
			pelican.FieldDeadAt, now,
		)
	}
	return out
}
