package pelican_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

func TestRetryAfterShorterThanTheScanInterval(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		var first, second atomic.Int64
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			if first.Load() == 0 {
				first.Store(time.Now().UnixMilli())
				return pelican.RetryAfter(100*time.Millisecond, errors.New("soon"))
			}
			second.Store(time.Now().UnixMilli())
			return nil
		}))
		cfg.RetryInterval = 5 * time.Second // the scheduled retry must not wait for this
		w, stop := runWorker(t, c, cfg)
		publishN(t, c, "s", 1)
		await.True(t, "the retry", func() bool { return w.Stats().Processed == 1 })
		stop()
		if gap := second.Load() - first.Load(); gap < 100 || gap > 2000 {
			t.Errorf("retried %d ms after RetryAfter(100ms), with scans every 5s", gap)
		}
	})
}
