package pelican_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// A message stays pending while a lane has read it but not yet taken it
// in hand, and after its handler has finished until its acknowledgement
// goes out (with the lane's next read). The worker's retry scan, which
// looks through the worker's own pending messages for failed ones that are
// due, must take it for one in neither window: without a crash or a
// stall, no message runs its handler to success twice. The scan runs every
// millisecond and the backoff is a millisecond, so such a message would be
// due almost at once; handlers take a little time so that a batch's first
// messages have been idle a while when it ends.
func TestFinishedMessageIsNotRetriedBeforeItsAcknowledgement(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		const n = 3000
		var mu sync.Mutex
		succeeded := map[string]int{}
		failed := map[string]bool{}
		cfg := fastConfig("acked", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			time.Sleep(20 * time.Microsecond) // the work
			i, _ := strconv.Atoi(m.Values["n"])
			mu.Lock()
			defer mu.Unlock()
			if i%50 == 0 && !failed[m.ID] {
				failed[m.ID] = true // fails once: the retry scan has work
				return errors.New("first attempt fails")
			}
			succeeded[m.ID]++
			return nil
		}))
		cfg.Concurrency, cfg.BatchSize = 2, 64
		cfg.Backoff = pelican.Delays{time.Millisecond}
		cfg.RetryInterval = time.Millisecond
		w, stop := runWorker(t, c, cfg)
		// Published in small batches while the worker runs, so that reads
		// return as messages arrive.
		var ids []string
		for len(ids) < n {
			batch := make([]map[string]string, 50)
			for i := range batch {
				batch[i] = map[string]string{"n": strconv.Itoa(len(ids) + i)}
			}
			got, err := c.PublishBatch(context.Background(), "acked", batch, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got...)
		}
		await.True(t, "every message is processed", func() bool { return w.Stats().Processed >= n })
		await.True(t, "nothing is pending", func() bool { return pendingCount(t, c.Redis(), "acked", "g") == 0 })
		stop()
		mu.Lock()
		defer mu.Unlock()
		twice := 0
		for _, id := range ids {
			switch got := succeeded[id]; {
			case got == 0:
				t.Errorf("message %s never succeeded", id)
			case got > 1:
				twice++
			}
		}
		if twice > 0 {
			t.Errorf("%d of %d messages ran their handler to success more than once", twice, n)
		}
		if got := w.Stats().Processed; got != n {
			t.Errorf("Processed = %d, want %d", got, n)
		}
	})
}

// Messages trimmed from the stream while pending to a consumer that died
// are dropped from the group's PEL and counted as lost to trim, on every
// backend: where reads claim with XREADGROUP CLAIM too, which skips such
// entries and leaves them pending.
func TestTrimmedAbandonedMessagesAreCountedLostToTrim(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		rdb := c.Redis()
		heldByGhost(t, c, "trimmed", 10)
		if err := rdb.XTrimMaxLen(ctx, "trimmed", 0).Err(); err != nil {
			t.Fatal(err)
		}
		cfg := fastConfig("trimmed", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			t.Errorf("handler ran for %s, which was trimmed", m.ID)
			return nil
		}))
		w, stop := runWorker(t, c, cfg)
		await.True(t, "the trimmed messages are counted", func() bool { return w.Stats().LostToTrim == 10 })
		await.True(t, "nothing is pending", func() bool { return pendingCount(t, rdb, "trimmed", "g") == 0 })
		stop()
	})
}

// A message given back (ErrUnavailable) can be claimed again at once, by
// another lane of the same worker too, while the lane that gave it back is
// still busy with the rest of its batch. That lane must have let go of it
// first, and a heartbeat that listed it as in flight just before must not
// claim it back just after: otherwise it ends up pending to a worker that
// is not handling it, until ClaimMinIdle (here a minute).
func TestGivenBackMessageCanBeTakenByAnotherLaneAtOnce(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		const n = 200
		var mu sync.Mutex
		ran := map[string]bool{}
		cfg := fastConfig("handback", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			mu.Lock()
			first := !ran[m.ID]
			ran[m.ID] = true
			mu.Unlock()
			if first {
				time.Sleep(200 * time.Microsecond) // the rest of the batch takes a while
				return pelican.Unavailable(errors.New("a dependency is down, briefly"))
			}
			return nil
		}))
		cfg.Concurrency, cfg.BatchSize = 2, 16
		cfg.ClaimMinIdle = time.Minute
		w, stop := runWorker(t, c, cfg)
		publishN(t, c, "handback", n)
		await.True(t, "every message is processed", func() bool { return w.Stats().Processed >= n })
		await.True(t, "nothing is pending", func() bool { return pendingCount(t, c.Redis(), "handback", "g") == 0 })
		stop()
		if st := w.Stats(); st.Processed != n || st.GivenBack != n {
			t.Errorf("stats %+v, want %d processed and given back", st, n)
		}
	})
}
