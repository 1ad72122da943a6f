package pelican

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// TestBoxedMetaWritesTheSame checks that the worker's way of writing a
// dead letter, with values boxed in advance, gives the codec's fields.
func TestBoxedMetaWritesTheSame(t *testing.T) {
	now := time.UnixMilli(1700000000000)
	d := DeadLetter{
		OriginalID: "1-1", Stream: "s", Group: "g", Consumer: "w1", Deliveries: 3,
		FirstFailure: now.Add(-time.Minute), LastFailure: now, DeadAt: now,
		Error: "boom", Class: ClassHandler, Redrives: 1,
	}
	// A redriven message's values: its own, and the redrive's fields.
	values := map[string]string{"b": "2", "a": "1", FieldRedriveGroup: "g", FieldRedrives: "1"}
	nowMs := any(now.UnixMilli())
	boxed := boxedMeta{stream: any("s"), group: any("g"), consumer: any("w1"), lastFailure: nowMs, deadAt: nowMs}
	got := appendDeadLetterFields(nil, &d, values, &boxed)
	d.Values = userValues(values)
	if diff := cmp.Diff(got, AppendDeadLetter(nil, &d)); diff != "" {
		t.Errorf("boxed (-got +want):\n%s", diff)
	}
	if got := redrivesOf(values); got != 1 {
		t.Errorf("redrivesOf = %d, want 1", got)
	}
}

// benchEntry is a dead-letter entry as XRANGE returns it.
func benchEntry() redis.XMessage {
	d := DeadLetter{
		OriginalID: "1699999999000-0", Stream: "orders", Group: "billing", Consumer: "worker-1", Deliveries: 3,
		FirstFailure: time.UnixMilli(1699999999000), LastFailure: time.UnixMilli(1700000000000), DeadAt: time.UnixMilli(1700000000001),
		Error: "order 88214 not found", Class: ClassHandler, Values: map[string]string{"order": "88214", "payload": "xxxxxxxxxxxxxxxx"},
	}
	list := AppendDeadLetter(nil, &d)
	values := map[string]any{}
	for i := 0; i < len(list); i += 2 {
		switch v := list[i+1].(type) {
		case int64:
			values[list[i].(string)] = strconv.FormatInt(v, 10)
		default:
			values[list[i].(string)] = v
		}
	}
	return redis.XMessage{ID: "1700000000001-0", Values: values}
}

// The metadata-only parse runs for every entry of a whole dead-letter
// stream (dlq's Stats and Failures): it must not allocate.
func TestParseDeadLetterMetaAllocatesNothing(t *testing.T) {
	m := benchEntry()
	if _, err := ParseDeadLetterMeta(m); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseDeadLetterMeta(m) }); n != 0 {
		t.Errorf("ParseDeadLetterMeta allocates %v times per entry, want 0", n)
	}
}

func BenchmarkParseDeadLetter(b *testing.B) {
	m := benchEntry()
	b.Run("meta", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = ParseDeadLetterMeta(m)
		}
	})
	b.Run("values", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = ParseDeadLetter(m)
		}
	})
}

func BenchmarkAppendDeadLetter(b *testing.B) {
	d, err := ParseDeadLetter(benchEntry())
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]any, 0, 32)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendDeadLetter(dst[:0], &d)
	}
}
