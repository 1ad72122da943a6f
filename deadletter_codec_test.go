package pelican_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/internal/backendtest"
)

// sampleLetter is a dead letter with every field set, its times in whole
// milliseconds as the stream keeps them.
func sampleLetter() pelican.DeadLetter {
	t0 := time.UnixMilli(1700000000000)
	return pelican.DeadLetter{
		OriginalID: "1699999999000-3", Stream: "{orders}", Group: "billing", Consumer: "w1",
		Deliveries: 5, FirstFailure: t0, LastFailure: t0.Add(time.Minute), DeadAt: t0.Add(2 * time.Minute),
		Error: "order 88214 not found: a | in it", Class: pelican.ClassMaxDeliveries, Redrives: 2,
		ContentType: pelican.ContentTypeJSON,
		Values:      map[string]string{"order": "88214", "note": "", "z": "last"},
	}
}

// TestDeadLetterRoundTrip writes a dead letter with AppendDeadLetter to a
// stream and reads it back with ParseDeadLetter.
func TestDeadLetterRoundTrip(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		testDeadLetterRoundTrip(t, c)
	})
}

func testDeadLetterRoundTrip(t *testing.T, c *pelican.Client) {
	ctx := context.Background()
	want := sampleLetter()
	id, err := c.Redis().XAdd(ctx, &redis.XAddArgs{Stream: "{orders}:dlq", Values: pelican.AppendDeadLetter(nil, &want)}).Result()
	if err != nil {
		t.Fatal(err)
	}
	want.ID = id
	msgs, err := c.Redis().XRange(ctx, "{orders}:dlq", "-", "+").Result()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("XRANGE: %v, %v", msgs, err)
	}
	got, err := pelican.ParseDeadLetter(msgs[0])
	if err != nil {
		t.Fatalf("ParseDeadLetter: %v", err)
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("ParseDeadLetter(AppendDeadLetter(d)) (-got +want):\n%s", diff)
	}
	meta, err := pelican.ParseDeadLetterMeta(msgs[0])
	want.Values = nil
	if diff := cmp.Diff(meta, want); err != nil || diff != "" {
		t.Errorf("ParseDeadLetterMeta: %v (-got +want):\n%s", err, diff)
	}
}

func TestAppendDeadLetterOrder(t *testing.T) {
	d := sampleLetter()
	d.Values[pelican.FieldRedriveGroup] = "billing" // a redriven message's: not the dead letter's
	got := pelican.AppendDeadLetter(nil, &d)
	want := []any{
		"note", "", "order", "88214", "z", "last",
		pelican.FieldOriginalID, "1699999999000-3",
		pelican.FieldOriginalStream, "{orders}",
		pelican.FieldGroup, "billing",
		pelican.FieldConsumer, "w1",
		pelican.FieldDeliveries, int64(5),
		pelican.FieldFirstFailure, int64(1700000000000),
		pelican.FieldLastFailure, int64(1700000060000),
		pelican.FieldError, "order 88214 not found: a | in it",
		pelican.FieldErrorClass, pelican.ClassMaxDeliveries,
		pelican.FieldRedrives, int64(2),
		pelican.FieldDeadAt, int64(1700000120000),
		pelican.FieldContentType, pelican.ContentTypeJSON,
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("AppendDeadLetter (-got +want):\n%s", diff)
	}
}

func TestAppendRedriven(t *testing.T) {
	d := sampleLetter()
	got := pelican.AppendRedriven([]any{"kept"}, &d)
	want := []any{"kept", "note", "", "order", "88214", "z", "last",
		pelican.FieldRedriveGroup, "billing", pelican.FieldRedrives, int64(3),
		pelican.FieldContentType, pelican.ContentTypeJSON}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("AppendRedriven (-got +want):\n%s", diff)
	}
}

// entry returns sampleLetter's entry as XRANGE returns it (every value a
// string), with the fields of replace set and those of drop left out.
func entry(id string, replace map[string]string, drop ...string) redis.XMessage {
	d := sampleLetter()
	list := pelican.AppendDeadLetter(nil, &d)
	values := map[string]any{}
	for i := 0; i < len(list); i += 2 {
		values[list[i].(string)] = fmt.Sprint(list[i+1])
	}
	for k, v := range replace {
		values[k] = v
	}
	for _, k := range drop {
		delete(values, k)
	}
	return redis.XMessage{ID: id, Values: values}
}

func TestParseDeadLetterMalformed(t *testing.T) {
	const id = "1700000999000-0"
	idTime := time.UnixMilli(1700000999000)
	all := []string{pelican.FieldOriginalID, pelican.FieldOriginalStream, pelican.FieldGroup, pelican.FieldConsumer,
		pelican.FieldDeliveries, pelican.FieldFirstFailure, pelican.FieldLastFailure, pelican.FieldError,
		pelican.FieldErrorClass, pelican.FieldRedrives, pelican.FieldDeadAt}
	for _, tt := range []struct {
		name      string
		m         redis.XMessage
		malformed []string // nil: no error
		want      func(d *pelican.DeadLetter)
	}{
		{
			name: "well-formed",
			m:    entry(id, nil),
			want: func(d *pelican.DeadLetter) {},
		},
		{
			name: "never redriven: no redrive count",
			m:    entry(id, nil, pelican.FieldRedrives),
			want: func(d *pelican.DeadLetter) { d.Redrives = 0 },
		},
		{
			name:      "numbers that do not parse",
			m:         entry(id, map[string]string{pelican.FieldDeliveries: "many", pelican.FieldRedrives: "2.5", pelican.FieldFirstFailure: ""}),
			malformed: []string{pelican.FieldDeliveries, pelican.FieldFirstFailure, pelican.FieldRedrives},
			want:      func(d *pelican.DeadLetter) { d.Deliveries, d.Redrives, d.FirstFailure = 0, 0, time.Time{} },
		},
		{
			name:      "dead-at from the ID",
			m:         entry(id, map[string]string{pelican.FieldDeadAt: "yesterday"}),
			malformed: []string{pelican.FieldDeadAt},
			want:      func(d *pelican.DeadLetter) { d.DeadAt = idTime },
		},
		{
			name:      "missing strings",
			m:         entry(id, nil, pelican.FieldGroup, pelican.FieldError),
			malformed: []string{pelican.FieldGroup, pelican.FieldError},
			want:      func(d *pelican.DeadLetter) { d.Group, d.Error = "", "" },
		},
		{
			name:      "a message of its own only",
			m:         redis.XMessage{ID: id, Values: map[string]any{"order": "88214"}},
			malformed: slices.DeleteFunc(slices.Clone(all), func(f string) bool { return f == pelican.FieldRedrives }),
			want: func(d *pelican.DeadLetter) {
				*d = pelican.DeadLetter{DeadAt: idTime, Values: map[string]string{"order": "88214"}}
			},
		},
		{
			name:      "neither dead-at nor a stream ID",
			m:         redis.XMessage{ID: "first", Values: map[string]any{}},
			malformed: slices.DeleteFunc(slices.Clone(all), func(f string) bool { return f == pelican.FieldRedrives }),
			want:      func(d *pelican.DeadLetter) { *d = pelican.DeadLetter{Values: map[string]string{}} },
		},
		{
			name: "no content type: a message published without one",
			m:    entry(id, nil, pelican.FieldContentType),
			want: func(d *pelican.DeadLetter) { d.ContentType = "" },
		},
		{
			name: "other reserved fields left out",
			m:    entry(id, map[string]string{"pelican:parked-at": "1700000999001", pelican.FieldRedriveGroup: "billing"}),
			want: func(d *pelican.DeadLetter) {},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := sampleLetter()
			tt.want(&want)
			want.ID = tt.m.ID
			got, err := pelican.ParseDeadLetter(tt.m)
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("ParseDeadLetter (-got +want):\n%s", diff)
			}
			var malformed *pelican.MalformedDeadLetterError
			switch {
			case tt.malformed == nil && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.malformed != nil && !errors.As(err, &malformed):
				t.Errorf("error %v, want a *MalformedDeadLetterError", err)
			case tt.malformed != nil:
				if diff := cmp.Diff(malformed, &pelican.MalformedDeadLetterError{ID: tt.m.ID, Fields: tt.malformed}); diff != "" {
					t.Errorf("MalformedDeadLetterError (-got +want):\n%s", diff)
				}
			}
		})
	}
}

// TestHeadersTravelWithTheMessage publishes a message with a header (added
// by a publish hook), dead-letters it, and redrives it with
// AppendRedriven: the header is in DeadLetter.Headers, not in Values, and
// comes back with the redriven message, on every backend.
func TestHeadersTravelWithTheMessage(t *testing.T) {
	hook := func(ctx context.Context, stream string, set func(name, value string)) func(string, error) {
		set("trace", "abc")
		return nil
	}
	backendtest.EachWith(t, pelican.Options{PublishHooks: []pelican.PublishHook{hook}}, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		if _, err := c.Publish(ctx, "orders", map[string]string{"order": "7"}, nil); err != nil {
			t.Fatal(err)
		}
		var header string
		letters := make(chan pelican.DeadLetter, 1)
		cfg := fastConfig("orders", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			header = m.Header("trace")
			return pelican.Permanent(errors.New("no"))
		}))
		cfg.OnDeadLetter = func(ctx context.Context, d pelican.DeadLetter) { letters <- d }
		_, stop := runWorker(t, c, cfg)
		var hooked pelican.DeadLetter
		select {
		case hooked = <-letters:
		case <-time.After(10 * time.Second):
			t.Fatal("no dead letter")
		}
		stop()
		if header != "abc" {
			t.Errorf("the handler saw header %q, want abc", header)
		}
		msgs, err := c.Redis().XRange(ctx, pelican.DeadLetterStreamOf("orders"), "-", "+").Result()
		if err != nil || len(msgs) != 1 {
			t.Fatalf("XRANGE: %v, %v", msgs, err)
		}
		d, err := pelican.ParseDeadLetter(msgs[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range []pelican.DeadLetter{hooked, d} {
			if diff := cmp.Diff(map[string]string{"trace": "abc"}, got.Headers); diff != "" {
				t.Errorf("Headers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]string{"order": "7"}, got.Values); diff != "" {
				t.Errorf("Values (-want +got):\n%s", diff)
			}
		}
		id, err := c.Redis().XAdd(ctx, &redis.XAddArgs{Stream: "orders", Values: pelican.AppendRedriven(nil, &d)}).Result()
		if err != nil {
			t.Fatal(err)
		}
		back, err := c.Redis().XRange(ctx, "orders", id, id).Result()
		if err != nil || len(back) != 1 {
			t.Fatalf("XRANGE: %v, %v", back, err)
		}
		if got := back[0].Values[pelican.HeaderPrefix+"trace"]; got != "abc" {
			t.Errorf("the redriven message's header is %v, want abc", got)
		}
	})
}

// TestHeadersRoundTrip writes a dead letter with headers with
// AppendDeadLetter and reads it back.
func TestHeadersRoundTrip(t *testing.T) {
	want := sampleLetter()
	want.ID = "1-1"
	want.Headers = map[string]string{"traceparent": "00-x-y-01", "tracestate": ""}
	fields := pelican.AppendDeadLetter(nil, &want)
	values := map[string]any{}
	for i := 0; i < len(fields); i += 2 {
		values[fields[i].(string)] = fmt.Sprint(fields[i+1])
	}
	got, err := pelican.ParseDeadLetter(redis.XMessage{ID: "1-1", Values: values})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	meta, err := pelican.ParseDeadLetterMeta(redis.XMessage{ID: "1-1", Values: values})
	if err != nil || meta.Headers != nil || meta.Values != nil {
		t.Errorf("ParseDeadLetterMeta: Headers %v, Values %v, err %v; want none", meta.Headers, meta.Values, err)
	}
}
