package pelican

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDurationHistogramBuckets checks that a duration lands in the first
// bucket whose bound it does not exceed (Prometheus's le), and one above
// every bound in the last.
func TestDurationHistogramBuckets(t *testing.T) {
	var h durationHistogram
	n := len(handlerDurationBounds)
	durations := []time.Duration{0, handlerDurationBounds[0], handlerDurationBounds[0] + 1, handlerDurationBounds[n-1], time.Hour}
	for _, d := range durations {
		h.observe(d)
	}
	s := h.snapshot()
	want := make([]uint64, n+1)
	want[0], want[1], want[n-1], want[n] = 2, 1, 1, 1
	if diff := cmp.Diff(want, s.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	var sum time.Duration
	for _, d := range durations {
		sum += d
	}
	if s.Sum != sum || s.Count() != uint64(len(durations)) {
		t.Errorf("sum %v, count %d; want %v, %d", s.Sum, s.Count(), sum, len(durations))
	}
	if diff := cmp.Diff(handlerDurationBounds[:], s.Bounds); diff != "" {
		t.Errorf("bounds (-want +got):\n%s", diff)
	}
}

// BenchmarkDurationHistogramObserve is the cost the handler-duration
// histogram adds to each handler run, with every CPU observing at once.
func BenchmarkDurationHistogramObserve(b *testing.B) {
	var h durationHistogram
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		d := 3 * time.Millisecond
		for pb.Next() {
			h.observe(d)
		}
	})
}
